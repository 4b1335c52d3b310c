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
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from assistant.checker import Numbering, SentenceChecker
from assistant.citations import CitedSentence, finalize
from assistant.condense import condense
from assistant.events import AnswerEvent, CitationsEvent, DoneEvent, ErrorEvent, RetrievedEvent, TokenEvent
from assistant.evidence import Evidence, EvidenceSentence, SentenceMatch, Source, select_evidence
from assistant.focus import EvidenceHints
from assistant.llm.base import ChatMessage, ChatModel, ChatModelError
from assistant.profile_answers import ProfileAnswer, Statement, answer_from_profiles
from assistant.prompting import build_messages
from assistant.question import QuestionAnalysis, analyse
from assistant.refusal import REFUSAL_TEXT, missing_text, scoped_refusal
from assistant.scope import Part, Scope, plan_scope
from assistant.support import moved_from_elsewhere, specific_terms
from index.text import TermDocuments, folded_syllables
from ingest.chunk import chunk_id
from ingest.units import label_path
from ingest.vietnamese import normalize
from prompts import AnswerPrompt, load_answer_prompt
from troly.errors import TrolyError
from troly.records import Answer, Chunk, Citation, Document, DocumentProfile, SearchHit
from troly.settings import Settings

if TYPE_CHECKING:
    from index.library import SearchFilters

# Folded words naming the signing of an agreement (see `_hints`).
AGREEMENT_WORDS = frozenset({"le", "ky", "ket", "ki", "thoa", "thuan", "hop", "tac", "buoi"})
MAX_SENTENCES = 3
LIST_SENTENCES = 5
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

    def profiles(self) -> list[DocumentProfile]:
        """What each indexed document is about (`ingest.profile`)."""
        ...

    def abbreviations(self) -> dict[str, str]:
        """Abbreviations the corpus defines, folded -> expansion."""
        ...

    def term_documents(self) -> TermDocuments:
        """How many documents use each syllable."""
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


@dataclass
class PlannedPart:
    """One part of a question ready to answer: its hits, and either a profile answer, or the evidence the
    model will read, or why its documents cannot answer it."""

    part: Part
    hits: list[SearchHit]
    profile_answer: ProfileAnswer | None = None
    evidence: Evidence | None = None
    refusal: str | None = None


