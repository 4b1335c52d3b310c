"""What the document profiles add to evidence selection: subject-aware support, pillars, and clause focus.

- The question's subject (the place, person or party that scopes its documents) is already satisfied by the
  scope: evidence need not repeat it ("Ở cấp cơ sở, Cần Thơ đã kiện toàn những lực lượng nào…" is answered by a
  sentence of Cần Thơ's article that never writes "Cần Thơ"). Support is measured on the other words.
- Support is the share of those words one unit holds (a paragraph, or a clause with its points), with the
  abbreviations the corpus defines read out ("CĐS" is "chuyển đổi số"), not one sentence's.
- A question naming a pillar prefers the passages tagged with it and sets aside those tagged with another.
- In a statute, the clause whose text best covers the question's conditions ("tái phạm nguy hiểm", "02 người
  trở lên") is the one that answers: the other clauses of that article are left out, and a point always travels
  with its clause's lead sentence, which states what the point leads to ("…thì bị phạt tù từ 01 năm đến 05
  năm:"). A definition question ("X là gì?") prefers the clause that starts with X.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ingest.vietnamese import fold
from troly.records import DocumentProfile, Pillar, SearchHit

if TYPE_CHECKING:
    from assistant.evidence import EvidenceSentence, SentenceMatch, Terms

PILLAR_BOOST = 2.0
OTHER_PILLAR_FACTOR = 0.3
# When one clause clearly answers, the other clauses of that article are left out of the evidence: the small
# model otherwise copies the first clause it reads (khoản 1's penalty for a question about khoản 2's case).
OTHER_CLAUSE_FACTOR = 0.0
DEFINITION_BOOST = 3.0
# The best clause must cover this much more of the question than the next to be the one that answers.
FOCUS_MARGIN = 0.1
_DEFINITION = re.compile(
    r"^(?:dinh nghia(?: cua)?|the nao la|khai niem(?: cua)?|hieu the nao ve)\s+(.+?)\W*$"
    r"|^(.+?)\s+(?:la gi|duoc hieu (?:la gi|nhu the nao|the nao)|co nghia la gi)\W*$"
)
# "Theo Bộ luật Dân sự 2015, lợi tức được hiểu như thế nào?", "Định nghĩa lợi tức theo Bộ luật Dân sự?": where
# to look is not part of the term.
_SOURCE_PREFIX = re.compile(r"^(?:theo|trong|tai)\s[^,?]*,\s*")
_SOURCE_SUFFIX = re.compile(
    r"\s+(?:theo|trong|tai)\s+(?:quy dinh|bo luat|luat|nghi dinh|thong tu|van ban)\b.*$"
)
_LEAD_NUMBER = re.compile(r"^\W*(?:\d+\.|[a-zđ]\))\s*")


@dataclass(frozen=True)
class EvidenceHints:
    """What the pipeline knows about the question and the documents beyond the retrieved chunks."""

    subject_words: frozenset[str] = frozenset()
    """Folded words of the subject that scopes the question; support does not ask evidence to repeat them."""
    pillars: tuple[Pillar, ...] = ()
    profiles: Mapping[str, DocumentProfile] = field(default_factory=dict)
    abbreviations: Mapping[str, str] = field(default_factory=dict)


def definition_term(question: str) -> str | None:
    """The folded term a definition question asks about ("Định nghĩa của "Người lao động"?" -> "nguoi lao
    dong"), else None."""
    asked = _SOURCE_PREFIX.sub("", fold(question).strip())
    folded = " ".join(re.findall(r"\w+", asked))
    match = _DEFINITION.match(folded)
    if match is None:
        return None
    term = _SOURCE_SUFFIX.sub("", (match.group(1) or match.group(2) or "").strip())
    return term if 1 <= len(term.split()) <= 8 else None


def definitions_first(question: str, hits: list[SearchHit]) -> list[SearchHit]:
    """For a definition question, only the documents whose chunks define the term ("Lợi tức là khoản lợi …"),
    when any does: a title or another article naming the term often outranks the sentence that defines it,
    and the small model then defines the neighbour it read first."""
    term = definition_term(question)
    if term is None:
        return hits
    defining = {h.chunk.doc_id for h in hits if defines_term(h.chunk.text, term)}
    return [h for h in hits if h.chunk.doc_id in defining] if defining else hits


def defines_term(text: str, term: str) -> bool:
    """Whether `text` holds a sentence or point that defines the folded `term` ("2. Lợi tức là …")."""
    pattern = rf"(?:^|[.;:\n]\s*|\b\d+\.\s*|\b[a-zđ]\)\s*){re.escape(term)}\s+(?:la|duoc hieu la)\b"
    return re.search(pattern, fold(text)) is not None


def assign_units(candidates: list[EvidenceSentence], hints: EvidenceHints) -> None:
    """Each sentence's unit (its paragraph, item or point) and clause (the clause it belongs to, if any)."""
    for sent in candidates:
        profile = hints.profiles.get(sent.doc_id)
        if profile is None:
            continue
        unit = profile.unit_at(sent.start, sent.end)
        if unit is None:
            continue
        sent.unit = unit.id
        sent.pillars = tuple(unit.pillars)
        clause = unit if unit.kind == "clause" else None
        if unit.kind == "point" and unit.parent is not None:
            clause = next((u for u in profile.units if u.id == unit.parent), None)
        if clause is not None:
            sent.clause = clause.id
            sent.lead = sent.start <= clause.start + 8


def adjust_scores(
    terms: Terms, question: str, candidates: list[EvidenceSentence], hints: EvidenceHints
) -> None:
    """Pillar, definition and clause-focus weights (see the module docstring)."""
    from assistant.evidence import coverage, match_terms

    if hints.pillars:
        tagged_docs = {s.doc_id for s in candidates if set(s.pillars) & set(hints.pillars)}
        for sent in candidates:
            if sent.doc_id not in tagged_docs or not sent.pillars:
                continue
            sent.score *= PILLAR_BOOST if set(sent.pillars) & set(hints.pillars) else OTHER_PILLAR_FACTOR
    term = definition_term(question)
    if term is not None:
        for sent in candidates:
            if _LEAD_NUMBER.sub("", fold(sent.text)).startswith(term):
                sent.score *= DEFINITION_BOOST
    by_clause: dict[tuple[str, str], list[EvidenceSentence]] = {}
    for sent in candidates:
        if sent.clause is not None:
            by_clause.setdefault((sent.doc_id, sent.clause), []).append(sent)
    by_doc: dict[str, list[tuple[float, str]]] = {}
    for (doc_id, clause), sents in by_clause.items():
        # What tells the clauses apart is the question's conditions, not the article's own topic: the words
        # of the article's title ("Tội làm mất tài liệu bí mật …") are in most of its clauses.
        conditions = terms.without(_title_words(hints, doc_id))
        matches = [match_terms(conditions, s.text) for s in sents]
        score = coverage(conditions, matches) + (0.5 if term and _starts(sents, term) else 0)
        by_doc.setdefault(doc_id, []).append((score, clause))
    for doc_id, scored in by_doc.items():
        if len(scored) < 2:
            continue
        scored.sort(reverse=True)
        if scored[0][0] - scored[1][0] < FOCUS_MARGIN:
            continue
        focus = scored[0][1]
        for sent in candidates:
            if sent.doc_id == doc_id and sent.clause is not None and sent.clause != focus:
                sent.score *= OTHER_CLAUSE_FACTOR


def _title_words(hints: EvidenceHints, doc_id: str) -> frozenset[str]:
    profile = hints.profiles.get(doc_id)
    act = next((s.name for s in profile.subjects if s.kind == "act"), "") if profile else ""
    return frozenset(fold(w) for w in re.findall(r"\w+", act))


def _starts(sents: list[EvidenceSentence], term: str) -> bool:
    return any(_LEAD_NUMBER.sub("", fold(s.text)).startswith(term) for s in sents)


def unit_matches(candidates: list[EvidenceSentence]) -> dict[tuple[str, str], list[SentenceMatch]]:
    """The matches of each unit's sentences together (a clause gathers its points)."""
    grouped: dict[tuple[str, str], list[SentenceMatch]] = {}
    for sent in candidates:
        key = sent.clause or sent.unit
        if key is not None:
            grouped.setdefault((sent.doc_id, key), []).append(sent.match)
    return grouped
