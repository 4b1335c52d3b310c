"""The commitment tracker over HTTP: agreements with their commitments (any key), follow-ups (admin).

GET /v1/agreements, GET /v1/agreements/{id}; GET /v1/commitments/review; GET and PUT
/v1/commitments/{id}/status. Every change of a follow-up is written to the audit log.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from index.tracker import AgreementFilters
from web.auth import AdminDep, CallerDep, ServicesDep
from web.errors import ApiError, not_found
from web.followups import FollowUp
from web.tracking import AgreementView, CommitmentGoneError, ReviewItem, parse_state

router = APIRouter(prefix="/v1", tags=["agreements"])


class AgreementsResponse(BaseModel):
    agreements: list[AgreementView]


class ReviewResponse(BaseModel):
    review: list[ReviewItem]


class FollowUpHistory(BaseModel):
    commitment_id: str
    history: list[FollowUp] = Field(description="Newest first.")


class FollowUpRequest(BaseModel):
    state: str = Field(
        description="'chưa triển khai', 'đang triển khai' hoặc 'hoàn thành' (gõ có dấu hay không đều được)."
    )
    note: str = Field(default="", max_length=2000)
    date: str | None = Field(default=None, description="Ngày của trạng thái, YYYY-MM-DD; mặc định hôm nay.")


@router.get("/agreements", response_model=AgreementsResponse)
def list_agreements(
    caller: CallerDep,
    services: ServicesDep,
    province: Annotated[
        str | None, Query(description="Tỉnh, thành: 'Quảng Trị', 'quang tri', 'TP.HCM'.")
    ] = None,
    party: Annotated[str | None, Query(description="Bên cam kết: 'VNPT', 'Quảng Trị', 'hai bên'.")] = None,
    pillar: Annotated[str | None, Query(description="Trụ cột: 'hạ tầng số', 'kinh te so', …")] = None,
    date_from: Annotated[str | None, Query(alias="from", description="Ký từ ngày, ISO ('2025').")] = None,
    date_to: Annotated[str | None, Query(alias="to", description="Ký đến ngày, ISO ('2025-12').")] = None,
) -> AgreementsResponse:
    """Each agreement of the index (several documents about one are one entry), its commitments by side and
    pillar with their quotes and follow-ups. With `party` or `pillar`, only those commitments; an unknown
    province or pillar is 400 `bad_filter`."""
    filters = AgreementFilters(province, party, pillar, date_from, date_to)
    return AgreementsResponse(agreements=services.tracker().agreements(filters))


@router.get(
    "/agreements/{agreement_id}",
    response_model=AgreementView,
    responses={404: {"description": "Không có thỏa thuận này."}},
)
def get_agreement(agreement_id: str, caller: CallerDep, services: ServicesDep) -> AgreementView:
    found = services.tracker().agreement(agreement_id)
    if found is None:
        raise not_found("agreement_not_found", f"Không có thỏa thuận '{agreement_id}'.")
    return found


@router.get("/commitments/review", response_model=ReviewResponse)
def review(admin: AdminDep, services: ServicesDep) -> ReviewResponse:
    """Follow-ups whose commitment's quote changed or is gone, to set again."""
    return ReviewResponse(review=services.tracker().review())


@router.get("/commitments/{commitment_id}/status", response_model=FollowUpHistory)
def status_history(commitment_id: str, caller: CallerDep, services: ServicesDep) -> FollowUpHistory:
    return FollowUpHistory(commitment_id=commitment_id, history=services.tracker().history(commitment_id))


@router.put(
    "/commitments/{commitment_id}/status",
    response_model=FollowUp,
    responses={409: {"description": "Cam kết không còn trong tài liệu (đoạn trích đã đổi hoặc bị gỡ)."}},
)
def set_status(commitment_id: str, body: FollowUpRequest, admin: AdminDep, services: ServicesDep) -> FollowUp:
    """Marks a commitment 'chưa triển khai', 'đang triển khai' or 'hoàn thành' with a note and a date."""
    state = parse_state(body.state)
    try:
        follow_up = services.tracker().set_status(
            commitment_id, state, body.note, body.date, key_id=admin.key_id, by=admin.name
        )
    except CommitmentGoneError as exc:
        raise ApiError(409, exc.code, exc.message) from exc
    services.db.audit(admin.key_id, "follow_up", f"{commitment_id} {state} {follow_up.date}")
    return follow_up
