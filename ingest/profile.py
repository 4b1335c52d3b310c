"""Document profiles: who and what a document is about, made from its text at ingest.

A profile holds the places a document names (provinces from the gazetteer, and places below them by prefix),
the people with the titles the text gives them, the agreements it reports (parties, signing date and place,
period "giai đoạn 2025 - 2030", horizon "định hướng đến năm 2035"), its units (clauses, points, paragraphs,
each tagged with pillars), its kind and its subjects: an agreement's parties, a news article's main places, a
statute article's title, a regulation's name. Every field keeps the offsets of the text it came from.

Profiling never fails an ingest: a text it cannot read yields an emptier profile and a note in `problems`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Iterable
from typing import Literal

from ingest.chunk import sentence_spans
from ingest.gazetteer import Gazetteer, LocalPlace, PlaceMatch, local_places
from ingest.people import ORG_HEAD, find_people, find_titles, organisation_end
from ingest.units import mentioned_pillars, split_units
from ingest.vietnamese import fold
from troly.records import (
    Agreement,
    DateValue,
    Document,
    DocumentKind,
    DocumentProfile,
    Party,
    PersonRef,
    PlaceRef,
    Subject,
    TextSpan,
    Unit,
    YearRange,
    YearValue,
)

log = logging.getLogger(__name__)

PROFILE_VERSION = 2
"""Raise when profiling changes what a document's profile holds: stored profiles are then made again."""

# Folded: a sentence that reports a signing ("ký kết thỏa thuận", "ký thỏa thuận hợp tác", "ký kết hợp tác").
_SIGNING = re.compile(
    r"\b(?:ky ket|ki ket|ky|ki)\b(?:\s+\w+){0,4}?\s+(?:thoa thuan|hop tac|ghi nho|hop dong)\b"
    r"|\b(?:thoa thuan|ghi nho|hop dong)\b(?:\s+\w+){0,12}?\s+(?:duoc\s+)?(?:ky ket|ki ket|ky)\s+(?:ngay|vao|tai)\b"
)
_PERIOD = re.compile(r"\bgiai doan\s+(?:tu\s+)?(?:nam\s+)?(\d{4})\s*(?:[-–—]|den|toi)\s*(?:nam\s+)?(\d{4})\b")
_HORIZON = re.compile(r"\b(?:dinh huong|tam nhin|huong)\s+(?:den|toi)\s+(?:nam\s+)?(\d{4})\b")
# Folded dates: 19/09/2015, 29.10, 9-9, 6/2018, "ngày 6 tháng 9 năm 2022"; years alone only in "(2016)".
_DATE = re.compile(
    r"(?<![\w/.-])(?:ngay\s+)?(\d{1,2})\s*(?:[/.-]|\s+thang\s+)(\d{1,2})(?:\s*(?:[/.-]|\s+nam\s+)(\d{4}))?(?![\w/-]|\.\d)"
)
_MONTH_YEAR = re.compile(r"(?<![\w/.-])(?:thang\s+)?(\d{1,2})[/-](\d{4})(?![\w/-])")
_PAREN_YEAR = re.compile(r"\((\d{4})\)")
_PLACE_LEAD = re.compile(r"\btai\s+")
# Where a list of counterparts starts: "ký kết hợp tác với UBND các huyện như Thiệu Hóa (27/10/2017), …".
_LIST_ITEM = re.compile(r"([^,()]+?)\s*\((\d{1,2}/\d{1,2}/\d{4}|\d{1,2}/\d{4}|\d{4})\)")
_LIST_INTRO = re.compile(r"\b(?:voi|nhu)\s+")
_ACRONYM_IN_PARENS = re.compile(r"\(([A-ZĐ][A-ZĐ0-9&-]{1,11})\)")
_BRAND = re.compile(r"(?<!\w)(?:Tập đoàn|Tổng công ty|Công ty|Ngân hàng)\s+([A-ZĐ][A-ZĐ0-9]{2,11})(?!\w)")
_ACRONYM = re.compile(r"\b[A-ZĐ][A-ZĐ0-9]{2,11}\b")
_REGULATION_TITLE = re.compile(r"^(?:quy dinh|quy che|thong tu|nghi dinh|quyet dinh|huong dan)\b")
_PROCEDURE_TITLE = re.compile(r"\b(?:thu tuc|dang ky|cap lai|cap doi|chung thuc|ho so)\b")
_PROCEDURE_TEXT = re.compile(r"\b(?:thanh phan ho so|ho so gom|trinh tu thuc hien|noi nop ho so|le phi)\b")
# A subject place of a news text: at least this share of its province mentions, and twice.
_MAIN_PLACE_SHARE = 0.4


