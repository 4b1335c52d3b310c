"""People named in a text, with the title and organisation the text gives each.

Vietnamese news writes a person and their title in a few fixed shapes:
- "ông Tô Dũng Thái, Chủ tịch Hội đồng thành viên Tập đoàn VNPT" (honorific, name, comma or dash, title);
- "Chủ tịch Hội đồng thành viên VNPT - ông Tô Dũng Thái" (title, dash, honorific, name);
- "Chủ tịch UBND TP Cần Thơ Trần Văn Lâu" (title, organisation and name in one capitalised run: the name is
  the longest tail of two to four words that starts with a Vietnamese family name).
A title is a role ("Phó chủ tịch", "Giám đốc") and the organisation after it, up to punctuation, a verb or
another title. Names are compared accent-folded ("Tran Van Lau" is "Trần Văn Lâu"); a role is compared
whole, so "Phó chủ tịch" is never "Chủ tịch".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.gazetteer import Gazetteer
from ingest.vietnamese import fold

# Longest first: "phó chủ tịch" must win over "chủ tịch".
ROLES = tuple(
    sorted(
        (
            "chủ tịch",
            "phó chủ tịch",
            "phó chủ tịch thường trực",
            "bí thư",
            "phó bí thư",
            "phó bí thư thường trực",
            "giám đốc",
            "phó giám đốc",
            "tổng giám đốc",
            "phó tổng giám đốc",
            "bộ trưởng",
            "thứ trưởng",
            "thủ tướng",
            "phó thủ tướng",
            "chánh văn phòng",
            "phó chánh văn phòng",
            "chánh án",
            "viện trưởng",
            "hiệu trưởng",
            "phó hiệu trưởng",
            "trưởng ban",
            "phó trưởng ban",
            "trưởng phòng",
            "phó trưởng phòng",
            "cục trưởng",
            "phó cục trưởng",
            "vụ trưởng",
            "chủ nhiệm",
            "tổng biên tập",
            "tổng thư ký",
            "trưởng đoàn",
            "đại diện",
        ),
        key=len,
        reverse=True,
    )
)
FAMILY_NAMES = frozenset(
    fold(n)
    for n in [
        "Nguyễn",
        "Trần",
        "Lê",
        "Phạm",
        "Hoàng",
        "Huỳnh",
        "Phan",
        "Vũ",
        "Võ",
        "Đặng",
        "Bùi",
        "Đỗ",
        "Hồ",
        "Ngô",
        "Dương",
        "Lý",
        "Tô",
        "Đinh",
        "Lâm",
        "Trương",
        "Hà",
        "Mai",
        "Đào",
        "Cao",
        "Lương",
        "Vương",
        "Trịnh",
        "Đoàn",
        "Tạ",
        "Lưu",
        "Thái",
        "Châu",
        "La",
        "Phùng",
        "Kiều",
        "Tăng",
        "Quách",
        "Đàm",
        "Chu",
        "Hứa",
        "Khúc",
        "Lại",
        "Mạc",
        "Nông",
        "Triệu",
        "Thân",
        "Tôn",
        "Từ",
        "Giang",
        "Kha",
        "Âu",
        "Diệp",
        "Lục",
        "Khổng",
        "Hầu",
        "Thạch",
        "Lò",
        "Bế",
        "Ninh",
        "Quan",
        "Cù",
        "Doãn",
        "Tống",
        "Trình",
        "Mạch",
        "Nghiêm",
        "Vi",
        "Viên",
        "Ứng",
        "Bạch",
        "Tiêu",
        "Kim",
        "Lã",
        "Sầm",
        "Hoa",
        "Văn",
    ]
)
_HONORIFIC = re.compile(r"(?<!\w)(?:[Ôô]ng|[Bb]à)\s+(?=[A-ZĐ\u00c0-\u1ef8])")
_ROLE = re.compile(
    r"(?<!\w)(?:" + "|".join(re.escape(fold(r)).replace(r"\ ", r"\s+") for r in ROLES) + r")(?!\w)"
)
_WORD = re.compile(r"\w+")
# Words that end an organisation: verbs and prepositions that follow a title in news prose. Compared with
# their diacritics ("thì" ends one, "Thị" in a name does not).
_ORG_STOP = re.compile(
    r"(?:cho biết|khẳng định|phát biểu|bắt tay|nhấn mạnh|đánh giá|xác nhận|nhận định|đưa ra|chủ trì|ký kết"
    r"|trao tặng|hiến kế|cam kết|mong muốn|đề nghị|chia sẻ|giới thiệu|yêu cầu|tham dự|cho|cũng|đã|sẽ|nói"
    r"|tại|về|trong|với|là|được|đang|vừa|luôn|khi|sau|trước|theo|này|ấy|đó|đến|thì|thấy|thăm)(?!\w)"
)
_SPACES = re.compile(r" *")
# Words that open an organisation's name ("UBND tỉnh …", "Tập đoàn …", "Sở …"); an acronym (VNPT) may too.
ORG_HEAD = re.compile(
    r"(?<!\w)(?:UBND|Ủy ban|Uỷ ban|Tập đoàn|Tổng công ty|Công ty|Sở|Bộ|Cục|Tổng cục|Trường|Đại học|Liên đoàn|"
    r"Hội đồng|Hiệp hội|Viện|Trung tâm|Ngân hàng|Tỉnh đoàn|tỉnh Đoàn|Thành đoàn|Ban|Đài|Báo|[A-ZĐ][A-ZĐ0-9]{2,11})(?!\w)"
)
_SEPARATOR = re.compile(r"\s*(?:,|[-–—])\s*")
_MAX_ORG_WORDS = 14


@dataclass(frozen=True)
class Title:
    role: str
    """As written: "Phó chủ tịch"."""
    organisation: str
    """As written: "UBND tỉnh Quảng Trị" (may be empty: "Giám đốc cho biết")."""
    start: int
    end: int

    @property
    def text(self) -> str:
        return f"{self.role} {self.organisation}".strip()


@dataclass(frozen=True)
class PersonMention:
    name: str
    title: Title | None
    start: int
    end: int
    """The span holding the name and, when given, the title."""


def role_key(role: str) -> str:
    return " ".join(fold(role).split())


def _capitalised(word: str) -> bool:
    return word[:1].isupper() or word[:1].isdigit()


def _abbreviation_dot(words: list[re.Match[str]], gap: str) -> bool:
    """ "UBND TP. Hồ Chí Minh": the dot after a short capitalised abbreviation does not end the name."""
    return (
        bool(words) and gap.strip() == "." and words[-1].group(0).isupper() and len(words[-1].group(0)) <= 3
    )


def organisation_end(text: str, start: int, folded: str | None = None) -> int:
    """Where an organisation written from `start` ends ("UBND tỉnh Quảng Trị| cho biết"): at punctuation, a
    verb or preposition, another title, or "và" that does not join two parts of one name; trailing
    lower-case words are not part of it. `start` itself when none is written there."""
    folded = fold(text) if folded is None else folded
    lowered = text.lower()
    words: list[re.Match[str]] = []
    for word in _WORD.finditer(text, start):
        gap = text[(words[-1].end() if words else start) : word.start()]
        if len(words) >= _MAX_ORG_WORDS or (gap.strip() and not _abbreviation_dot(words, gap)):
            break
        if not words and gap:
            break
        if _ORG_STOP.match(lowered, word.start()) or _ROLE.match(folded, word.start()):
            break
        if fold(word.group(0)) == "va":
            # "Sở Khoa học và Công nghệ" continues; "… và Chủ tịch …", "… và Tập đoàn …" start another.
            nxt = _WORD.search(text, word.end())
            if (
                nxt is None
                or not _capitalised(nxt.group(0))
                or _ROLE.match(folded, nxt.start())
                or ORG_HEAD.match(text, nxt.start())
            ):
                break
        words.append(word)
    while words and not _capitalised(words[-1].group(0)):
        words.pop()
    return words[-1].end() if words else start


def find_titles(text: str) -> list[Title]:
    """Every role in the text with the organisation written after it."""
    folded = fold(text)
    titles = []
    for match in _ROLE.finditer(folded):
        start, role_end = match.span()
        org_start = _SPACES.match(text, role_end).end()  # type: ignore[union-attr]
        end = organisation_end(text, org_start, folded)
        organisation = text[org_start:end] if end > org_start else ""
        titles.append(Title(text[start:role_end], organisation, start, max(end, role_end)))
    return titles


def _name_words(text: str, start: int) -> list[re.Match[str]]:
    """Up to four capitalised words from `start`, separated by single spaces."""
    words: list[re.Match[str]] = []
    for word in _WORD.finditer(text, start):
        if words and text[words[-1].end() : word.start()] != " ":
            break
        if not words and word.start() != start:
            break
        if not word.group(0)[0].isupper() or (word.group(0).isupper() and len(word.group(0)) > 1):
            break
        words.append(word)
        if len(words) == 4:
            break
    return words


def _split_name(title: Title, text: str) -> tuple[Title, str, int] | None:
    """A person's name at the end of a title's organisation ("UBND TP Cần Thơ Trần Văn Lâu"): the longest
    tail of 2-4 capitalised words starting with a family name that is not a place, the organisation being
    left non-empty."""
    words = list(_WORD.finditer(text, title.end - len(title.organisation), title.end))
    run_start = len(words)
    while run_start > 0 and words[run_start - 1].group(0)[0].isupper():
        if run_start < len(words) and text[words[run_start - 1].end() : words[run_start].start()] != " ":
            break
        run_start -= 1
    # A place written with its prefix ("TP. Hồ Chí Minh") is not a person, whatever family name it starts with.
    places = Gazetteer.default().find(text[title.start : title.end])
    for size in (4, 3, 2):
        first = len(words) - size
        if first < max(run_start, 1):
            continue
        tail = words[first:]
        if fold(tail[0].group(0)) not in FAMILY_NAMES or any(w.group(0).isupper() for w in tail):
            continue
        name = text[tail[0].start() : tail[-1].end()]
        at = tail[0].start() - title.start
        if any(p.start < at + len(name) and at < p.end for p in places):
            continue
        organisation = text[words[0].start() : words[first - 1].end()]
        return Title(title.role, organisation, title.start, words[first - 1].end()), name, tail[0].start()
    return None


def find_people(text: str) -> list[PersonMention]:
    """People of `text` with their titles, in order; a person named without a title has `title=None`."""
    titles = find_titles(text)
    people: list[PersonMention] = []
    used: set[int] = set()
    for match in _HONORIFIC.finditer(text):
        words = _name_words(text, match.end())
        if len(words) < 2:
            continue
        name_end = words[-1].end()
        name = text[match.end() : name_end]
        title = None
        after = _SEPARATOR.match(text, name_end)
        if after is not None:
            title = next((t for t in titles if t.start == after.end()), None)
        if title is None:  # "Chủ tịch ... VNPT - ông Tô Dũng Thái"
            title = next(
                (
                    t
                    for t in titles
                    if t.end <= match.start() and _SEPARATOR.fullmatch(text[t.end : match.start()])
                ),
                None,
            )
        if title is not None:
            used.add(title.start)
            span = (min(title.start, match.start()), max(title.end, name_end))
        else:
            span = (match.start(), name_end)
        people.append(PersonMention(name, title, *span))
    for title in titles:
        if title.start in used:
            continue
        split = _split_name(title, text)
        if split is not None:
            organisation, name, name_start = split
            people.append(PersonMention(name, organisation, title.start, name_start + len(name)))
    return sorted(people, key=lambda p: p.start)


def same_person(a: str, b: str) -> bool:
    return " ".join(fold(a).split()) == " ".join(fold(b).split())
