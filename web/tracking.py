"""The tracker as the API and the CLI serve it: agreements with each commitment's follow-up, and the
follow-ups to review.

A follow-up is set on a commitment id; the id changes when its quote does (another wording, a corrected
text) and disappears when the commitment does. Such a follow-up is not lost: its entry lists it under
`review`, with the commitment of the same document whose words are closest (`replaced_by`, which also shows
it as `previous`) when there is one, until an admin sets a state on that one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date as Date
from typing import Literal

from pydantic import BaseModel, Field

from index.tracker import AgreementFilters, Tracker, filter_entries
from ingest.vietnamese import fold, syllables
from troly.errors import TrolyError
from troly.records import FOLLOW_UP_STATES, Commitment, FollowUpState, TrackedAgreement
from web.followups import FollowUp, FollowUpEntry, FollowUpStore

# A changed quote is the same commitment reworded when they share this share of their words.
_SUCCESSOR_SHARE = 0.5
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class CommitmentGoneError(TrolyError):
    code = "commitment_gone"


class BadFollowUpError(TrolyError):
    code = "bad_follow_up"
    exit_code = 2


class TrackedCommitment(Commitment):
    status: FollowUp | None = Field(default=None, description="The current follow-up, if any.")
    previous: FollowUp | None = Field(
        default=None,
        description="A follow-up set on an earlier wording of this commitment: to review and set again.",
    )


class ReviewItem(BaseModel):
    follow_up: FollowUp
    reason: Literal["changed", "gone"] = Field(
        description="'changed': the quote it was set on is now worded otherwise; 'gone': no longer there."
    )
    replaced_by: str | None = Field(default=None, description="The commitment that now says it, if any.")


class AgreementView(TrackedAgreement):
    commitments: list[TrackedCommitment] = Field(default_factory=list)  # type: ignore[assignment]
    review: list[ReviewItem] = Field(default_factory=list)


def parse_state(typed: str) -> FollowUpState:
    """A state typed with or without diacritics ("dang trien khai")."""
    wanted = " ".join(fold(typed).split())
    for state in FOLLOW_UP_STATES:
        if fold(state) == wanted:
            return state
    raise BadFollowUpError(f"Trạng thái '{typed}' không có; chọn một trong: {', '.join(FOLLOW_UP_STATES)}.")


def parse_date(typed: str | None) -> str:
    if typed is None or not typed.strip():
        return Date.today().isoformat()
    value = typed.strip()
    try:
        if not _ISO_DATE.match(value):
            raise ValueError(value)
        Date.fromisoformat(value)
    except ValueError as exc:
        raise BadFollowUpError(f"Ngày '{typed}' không hợp lệ; viết YYYY-MM-DD.") from exc
    return value


@dataclass
class TrackingService:
    tracker: Tracker
    store: FollowUpStore

    def agreements(self, filters: AgreementFilters | None = None) -> list[AgreementView]:
        views = self._views()
        chosen = filter_entries(list(views), filters or AgreementFilters())
        return [v for v in chosen if isinstance(v, AgreementView)]

    def agreement(self, agreement_id: str) -> AgreementView | None:
        return next((v for v in self._views() if v.id == agreement_id), None)

    def review(self) -> list[ReviewItem]:
        """Follow-ups whose commitment changed or is gone: those of each entry, then those of documents
        that are no longer any entry's (removed, or no longer holding an agreement)."""
        views = self._views()
        items = [item for view in views for item in view.review]
        sources = {s for v in views for s in v.sources}
        ids = {c.id for v in views for c in v.commitments}
        for follow_up in self.store.all_latest():
            if follow_up.commitment_id not in ids and follow_up.source not in sources:
                items.append(ReviewItem(follow_up=follow_up, reason="gone"))
        return items

    def set_status(
        self,
        commitment_id: str,
        state: FollowUpState,
        note: str,
        on_date: str | None,
        *,
        key_id: int | None,
        by: str | None,
    ) -> FollowUp:
        found = self.tracker.commitment(commitment_id)
        if found is None:
            raise CommitmentGoneError(
                f"Cam kết '{commitment_id}' không còn trong tài liệu (đoạn trích đã đổi hoặc tài liệu đã bị "
                "gỡ); xem danh sách cần rà soát."
            )
        entry, row = found
        recorded = FollowUpEntry(
            commitment_id=row.id,
            agreement_id=entry.id,
            source=row.citation.source,
            quote=row.citation.quote,
            state=state,
            note=note.strip(),
            date=parse_date(on_date),
            by=by,
        )
        return self.store.add(recorded, key_id=key_id)

    def history(self, commitment_id: str) -> list[FollowUp]:
        return self.store.history(commitment_id)

    def _views(self) -> list[AgreementView]:
        entries = self.tracker.agreements()
        statuses = {f.commitment_id: f for f in self.store.all_latest()}
        return [_view(entry, statuses) for entry in entries]


def _words(text: str) -> set[str]:
    return {fold(w) for w in syllables(text)}


def _successor(follow_up: FollowUp, rows: list[Commitment]) -> Commitment | None:
    old = _words(follow_up.quote)
    best: tuple[float, Commitment] | None = None
    for row in rows:
        if row.citation.source != follow_up.source:
            continue
        new = _words(row.citation.quote)
        share = len(old & new) / max(1, len(old | new))
        if share >= _SUCCESSOR_SHARE and (best is None or share > best[0]):
            best = (share, row)
    return None if best is None else best[1]


def _view(entry: TrackedAgreement, statuses: dict[str, FollowUp]) -> AgreementView:
    ids = {c.id for c in entry.commitments}
    review: list[ReviewItem] = []
    previous: dict[str, FollowUp] = {}
    for follow_up in statuses.values():
        if follow_up.commitment_id in ids or follow_up.source not in entry.sources:
            continue
        successor = _successor(follow_up, entry.commitments)
        if successor is not None:
            newer = statuses.get(successor.id)
            if newer is not None and newer.updated_at >= follow_up.updated_at:
                continue  # an admin has set the reworded commitment since: reviewed
            previous[successor.id] = follow_up
        review.append(
            ReviewItem(
                follow_up=follow_up,
                reason="changed" if successor else "gone",
                replaced_by=successor.id if successor else None,
            )
        )
    rows = [
        TrackedCommitment(**c.model_dump(), status=statuses.get(c.id), previous=previous.get(c.id))
        for c in entry.commitments
    ]
    data = entry.model_dump()
    data["commitments"] = rows
    return AgreementView(**data, review=review)
