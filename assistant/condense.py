"""Follow-up questions made standalone by rules, without a model call (cheap on CPU).

Two kinds of follow-up are recognised:
- elliptical: "còn Quảng Trị thì sao?" after "Lễ ký kết giữa VNPT và tỉnh Cần Thơ diễn ra ở đâu?" keeps the
  previous question's intent and replaces its last place or person name with the new one;
- referring back: "Ở đó có bao nhiêu xã?" or "Ông ấy nói gì về dân số?" names nobody, and points at the
  previous question's subject; that question's names are added in brackets ("... (UBND TP Cần Thơ)?"), which
  is what retrieval needs to find the right document.
Each earlier user turn is made standalone the same way, in order, so a chain of follow-ups keeps its subject.
A question that is neither is returned unchanged. Names are found by their capitals, or, in a previous
question typed in lower case ("le ky ket voi can tho o dau"), by the names the indexed documents write
(`known_names`, from `Library.corpus_names`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant.llm.base import ChatMessage
from ingest.vietnamese import capitalised_names, fold

# Folded openings and endings of an elliptical follow-up.
_LEAD = re.compile(r"^\s*(con|the con|vay con|va|con ve|the|vay)\s+", re.IGNORECASE)
_TAIL = re.compile(
    r"(?:\s+(thi sao|the nao|ra sao|nhu the nao|thi the nao|thi nhu the nao|thi sao a|nua|a))?\s*[?.!]*\s*$"
)
_MAX_FOLLOW_UP_WORDS = 8
# Folded words that point back at the previous question's subject: "ở đó", "tỉnh này", "ông ấy", "thỏa thuận
# trên".
_REFERS_BACK = re.compile(
    r"\b(?:(?:tinh|thanh pho|tp|xa|phuong|huyen|quan|dia phuong|noi|don vi|ong|ba|thoa thuan|van ban|"
    r"le ky ket|hop dong|chuong trinh|du an|thu tuc|ke hoach|de an|nghi dinh|quyet dinh|thong tu)"
    r" (?:nay|do|ay|tren)|o do|tai do|o day)\b"
)


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


def refers_back(question: str) -> bool:
    """True for a question that points at an earlier subject ("ở đó", "ông ấy") and names none itself."""
    return _REFERS_BACK.search(fold(question)) is not None and not capitalised_names(question)


NameFinder = Callable[[str], list[str]]


def condense(question: str, history: Sequence[ChatMessage], known_names: NameFinder | None = None) -> str:
    """A standalone question, given the conversation so far (earlier user turns made standalone in order).
    `known_names(text)` finds proper names in text typed without capitals."""

    def names_of(text: str) -> list[str]:
        return capitalised_names(text) or (known_names(text) if known_names is not None else [])

    previous: str | None = None
    for message in history:
        if message.role == "user" and message.content.strip():
            previous = _standalone(message.content, previous, names_of)
    return _standalone(question, previous, names_of)


def _standalone(question: str, previous: str | None, names_of: NameFinder) -> str:
    if previous is None:
        return question
    entity = follow_up_entity(question)
    if entity is not None:
        return _with_subject(previous, entity, names_of)
    if refers_back(question):
        names = list(dict.fromkeys(names_of(previous)))
        if names:
            return f"{question.strip().rstrip(' ?.')} ({', '.join(names)})?"
    return question


def _with_subject(previous: str, entity: str, names_of: NameFinder) -> str:
    """The previous question with its last name replaced by `entity` (or `entity` added in brackets)."""
    names = [n for n in names_of(previous) if fold(n) not in ("vnpt",)]
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
