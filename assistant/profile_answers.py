"""Answers read from the document profiles, without the model: who holds a role, what role a person holds,
an agreement's period, horizon, signing date and place, and catalogues of agreements ("Những địa phương nào đã
ký thỏa thuận với VNPT?", "Thỏa thuận nào được ký sớm nhất?").

Each statement is written from profile fields that carry their offsets, and cites the sentence of the document
that holds them, so it is as exact as the text. A question these cannot answer falls through to the model
(`None`); a role no document gives anyone is a refusal that says so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.question import QuestionAnalysis, role_matches
from assistant.scope import Part
from ingest.chunk import sentence_spans
from ingest.gazetteer import Gazetteer
from ingest.vietnamese import fold
from troly.records import Agreement, DateValue, DocumentProfile, PersonRef

_WORD = re.compile(r"\w+")
_CATALOGUE = re.compile(
    r"\b(?:nhung|cac)\s+(?:dia phuong|tinh|thanh pho|tinh thanh|don vi|co quan|to chuc|huyen|xa|noi|doi tac)\s+nao\b"
    r"|\b(?:dia phuong|tinh|thanh pho|tinh thanh|don vi|huyen)\s+nao\b.*\b(?:ky|hop tac|thoa thuan)\b"
    r"|\bthoa thuan(?:\s+hop tac)?\s+nao\b|\b(?:nhung|cac)\s+thoa thuan\b.*\b(?:nao|gi)\b"
)
# A catalogue of what lies within a named place ("những đơn vị nào ở Thanh Hóa") is still a catalogue.
_WITHIN_PLACE = re.compile(r"\b(?:don vi|co quan|to chuc|huyen|xa|phuong|doi tac|so|nganh)\s+nao\b")
# "Những ai phát biểu tại …": people, by what the question says they did.
_WHO_LIST = re.compile(r"\b(?:nhung ai|nhung nguoi nao|ai da|nhung vi nao)\s+(?:da\s+)?(\w+(?:\s+\w+)?)")
_SPEECH = re.compile(
    r"\b(?:phat bieu|cho biet|nhan manh|khang dinh|noi|chia se|xac nhan|nhan dinh|de nghi|hien ke|danh gia)\b"
)
_AGREEMENT_WORDS = re.compile(r"\b(?:ky|ky ket|thoa thuan|hop tac|ghi nho)\b")
# "VNPT đã ký thỏa thuận với bao nhiêu tỉnh?": the list, led by how many it holds.
_COUNT = re.compile(
    r"\b(?:bao nhieu|may)\s+(?:dia phuong|tinh|thanh pho|tinh thanh|don vi|huyen|xa|thoa thuan)\b"
)
_EARLIEST = re.compile(r"\b(?:som nhat|dau tien|cu nhat|lau nhat)\b")
_LATEST = re.compile(r"\b(?:gan day nhat|moi nhat|muon nhat|sau cung)\b")
_UNTIL_YEAR = re.compile(r"\bden nam (\d{4})\b")
_EXCEPT = re.compile(r"\bngoai\s+(?:cac|nhung)?\s*(huyen|xa|tinh|so|don vi)\b")
_LOCAL_NOUN = re.compile(r"\b(?:huyen|xa|(?<!dia )phuong|quan)\b")
_PROVINCE_NOUN = re.compile(r"\b(?:dia phuong|tinh|thanh pho|tinh thanh)\b")


@dataclass(frozen=True)
class Statement:
    """One cited sentence: `text` without its mark, quoting `document.text[start:end]`."""

    text: str
    doc_id: str
    start: int
    end: int


@dataclass(frozen=True)
class ProfileAnswer:
    statements: tuple[Statement, ...] = ()
    refusal: str | None = None
    as_list: bool = False
    lead: str | None = None
    """A heading sentence for a list ("Các thỏa thuận trong tài liệu:")."""


def sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence of `text` (within its line) that holds [start, end)."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    for s, e in sentence_spans(text, line_start, line_end):
        if s <= start < e:
            while e > s and text[e - 1].isspace():
                e -= 1
            return s, max(e, min(end, line_end))
    return line_start, line_end


def format_date(value: DateValue) -> str:
    """ "ngày 19/9/2015"; a year taken from the publication date is said to be so."""
    parts = value.value.split("-")
    if len(parts) == 3:
        day = f"ngày {int(parts[2])}/{int(parts[1])}"
        return f"{day} (bài đăng năm {parts[0]})" if value.inferred_year else f"{day}/{parts[0]}"
    if len(parts) == 2:
        return f"tháng {int(parts[1])}/{parts[0]}"
    return f"năm {parts[0]}"


def _statement(profile: DocumentProfile, text: str, document_text: str, start: int, end: int) -> Statement:
    s, e = sentence_around(document_text, start, end)
    return Statement(text, profile.doc_id, s, e)


def _honorific(person: PersonRef) -> str:
    lead = fold(person.span.text[:4])
    return "Ông " if lead.startswith("ong ") else "Bà " if lead.startswith("ba ") else ""


def answer_from_profiles(
    analysis: QuestionAnalysis,
    part: Part,
    profiles: Sequence[DocumentProfile],
    document_text: dict[str, str],
) -> ProfileAnswer | None:
    """The profile answer for this part of the question, or None when the model must answer it."""
    scoped = [p for p in profiles if part.doc_ids is None or p.doc_id in part.doc_ids]
    if analysis.role is not None:
        return _role_holder(analysis, scoped, document_text)
    if analysis.person is not None:
        return _role_of(analysis.person, scoped, document_text)
    folded = fold(part.question)
    about_agreements = _AGREEMENT_WORDS.search(folded) is not None
    catalogue = _CATALOGUE.search(folded) or _COUNT.search(folded)
    if about_agreements and catalogue and (not analysis.places or _WITHIN_PLACE.search(folded)):
        named = {fold(w) for w in _WORD.findall(part.question)}
        return _catalogue(folded, scoped, document_text, named, {p.key for p in analysis.places})
    who = _WHO_LIST.search(folded)
    if who is not None and part.doc_ids is not None:
        return _people_who(who.group(1), scoped, document_text)
    if analysis.attributes:
        return _attributes(analysis, part, scoped, document_text)
    return None


def _role_holder(
    analysis: QuestionAnalysis, scoped: Sequence[DocumentProfile], document_text: dict[str, str]
) -> ProfileAnswer | None:
    ask = analysis.role
    assert ask is not None
    for profile in scoped:
        for person in profile.people:
            if role_matches(ask, person.role, person.organisation):
                title = person.title or ask.text
                sentence = f"{_honorific(person)}{person.name} là {title}"
                text = document_text[profile.doc_id]
                return ProfileAnswer(
                    (_statement(profile, sentence, text, person.span.start, person.span.end),)
                )
    if any(p.people for p in scoped) or scoped:
        return ProfileAnswer(refusal=f"Tài liệu hiện có không nêu tên {ask.text}.")
    return None


def _role_of(
    name: str, scoped: Sequence[DocumentProfile], document_text: dict[str, str]
) -> ProfileAnswer | None:
    key = " ".join(fold(w) for w in _WORD.findall(name))
    for profile in scoped:
        for person in profile.people:
            if person.role and " ".join(fold(w) for w in _WORD.findall(person.name)) == key:
                sentence = f"{_honorific(person)}{person.name} là {person.title}"
                text = document_text[profile.doc_id]
                return ProfileAnswer(
                    (_statement(profile, sentence, text, person.span.start, person.span.end),)
                )
    return None


def _chosen_agreement(
    analysis: QuestionAnalysis, part: Part, scoped: Sequence[DocumentProfile]
) -> tuple[DocumentProfile, Agreement] | None:
    """The agreement the question is about: the one whose counterpart's name the question writes at most
    length, else the main agreement of the first document about the part's subject."""
    folded_question = " ".join(fold(w) for w in _WORD.findall(part.question))
    best: tuple[int, DocumentProfile, Agreement] | None = None
    local_keys = {p.key for p in analysis.places if ":" in p.key}
    for profile in scoped:
        for agreement in profile.agreements:
            for party in agreement.parties:
                name = " ".join(fold(w) for w in _WORD.findall(party.name))
                score = 0
                if party.key in local_keys or (
                    ":" in party.key
                    and party.key.split(":", 1)[1] in {k.split(":", 1)[1] for k in local_keys}
                ):
                    score = 100 + len(name)
                elif name and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", folded_question):
                    score = len(name)
                if score and (best is None or score > best[0]):
                    best = (score, profile, agreement)
    if best is not None and (best[0] >= 100 or best[2].level != "local"):
        return best[1], best[2]
    if local_keys:
        return None
    for profile in scoped:
        if profile.agreement is not None:
            return profile, profile.agreement
    return None


