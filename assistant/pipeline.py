"""The grounded answer: condense, scope, retrieve, select evidence, generate, then cite and check in code.

The 1.5B model never refuses on its own, rarely cites correctly, and moves facts between subjects, so scope,
refusal, citations and the binding checks come from code:
- scope (`assistant.scope`): a question naming a place or person is answered only from the documents about
  it; a subject no document names is refused by name ("Tài liệu hiện có không có thông tin về tỉnh Nghệ An.");
  a question about several places is answered one part per place, each from its own documents;
- answers the document profiles hold (who holds a role, an agreement's period, horizon, signing date and
  place, catalogues of agreements) are written from them with their citations, without the model;
- before the model: refuse a part when no unit of its documents covers enough of the question beyond its
  subject (`min_support`), or when only another subject's documents hold the question's specific words;
- after: strip echoes and boilerplate, keep a few sentences, give each sentence the source of the evidence
  sentence it restates, and drop a sentence whose claims are not bound to its cited unit (`assistant.binding`):
  those claims are listed in `Answer.unsupported`, so the final text never holds one.
Only checked sentences are streamed (one TokenEvent per sentence, with its final [n]), so a user never sees
text that the checks then drop; the joined TokenEvents equal the final answer text.
Streaming is written once: `answer()` drains `stream()`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Generator, Iterator, Sequence
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.checker import Numbering, SentenceChecker
from assistant.citations import CitedSentence, finalize, with_mark
from assistant.events import (
    AcceptedEvent,
    AnswerEvent,
    CitationsEvent,
    DoneEvent,
    ErrorEvent,
    EvidenceEvent,
    RetrievedEvent,
    TokenEvent,
)
from assistant.evidence import Evidence, EvidenceSentence, SentenceMatch, Source, Terms
from assistant.llm.base import ChatMessage, ChatModel, ChatModelError
from assistant.planning import AnswerPlan, AnswerPlanner, DocumentTexts, PlannedPart, Retriever, unique_hits
from assistant.profile_answers import ProfileAnswer, Statement
from assistant.prompting import build_messages
from assistant.question import QuestionAnalysis
from assistant.refusal import REFUSAL_TEXT, missing_text, scoped_refusal
from assistant.scope import Part
from ingest.chunk import chunk_id
from ingest.units import label_path
from ingest.vietnamese import normalize
from prompts import AnswerPrompt, load_answer_prompt
from troly.errors import TrolyError
from troly.records import Answer, Citation, DocumentProfile, EvidencePassage, SearchHit
from troly.settings import Settings

if TYPE_CHECKING:
    from index.library import SearchFilters

MAX_SENTENCES = 3
LIST_SENTENCES = 5
STOP = ("\n\n", "Câu hỏi:", "<tai_lieu>", "<|im_end|>")
# Asked by warm-up only: what it finds is discarded; the prompt's fixed prefix is what it leaves cached.
WARM_QUESTION = "Khởi động"


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
class _Section:
    """One part of the answer as shown: its label, its checked sentences, or its refusal."""

    label: str | None
    sentences: list[CitedSentence] = field(default_factory=list)
    refusal: str | None = None


@dataclass
class _Draft:
    question: str
    standalone: str
    analysis: QuestionAnalysis
    started: float
    timings: dict[str, float]
    options: GenerationOptions
    as_list: bool
    hits: list[SearchHit] = field(default_factory=list)
    numbering: Numbering = field(default_factory=Numbering)
    sections: list[_Section] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    text: str = ""
    """What the user has been shown so far (the joined TokenEvents)."""
    lead: str | None = None
    evidence: EvidencePassage | None = None
    accepted: bool = False
    """An AcceptedEvent was sent: the model has taken this answer's request."""

    def piece(self, section: _Section, text: str) -> str:
        """The token that shows `text` as the next sentence of `section`, and records it."""
        first = not section.sentences and section.refusal is None
        if self.as_list:
            head = f"- {section.label}: " if section.label else "- "
            piece = ("\n" if self.text else "") + head + text if first else " " + text
        else:
            head = f"{section.label}: " if section.label and first else ""
            piece = (" " if self.text else "") + head + text
        self.text += piece
        return piece


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
        self.planner = AnswerPlanner(settings, retriever)

    @property
    def min_support(self) -> float:
        return self.planner.min_support

    def warm_up(self) -> None:
        """Before the first question (the server's warm-up): read the profiles and run one search (loads the
        embedder and the ranking files), and let a model that can evaluate the prompt's fixed prefix do so."""
        self.planner.plan(WARM_QUESTION)
        warm = getattr(self.chat_model, "warm_prefix", None)
        if callable(warm):
            warm(self.prefix_messages())

    def prefix_messages(self) -> list[ChatMessage]:
        """A prompt made of the fixed prefix and a question without evidence (what warm-up evaluates)."""
        empty = Evidence(WARM_QUESTION, Terms.of(WARM_QUESTION), [])
        return build_messages(self.prompt, WARM_QUESTION, empty)

    def plan(
        self,
        question: str,
        history: Sequence[ChatMessage] = (),
        *,
        k: int | None = None,
        filters: SearchFilters | None = None,
    ) -> AnswerPlan:
        """All that is decided before the model runs (`assistant.planning`)."""
        return self.planner.plan(question, history, k=k, filters=filters)

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
        """Events: RetrievedEvent, EvidenceEvent?, AcceptedEvent?, TokenEvent..., CitationsEvent, DoneEvent (or an
        ErrorEvent last).

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

    # -- the run -------------------------------------------------------------------------------------------

    def _run(
        self,
        question: str,
        history: list[ChatMessage],
        k: int | None,
        filters: SearchFilters | None,
        options: GenerationOptions,
    ) -> Iterator[AnswerEvent]:
        started = time.perf_counter()
        plan = self.planner.plan(question, history, k=k, filters=filters)
        scope, parts = plan.scope, plan.parts
        draft = _Draft(question, plan.standalone, plan.analysis, started, {}, options, as_list=plan.several)
        if not scope.parts:
            draft.hits = self.retriever.search(plan.standalone, k or self.settings.retrieval.k, filters)
        else:
            draft.hits = unique_hits([h for p in parts for h in p.hits])
        draft.timings["retrieve"] = _ms(started)
        yield RetrievedEvent(hits=draft.hits)
        if self.settings.answer.evidence_first:
            draft.evidence = self._best_passage(plan)
            if draft.evidence is not None:
                draft.timings["evidence"] = _ms(started)
                yield EvidenceEvent(passage=draft.evidence)
        if not scope.parts:
            yield from self._refuse(draft, missing_text(scope.missing))
            return
        if plan.several and all(p.profile_answer and p.profile_answer.as_list for p in parts):
            draft.as_list = True
        for prepared in parts:
            outcome = yield from self._answer_part(draft, prepared, plan)
            if outcome is False:
                return
        for label in scope.missing:
            section = _Section(label, refusal=missing_text((label,)))
            draft.sections.append(section)
            yield TokenEvent(text=draft.piece(section, section.refusal or ""))
        first = draft.timings.get("first_token")
        draft.timings["generate"] = _ms(draft.started) - first if first is not None else 0.0
        kept = [s for section in draft.sections for s in section.sentences]
        if not kept:
            reasons = [s.refusal for s in draft.sections if s.refusal]
            yield from self._refuse(draft, reasons[0] if len(reasons) == 1 and not plan.several else None)
            return
        _, citations = finalize(kept, plan.texts.document, self._unit_label(plan.profiles))
        yield CitationsEvent(citations=citations)
        yield DoneEvent(answer=self._answer(draft, draft.text, False, citations))

    def _best_passage(self, plan: AnswerPlan) -> EvidencePassage | None:
        """The passage an official can read while the model writes: the first answered part's profile
        statement, or its best evidence sentence. None when every part is refused before the model."""
        for prepared in plan.parts:
            found = prepared.profile_answer
            evidence = prepared.evidence
            quote: EvidenceSentence | None = None
            if found is not None and found.statements:
                quote = _stated(found.statements[0], plan.texts).quote
            elif evidence is not None and prepared.refusal is None and not evidence.empty:
                quote = evidence.best or evidence.sources[0].sentences[0]
            if quote is None:
                continue
            document = plan.texts.document(quote.doc_id)
            return EvidencePassage(
                source=quote.doc_id,
                chunk_id=quote.chunk_id,
                title=document.title,
                date=document.date,
                quote=quote.text,
                start=quote.start,
                end=quote.end,
                unit=self._unit_label(plan.profiles)(quote.doc_id, quote.start, quote.end),
            )
        return None

    def _answer_part(
        self, draft: _Draft, prepared: PlannedPart, plan: AnswerPlan
    ) -> Generator[AnswerEvent, None, bool]:
        """Answer one part into a new section; False after an error event (the stream ends)."""
        part = prepared.part
        section = _Section(part.label)
        draft.sections.append(section)
        found = prepared.profile_answer
        if found is not None and found.statements:
            yield from self._state(draft, section, found, plan)
            return True
        if found is not None and found.refusal:
            yield from self._section_refusal(draft, section, found.refusal)
            return True
        evidence = prepared.evidence
        if evidence is None or prepared.refusal is not None:
            yield from self._section_refusal(draft, section, prepared.refusal)
            return True
        checker = yield from self._generate(draft, section, evidence, part, plan)
        if checker is None:
            return False
        focused = evidence.focused(prepared.hits[0].chunk.doc_id) if prepared.hits else None
        if not checker.kept and checker.unsupported and focused is not None:
            # A claim its sources do not bind, often taken from another retrieved document: one more try on
            # the top-ranked document alone, checked the same way. Costs a second generation only then.
            dropped = checker.unsupported
            checker = yield from self._generate(draft, section, focused, part, plan)
            if checker is None:
                return False
            checker.unsupported = list(dict.fromkeys(dropped + checker.unsupported))
        draft.unsupported.extend(checker.unsupported)
        quoted = _quoted_best(checker, evidence, self.settings.answer.echo_quote_support)
        if not section.sentences and quoted is not None:
            # The small model only restated the question although one sentence covers it: that sentence,
            # quoted as written, is the answer (nothing in it is the model's).
            yield from self._state(draft, section, ProfileAnswer((quoted,)), plan)
        if not section.sentences:
            yield from self._section_refusal(
                draft, section, scoped_refusal(part.label) if plan.several else None
            )
        return True

    def _state(
        self, draft: _Draft, section: _Section, found: ProfileAnswer, plan: AnswerPlan
    ) -> Iterator[AnswerEvent]:
        """Show a profile answer: its sentences, each with its citation; a list as a lead line and items."""
        if found.as_list and not plan.several:
            draft.as_list = True
            if found.lead:
                draft.text += found.lead
                yield TokenEvent(text=found.lead)
        target = section
        for statement in found.statements:
            cited = _stated(statement, plan.texts)
            n = draft.numbering.number(statement.doc_id, statement.start)
            if found.as_list and not plan.several and target.sentences:
                target = _Section(None)
                draft.sections.append(target)
            draft.timings.setdefault("first_token", _ms(draft.started))
            yield TokenEvent(text=draft.piece(target, with_mark(cited.text, n)))
            target.sentences.append(cited)

    def _generate(
        self, draft: _Draft, section: _Section, evidence: Evidence, part: Part, plan: AnswerPlan
    ) -> Generator[AnswerEvent, None, SentenceChecker | None]:
        """Stream one generation over `evidence`, showing each sentence once checked; None after an error."""
        # The small model misreads "tap trung vao nhung noi dung nao"; the checks still use the typed text.
        asked = self.retriever.restore_accents(part.question)
        kind = _evidence_kind(evidence, plan.profiles)
        messages = build_messages(self.prompt, asked, evidence, kind)
        checker = SentenceChecker(
            evidence,
            part.question,
            numbering=draft.numbering,
            document=plan.texts.document,
            profiles=plan.profiles,
            max_sentences=LIST_SENTENCES if draft.analysis.wants_list else MAX_SENTENCES,
            one_document=kind == "legal",
        )
        raw = ""
        shown = 0
        if self.chat_model.in_process:
            yield from _accepted(draft)
        try:
            options = draft.options
            stream = self.chat_model.stream(
                messages,
                max_tokens=options.max_tokens or self.settings.llm.max_tokens,
                temperature=self.settings.llm.temperature
                if options.temperature is None
                else options.temperature,
                stop=STOP,
            )
            with closing(stream) if isinstance(stream, Generator) else nullcontext():
                for piece in stream:
                    if not raw:
                        draft.timings.setdefault("first_token", _ms(draft.started))
                        yield from _accepted(draft)
                    raw += piece
                    # The last sentence may still grow: only the ones before it are checked and shown.
                    for text in checker.feed(raw, final=False):
                        yield TokenEvent(text=draft.piece(section, text))
                        section.sentences.append(checker.kept[shown])
                        shown += 1
                    if checker.complete:
                        break  # every sentence the answer may hold is in: the rest would be dropped unread
        except ChatModelError as exc:
            yield ErrorEvent(code="llm_error", message=f"Mô hình ngôn ngữ gặp lỗi: {exc.message}")
            return None
        for text in checker.feed(raw, final=True):
            yield TokenEvent(text=draft.piece(section, text))
            section.sentences.append(checker.kept[shown])
            shown += 1
        return checker

    def _section_refusal(self, draft: _Draft, section: _Section, text: str | None) -> Iterator[AnswerEvent]:
        """A part the documents do not answer: said in its place when the answer has several parts, else
        remembered for the whole answer's refusal."""
        section.refusal = text or REFUSAL_TEXT
        if draft.as_list and section.label:
            draft.timings.setdefault("first_token", _ms(draft.started))
            yield TokenEvent(text=draft.piece(section, section.refusal))
            section.sentences.clear()

    def _refuse(self, draft: _Draft, text: str | None) -> Iterator[AnswerEvent]:
        draft.timings.setdefault("first_token", _ms(draft.started))
        draft.timings.setdefault("generate", 0.0)
        message = text or REFUSAL_TEXT
        if not draft.text:
            yield TokenEvent(text=message)
            draft.text = message
        yield CitationsEvent(citations=[])
        yield DoneEvent(answer=self._answer(draft, draft.text, True, []))

    def _answer(self, draft: _Draft, text: str, refused: bool, citations: list[Citation]) -> Answer:
        draft.timings["total"] = _ms(draft.started)
        return Answer(
            id=uuid.uuid4().hex,
            question=draft.question,
            text=text,
            refused=refused,
            citations=citations,
            unsupported=list(dict.fromkeys(draft.unsupported)),
            retrieved=draft.hits,
            timings_ms=dict(draft.timings),
            model=self.chat_model.name,
            format="list" if draft.as_list and not refused else "text",
            evidence=draft.evidence,
        )

    def _unit_label(self, profiles: dict[str, DocumentProfile]):  # type: ignore[no-untyped-def]
        def label(doc_id: str, start: int, end: int) -> str | None:
            profile = profiles.get(doc_id)
            unit = profile.unit_at(start, end) if profile else None
            if profile is None or unit is None:
                return None
            path = label_path(profile.units, unit)
            return f"{path} ({', '.join(unit.pillars)})" if unit.pillars else path

        return label


