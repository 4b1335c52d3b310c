"""Chat messages of one answer: the fixed prefix (system prompt, few-shot turns) then evidence and question.

Document text goes inside the <tai_lieu> data block; a document cannot close that block early because its
own tag-like text is defused before rendering.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.evidence import Evidence
from assistant.llm.base import ChatMessage
from ingest.vietnamese import fold
from prompts import AnswerPrompt, PromptSource, render

_DATA_TAG = re.compile(r"<\s*/?\s*tai_lieu\s*>", re.IGNORECASE)


def defuse(text: str) -> str:
    """Document text with anything that looks like the data block's tags neutralised."""
    return _DATA_TAG.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)


def evidence_sources(evidence: Evidence) -> list[PromptSource]:
    """Each source's selected sentences, joined with ' … ' where the document skips text."""
    sources = []
    for source in evidence.sources:
        parts: list[str] = []
        previous_end: int | None = None
        for sent in source.sentences:
            if previous_end is not None and sent.start - previous_end > 2:
                parts.append("…")
            parts.append(defuse(sent.text))
            previous_end = sent.end
        sources.append(
            PromptSource(n=source.n, title=defuse(source.title), date=source.date, text=" ".join(parts))
        )
    return sources


def user_message(
    prompt: AnswerPrompt, question: str, sources: Sequence[PromptSource], kind: str = "default"
) -> str:
    return render(
        prompt.user, question=defuse(question), sources=list(sources), instruction=prompt.instruction(kind)
    )


def build_messages(
    prompt: AnswerPrompt, question: str, evidence: Evidence, kind: str = "default"
) -> list[ChatMessage]:
    """The fixed prefix (system prompt, examples), then the evidence and the question. `kind` picks the
    closing instruction: "legal" evidence (a statute's clauses, a regulation's items) is to be restated
    word for word, since the words are the rule."""
    messages = [ChatMessage(role="system", content=prompt.system)]
    for example in prompt.examples:
        messages.append(
            ChatMessage(role="user", content=user_message(prompt, example.question, example.sources))
        )
        messages.append(ChatMessage(role="assistant", content=example.answer))
    messages.append(
        ChatMessage(role="user", content=user_message(prompt, question, evidence_sources(evidence), kind))
    )
    return messages


_BOILERPLATE = re.compile(
    r"^\s*(?:(?:câu\s+)?trả\s+lời|answer)\s*:\s*"
    r"|^\s*(?:dựa\s+(?:trên|vào)|theo|căn\s+cứ(?:\s+vào)?)\s+(?:các\s+|những\s+)?"
    r"(?:tài\s+liệu|nguồn|thông\s+tin)(?:\s+được\s+cung\s+cấp|\s+trên)?(?:\s*\[\d+\])?\s*,\s*",
    re.IGNORECASE,
)
_SPECIAL = re.compile(r"<\|[^|]*\|>|</?tai_lieu>")


# The instruction asks for "số nguồn [n]"; the model sometimes copies the placeholder itself.
_PLACEHOLDER = re.compile(r"\s*\[n\]", re.IGNORECASE)


def clean_model_output(text: str, question: str) -> str:
    """The model's answer without special tokens, boilerplate openings, or an echo of the question."""
    text = _PLACEHOLDER.sub("", _SPECIAL.sub("", text)).strip()
    question_key = fold(question).strip(" ?")
    changed = True
    while changed and text:
        changed = False
        if fold(text).startswith(question_key) and question_key:
            text, changed = text[len(question_key) :].lstrip(" ?:.\n"), True
        match = _BOILERPLATE.match(text)
        if match:
            text, changed = text[match.end() :], True
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().endswith("?")]
    text = " ".join(lines)
    return text[:1].upper() + text[1:] if text else ""
