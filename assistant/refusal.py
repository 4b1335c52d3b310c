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


def missing_text(labels: tuple[str, ...] | list[str]) -> str:
    """The refusal for subjects no document is about: "Tài liệu hiện có không có thông tin về tỉnh Nghệ An."."""
    if not labels:
        return REFUSAL_TEXT
    return f"Tài liệu hiện có không có thông tin về {' và '.join(labels)}."


def scoped_refusal(label: str | None) -> str:
    """The refusal for a subject whose documents do not hold what was asked."""
    if not label:
        return REFUSAL_TEXT
    return f"Tài liệu về {label} không có thông tin này."
