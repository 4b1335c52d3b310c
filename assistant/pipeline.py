"""The grounded answer: condense, retrieve, select evidence, generate, then cite and verify in code.

The 1.5B model never refuses on its own and rarely cites correctly, so refusal and citations come from code:
- before the model: refuse when no evidence sentence covers enough of the question (`min_support`);
- after: strip echoes and boilerplate, keep at most three sentences, give each sentence the source of the
  evidence sentence it restates (a sentence that restates none is dropped), and drop a sentence whose
  numbers, dates or names its cited source does not hold, or whose words are mostly new to that source
  (`verify.novel_words`): those claims are listed in `Answer.unsupported`,
  so the final text never holds one; refuse when nothing supported remains or the model declined.
Only checked sentences are streamed (one TokenEvent per sentence, with its final [n]), so a user never sees
text that the checks then drop; the joined TokenEvents equal the final answer text.
Streaming is written once: `answer()` drains `stream()`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from assistant.citations import CitedSentence, align, answer_sentences, finalize, with_mark
from assistant.condense import condense
from assistant.events import AnswerEvent, CitationsEvent, DoneEvent, ErrorEvent, RetrievedEvent, TokenEvent
from assistant.evidence import Evidence, select_evidence
from assistant.llm.base import ChatMessage, ChatModel, ChatModelError
from assistant.prompting import build_messages, clean_model_output
from assistant.refusal import REFUSAL_TEXT, model_declined
from assistant.verify import CITATION_MARK, unsupported_claims
from ingest.chunk import chunk_id
from ingest.vietnamese import fold, normalize, syllables
from prompts import AnswerPrompt, load_answer_prompt
from troly.errors import TrolyError
from troly.records import Answer, Chunk, Citation, Document, SearchHit
from troly.settings import Settings

if TYPE_CHECKING:
    from index.library import SearchFilters

# An answer sentence must share this share of its syllables with an evidence sentence to be cited from it.
MIN_ALIGNMENT = 0.25
MAX_SENTENCES = 3
STOP = ("\n\n", "Câu hỏi:", "<tai_lieu>", "<|im_end|>")


class Retriever(Protocol):
    def search(
        self, query: str, k: int | None = None, filters: SearchFilters | None = None
    ) -> list[SearchHit]: ...

    def document(self, doc_id: str) -> Document | None: ...

    def chunk(self, chunk_id: str) -> Chunk | None: ...

    def restore_accents(self, text: str) -> str:
        """The text with diacritics restored when typed without them (else unchanged)."""
        ...

    def corpus_names(self, text: str) -> list[str]:
        """Proper names of the indexed documents that `text` holds, as written in `text`."""
        ...


@dataclass(frozen=True)
class GenerationOptions:
    """Per-answer overrides of `settings.llm` (an API client's `max_tokens`, `temperature`); None keeps it."""

    max_tokens: int | None = None
    temperature: float | None = None


class QuestionError(TrolyError):
    code = "bad_question"


class AnswerError(TrolyError):
    """The model failed while answering (the stream ended with an ErrorEvent)."""

    code = "answer_failed"


@dataclass
class _Draft:
    question: str
    standalone: str
    asked: str
    """The standalone question as the model reads it: with diacritics restored when typed without them."""
    hits: list[SearchHit]
    started: float
    timings: dict[str, float]
    options: GenerationOptions
    shown: bool = False
    """Whether a TokenEvent was sent (text the user already sees)."""


class _SentenceChecker:
    """Turns the growing model output into checked answer sentences, each shown once it is complete.

    A sentence is kept when it restates an evidence sentence (its citation) and its numbers, dates and names
    are in that source; it is shown with its final [n] (sources numbered in order of first citation, as
    `finalize` numbers them). A sentence that restates nothing, or says the documents do not know, is dropped.
    """

    def __init__(self, evidence: Evidence, question: str) -> None:
        self.evidence = evidence
        self.question = question
        self.kept: list[CitedSentence] = []
        self.unsupported: list[str] = []
        self._checked = 0
        self._numbers: dict[tuple[str, int], int] = {}

    def feed(self, raw: str, *, final: bool) -> list[str]:
        sentences = answer_sentences(clean_model_output(raw, self.question))
        ready = sentences if final else sentences[:-1]
        shown = []
        for sentence in ready[self._checked : MAX_SENTENCES]:
            cited = self._check(sentence)
            if cited is not None and cited.source is not None and cited.quote is not None:
                # One number per quoted passage, as `finalize` numbers them.
                key = (cited.source.doc_id, cited.quote.start)
                n = self._numbers.setdefault(key, len(self._numbers) + 1)
                self.kept.append(cited)
                shown.append(with_mark(cited.text, n))
        self._checked = max(self._checked, len(ready))
        return shown

    def _check(self, sentence: str) -> CitedSentence | None:
        if model_declined(sentence) or _adds_nothing(sentence, self.question):
            return None
        cited = align(sentence, self.evidence, min_overlap=MIN_ALIGNMENT)
        source = cited.source
        if source is None:  # restates no evidence sentence: nothing to cite, so not passed on
            return None
        quoted = " ".join(s.text for src, s in self.evidence.sentences() if src.n == source.n)
        cited.unsupported = unsupported_claims(cited.text, quoted, self.question)
        if cited.unsupported:
            self.unsupported.extend(cited.unsupported)
            return None
        return cited


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
        return self.settings.answer.min_evidence_score

    def answer(
        self,
        question: str,
        history: Sequence[ChatMessage] = (),
        *,
        k: int | None = None,
        filters: SearchFilters | None = None,
        options: GenerationOptions | None = None,
    ) -> Answer:
        for event in self.stream(question, history, k=k, filters=filters, options=options):
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
        options: GenerationOptions | None = None,
    ) -> Iterator[AnswerEvent]:
        """Events: RetrievedEvent, TokenEvent..., CitationsEvent, DoneEvent (or an ErrorEvent last).

        `options` override the settings' generation length and temperature for this answer only.
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
        return self._run(question, turns, k, filters, options or GenerationOptions())

    def _run(
        self,
        question: str,
        history: list[ChatMessage],
        k: int | None,
        filters: SearchFilters | None,
        options: GenerationOptions,
    ) -> Iterator[AnswerEvent]:
        started = time.perf_counter()
        standalone = normalize(condense(question, history, self.retriever.corpus_names))
        hits = self.retriever.search(standalone, k or self.settings.retrieval.k, filters)
        asked = self.retriever.restore_accents(standalone)
        draft = _Draft(question, standalone, asked, hits, started, {"retrieve": _ms(started)}, options)
        yield RetrievedEvent(hits=hits)
        evidence = select_evidence(
            standalone, self._with_neighbours(hits), budget_tokens=self.settings.answer.evidence_tokens
        )
        if evidence.empty or evidence.support < self.min_support:
            yield from self._refuse(draft, [])
            return
        checker = yield from self._generate(draft, evidence)
        if checker is None:
            return
        focused = evidence.focused(hits[0].chunk.doc_id) if hits else None
        if not checker.kept and checker.unsupported and focused is not None:
            # The model stated a number, date or name that its sources do not hold, often one taken from
            # another retrieved document. One more try on the top-ranked document alone (retrieval weighs the
            # whole question, names included; one sentence's overlap can favour another place's document);
            # its claims are checked the same way. Costs a second generation only when the first failed.
            dropped = checker.unsupported
            checker = yield from self._generate(draft, focused)
            if checker is None:
                return
            checker.unsupported = list(dict.fromkeys(dropped + checker.unsupported))
        first = draft.timings.get("first_token")
        draft.timings["generate"] = _ms(draft.started) - first if first is not None else 0.0
        if not checker.kept:
            yield from self._refuse(draft, checker.unsupported)
            return
        final, citations = finalize(checker.kept, self._document)
        yield CitationsEvent(citations=citations)
        yield DoneEvent(answer=self._answer(draft, final, False, citations, checker.unsupported))

    def _with_neighbours(self, hits: list[SearchHit]) -> list[SearchHit]:
        """The hits, then the chunks next to the top-ranked document's hits that were not retrieved (score 0,
        ranked last).

        Retrieval ranks chunks, and keeps at most a few per document; the sentence that answers is often in
        the next chunk of the same article ("Chủ tịch ... cho biết" a paragraph after the signing). Only the
        document retrieval ranked first is read wider: neighbours of lower-ranked documents were measured to
        bring in look-alike sentences from the wrong regulation (ViRHE4QA sample: citation accuracy 0.65 ->
        0.59). Evidence selection scores sentences, so the neighbours cost a few sentences' scoring.
        """
        reach = self.settings.answer.neighbour_chunks
        have = {hit.chunk.id for hit in hits}
        extra: list[SearchHit] = []
        top = hits[0].chunk.doc_id if hits else None
        for hit in hits:
            if hit.chunk.doc_id != top:
                continue
            for step in range(1, reach + 1):
                for ordinal in (hit.chunk.ordinal - step, hit.chunk.ordinal + step):
                    key = chunk_id(hit.chunk.doc_id, ordinal)
                    if ordinal < 0 or key in have:
                        continue
                    neighbour = self.retriever.chunk(key)
                    if neighbour is not None:
                        have.add(key)
                        extra.append(SearchHit(chunk=neighbour, score=0.0, rank=len(hits) + len(extra) + 1))
        return hits + extra

    def _generate(
        self, draft: _Draft, evidence: Evidence
    ) -> Generator[AnswerEvent, None, _SentenceChecker | None]:
        """Stream one generation over `evidence`, showing each sentence once checked; None after an error."""
        # The small model misreads "tap trung vao nhung noi dung nao"; the checks still use the typed text.
        messages = build_messages(self.prompt, draft.asked, evidence)
        checker = _SentenceChecker(evidence, draft.standalone)
        raw = ""
        try:
            options = draft.options
            for piece in self.chat_model.stream(
                messages,
                max_tokens=options.max_tokens or self.settings.llm.max_tokens,
                temperature=self.settings.llm.temperature
                if options.temperature is None
                else options.temperature,
                stop=STOP,
            ):
                if not raw:
                    draft.timings.setdefault("first_token", _ms(draft.started))
                raw += piece
                # The last sentence may still grow: only the ones before it are checked and shown.
                yield from self._emit(draft, checker.feed(raw, final=False))
        except ChatModelError as exc:
            yield ErrorEvent(code="llm_error", message=f"Mô hình ngôn ngữ gặp lỗi: {exc.message}")
            return None
        yield from self._emit(draft, checker.feed(raw, final=True))
        return checker

    def _emit(self, draft: _Draft, sentences: list[str]) -> Iterator[TokenEvent]:
        for text in sentences:
            yield TokenEvent(text=f" {text}" if draft.shown else text)
            draft.shown = True

    def _refuse(self, draft: _Draft, unsupported: list[str]) -> Iterator[AnswerEvent]:
        draft.timings.setdefault("first_token", _ms(draft.started))
        draft.timings.setdefault("generate", 0.0)
        if not draft.shown:
            yield TokenEvent(text=REFUSAL_TEXT)
            draft.shown = True
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


def _adds_nothing(sentence: str, question: str) -> bool:
    """True for a sentence whose every word is already in the question ("Chủ tịch UBND TP Cần Thơ [1]." for
    "Chủ tịch UBND TP Cần Thơ là ai?"): an echo answers nothing, whatever it cites."""
    words = set(syllables(fold(CITATION_MARK.sub("", sentence))))
    return bool(words) and words <= set(syllables(fold(question)))


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)
