"""Evidence selection: the few sentences of the retrieved chunks that matter, under a token budget.

On CPU the prompt length sets the time to the first token (about 80 prompt tokens/s on 2 cores), so the
prompt carries sentences, not whole chunks. Sentences are scored by the question's syllables and syllable
bigrams they contain (rare syllables weigh more), matched with and without diacritics (officials often type
without them). The best sentence keeps a neighbour on each side for context, documents lacking a name the
question asks about rank lower, and the selection is grouped by document into numbered sources [1], [2], ...
in order of relevance.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from assistant.focus import (
    EvidenceHints,
    adjust_scores,
    assign_units,
    defines_term,
    definition_term,
    unit_matches,
)
from assistant.injection import looks_like_instruction
from assistant.stopwords import STOPWORDS
from assistant.verify import name_key
from index.abbreviations import expand
from ingest.vietnamese import capitalised_names, fold, normalize
from troly.records import Pillar, SearchHit

# Characters per Qwen2.5 token of Vietnamese evidence (3.37 measured on seeds-dev); no tokenizer is loaded.
CHARS_PER_TOKEN = 3.3
OTHER_ENTITY_FACTOR = 0.5
_WORD = re.compile(r"\w+", re.UNICODE)
# A sentence ends at . ! ? … followed by space and a letter, digit, quote or markup ("… mã QR. <script>…":
# planted markup after a fact must not swallow the fact), or at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)]*\s+(?=[\"“‘(<\d\w])|\n+")
# Abbreviations that end with a dot inside a sentence (TP. Hồ Chí Minh, ThS. Nguyễn ...).
_ABBREVIATION = re.compile(r"(?:\b(?:TP|Tp|tp|ThS|TS|PGS|GS|BS|KS|St|Mr|Mrs|Dr|Q|P|H|TT)|\b[A-ZĐ])\.$")


# Questions asking for a quantity or a date: only a sentence holding a number can answer them.
_NUMBER_QUESTION = re.compile(r"\b(bao nhieu|ngay nao|nam nao|thang nao|ngay may)\b")
# A standalone number (4,2; 1.320; 02/08/2018; 9-9), not a code like 4G or VT-CNTT.
NUMBER = re.compile(r"(?<![\w.,/-])\d+(?:[.,/-]\d+)*(?![\w/-])")


# A syllable ending in "y" after consonants only is written with "i" as often ("sỹ quan" / "sĩ quan",
# "tỷ lệ" / "tỉ lệ", "kỹ năng" / "kĩ năng"): evidence matching treats the two spellings as one.
_FINAL_Y = re.compile(r"^([^aeiouy]+)y$")


def word_key(word: str) -> str:
    """A word as evidence matching compares it: lower-case, folded, with the i/y spelling variants merged."""
    return _FINAL_Y.sub(r"\1i", fold(word))


def expects_number(question: str) -> bool:
    return _NUMBER_QUESTION.search(fold(question)) is not None


def new_numbers(text: str, question: str) -> set[str]:
    """Standalone numbers of `text` that the question does not already hold."""
    return set(NUMBER.findall(text)) - set(NUMBER.findall(question))


def estimate_tokens(text: str) -> int:
    return max(1, round(len(text) / CHARS_PER_TOKEN))


@dataclass(frozen=True)
class Span:
    """A sentence of a document: `text == document.text[start:end]`."""

    start: int
    end: int
    text: str


def split_sentences(text: str, offset: int = 0) -> list[Span]:
    """Sentences of `text` with offsets shifted by `offset` (the text's start in its document)."""
    spans: list[Span] = []
    begin = 0
    for match in _SENTENCE_END.finditer(text):
        if "\n" not in match.group(0) and _ABBREVIATION.search(text[begin : match.start()]):
            continue
        _append_span(spans, text, begin, match.start(), offset)
        begin = match.end()
    _append_span(spans, text, begin, len(text), offset)
    return spans


def _append_span(spans: list[Span], text: str, begin: int, end: int, offset: int) -> None:
    piece = text[begin:end]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    start = begin + lead
    spans.append(Span(offset + start, offset + start + len(stripped), stripped))


@dataclass(frozen=True)
class Terms:
    """The question's content syllables and bigrams, accented (lowercase NFC) and folded."""

    exact: frozenset[str]
    folded: frozenset[str]
    bigrams: frozenset[str]
    accented: bool
    trigrams: frozenset[str] = frozenset()
    names: tuple[str, ...] = ()
    """Folded capitalised names of the question ("Quảng Trị"): the documents it asks about."""

    @classmethod
    def of(cls, text: str) -> Terms:
        words = [w.lower() for w in _WORD.findall(normalize(text))]
        folded_words = [word_key(w) for w in words]
        content = [(w, f) for w, f in zip(words, folded_words, strict=True) if f not in STOPWORDS]
        bigrams = {f"{a} {b}" for a, b in itertools.pairwise(folded_words)}
        trigrams = {" ".join(folded_words[i : i + 3]) for i in range(len(folded_words) - 2)}
        return cls(
            exact=frozenset(w for w, _ in content),
            folded=frozenset(f for _, f in content),
            bigrams=frozenset(b for b in bigrams if not all(p in STOPWORDS for p in b.split())),
            accented=fold(text) != text.lower(),
            trigrams=frozenset(t for t in trigrams if sum(p not in STOPWORDS for p in t.split()) >= 2),
            names=tuple(name_key(n) for n in question_names(text)),
        )

    def without(self, words: frozenset[str]) -> Terms:
        """These terms minus the given folded words and the bigrams and trigrams holding one; unchanged when
        nothing would be left."""
        if not words:
            return self
        words = frozenset(word_key(w) for w in words)

        def keep(term: str) -> bool:
            return not any(part in words for part in term.split())

        folded = frozenset(t for t in self.folded if keep(t))
        if not folded:
            return self
        return Terms(
            exact=frozenset(t for t in self.exact if keep(word_key(t))),
            folded=folded,
            bigrams=frozenset(t for t in self.bigrams if keep(t)),
            accented=self.accented,
            trigrams=frozenset(t for t in self.trigrams if keep(t)),
            names=self.names,
        )


@dataclass(frozen=True)
class SentenceMatch:
    exact: frozenset[str]
    folded: frozenset[str]
    bigrams: frozenset[str]
    trigrams: frozenset[str] = frozenset()


def match_terms(question: Terms, text: str) -> SentenceMatch:
    words = [w.lower() for w in _WORD.findall(text)]
    folded_words = [word_key(w) for w in words]
    bigrams = {f"{a} {b}" for a, b in itertools.pairwise(folded_words)}
    return SentenceMatch(
        exact=question.exact & set(words),
        folded=question.folded & set(folded_words),
        bigrams=question.bigrams & bigrams,
        trigrams=question.trigrams
        & {" ".join(folded_words[i : i + 3]) for i in range(len(folded_words) - 2)},
    )


def relevance(question: Terms, match: SentenceMatch, weights: Mapping[str, float] | None = None) -> float:
    """Sum of the matched terms' weights: a syllable counts fully with its accents (0.6 when only folded
    matches and the question has accents), a bigram 1.5 times its rarer syllable, a trigram 2 times."""
    w = weights or {}
    exact_folded = {word_key(t) for t in match.exact}
    score = 0.0
    for term in match.folded:
        full = not question.accented or term in exact_folded
        score += w.get(term, 1.0) * (1.0 if full else 0.6)
    for bigram in match.bigrams:
        score += 1.5 * max(w.get(part, 1.0) for part in bigram.split())
    for trigram in match.trigrams:
        score += 2.0 * max(w.get(part, 1.0) for part in trigram.split())
    return score


def coverage(question: Terms, matches: Iterable[SentenceMatch]) -> float:
    """Share of the question's content syllables and bigrams (folded) found in the given sentences together.

    Bigrams matter: Vietnamese words are mostly two syllables, and a sentence holding "khai" (of "triển
    khai") and "sinh" (of "phát sinh") does not speak of "khai sinh".
    """
    total = len(question.folded) + len(question.bigrams)
    if not total:
        return 0.0
    found: set[str] = set()
    for match in matches:
        found |= match.folded | match.bigrams
    return len(found) / total


def idf_weights(texts: Sequence[str]) -> dict[str, float]:
    """Inverse document frequency of folded syllables over the candidate sentences, floored at 0.5."""
    df: Counter[str] = Counter()
    for text in texts:
        df.update({word_key(w) for w in _WORD.findall(text)})
    n = len(texts)
    return {term: max(0.5, math.log((n + 1) / (count + 0.5))) for term, count in df.items()}


@dataclass
class EvidenceSentence:
    doc_id: str
    chunk_id: str
    start: int
    end: int
    text: str
    score: float
    match: SentenceMatch
    unit: str | None = None
    """Id of the unit (paragraph, item, point) that holds the sentence (`focus.assign_units`)."""
    clause: str | None = None
    """Id of the clause (khoản) it belongs to, in a statute."""
    lead: bool = False
    """The clause's first sentence, which states what its points lead to."""
    pillars: tuple[Pillar, ...] = ()


@dataclass
class Source:
    """One numbered source of the prompt: a document and its selected sentences in document order."""

    n: int
    doc_id: str
    title: str
    date: str | None
    sentences: list[EvidenceSentence] = field(default_factory=list)


@dataclass
class Evidence:
    question: str
    terms: Terms
    sources: list[Source]
    support: float = 0.0
    """Best share of the question's syllables and bigrams held by one sentence (0 for a quantity question
    when no sentence holds a new number); the pipeline refuses below `min_support`."""
    best: EvidenceSentence | None = None

    def source(self, n: int) -> Source | None:
        return next((s for s in self.sources if s.n == n), None)

    def sentences(self) -> list[tuple[Source, EvidenceSentence]]:
        return [(src, sent) for src in self.sources for sent in src.sentences]

    @property
    def empty(self) -> bool:
        return not self.sources

    def focused(self, doc_id: str) -> Evidence | None:
        """Only the source of `doc_id`, renumbered [1]; None when it is not among several sources."""
        kept = [s for s in self.sources if s.doc_id == doc_id]
        if not kept or len(self.sources) < 2:
            return None
        only = kept[0]
        return Evidence(
            self.question,
            self.terms,
            [Source(1, only.doc_id, only.title, only.date, list(only.sentences))],
            self.support,
            self.best,
        )


def candidate_sentences(
    question: Terms, hits: Sequence[SearchHit], abbreviations: Mapping[str, str] | None = None
) -> list[EvidenceSentence]:
    """Sentences of the hits, deduplicated by document offset (chunks overlap), in document order, scored
    with syllable weights from these same sentences (rare terms such as names weigh most). A sentence that
    uses an abbreviation the corpus defines also matches its expansion ("CĐS" -> "chuyển đổi số")."""
    spans: dict[tuple[str, int], tuple[str, Span]] = {}
    for hit in hits:
        chunk = hit.chunk
        for span in split_sentences(chunk.text, chunk.start):
            if not looks_like_instruction(span.text):  # planted instructions are not evidence
                spans.setdefault((chunk.doc_id, span.start), (chunk.id, span))
    weights = idf_weights([span.text for _, span in spans.values()])
    sentences = []
    for (doc_id, _), (chunk_id, span) in spans.items():
        match = match_terms(question, expand(span.text, dict(abbreviations)) if abbreviations else span.text)
        score = relevance(question, match, weights)
        sentences.append(EvidenceSentence(doc_id, chunk_id, span.start, span.end, span.text, score, match))
    return sorted(sentences, key=lambda s: (s.doc_id, s.start))


def select_evidence(
    question: str,
    hits: Sequence[SearchHit],
    *,
    budget_tokens: int,
    neighbours: int = 1,
    hints: EvidenceHints | None = None,
    floor: float = 0.0,
) -> Evidence:
    """The best-scoring sentences that fit the budget; the best one brings `neighbours` either side (within
    its clause, in a statute), and a point brings its clause's lead sentence. With `hints` (the document
    profiles and the question's subject, see `assistant.focus`), support is measured per unit on the words
    other than the subject, and pillars and clauses weigh in. A sentence scoring under `floor` times the best
    one is left out (it distracts the small model and lengthens the prompt), except in the best's window."""
    hints = hints or EvidenceHints()
    full_terms = Terms.of(question)
    terms = full_terms.without(hints.subject_words)
    wants_number = expects_number(question)
    candidates = candidate_sentences(terms, hits, hints.abbreviations)
    if not candidates:
        return Evidence(question, full_terms, [])
    assign_units(candidates, hints)
    _penalise_other_entities(full_terms, candidates)
    adjust_scores(terms, question, candidates, hints)
    by_doc: dict[str, list[EvidenceSentence]] = {}
    for sent in candidates:
        by_doc.setdefault(sent.doc_id, []).append(sent)
    position = {id(s): i for sents in by_doc.values() for i, s in enumerate(sents)}
    doc_rank: dict[str, int] = {}
    for hit in hits:
        doc_rank.setdefault(hit.chunk.doc_id, len(doc_rank))

    def lead_of(sent: EvidenceSentence) -> list[EvidenceSentence]:
        if sent.clause is None or sent.lead:
            return []
        return [s for s in by_doc[sent.doc_id] if s.clause == sent.clause and s.lead][:1]

    def window(sent: EvidenceSentence) -> list[EvidenceSentence]:
        sents = by_doc[sent.doc_id]
        i = position[id(sent)]
        near = sents[max(0, i - neighbours) : i + neighbours + 1]
        if sent.clause is not None:  # a neighbouring clause's penalty is not this clause's
            near = [s for s in near if s.clause == sent.clause]
        return lead_of(sent) + near

    # Ties go to the better-ranked document, so retrieval's judgement breaks them.
    ranked = sorted(
        (s for s in candidates if s.score > 0), key=lambda s: (-s.score, doc_rank[s.doc_id], s.start)
    )
    chosen: dict[int, EvidenceSentence] = {}
    used = 0
    lowest = floor * ranked[0].score if ranked else 0.0
    for rank, sent in enumerate(ranked):
        if rank and sent.score < lowest:
            break
        group = window(sent) if rank == 0 else [*lead_of(sent), sent]
        new = [s for s in group if id(s) not in chosen]
        cost = sum(estimate_tokens(s.text) for s in new)
        if used + cost > budget_tokens:
            if id(sent) in chosen or used + estimate_tokens(sent.text) > budget_tokens:
                continue
            new, cost = [sent], estimate_tokens(sent.text)
        for s in new:
            chosen[id(s)] = s
        used += cost
    support, best = _support(terms, ranked, candidates, question, wants_number, hints)
    return Evidence(question, full_terms, _group(chosen.values(), hits), support, best)


def _support(
    terms: Terms,
    ranked: list[EvidenceSentence],
    candidates: list[EvidenceSentence],
    question: str,
    wants_number: bool,
    hints: EvidenceHints,
) -> tuple[float, EvidenceSentence | None]:
    """The best share of the question's terms that one sentence holds, or, with profiles, one unit (a
    paragraph, or a clause with its points); 0 for a quantity question when that unit holds no new number."""
    term = definition_term(question)
    defining = next((s for s in ranked if defines_term(s.text, term)), None) if term else None
    if defining is not None:  # "Lợi tức là …" answers "Theo Bộ luật …, lợi tức được hiểu như thế nào?" whole
        return 1.0, defining
    best_support = 0.0
    best: EvidenceSentence | None = None
    for sent in ranked:
        support = coverage(terms, [sent.match])
        if wants_number and not new_numbers(sent.text, question):
            support = 0.0
        if support > best_support:
            best_support, best = support, sent
    if not hints.profiles:
        return best_support, best
    grouped = unit_matches(candidates)
    texts: dict[tuple[str, str], list[str]] = {}
    for sent in candidates:
        unit = sent.clause or sent.unit
        if unit is not None:
            texts.setdefault((sent.doc_id, unit), []).append(sent.text)
    for group, matches in grouped.items():
        if wants_number and not new_numbers(" ".join(texts[group]), question):
            continue
        support = coverage(terms, matches)
        if support > best_support:
            best_support = support
            best = max(
                (s for s in ranked if (s.doc_id, s.clause or s.unit) == group),
                key=lambda s: s.score,
                default=best,
            )
    return best_support, best


def question_names(question: str) -> list[str]:
    """Capitalised names of a question, without a capitalised first word ("Theo Bộ luật" -> none)."""
    names = []
    for name in capitalised_names(question):
        if question.lstrip().startswith(name):
            name = name.partition(" ")[2]
        if " " in name:
            names.append(name)
    return names


def _penalise_other_entities(terms: Terms, candidates: list[EvidenceSentence]) -> None:
    """Halve the scores of documents that hold none of the names the question asks about ("Quảng Trị"),
    when another retrieved document does: a question about one province is not answered by another's."""
    if not terms.names:
        return
    texts: dict[str, list[str]] = {}
    for sent in candidates:
        texts.setdefault(sent.doc_id, []).append(sent.text)
    keys = {doc: f" {name_key(' '.join(parts))} " for doc, parts in texts.items()}
    holders = {doc for doc, key in keys.items() if any(f" {n} " in key for n in terms.names)}
    if not holders:
        return
    for sent in candidates:
        if sent.doc_id not in holders:
            sent.score *= OTHER_ENTITY_FACTOR


def _group(sentences: Iterable[EvidenceSentence], hits: Sequence[SearchHit]) -> list[Source]:
    """Numbered sources, best first (by their best sentence), sentences in document order."""
    meta = {hit.chunk.doc_id: hit.chunk for hit in hits}
    by_doc: dict[str, list[EvidenceSentence]] = {}
    for sent in sentences:
        by_doc.setdefault(sent.doc_id, []).append(sent)
    order = sorted(by_doc, key=lambda d: -max(s.score for s in by_doc[d]))
    sources = []
    for n, doc_id in enumerate(order, start=1):
        chunk = meta[doc_id]
        sents = sorted(by_doc[doc_id], key=lambda s: s.start)
        sources.append(Source(n, doc_id, chunk.title, chunk.date, sents))
    return sources