def _attributes(
    analysis: QuestionAnalysis, part: Part, scoped: Sequence[DocumentProfile], document_text: dict[str, str]
) -> ProfileAnswer | None:
    chosen = _chosen_agreement(analysis, part, scoped)
    if chosen is None:
        return None
    profile, agreement = chosen
    text = document_text[profile.doc_id]
    clauses: list[tuple[str, int, int]] = []
    for attribute in analysis.attributes:
        if attribute == "period" and agreement.period:
            span = agreement.period.span
            clauses.append(
                (f"giai đoạn {agreement.period.start}–{agreement.period.end}", span.start, span.end)
            )
        elif attribute == "horizon" and agreement.horizon:
            span = agreement.horizon.span
            clauses.append((f"định hướng đến năm {agreement.horizon.year}", span.start, span.end))
        elif attribute == "signed" and agreement.signed:
            span = agreement.signed.span
            clauses.append((f"được ký {format_date(agreement.signed)}", span.start, span.end))
        elif attribute == "place" and agreement.place:
            span = agreement.place
            clauses.append((f"được ký tại {span.text}", span.start, span.end))
        else:
            return None  # a field the profile lacks: the model reads the evidence
    parties = " và ".join(_party_label(p.name) for p in agreement.parties)
    # One statement per sentence of the document, so each cites the passage that holds its facts.
    by_sentence: dict[tuple[int, int], list[str]] = {}
    for clause, start, end in clauses:
        by_sentence.setdefault(sentence_around(text, start, end), []).append(clause)
    statements = []
    for (start, end), said in by_sentence.items():
        verb = "" if said[0].startswith("được") else "có "
        statements.append(
            Statement(f"Thỏa thuận giữa {parties} {verb}{', '.join(said)}", profile.doc_id, start, end)
        )
    if "signed" in analysis.attributes:
        # The text contradicts itself: the official sees both dates, each with its passage.
        for other in agreement.other_dates:
            start, end = sentence_around(text, other.span.start, other.span.end)
            note = f"Lưu ý: tài liệu cũng ghi ngày ký khác, {format_date(other)}"
            statements.append(Statement(note, profile.doc_id, start, end))
    return ProfileAnswer(tuple(statements))


