"""The one refusal message, and how to tell that the model itself says the sources do not hold the answer."""

from __future__ import annotations

import re

from ingest.vietnamese import fold

REFUSAL_TEXT = (
    "Không tìm thấy thông tin này trong tài liệu hiện có. "
    "Anh/chị vui lòng hỏi cụ thể hơn hoặc bổ sung tài liệu liên quan."
)
# Folded, so the check holds whatever accents the model produced.
_DECLINES = re.compile(
    r"\b(khong tim thay thong tin|khong co thong tin|khong duoc de cap|khong de cap"
    r"|tai lieu khong (co|neu|noi)|toi khong biet|khong ro|chua co thong tin)\b"
)


def model_declined(text: str) -> bool:
    """True when the model's answer says the documents do not hold the answer."""
    return _DECLINES.search(fold(text)) is not None
