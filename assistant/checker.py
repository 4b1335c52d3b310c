"""Checked answer sentences: the growing model output turned into sentences that may be shown.

A sentence is kept when it restates an evidence sentence (its citation) and passes the binding checks
(`assistant.binding`: numbers and dates written in the cited unit, places the cited document is about, people
with the titles it gives them, words not mostly new to what the model read). It is shown with its final [n]:
one number per quoted passage, in order of first citation, shared by every part of one answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace

from assistant.binding import CitedUnit, binding_problems
from assistant.citations import CitedSentence, align, answer_sentences, overlap, with_mark
from assistant.evidence import Evidence, EvidenceSentence, Source
from assistant.prompting import clean_model_output
from assistant.refusal import model_declined
from assistant.stopwords import STOPWORDS
from assistant.verify import CITATION_MARK, numbers_as_written
from ingest.vietnamese import fold, syllables
from troly.records import Document, DocumentProfile

# An answer sentence must share this share of its syllables with an evidence sentence to be cited from it.
MIN_ALIGNMENT = 0.25
# A legal answer is about the article the question matches. When the evidence sentence that matches the
# question best scores this many times the one an answer restates, and stands in another document, the answer
# restates a neighbouring law's provision ("Chủ quản hệ thống thông tin có trách nhiệm …" of one law for a
# question whose words are those of another law's clause).
DOMINANT_MATCH = 1.5


class Numbering:
    """One citation number per quoted passage, across every part of an answer."""

    def __init__(self) -> None:
        self._numbers: dict[tuple[str, int], int] = {}

    def number(self, doc_id: str, start: int) -> int:
        return self._numbers.setdefault((doc_id, start), len(self._numbers) + 1)


class SentenceChecker:
    def __init__(
        self,
        evidence: Evidence,
        question: str,
        *,
        numbering: Numbering,
        document: Callable[[str], Document],
        profiles: Mapping[str, DocumentProfile],
        max_sentences: int,
        one_document: bool = False,
    ) -> None:
        self.evidence = evidence
        self.question = question
        self.numbering = numbering
        self.document = document
        self.profiles = profiles
        self.max_sentences = max_sentences
        self.one_document = one_document
        """A legal question is about one article: once a sentence is kept, others must cite its document."""
        self.kept: list[CitedSentence] = []
        self.unsupported: list[str] = []
        self.echoes = 0
        """Sentences dropped for only restating the question."""
        self._checked = 0

    @property
    def complete(self) -> bool:
        """Whether the answer has all the sentences it may hold: more output would be dropped unread."""
        return self._checked >= self.max_sentences

    def feed(self, raw: str, *, final: bool) -> list[str]:
        """The sentences of `raw` that became complete and passed, each with its [n]."""
        sentences = answer_sentences(clean_model_output(raw, self.question))
        ready = sentences if final else sentences[:-1]
        shown = []
        for sentence in ready[self._checked : self.max_sentences]:
            cited = self._check(sentence)
            if cited is not None and cited.source is not None and cited.quote is not None:
                n = self.numbering.number(cited.source.doc_id, cited.quote.start)
                self.kept.append(cited)
                shown.append(with_mark(cited.text, n))
        self._checked = max(self._checked, len(ready))
        return shown

    def _check(self, sentence: str) -> CitedSentence | None:
        yes_no = is_yes_no(self.question)
        chooses = yes_no or is_choice(self.question)
        if model_declined(sentence):
            return None
        if adds_nothing(sentence, self.question) and not chooses:
            self.echoes += 1
            return None
        cited = align(sentence, self.evidence, min_overlap=MIN_ALIGNMENT)
        source, quote = cited.source, cited.quote
        if source is None or quote is None:  # restates no evidence sentence: nothing to cite
            return None
        first = self.kept[0].source if self.kept else None
        if self.one_document and first is not None and source.doc_id != first.doc_id:
            return None
        if self.one_document and first is None and self._outmatched(source, quote):
            self.unsupported.append(f"{cited.text} (trích văn bản khác với điều khoản khớp câu hỏi)")
            return None
        if yes_no:
            agreeing = self._with_polarity(cited, source, quote)
            if agreeing is None:
                self.unsupported.append(f"{cited.text} (ngược nghĩa với nguồn)")
                return None
            cited, quote = agreeing, agreeing.quote or quote
        selected = " ".join(s.text for src, s in self.evidence.sentences() if src.n == source.n)
        unit = CitedUnit(
            self.profiles.get(source.doc_id), self.document(source.doc_id).text, quote.start, quote.end
        )
        cited.unsupported = binding_problems(cited.text, unit, self.question, selected)
        if cited.unsupported:
            self.unsupported.extend(cited.unsupported)
            return None
        cited.text = numbers_as_written(cited.text, unit.unit_text())
        return cited

    def _outmatched(self, source: Source, quote: EvidenceSentence) -> bool:
        """Whether another document holds an evidence sentence that matches the question far better
        (DOMINANT_MATCH times the score) than the one the sentence restates."""
        top = max(self.evidence.sentences(), key=lambda pair: pair[1].score, default=None)
        if top is None or top[0].doc_id == source.doc_id:
            return False
        return top[1].score >= DOMINANT_MATCH * max(quote.score, 1e-9)

    def _with_polarity(
        self, cited: CitedSentence, source: Source, quote: EvidenceSentence
    ) -> CitedSentence | None:
        """A yes/no answer cited to the sentence that states its polarity, or None when its source says the
        opposite. Restating the question, the answer aligns best with the sentence that names the topic
        (often an article's title) rather than with the short one that decides it ("1. Không được trợ cấp
        thôi việc."). A negative answer is re-pointed to the sentence negating its words; a positive one is
        dropped when any sentence of its source that the model read negates them."""
        own = [sent for src, sent in self.evidence.sentences() if src.n == source.n]
        phrase = negated_phrase(cited.text)
        if phrase is None:
            return cited if all(polarity_agrees(cited.text, sent.text) for sent in own) else None
        negates = re.compile(rf"{_NEGATION.pattern}\s+{re.escape(phrase)}\b")
        if negates.search(fold(quote.text)):
            return cited
        candidates = [(overlap(cited.text, s.text), s.score, s) for s in own if negates.search(fold(s.text))]
        best = max(candidates, key=lambda t: (t[0], t[1]), default=None)
        if best is not None:
            return replace(cited, quote=best[2], overlap=best[0])
        # Worded otherwise than its source ("không được hưởng …"): the quote must at least negate.
        return cited if _NEGATION.search(fold(quote.text)) else None


# "… có được trợ cấp thôi việc không?", "… có phải là tội phạm không?": the answer is a polarity, and restating
# the question with "không" or "có" is the whole answer, not an echo.
_YES_NO = re.compile(r"\b(?:co|duoc|phai|co phai|co duoc|da)\b.*\bkhong\s*\W*$")
_NEGATION = re.compile(r"\b(?:khong|chua|cam)\b")


def is_yes_no(question: str) -> bool:
    return _YES_NO.search(fold(question).strip()) is not None


def is_choice(question: str) -> bool:
    """ "Người chiếm hữu ngay tình hay người chiếm hữu không ngay tình thì phải chứng minh?": the answer picks
    one of the question's own phrases, so restating them is the answer."""
    return re.search(r"\bhay\b(?!\s+khong\b)", fold(question)) is not None


def negated_phrase(sentence: str) -> str | None:
    """The (folded) words an answer negates: "… không được trợ cấp thôi việc" -> "duoc tro cap"."""
    match = re.search(rf"{_NEGATION.pattern}\s+((?:\w+\s+){{0,2}}\w+)", fold(CITATION_MARK.sub("", sentence)))
    return match.group(1) if match else None


def polarity_agrees(sentence: str, quote: str) -> bool:
    """A yes/no answer keeps the polarity of its cited sentence: "không được trợ cấp" needs a negation in
    the quote, and an answer without one may not restate a negated clause of the quote ("phần di sản … không
    được chia thừa kế" is not "được chia thừa kế")."""
    answer, source = fold(CITATION_MARK.sub("", sentence)), fold(quote)
    if _NEGATION.search(answer):
        return _NEGATION.search(source) is not None
    for match in re.finditer(r"\b(?:khong|chua|cam)\s+((?:\w+\s+){0,1}\w+)", source):
        if re.search(rf"\b{re.escape(match.group(1))}\b", answer):
            return False
    return True


def adds_nothing(sentence: str, question: str) -> bool:
    """True for a sentence whose every word is already in the question ("Chủ tịch UBND TP Cần Thơ [1]." for
    "Chủ tịch UBND TP Cần Thơ là ai?"), function words aside ("Người công bố di chúc … là người công bố di
    chúc" for "Ai công bố di chúc …?"): an echo answers nothing, whatever it cites."""
    asked = set(syllables(fold(question)))
    if "ai" in asked:  # "Ai …?" is answered "Người …", which names nobody
        asked.add("nguoi")
    folded = fold(CITATION_MARK.sub("", sentence))
    if _ASKING.search(folded) and _ASKING.search(fold(question)):
        return True  # "… thì Cần Thơ xếp hạng bao nhiêu": still the question, whatever it adds
    words = set(syllables(folded))
    content = {w for w in words if w not in STOPWORDS}
    return bool(words) and (words <= asked or (bool(content) and content <= asked))


# The words that ask: an answer sentence holding one restates the question instead of answering it.
_ASKING = re.compile(r"\b(?:bao nhieu|la gi|the nao|o dau|khi nao|nhu the nao|vi sao|tai sao)\b")
