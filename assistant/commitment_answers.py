"""Answers to "VNPT cam kết gì với X (về Y)?" read from the commitment tracker's rows, without the model.

The rows are the tracker's (`index.tracker.build_entries` over the documents of the question's subject):
each is stated as its short line, citing its quote. The side asked about is the one the question names
before "cam kết" ("VNPT cam kết gì …", "Quảng Trị cam kết gì …"); its own rows come first, then those both
sides committed to. A pillar the question names ("về kinh tế số") keeps that pillar's rows. A question that
asks how much, when or where ("cam kết đầu tư bao nhiêu tiền …"), or whose subject has no tracked
commitment of that side or pillar, is left to the model (None), which answers or refuses from the evidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant.profile_answers import ProfileAnswer, Statement
from assistant.question import QuestionAnalysis
from assistant.scope import Part
from index.tracker import CommitmentCache, build_entries
from ingest.commitments import short_line
from ingest.vietnamese import fold
from troly.records import Commitment, Document, DocumentProfile, TrackedAgreement

# "VNPT cam kết gì", "cam kết những gì", "các cam kết của VNPT", "cam kết nội dung nào".
_WHAT = re.compile(
    r"\bcam ket\b(?:\s+\w+){0,3}?\s+(?:gi|nhung gi|nhung noi dung nao|noi dung gi|nhung viec gi|viec gi)\b"
    r"|\b(?:nhung|cac)\s+cam ket\b"
)
# Asked for a figure, a time, a place or a person: a list of commitments does not answer it.
# A line names its side when it does within this many characters ("Về hạ tầng số, VNPT sẽ …").
_OPENING_CHARS = 60
_NOT_WHAT = re.compile(r"\b(?:bao nhieu|khi nao|bao gio|luc nao|o dau|ai|nam nao|thang nao|the nao)\b")


class _Documents:
    """The tracker's source over the part's documents (`Tracker` reads the library; this reads the plan)."""

    def __init__(self, profiles: Sequence[DocumentProfile], document: Callable[[str], Document]) -> None:
        self._profiles = list(profiles)
        self._document = document

    def profiles(self) -> list[DocumentProfile]:
        return self._profiles

    def document(self, doc_id: str) -> Document | None:
        return self._document(doc_id)


def is_commitment_question(question: str) -> bool:
    folded = fold(question)
    return _WHAT.search(folded) is not None and _NOT_WHAT.search(folded) is None


def answer_commitments(
    analysis: QuestionAnalysis,
    part: Part,
    profiles: Sequence[DocumentProfile],
    document: Callable[[str], Document],
) -> ProfileAnswer | None:
    """The tracker's rows that answer this part, or None when the model must answer it."""
    if part.doc_ids is None or not is_commitment_question(part.question):
        return None
    scoped = [p for p in profiles if p.doc_id in part.doc_ids and p.agreement is not None]
    entries = build_entries(_Documents(scoped, document), CommitmentCache(None))
    if not entries:
        return None
    folded = fold(part.question)
    rows: list[Commitment] = []
    for entry in entries:
        rows.extend(_chosen(entry, folded, analysis))
    if not rows:
        return None
    statements = tuple(
        Statement(_line(row), row.citation.source, row.citation.start, row.citation.end) for row in rows
    )
    return ProfileAnswer(statements, as_list=True, lead=_lead(entries, rows, analysis))


def _asked_side(entry: TrackedAgreement, folded: str) -> str | None:
    """The key of the side the question names last before "cam kết", if any."""
    at = folded.find("cam ket")
    before = folded[: at if at >= 0 else len(folded)]
    best: tuple[int, str] | None = None
    for party in entry.parties:
        for form in {fold(party.name), fold(party.written)}:
            found = before.rfind(form)
            if found >= 0 and (best is None or found > best[0]):
                best = (found, party.key)
    return None if best is None else best[1]


def _chosen(entry: TrackedAgreement, folded: str, analysis: QuestionAnalysis) -> list[Commitment]:
    side = _asked_side(entry, folded)
    rows = [c for c in entry.commitments if not analysis.pillars or c.pillar in analysis.pillars]
    if side is None:
        return rows
    own = [c for c in rows if c.party_key == side]
    joint = [c for c in rows if c.party_key == "both"]
    return own + joint if own else []


def _line(row: Commitment) -> str:
    """The row's line, led by its side when its opening does not name it ("Hợp tác …" -> "Hai bên: Hợp tác …")."""
    # The whole quote, not the tracker's cut line: an answer must not drop the end of what was committed.
    text = short_line(row.citation.quote, limit=None)
    opening = fold(text)[:_OPENING_CHARS]
    names = (
        (fold(row.party), "hai ben", "2 ben", "cac ben") if row.party_key == "both" else (fold(row.party),)
    )
    if any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", opening) for n in names):
        return text
    return f"{row.party[:1].upper()}{row.party[1:]}: {text}"


def _lead(entries: list[TrackedAgreement], rows: list[Commitment], analysis: QuestionAnalysis) -> str:
    names = "; ".join(" và ".join(p.name for p in e.parties) for e in entries)
    pillar = f" về {', '.join(analysis.pillars)}" if analysis.pillars else ""
    return f"Các cam kết{pillar} trong thỏa thuận giữa {names} ({len(rows)} mục):"
