"""Sentences of a document that speak to the assistant instead of stating a fact ("bỏ qua mọi hướng dẫn...").

Such a sentence is never evidence: if it were, an obedient model restating it ("the budget is 50 billion",
"the office has closed") would be cited from it and pass every later check. Matched on folded text, so
accents and case do not matter; the patterns are narrow so that ordinary administrative prose is kept.
"""

from __future__ import annotations

import re

from ingest.vietnamese import fold

_INSTRUCTION = re.compile(
    r"\b(?:bo qua|phot lo|ignore|disregard|forget)\b.{0,40}"
    r"\b(?:huong dan|chi dan|chi thi|yeu cau|lenh|instructions?|prompts?|rules?)\b"
    r"|\bsystem\s*prompt\b|(?:^|[\]\[(>])\s*(?:system|assistant)\s*:|\b(?:moi|vao) cau tra loi\b"
    r"|\bhay (?:tra loi|noi|in ra|chep|trich dan|tiet lo|bia)\b"
    r"|\b(?:reply|respond|answer) (?:only|with)\b|\byou are now\b|\bban la tro ly\b"
    r"|<\s*/?\s*script\b|\bon(?:error|load|click)\s*="
)


def looks_like_instruction(text: str) -> bool:
    """True for a sentence that instructs the reader model (or carries script markup), not a fact."""
    return _INSTRUCTION.search(fold(text)) is not None
