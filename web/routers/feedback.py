"""POST /v1/feedback: a thumbs up or down on a recorded answer."""

from __future__ import annotations

from fastapi import APIRouter

from web.auth import CallerDep, ServicesDep
from web.errors import not_found
from web.schemas import FeedbackRequest, FeedbackResponse

router = APIRouter(prefix="/v1", tags=["feedback"])


@router.post("/feedback", response_model=FeedbackResponse)
def feedback(body: FeedbackRequest, caller: CallerDep, services: ServicesDep) -> FeedbackResponse:
    if not services.db.answer_exists(body.answer_id):
        raise not_found("answer_not_found", "Không tìm thấy câu trả lời này.")
    feedback_id = services.db.add_feedback(body.answer_id, body.rating, body.comment, key_id=caller.key_id)
    services.db.audit(caller.key_id, "feedback", f"{body.answer_id} {body.rating}")
    return FeedbackResponse(id=feedback_id, answer_id=body.answer_id)
