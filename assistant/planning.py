"""Everything an answer decides before the model runs: condense the follow-up, analyse and scope the
question, retrieve for each part, answer from the profiles where they hold the answer, else select the
evidence, and refuse a part whose documents do not hold what it asks (see `assistant.pipeline`).

`eval.bench_evidence` runs this alone, so scoping and evidence are measured on whole dev sets without a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal, Protocol

from assistant.commitment_answers import answer_commitments
from assistant.condense import condense
from assistant.evidence import Evidence, select_evidence
from assistant.focus import EvidenceHints, definitions_first
from assistant.llm.base import ChatMessage
from assistant.profile_answers import ProfileAnswer, answer_from_profiles
from assistant.question import QuestionAnalysis, analyse
from assistant.refusal import REFUSAL_TEXT, scoped_refusal
from assistant.scope import Part, Scope, plan_scope
from assistant.support import moved_from_elsewhere, specific_terms
from index.text import TermDocuments, folded_syllables
from ingest.chunk import chunk_id
from ingest.vietnamese import normalize
from troly.errors import TrolyError
from troly.records import Chunk, Document, DocumentProfile, SearchHit
from troly.settings import Settings

if TYPE_CHECKING:
    from index.library import SearchFilters

QuestionKind = Literal["single", "list"]

# Folded words naming the signing of an agreement (see `_hints`).
AGREEMENT_WORDS = frozenset({"le", "ky", "ket", "ki", "thoa", "thuan", "hop", "tac", "buoi"})


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


class StaleDocumentError(TrolyError):
    """A document the answer cites left the index while it was being answered."""

    code = "stale_index"


class DocumentTexts:
    """Documents looked up once per answer (the library scans its list)."""

    def __init__(self, retriever: Retriever) -> None:
        self.retriever = retriever
        self._cache: dict[str, Document] = {}

    def document(self, doc_id: str) -> Document:
        if doc_id not in self._cache:
            document = self.retriever.document(doc_id)
            if document is None:
                raise StaleDocumentError(f"Tài liệu '{doc_id}' không còn trong chỉ mục; hãy hỏi lại.")
            self._cache[doc_id] = document
        return self._cache[doc_id]

    def texts(self, doc_ids: frozenset[str] | None) -> dict[str, str]:
        ids = doc_ids if doc_ids is not None else [p.doc_id for p in self.retriever.profiles()]
        return {d: self.document(d).text for d in ids if self.retriever.document(d) is not None}


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
    texts: DocumentTexts

    @property
    def several(self) -> bool:
        return len(self.scope.parts) > 1 or (bool(self.scope.missing) and bool(self.scope.parts))


class AnswerPlanner:
    def __init__(self, settings: Settings, retriever: Retriever) -> None:
        self.settings = settings
        self.retriever = retriever

    @property
    def min_support(self) -> float:
        return self.settings.answer.min_evidence_score

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
        texts = DocumentTexts(self.retriever)
        parts = [self._prepare(part, analysis, scope, k, filters, by_id, texts) for part in scope.parts]
        return AnswerPlan(standalone, analysis, scope, parts, by_id, texts)

    def _prepare(
        self,
        part: Part,
        analysis: QuestionAnalysis,
        scope: Scope,
        k: int | None,
        filters: SearchFilters | None,
        profiles: dict[str, DocumentProfile],
        texts: DocumentTexts,
    ) -> PlannedPart:
        """A part's hits, then its profile answer when the profiles hold one, else its evidence (or why it
        has none that answers)."""
        hits = definitions_first(part.question, self._search(part.question, k, filters, part.doc_ids))
        # A part is analysed on its own: "… với Cần Thơ có giai đoạn nào?" names one place, asks one field.
        own = analyse(part.question, list(profiles.values()))
        known = list(profiles.values())
        found = answer_commitments(own, part, known, texts.document) or answer_from_profiles(
            own, part, known, texts.texts(part.doc_ids)
        )
        planned = PlannedPart(part, hits, profile_answer=found)
        if found is not None and (found.statements or found.refusal):
            return planned
        planned.evidence = select_evidence(
            part.question,
            self._with_neighbours(self._leading(hits)),
            budget_tokens=self._budget(len(scope.parts), question_kind(analysis, scope)),
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

    def _budget(self, parts: int, kind: QuestionKind) -> int:
        """The budget of the question's kind; each part of a several-part question reads its share of it
        (the prompt sets the latency), never less than two thirds of it."""
        answer = self.settings.answer
        chosen = answer.list_evidence_tokens if kind == "list" else answer.single_evidence_tokens
        budget = chosen or answer.evidence_tokens
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
        texts: DocumentTexts,
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


def question_kind(analysis: QuestionAnalysis, scope: Scope) -> QuestionKind:
    """ "list" for a question asking for a list or a catalogue, or about several subjects; else "single"."""
    return "list" if analysis.wants_list or analysis.several or len(scope.parts) > 1 else "single"


def _passages(hits: list[SearchHit], profiles: dict[str, DocumentProfile], texts: DocumentTexts) -> list[str]:
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


def _subject_label(analysis: QuestionAnalysis) -> str | None:
    if analysis.places:
        return " và ".join(p.label for p in analysis.places)
    if analysis.people:
        return " và ".join(analysis.people)
    return None


def unique_hits(hits: list[SearchHit]) -> list[SearchHit]:
    seen: set[str] = set()
    kept = []
    for hit in hits:
        if hit.chunk.id not in seen:
            seen.add(hit.chunk.id)
            kept.append(hit)
    return kept