def text_sha256(document: Document) -> str:
    return hashlib.sha256(document.text.encode("utf-8")).hexdigest()


def profile_is_current(profile: DocumentProfile, document: Document) -> bool:
    """Whether a stored profile was made by this code from this text (else it is made again)."""
    return profile.version == PROFILE_VERSION and profile.text_sha256 == text_sha256(document)


def build_profile(document: Document) -> DocumentProfile:
    """The profile of one document; never raises (a failure leaves a note in `problems`)."""
    digest = text_sha256(document)
    try:
        return _build(document).model_copy(update={"version": PROFILE_VERSION, "text_sha256": digest})
    except Exception as exc:  # a profile is an aid: one odd text must not fail its ingest
        log.warning("profile of %s failed: %s", document.id, exc, exc_info=True)
        problem = f"không lập được hồ sơ tài liệu: {type(exc).__name__}"
        return DocumentProfile(
            doc_id=document.id, version=PROFILE_VERSION, text_sha256=digest, problems=[problem]
        )


def _build(document: Document) -> DocumentProfile:
    text = document.text
    gazetteer = Gazetteer.default()
    provinces = gazetteer.find(text)
    locals_ = local_places(text)
    places = [_province_ref(m, gazetteer) for m in provinces] + [_local_ref(p) for p in locals_]
    places.sort(key=lambda p: p.span.start)
    people = [
        PersonRef(
            name=p.name,
            role=p.title.role if p.title else None,
            organisation=(p.title.organisation or None) if p.title else None,
            span=_span(text, p.start, p.end),
        )
        for p in find_people(text)
    ]
    units = split_units(document.id, text)
    problems: list[str] = []
    legal = any(u.kind in ("article", "clause") for u in units)
    # A statute's "ký kết hợp đồng" is a rule about contracts, not an agreement the text reports.
    agreements = [] if legal else _merge_agreements(_agreements(document, provinces, locals_), problems)
    kind = _kind(document, units, agreements)
    subjects = _subjects(document, kind, agreements, provinces, gazetteer)
    return DocumentProfile(
        doc_id=document.id,
        kind=kind,
        subjects=subjects,
        places=places,
        people=people,
        agreements=agreements,
        pillars=mentioned_pillars(text),
        units=units,
        problems=problems,
    )


def _span(text: str, start: int, end: int) -> TextSpan:
    return TextSpan(start=start, end=end, text=text[start:end])


def _province_ref(match: PlaceMatch, gazetteer: Gazetteer) -> PlaceRef:
    province = gazetteer.province(match.key)
    return PlaceRef(
        key=match.key,
        name=province.name,
        level=province.kind,
        span=TextSpan(start=match.start, end=match.end, text=match.text),
    )


def _local_ref(place: LocalPlace) -> PlaceRef:
    return PlaceRef(
        key=place.key,
        name=place.name,
        level=place.level,
        span=TextSpan(start=place.start, end=place.end, text=place.text),
    )


# -- agreements ---------------------------------------------------------------------------------------------


def _sentences(text: str) -> Iterable[tuple[int, int]]:
    for paragraph in re.finditer(r"[^\n]+", text):
        yield from sentence_spans(text, paragraph.start(), paragraph.end())


def _agreements(
    document: Document, provinces: list[PlaceMatch], locals_: list[LocalPlace]
) -> list[Agreement]:
    text = document.text
    folded = fold(text)
    year = int(document.date[:4]) if document.date else None
    acronyms = defined_acronyms(text)
    found: list[Agreement] = []
    for start, end in _sentences(text):
        signing = _SIGNING.search(folded, start, end)
        if signing is None:
            continue
        listed = _listed_agreements(text, folded, start, end, signing.end(), provinces, locals_, acronyms)
        if listed:
            found.extend(listed)
            continue
        parties = _parties(text, start, end, provinces, locals_, acronyms)
        if len(parties) < 2:
            continue
        period = _PERIOD.search(folded, start, end)
        horizon = _HORIZON.search(folded, start, end)
        place = _signing_place(text, folded, start, end)
        found.append(
            Agreement(
                parties=parties,
                level=_level(parties),
                signed=_signing_date(text, folded, start, end, year, period),
                place=place,
                period=None
                if period is None
                else YearRange(
                    start=int(period.group(1)), end=int(period.group(2)), span=_span(text, *period.span())
                ),
                horizon=None
                if horizon is None
                else YearValue(year=int(horizon.group(1)), span=_span(text, *horizon.span())),
                span=_span(text, start, end),
            )
        )
    return found


