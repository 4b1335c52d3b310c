"""Real corpora in ../shared: cleaning keeps every gold answer, and chunk offsets hold on every document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.chunk import chunk_document
from ingest.pipeline import discover_all, load_document
from ingest.vietnamese import normalize
from troly.records import Document
from troly.settings import ChunkSettings

pytestmark = pytest.mark.shared


def load_corpus(folder: Path) -> dict[str, Document]:
    found = discover_all([folder])
    assert not found.skipped
    return {f.source: load_document(f.path, f.source) for f in found.files}


def norm(text: str) -> str:
    return " ".join(normalize(text).lower().split())


@pytest.mark.parametrize(
    ("corpus", "qa"), [("seeds", "seeds-dev"), ("alqac", "alqac-dev"), ("virhe4qa", "virhe4qa-dev")]
)
def test_gold_answers_survive_cleaning(shared_dir: Path, corpus: str, qa: str) -> None:
    docs = load_corpus(shared_dir / "corpus" / corpus)
    missing = []
    for line in (shared_dir / "qa" / f"{qa}.jsonl").read_text(encoding="utf-8").splitlines():
        question = json.loads(line)
        for source in question["sources"]:
            raw = norm((shared_dir / "corpus" / corpus / source).read_text(encoding="utf-8"))
            text = norm(docs[source].text)
            present = [a for a in question["answers"] + question.get("all_of", []) if norm(a) in raw]
            missing += [(question["id"], a) for a in present if norm(a) not in text]
    assert missing == []


def test_seed_pages_lose_their_boilerplate_and_keep_their_dates(shared_dir: Path) -> None:
    docs = load_corpus(shared_dir / "corpus" / "seeds")
    for doc in docs.values():
        for boilerplate in (
            "BÌNH LUẬN (0)",
            "Đừng bỏ lỡ",
            "Đọc nhiều",
            "ẢNH:",
            "Ảnh:",
            "- Ảnh 1.",
            "Logo\n",
            " date ",
        ):
            assert boilerplate not in doc.text, (doc.id, boilerplate)
    dated = {doc.id[:3]: doc.date for doc in docs.values()}
    assert dated["000"] == "2025-09-09" and dated["002"] == "2022-09" and dated["003"] == "2018-08-13"


@pytest.mark.parametrize("corpus", ["seeds", "alqac", "virhe4qa"])
def test_chunk_offsets_hold_on_real_documents(shared_dir: Path, corpus: str) -> None:
    settings = ChunkSettings()
    for doc in load_corpus(shared_dir / "corpus" / corpus).values():
        chunks = chunk_document(doc, settings)
        assert chunks
        for chunk in chunks:
            assert doc.text[chunk.start : chunk.end] == chunk.text
            assert len(chunk.text.split()) <= settings.max_words