def _party_label(name: str) -> str:
    """ "Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT)" -> "VNPT": the defined acronym is what officials use."""
    acronym = re.search(r"\(([A-ZĐ][A-ZĐ0-9&-]{1,11})\)\s*$", name)
    return acronym.group(1) if acronym else name


def _catalogue(
    folded: str,
    scoped: Sequence[DocumentProfile],
    document_text: dict[str, str],
    asked_words: set[str],
    asked_places: set[str],
) -> ProfileAnswer | None:
    # Statutes and regulations mention contracts ("ký kết hợp đồng"); they are not agreements to list.
    rows = [(p, a) for p in scoped if p.kind in ("agreement", "news") for a in p.agreements]
    if not rows:
        return None
    excluded = _EXCEPT.search(folded)
    if excluded and excluded.group(1) in ("huyen", "xa"):
        rows = [(p, a) for p, a in rows if a.level != "local"]
    wants_local = _LOCAL_NOUN.search(folded) and not excluded
    wants_province = _PROVINCE_NOUN.search(folded) and not wants_local
    if wants_local:
        rows = [(p, a) for p, a in rows if a.level == "local"]
    elif wants_province:
        rows = [(p, a) for p, a in rows if a.level == "province"]
    until = _UNTIL_YEAR.search(folded)
    if until:
        year = int(until.group(1))
        rows = [
            (p, a)
            for p, a in rows
            if (a.period and a.period.end == year) or (a.horizon and a.horizon.year == year)
        ]
    if not rows:
        return None
    dated = [(p, a) for p, a in rows if a.signed]
    if _EARLIEST.search(folded) or _LATEST.search(folded):
        if not dated:
            return None
        pick = min if _EARLIEST.search(folded) else max
        profile, agreement = pick(dated, key=lambda r: r[1].signed.value if r[1].signed else "")
        which = "sớm nhất" if pick is min else "gần đây nhất"
        lead = f"Thỏa thuận được ký {which} trong tài liệu là thỏa thuận giữa "
        return ProfileAnswer((_catalogue_statement(profile, agreement, document_text, lead, set(), set()),))
    rows.sort(key=lambda r: r[1].signed.value if r[1].signed else "9999")
    statements = tuple(
        _catalogue_statement(p, a, document_text, "", asked_words, asked_places) for p, a in rows
    )
    counted = _COUNT.search(folded) is not None
    lead = f"Tài liệu ghi nhận {len(rows)} thỏa thuận:" if counted else "Các thỏa thuận trong tài liệu:"
    return ProfileAnswer(statements, as_list=True, lead=lead)