def _parties(
    text: str,
    start: int,
    end: int,
    provinces: list[PlaceMatch],
    locals_: list[LocalPlace],
    acronyms: set[str],
) -> list[Party]:
    """Organisations named in a signing sentence ("UBND tỉnh Quảng Trị và Tập đoàn … (VNPT)"), after "giữa"
    when the sentence has it; an organisation inside a person's title ("ông …, Chủ tịch Hội đồng thành viên
    Tập đoàn VNPT") is not a party, and an acronym is one only when the document defines it for an
    organisation ("Tập đoàn … (VNPT)") rather than a subject ("VT-CNTT")."""
    parties: list[Party] = []
    folded = fold(text)
    between = folded.find(" giua ", start, end)
    titles = [(t.start, t.end) for t in find_titles(text[start:end])]
    for head in ORG_HEAD.finditer(text, start if between < 0 else between, end):
        at = head.start()
        if any(p.span.start <= at < p.span.end for p in parties) or any(
            a <= at - start < b for a, b in titles
        ):
            continue
        word = head.group(0)
        is_acronym = word.isupper() and len(word) > 1 and word != "UBND"
        if is_acronym and (
            word not in acronyms
            or text[at - 1 : at] in ("(", "-")
            or text[head.end() : head.end() + 1] == "-"
        ):
            continue
        org_end = organisation_end(text, at, folded)
        if org_end <= at:
            continue
        acronym = _ACRONYM_IN_PARENS.match(text, _skip_spaces(text, org_end))
        if acronym is not None:
            org_end = acronym.end()
        org_end = min(org_end, end)
        party = _party(text[at:org_end], at, org_end, text, provinces, locals_, acronyms)
        if party is not None and party.key not in {p.key for p in parties}:
            parties.append(party)
    return parties


def defined_acronyms(text: str) -> set[str]:
    """Acronyms the text defines for an organisation: "Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT)"."""
    found = set()
    for match in _ACRONYM_IN_PARENS.finditer(text):
        before = text[max(0, match.start() - 120) : match.start()]
        if ORG_HEAD.search(before):
            found.add(match.group(1))
    # "Tập đoàn VNPT", "Công ty FPT": an acronym written as the name of an organisation.
    for match in _BRAND.finditer(text):
        found.add(match.group(1))
    return found


def _skip_spaces(text: str, at: int) -> int:
    while at < len(text) and text[at] == " ":
        at += 1
    return at


def _party(
    name: str,
    start: int,
    end: int,
    text: str,
    provinces: list[PlaceMatch],
    locals_: list[LocalPlace],
    acronyms: set[str],
) -> Party | None:
    inside = [p for p in provinces if start <= p.start < end]
    local = next((p for p in locals_ if start <= p.start < end), None)
    span = _span(text, start, end)
    place = inside[0].key if inside else None
    if fold(name).startswith(("ubnd", "uy ban")):
        if local is not None:
            return Party(name=name, key=local.key, place=place, span=span)
        if inside:
            return Party(name=name, key=inside[0].key, place=place, span=span)
        return None  # "UBND các huyện": a list, read by `_listed_agreements`
    brand = next((a for a in acronyms if re.search(rf"\b{re.escape(a)}\b", name)), None)
    if brand is not None:  # "VNPT Thanh Hóa" is VNPT's branch: the same party for the province's agreements
        return Party(name=name, key=brand.lower(), place=place, span=span)
    return Party(name=name, key="-".join(fold(name).split()), place=place, span=span)


def _level(parties: list[Party]) -> Literal["province", "local", "organisation"]:
    if any(p.key.startswith(("district:", "commune:")) for p in parties):
        return "local"
    if any(p.place is not None and p.key == p.place for p in parties):
        return "province"
    return "organisation"


