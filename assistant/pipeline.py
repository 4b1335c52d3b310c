"""The grounded answer: condense, retrieve, select evidence, generate, then cite and verify in code.

The 1.5B model never refuses on its own and rarely cites correctly, so refusal and citations come from code:
- before the model: refuse when no evidence sentence covers enough of the question (`min_support`);
- after: strip echoes and boilerplate, keep at most three sentences, give each sentence the source of the
  evidence sentence it restates, and drop a sentence whose numbers, dates or names its evidence does not hold
  (they are listed in `Answer.unsupported`); refuse when nothing supported remains or the model declined.
Streaming is written once: `answer()` drains `stream()`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from assistant.citations import CitedSentence, align, answer_sentences, finalize
from assistant.condense import condense
from assistant.events import AnswerEvent, CitationsEvent, DoneEvent, ErrorEvent, RetrievedEvent, TokenEvent
from assistant.evidence import Evidence, select_evidence
from assistant.llm.base import ChatMessage, ChatModel, ChatModelError
from assistant.prompting import build_messages, clean_model_output
from assistant.refusal import REFUSAL_TEXT, model_declined
from assistant.verify import unsupported_claims
from ingest.vietnamese import normalize
from prompts import AnswerPrompt, load_answer_prompt
from troly.errors import TrolyError
from troly.records import Answer, Citation, Document, SearchHit
from troly.settings import Settings

if TYPE_CHECKING:
    from index.library import SearchFilters

# Calibrated on the dev sets (seeds, ALQAC, ViRHE4QA): both unanswerable seeds questions fall below it, and
# 2-6% of the answerable ALQAC/ViRHE4QA questions do. Used unless settings.answer.min_evidence_score is set.
DEFAULT_MIN_SUPPORT = 0.4
# An answer sentence must share this share of its syllables with an evidence sentence to be cited from it.
MIN_ALIGNMENT = 0.25
MAX_SENTENCES = 3
STOP = ("\n\n", "Câu hỏi:", "<tai_lieu>", "<|im_end|>")


class Retriever(Protocol):
    def search(
        self, query: str, k: int | None = None, filters: SearchFilters | None = None
    ) -> list[SearchHit]: ...

    def document(self, doc_id: str) -> Document | None: ...


class QuestionError(TrolyError):
    code = "bad_question"


class AnswerError(TrolyError):
    """The model failed while answering (the stream ended with an ErrorEvent)."""

    code = "answer_failed"


@dataclass
class _Draft:
    question: str
    standalone: str
    hits: list[SearchHit]
    started: float
    timings: dict[str, float]


class AnswerPipeline:
    def __init__(
        self,
        settings: Settings,
        retriever: Retriever,
        chat_model: ChatModel,
        prompt: AnswerPrompt | None = None,
    ) -> None:
        self.settings = settings
        self.retriever = retriever
        self.chat_model = chat_model
        self.prompt = prompt or load_answer_prompt()

    @property
    def min_support(self) -> float:
        answer = self.settings.answer
        explicit = "min_evidence_score" in answer.model_fields_set
        return answer.min_evidence_score if explicit else DEFAULT_MIN_SUPPORT

    def answer(
        self,
        question: str,
        history: Sequence[ChatMessage] = (),
        *,
        k: int | None = None,
        filters: SearchFilters | None = None,
    ) -> Answer:
        for event in self.stream(question, history, k=k, filters=filters):
            if isinstance(event, ErrorEvent):
                raise AnswerError(event.message, code=event.code)
            if isinstance(event, DoneEvent):
                return event.answer
        raise AnswerError("Câu trả lời bị ngắt giữa chừng.")

    def stream(
        self,
        question: str,
        history: Sequence[ChatMessage] = (),
        *,
        k: int | None = None,
        filters: SearchFilters | None = None,
    ) -> Iterator[AnswerEvent]:
        """Events: RetrievedEvent, TokenEvent..., CitationsEvent, DoneEvent (or an ErrorEvent last).

        Bad input raises `QuestionError` here, before the first event."""
        question = normalize(question).strip()
        if not question:
            raise QuestionError("Câu hỏi trống: hãy nhập một câu hỏi.")
        limit = self.settings.server.max_question_chars
        if len(question) > limit:
            raise QuestionError(f"Câu hỏi quá dài ({len(question)} ký tự, tối đa {limit}).")
        turns = (
            list(history)[-2 * self.settings.answer.history_turns :]
            if self.settings.answer.history_turns
            else []
        )
        return self._run(question, turns, k, filters)

    def _run(
        self, question: str, history: list[ChatMessage], k: int | None, filters: SearchFilters | None
    ) -> Iterator[AnswerEvent]:
        started = time.perf_counter()
        standalone = normalize(condense(question, history))
        hits = self.retriever.search(standalone, k or self.settings.retrieval.k, filters)
        draft = _Draft(question, standalone, hits, started, {"retrieve": _ms(started)})
        yield RetrievedEvent(hits=hits)
        evidence = select_evidence(standalone, hits, budget_tokens=self.settings.answer.evidence_tokens)
        if evidence.empty or evidence.support < self.min_support:
            yield from self._refuse(draft, [])
            return
        messages = build_messages(self.prompt, standalone, evidence)
        pieces: list[str] = []
        try:
            for piece in self.chat_model.stream(
                messages,
                max_tokens=self.settings.llm.max_tokens,
                temperature=self.settings.llm.temperature,
                stop=STOP,
            ):
                if not pieces:
                    draft.timings["first_token"] = _ms(started)
                pieces.append(piece)
                yield TokenEvent(text=piece)
        except ChatModelError as exc:
            yield ErrorEvent(code="llm_error", message=f"Mô hình ngôn ngữ gặp lỗi: {exc}")
            return
        generation_started = started + draft.timings.get("first_token", _ms(started)) / 1000
        draft.timings["generate"] = round((time.perf_counter() - generation_started) * 1000, 1)
        yield from self._finish(draft, evidence, "".join(pieces))

    def _finish(self, draft: _Draft, evidence: Evidence, raw: str) -> Iterator[AnswerEvent]:
        text = clean_model_output(raw, draft.standalone)
        if not text or model_declined(text):
            yield from self._refuse(draft, [])
            return
        kept: list[CitedSentence] = []
        unsupported: list[str] = []
        for sentence in answer_sentences(text)[:MAX_SENTENCES]:
            cited = align(sentence, evidence, min_overlap=MIN_ALIGNMENT)
            quoted = " ".join(
                s.text for src, s in evidence.sentences() if cited.source and src.n == cited.source.n
            )
            cited.unsupported = unsupported_claims(cited.text, quoted, draft.standalone)
            if cited.flagged:
                cited.unsupported = cited.unsupported or [cited.text]
            if cited.unsupported:
                unsupported.extend(cited.unsupported)
                continue
            kept.append(cited)
        if not kept:
            yield from self._refuse(draft, unsupported)
            return
        final, citations = finalize(kept, self._document)
        yield CitationsEvent(citations=citations)
        yield DoneEvent(answer=self._answer(draft, final, False, citations, unsupported))

    def _refuse(self, draft: _Draft, unsupported: list[str]) -> Iterator[AnswerEvent]:
        if "first_token" not in draft.timings:
            draft.timings["first_token"] = _ms(draft.started)
            draft.timings["generate"] = 0.0
            yield TokenEvent(text=REFUSAL_TEXT)
        yield CitationsEvent(citations=[])
        yield DoneEvent(answer=self._answer(draft, REFUSAL_TEXT, True, [], unsupported))

    def _answer(
        self, draft: _Draft, text: str, refused: bool, citations: list[Citation], unsupported: list[str]
    ) -> Answer:
        draft.timings["total"] = _ms(draft.started)
        return Answer(
            id=uuid.uuid4().hex,
            question=draft.question,
            text=text,
            refused=refused,
            citations=citations,
            unsupported=unsupported,
            retrieved=draft.hits,
            timings_ms=dict(draft.timings),
            model=self.chat_model.name,
        )

    def _document(self, doc_id: str) -> Document:
        document = self.retriever.document(doc_id)
        if document is None:
            raise AnswerError(
                f"Tài liệu '{doc_id}' không còn trong chỉ mục; hãy hỏi lại.", code="stale_index"
            )
        return document


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)
