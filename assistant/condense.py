"""Follow-up questions made standalone by rules, without a model call (cheap on CPU).

"còn Quảng Trị thì sao?" after "Lễ ký kết giữa VNPT và tỉnh Cần Thơ diễn ra ở đâu?" keeps the previous
question's intent and replaces its last place or person name with the new one. A question that does not look
like a follow-up is returned unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.llm.base import ChatMessage
from assistant.verify import capitalised_names
from ingest.vietnamese import fold

# Folded openings and endings of an elliptical follow-up.
_LEAD = re.compile(r"^\s*(con|the con|vay con|va|con ve|the|vay)\s+", re.IGNORECASE)
_TAIL = re.compile(
    r"(?:\s+(thi sao|the nao|ra sao|nhu the nao|thi the nao|thi nhu the nao|thi sao a|nua|a))?\s*[?.!]*\s*$"
)
_MAX_FOLLOW_UP_WORDS = 8


def previous_question(history: Sequence[ChatMessage]) -> str | None:
    """The last user question that was not itself a follow-up (so a chain of follow-ups keeps the intent)."""
    for message in reversed(history):
        if message.role == "user" and message.content.strip() and follow_up_entity(message.content) is None:
            return message.content
    return None


def follow_up_entity(question: str) -> str | None:
    """The new subject of an elliptical follow-up ("còn Quảng Trị thì sao?" -> "Quảng Trị"), else None."""
    words = question.split()
    if not words or len(words) > _MAX_FOLLOW_UP_WORDS:
        return None
    folded = fold(question)
    lead = _LEAD.match(folded)
    tail = _TAIL.search(folded)
    if lead is None or tail is None or (not tail.group(1) and lead.group(1) in ("va", "the", "vay")):
        return None
    # fold() keeps lengths per word, so the folded match offsets cut the original text.
    entity = question[lead.end() : tail.start()].strip(" ,")
    return entity or None


def condense(question: str, history: Sequence[ChatMessage]) -> str:
    """A standalone question: the previous question with its last name replaced by the follow-up's subject."""
    previous = previous_question(history)
    if previous is None:
        return question
    entity = follow_up_entity(question)
    if entity is None:
        return question
    names = [n for n in capitalised_names(previous) if fold(n) not in ("vnpt",)]
    if names:
        target = names[-1]
        index = previous.rfind(target)
        before = previous[:index]
        first, _, rest = entity.partition(" ")
        if rest and fold(before).endswith(f"{fold(first)} "):  # "tỉnh Cần Thơ" + "còn tỉnh Huế"
            entity = rest
        return before + entity + previous[index + len(target) :]
    stripped = previous.rstrip(" ?")
    return f"{stripped} ({entity})?"