def _signing_place(text: str, folded: str, start: int, end: int) -> TextSpan | None:
    """ "tại P.Đồng Hới", "tại phường Hòa Phú", "tại UBND TP Cần Thơ": the place after "tại" in the signing
    sentence."""
    for lead in _PLACE_LEAD.finditer(folded, start, end):
        at = lead.end()
        local = next((p for p in local_places(text[at : min(end, at + 60)]) if p.start == 0), None)
        if local is not None:
            return _span(text, at, at + local.end)
        if at >= end or not text[at].isupper():
            continue
        place_end = min(organisation_end(text, at, folded), end)
        if place_end > at:
            return _span(text, at, place_end)
    return None


def _signing_date(
    text: str, folded: str, start: int, end: int, year: int | None, period: re.Match[str] | None
) -> DateValue | None:
    for match in _DATE.finditer(folded, start, end):
        if period is not None and period.start() <= match.start() < period.end():
            continue
        day, month = int(match.group(1)), int(match.group(2))
        if not (1 <= day <= 31 and 1 <= month <= 12):
            continue
        if match.group(3):
            return DateValue(
                value=f"{int(match.group(3)):04d}-{month:02d}-{day:02d}", span=_span(text, *match.span())
            )
        if year is not None:
            return DateValue(
                value=f"{year:04d}-{month:02d}-{day:02d}", span=_span(text, *match.span()), inferred_year=True
            )
    return None


def _listed_agreements(
    text: str,
    folded: str,
    start: int,
    end: int,
    after: int,
    provinces: list[PlaceMatch],
    locals_: list[LocalPlace],
    acronyms: set[str],
) -> list[Agreement]:
    """Counterparts listed with dates after the signing: "ký kết hợp tác với UBND các huyện như Thiệu Hóa
    (27/10/2017), Cẩm Thủy (6/2018), …" and "… với Cục thuế Thanh Hóa (2016), Sở Giáo dục và Đào tạo (18/05/2018)"."""
    intro = _LIST_INTRO.search(folded, after, end)
    if intro is None:
        return []
    signer = _signer(text, start, after, provinces, locals_, acronyms)
    if signer is None:
        return []
    head = folded[intro.start() : intro.start() + 40]
    level_word = next(
        (w for w in ("huyen", "xa", "phuong", "quan", "thi xa") if f" {w} " in f" {head} "), None
    )
    at = f" {head} ".find(f" {level_word} ") if level_word else -1
    written_level = text[intro.start() + at : intro.start() + at + len(level_word)] if level_word else ""
    found = []
    for item in _LIST_ITEM.finditer(text, intro.end(), end):
        raw = item.group(1)
        lead = len(raw) - len(raw.lstrip())
        name_start = item.start(1) + lead
        name = text[name_start : item.end(1)]
        name_folded = fold(name)
        # The first item follows "như"/"với" ("UBND các huyện như Thiệu Hóa"); the last may follow "và".
        cut = max(name_folded.rfind("nhu "), name_folded.rfind("voi "))
        if cut >= 0 and (cut == 0 or name_folded[cut - 1] == " "):
            name_start += cut + 4
        elif name_folded.startswith("va "):
            name_start += 3
        name = text[name_start : item.end(1)]
        name_folded = fold(name)
        words = name.split()
        if not words or not (words[0][0].isupper() or (len(words) > 1 and words[1][0].isupper())):
            continue
        if level_word is not None and not name_folded.startswith(level_word) and not ORG_HEAD.match(name):
            key = f"{'district' if level_word in ('huyen', 'quan', 'thi xa') else 'commune'}:{'-'.join(name_folded.split())}"
        else:
            key = "-".join(name_folded.split())
        written = f"UBND {written_level} {name}" if key.startswith(("district:", "commune:")) else name
        party = Party(name=written, key=key, place=None, span=_span(text, name_start, item.end(1)))
        found.append(
            Agreement(
                parties=[signer, party],
                level="local" if key.startswith(("district:", "commune:")) else "organisation",
                signed=_listed_date(item.group(2), text, item.start(2), item.end(2)),
                span=_span(text, start, end),
            )
        )
    return found


