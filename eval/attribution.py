"""The `misattributed` count: answer sentences whose cited unit is about another subject than the sentence
names, judged from the document profiles with the same place and person checks the answer pipeline applies
(`assistant.binding.misattributed`). Computed for any answer (the baseline's too), so a run shows how often
facts were moved between subjects."""

from __future__ import annotations

from collections.abc import Callable

from assistant.binding import CitedUnit, misattributed
from assistant.citations import answer_sentences, cited_numbers
from troly.records import Answer, Document, DocumentProfile

ProfileOf = Callable[[str], DocumentProfile | None]
DocumentOf = Callable[[str], Document | None]


def misattributed_sentences(answer: Answer, profile: ProfileOf, document: DocumentOf) -> list[str]:
    """Each answer sentence that names a place or person its cited unit is not about, with what it names."""
    if answer.refused:
        return []
    by_number = {c.n: c for c in answer.citations}
    found = []
    for line in answer.text.splitlines():
        for sentence in answer_sentences(line.removeprefix("- ")):
            problems: list[str] = []
            for n in cited_numbers(sentence):
                citation = by_number.get(n)
                doc = document(citation.source) if citation else None
                if citation is None or doc is None:
                    continue
                unit = CitedUnit(profile(citation.source), doc.text, citation.start, citation.end)
                problems += misattributed(sentence, unit)
            if problems:
                found.append(f"{sentence} ({', '.join(dict.fromkeys(problems))})")
    return found