def _people_who(
    verb: str, scoped: Sequence[DocumentProfile], document_text: dict[str, str]
) -> ProfileAnswer | None:
    """Each person of the documents whose sentence says they did what was asked ("phát biểu": any verb of
    speech, since a speaker is written "cho biết", "nhấn mạnh", "khẳng định" as often), once, with the title
    the text gives them."""
    speech = _SPEECH.match(verb) is not None
    statements: list[Statement] = []
    seen: set[str] = set()
    for profile in scoped:
        text = document_text[profile.doc_id]
        for person in profile.people:
            key = " ".join(fold(w) for w in _WORD.findall(person.name))
            if key in seen:
                continue
            start, end = sentence_around(text, person.span.start, person.span.end)
            sentence = fold(text[start:end])
            if not (_SPEECH.search(sentence) if speech else re.search(rf"\b{re.escape(verb)}\b", sentence)):
                continue
            seen.add(key)
            title = person.title or next(
                (
                    p.title
                    for p in profile.people
                    if p.title and " ".join(fold(w) for w in _WORD.findall(p.name)) == key
                ),
                None,
            )
            said = f"{_honorific(person) or ''}{person.name}" + (f", {title}" if title else "")
            statements.append(Statement(said, profile.doc_id, start, end))
    if not statements:
        return None
    return ProfileAnswer(tuple(statements), as_list=True, lead="Trong tài liệu:")


def _catalogue_statement(
    profile: DocumentProfile,
    agreement: Agreement,
    document_text: dict[str, str],
    lead: str,
    asked_words: set[str],
    asked_places: set[str],
) -> Statement:
    """One agreement: its parties (those the question itself names, "VNPT", "phường An Khánh", left out of a
    list row), when it was signed and its period when the cited sentence states them."""
    gazetteer = Gazetteer.default()
    labelled: list[tuple[str, bool]] = []
    for party in sorted(agreement.parties, key=lambda p: p.place is None):
        label = (
            gazetteer.province(party.place).label
            if party.place is not None and party.key == party.place
            else _party_label(party.name)
        )
        asked = party.key in asked_places or {fold(w) for w in _WORD.findall(label)} <= asked_words
        labelled.append((label, asked))
    shown = [n for n, asked in labelled if not asked] if not lead else []
    names = shown or [n for n, _ in labelled]
    body = f"{lead}{' và '.join(names)}" if lead else " – ".join(names)
    text = document_text[profile.doc_id]
    anchor = agreement.signed.span if agreement.signed else agreement.span
    start, end = sentence_around(text, anchor.start, anchor.end)
    if agreement.signed:
        body += f", ký {format_date(agreement.signed)}"
    if agreement.period and start <= agreement.period.span.start < end:
        body += f", giai đoạn {agreement.period.start}–{agreement.period.end}"
    return Statement(body, profile.doc_id, start, end)
