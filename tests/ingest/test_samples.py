"""The project's own demo corpus and questions stay consistent with each other."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.pipeline import discover_all, load_document
from ingest.vietnamese import has_diacritics, normalize


def test_sample_questions_match_the_sample_corpus(sample_corpus: Path) -> None:
    found = discover_all([sample_corpus])
    texts = {f.source: normalize(load_document(f.path, f.source).text).lower() for f in found.files}
    questions = [json.loads(line) for line in (sample_corpus.parent / "qa.jsonl").read_text().splitlines()]
    assert len({q["id"] for q in questions}) == len(questions) >= 12
    assert sum(not q["answerable"] for q in questions) >= 2
    assert sum(not has_diacritics(q["question"]) for q in questions) >= 3
    for question in questions:
        if not question["answerable"]:
            assert question["sources"] == [] and question["answers"] == []
            continue
        for source in question["sources"]:
            text = texts[source]
            assert any(normalize(a).lower() in text for a in question["answers"]) or question["answers"] == []
            assert all(normalize(a).lower() in text for a in question.get("all_of", []))