def _accepted(draft: _Draft) -> Iterator[AnswerEvent]:
    """The answer's one AcceptedEvent, the first time the model is known to have taken the request."""
    if not draft.accepted:
        draft.accepted = True
        yield AcceptedEvent()


def _quoted_best(checker: SentenceChecker, evidence: Evidence, min_support: float | None) -> Statement | None:
    """The evidence's best sentence as a statement, when the model wrote nothing but echoes of the question
    and that sentence covers at least `min_support` of it (None turns this off)."""
    best = evidence.best
    if min_support is None or checker.kept or not checker.echoes or checker.unsupported or best is None:
        return None
    if evidence.support < min_support:
        return None
    return Statement(best.text, best.doc_id, best.start, best.end)


def _stated(statement: Statement, texts: DocumentTexts) -> CitedSentence:
    """A profile statement as a cited sentence (its quote is the document sentence that holds it)."""
    document = texts.document(statement.doc_id)
    quote_text = document.text[statement.start : statement.end]
    chunk = _chunk_holding(texts.retriever, statement.doc_id, statement.start)
    source = Source(0, statement.doc_id, document.title, document.date)
    empty = SentenceMatch(frozenset(), frozenset(), frozenset())
    quote = EvidenceSentence(statement.doc_id, chunk, statement.start, statement.end, quote_text, 1.0, empty)
    return CitedSentence(statement.text, source, quote, 1.0, by_model=False)


def _chunk_holding(retriever: Retriever, doc_id: str, start: int) -> str:
    ordinal = 0
    found = chunk_id(doc_id, 0)
    while (chunk := retriever.chunk(chunk_id(doc_id, ordinal))) is not None:
        if chunk.start <= start < chunk.end:
            return chunk.id
        if chunk.start > start:
            break
        found = chunk.id
        ordinal += 1
    return found


def _evidence_kind(evidence: Evidence, profiles: dict[str, DocumentProfile]) -> str:
    """ "legal" when the first source is a statute or a regulation, else "default"."""
    first = evidence.sources[0].doc_id if evidence.sources else None
    profile = profiles.get(first) if first else None
    return "legal" if profile is not None and profile.kind in ("statute", "regulation") else "default"


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)