@dataclass
class AnswerPlan:
    """Everything decided before the model runs (`AnswerPipeline.plan`)."""

    standalone: str
    analysis: QuestionAnalysis
    scope: Scope
    parts: list[PlannedPart]
    profiles: dict[str, DocumentProfile]
    texts: _DocumentTexts

    @property
    def several(self) -> bool:
        return len(self.scope.parts) > 1 or (bool(self.scope.missing) and bool(self.scope.parts))


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

    # -- the run -------------------------------------------------------------------------------------------

    def plan(
        self,
        question: str,
        history: Sequence[ChatMessage] = (),
        *,
        k: int | None = None,
        filters: SearchFilters | None = None,
    ) -> AnswerPlan:
        """Condense, analyse, scope, retrieve and select evidence for each part: all but the model's work
        (what `eval.bench_evidence` measures without a model)."""
        standalone = normalize(
            condense(normalize(question).strip(), list(history), self.retriever.corpus_names)
        )
        profiles = self.retriever.profiles()
        analysis = analyse(standalone, profiles)
        scope = plan_scope(analysis, profiles)
        by_id = {p.doc_id: p for p in profiles}
        texts = _DocumentTexts(self.retriever)
        parts = [self._prepare(part, analysis, scope, k, filters, by_id, texts) for part in scope.parts]
        return AnswerPlan(standalone, analysis, scope, parts, by_id, texts)

    def _run(
        self,
        question: str,
        history: list[ChatMessage],
        k: int | None,
        filters: SearchFilters | None,
        options: GenerationOptions,
    ) -> Iterator[AnswerEvent]:
        started = time.perf_counter()
        plan = self.plan(question, history, k=k, filters=filters)
        scope, parts = plan.scope, plan.parts
        draft = _Draft(question, plan.standalone, plan.analysis, started, {}, options, as_list=plan.several)
        if not scope.parts:
            draft.hits = self.retriever.search(plan.standalone, k or self.settings.retrieval.k, filters)
        else:
            draft.hits = _unique_hits([h for p in parts for h in p.hits])
        draft.timings["retrieve"] = _ms(started)
        yield RetrievedEvent(hits=draft.hits)
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

    def _prepare(
        self,
        part: Part,
        analysis: QuestionAnalysis,
        scope: Scope,
        k: int | None,
        filters: SearchFilters | None,
        profiles: dict[str, DocumentProfile],
        texts: _DocumentTexts,
    ) -> PlannedPart:
        """A part's hits, then its profile answer when the profiles hold one, else its evidence (or why it
        has none that answers)."""
        hits = self._search(part.question, k, filters, part.doc_ids)
        # A part is analysed on its own: "… với Cần Thơ có giai đoạn nào?" names one place, asks one field.
        own = analyse(part.question, list(profiles.values()))
        found = answer_from_profiles(own, part, list(profiles.values()), texts.texts(part.doc_ids))
        planned = PlannedPart(part, hits, profile_answer=found)
        if found is not None and (found.statements or found.refusal):
            return planned
        planned.evidence = select_evidence(
            part.question,
            self._with_neighbours(self._leading(hits)),
            budget_tokens=self._budget(len(scope.parts)),
            hints=self._hints(analysis, part, profiles),
            floor=self.settings.answer.evidence_floor,
        )
        planned.refusal = self._part_refusal(analysis, part, planned.evidence, hits, profiles, texts)
        return planned

    def _leading(self, hits: list[SearchHit]) -> list[SearchHit]:
        """Only the first document's hits when retrieval ranks it well ahead of the next (the second scores at
        most `answer.lead_document_ratio` of it): a statute question is about one article, and a second
        article read beside it lends the model its look-alike clause and the answer a wrong citation."""
        best: dict[str, float] = {}
        for hit in hits:
            best.setdefault(hit.chunk.doc_id, hit.score)
        scores = list(best.values())
        if (
            len(scores) < 2
            or scores[0] <= 0
            or scores[1] > self.settings.answer.lead_document_ratio * scores[0]
        ):
            return hits
        top = hits[0].chunk.doc_id
        return [h for h in hits if h.chunk.doc_id == top]

    def _search(
        self, query: str, k: int | None, filters: SearchFilters | None, doc_ids: frozenset[str] | None
    ) -> list[SearchHit]:
        from index.library import SearchFilters

        scoped = replace(filters or SearchFilters(), doc_ids=doc_ids) if doc_ids is not None else filters
        hits = self.retriever.search(query, k or self.settings.retrieval.k, scoped)
        # A retriever that cannot filter by document still never answers from outside the scope.
        return [h for h in hits if doc_ids is None or h.chunk.doc_id in doc_ids]

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
            yield TokenEvent(text=draft.piece(target, _mark(cited.text, n)))
            target.sentences.append(cited)

    def _budget(self, parts: int) -> int:
        """Each part of a several-part question reads its share of the evidence budget (the prompt sets the
        latency), never less than two thirds of it."""
        budget = self.settings.answer.evidence_tokens
        return budget if parts <= 1 else max(budget * 2 // 3, budget // parts)

    def _hints(
        self, analysis: QuestionAnalysis, part: Part, profiles: dict[str, DocumentProfile]
    ) -> EvidenceHints:
        """The question's subject words (the named places and people, and the organisations that the part's
        documents are about, "VNPT"), its pillars, and the profiles."""
        words = set(analysis.subject_words)
        if part.doc_ids:
            keys = {s.key for d in part.doc_ids if d in profiles for s in profiles[d].subjects}
            words |= {w for w in folded_syllables(part.question) if w in keys}
            if all(d in profiles and profiles[d].kind == "agreement" for d in part.doc_ids):
                # Documents about a signing: "lễ ký kết thỏa thuận" is what they are, not what answers.
                words |= AGREEMENT_WORDS
        return EvidenceHints(
            subject_words=frozenset(words),
            pillars=analysis.pillars,
            profiles=profiles,
            abbreviations=self.retriever.abbreviations(),
        )

    def _part_refusal(
        self,
        analysis: QuestionAnalysis,
        part: Part,
        evidence: Evidence,
        hits: list[SearchHit],
        profiles: dict[str, DocumentProfile],
        texts: _DocumentTexts,
    ) -> str | None:
        """Why this part cannot be answered from its documents, or None."""
        label = part.label or _subject_label(analysis)
        if evidence.empty or evidence.support < self.min_support:
            return scoped_refusal(label) if label else REFUSAL_TEXT
        if part.doc_ids is None:
            return None
        subject = self._hints(analysis, part, profiles).subject_words
        terms = specific_terms(part.question, subject, self.retriever.term_documents())
        if not terms:
            return None
        elsewhere = [
            h
            for h in self.retriever.search(part.question, self.settings.retrieval.k)
            if h.chunk.doc_id not in part.doc_ids
        ]
        inside = _passages(hits, profiles, texts)
        if moved_from_elsewhere(terms, inside, _passages(elsewhere, profiles, texts)):
            return scoped_refusal(label) if label else REFUSAL_TEXT
        return None

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
                for text in checker.feed(raw, final=False):
                    yield TokenEvent(text=draft.piece(section, text))
                    section.sentences.append(checker.kept[shown])
                    shown += 1
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


class _DocumentTexts:
    """Documents looked up once per answer (the library scans its list)."""

    def __init__(self, retriever: Retriever) -> None:
        self.retriever = retriever
        self._cache: dict[str, Document] = {}

    def document(self, doc_id: str) -> Document:
        if doc_id not in self._cache:
            document = self.retriever.document(doc_id)
            if document is None:
                raise AnswerError(
                    f"Tài liệu '{doc_id}' không còn trong chỉ mục; hãy hỏi lại.", code="stale_index"
                )
            self._cache[doc_id] = document
        return self._cache[doc_id]

    def texts(self, doc_ids: frozenset[str] | None) -> dict[str, str]:
        ids = doc_ids if doc_ids is not None else [p.doc_id for p in self.retriever.profiles()]
        return {d: self.document(d).text for d in ids if self.retriever.document(d) is not None}


def _stated(statement: Statement, texts: _DocumentTexts) -> CitedSentence:
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


def _passages(
    hits: list[SearchHit], profiles: dict[str, DocumentProfile], texts: _DocumentTexts
) -> list[str]:
    """The units (paragraphs, clauses) the hits cover, or the chunks when a document has no profile."""
    passages = []
    for hit in hits:
        chunk = hit.chunk
        profile = profiles.get(chunk.doc_id)
        units = (
            [u for u in profile.units if u.start < chunk.end and chunk.start < u.end and u.kind != "article"]
            if profile
            else []
        )
        if not units:
            passages.append(chunk.text)
            continue
        text = texts.document(chunk.doc_id).text
        passages.extend(text[u.start : u.end] for u in units)
    return passages


def _evidence_kind(evidence: Evidence, profiles: dict[str, DocumentProfile]) -> str:
    """ "legal" when the first source is a statute or a regulation, else "default"."""
    first = evidence.sources[0].doc_id if evidence.sources else None
    profile = profiles.get(first) if first else None
    return "legal" if profile is not None and profile.kind in ("statute", "regulation") else "default"


def _subject_label(analysis: QuestionAnalysis) -> str | None:
    if analysis.places:
        return " và ".join(p.label for p in analysis.places)
    if analysis.people:
        return " và ".join(analysis.people)
    return None


def _unique_hits(hits: list[SearchHit]) -> list[SearchHit]:
    seen: set[str] = set()
    kept = []
    for hit in hits:
        if hit.chunk.id not in seen:
            seen.add(hit.chunk.id)
            kept.append(hit)
    return kept


def _mark(text: str, n: int) -> str:
    from assistant.citations import with_mark

    return with_mark(text, n)


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)