def _signer(
    text: str,
    start: int,
    before: int,
    provinces: list[PlaceMatch],
    locals_: list[LocalPlace],
    acronyms: set[str],
) -> Party | None:
    """The party that signs with every listed counterpart: the organisation before the signing verb."""
    parties = _parties(text, start, before, provinces, locals_, acronyms)
    return parties[0] if parties else None


def _listed_date(raw: str, text: str, start: int, end: int) -> DateValue:
    parts = [int(p) for p in raw.split("/")]
    span = _span(text, start, end)
    if len(parts) == 3:
        return DateValue(value=f"{parts[2]:04d}-{parts[1]:02d}-{parts[0]:02d}", span=span)
    if len(parts) == 2:
        return DateValue(value=f"{parts[1]:04d}-{parts[0]:02d}", span=span)
    return DateValue(value=f"{parts[0]:04d}", span=span)


def _merge_agreements(agreements: list[Agreement], problems: list[str]) -> list[Agreement]:
    """One entry per set of parties; a field missing in one mention is taken from another; two different
    signing dates are both a problem to report and a reason to keep the first, stated one."""
    merged: dict[frozenset[str], Agreement] = {}
    for agreement in agreements:
        key = frozenset(agreement.party_keys())
        known = merged.get(key)
        if known is None:
            merged[key] = agreement
            continue
        others = list(known.other_dates)
        if known.signed and agreement.signed and known.signed.value != agreement.signed.value:
            names = " và ".join(p.name for p in known.parties)
            problems.append(
                f"thỏa thuận giữa {names} có hai ngày ký khác nhau: "
                f"{known.signed.span.text} và {agreement.signed.span.text}"
            )
            others.append(agreement.signed)
        merged[key] = known.model_copy(
            update={
                "other_dates": others,
                "signed": known.signed or agreement.signed,
                "place": known.place or agreement.place,
                "period": known.period or agreement.period,
                "horizon": known.horizon or agreement.horizon,
            }
        )
    return list(merged.values())


# -- kind and subjects --------------------------------------------------------------------------------------


def _kind(document: Document, units: list[Unit], agreements: list[Agreement]) -> DocumentKind:
    title = fold(document.title)
    if _REGULATION_TITLE.match(title):
        return "regulation"
    if any(u.kind in ("article", "clause") for u in units):
        return "regulation" if any(u.kind == "article" for u in units) else "statute"
    if agreements:
        return "agreement"
    if _PROCEDURE_TITLE.search(title) or _PROCEDURE_TEXT.search(fold(document.text[:3000])):
        return "procedure"
    return "news"


def _subjects(
    document: Document,
    kind: DocumentKind,
    agreements: list[Agreement],
    provinces: list[PlaceMatch],
    gazetteer: Gazetteer,
) -> list[Subject]:
    text = document.text
    subjects: dict[str, Subject] = {}

    def add(subject: Subject) -> None:
        subjects.setdefault(subject.key, subject)

    main = next((a for a in agreements if a.level == "province"), None) or next(iter(agreements), None)
    if main is not None:
        for party in main.parties:
            if party.place is not None and party.key == party.place:  # "UBND tỉnh X" stands for province X
                add(
                    Subject(
                        key=party.place,
                        name=gazetteer.province(party.place).name,
                        kind="place",
                        span=party.span,
                    )
                )
            else:
                add(Subject(key=party.key, name=party.name, kind="organisation", span=party.span))
    counts = Counter(m.key for m in provinces)
    total = sum(counts.values())
    title_places = {m.key for m in gazetteer.find(document.title)}
    for key, count in counts.most_common():
        if key in title_places or (count >= 2 and count >= _MAIN_PLACE_SHARE * total):
            first = next(m for m in provinces if m.key == key)
            add(
                Subject(
                    key=key,
                    name=gazetteer.province(key).name,
                    kind="place",
                    span=TextSpan(start=first.start, end=first.end, text=first.text),
                )
            )
    if kind in ("statute", "regulation") and document.title:
        title_at = text.find(document.title)
        span = _span(text, title_at, title_at + len(document.title)) if title_at >= 0 else None
        name = document.title.split(" — ")[0].strip()
        add(Subject(key="act:" + "-".join(fold(name).split())[:80], name=name, kind="act", span=span))
    return list(subjects.values())
