"""POST /v1/feedback: a thumbs up or down on a recorded answer, by the key that asked it (or an admin)."""

from __future__ import annotations

from fastapi import APIRouter

from web.auth import CallerDep, ServicesDep
from web.errors import not_found
from web.schemas import FeedbackRequest, FeedbackResponse

router = APIRouter(prefix="/v1", tags=["feedback"])


@router.post("/feedback", response_model=FeedbackResponse)
def feedback(body: FeedbackRequest, caller: CallerDep, services: ServicesDep) -> FeedbackResponse:
    exists, owner = services.db.answer_owner(body.answer_id)
    # Another key's answer is reported as missing, as conversations are: its existence must not leak.
    others = owner != caller.key_id and services.settings.server.require_auth and not caller.admin
    if not exists or others:
        raise not_found("answer_not_found", "Không tìm thấy câu trả lời này.")
    feedback_id = services.db.add_feedback(body.answer_id, body.rating, body.comment, key_id=caller.key_id)
    services.db.audit(caller.key_id, "feedback", f"{body.answer_id} {body.rating}")
    return FeedbackResponse(id=feedback_id, answer_id=body.answer_id)
