"""Units inside a document: what a citation points to, and what a question's conditions select.

Legal texts are split into articles ("Điều 5."), clauses ("1. …", khoản) and points ("a) …", điểm): a point
belongs to the clause above it, and the clause's lead sentence ("Phạm tội thuộc một trong các trường hợp sau
đây, thì bị phạt tù từ 01 năm đến 05 năm:") is what a point's condition means. Prose is split into
paragraphs; lines of a regulation that are neither clauses nor points are items. Every unit is tagged with the
pillars (hạ tầng số, chính quyền số, kinh tế số, xã hội số) it is about: the ones its opening names ("Về kinh
tế số, …", "Hợp tác phát triển xã hội số: …"), else the only one it mentions; a passage listing several
("4 trụ cột: hạ tầng số, chính quyền số, …") is about none in particular.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.vietnamese import fold
from troly.records import PILLARS, Pillar, Unit, UnitKind

_ARTICLE = re.compile(r"(?:Điều|ĐIỀU)\s+(\d+[a-zđ]?)\s*[.:]")
_CLAUSE = re.compile(r"(\d{1,2})\.\s+(?=\S)")
_POINT = re.compile(r"([a-zđ])\)\s+(?=\S)")
_LINE = re.compile(r"[^\n]+")

# Folded phrases naming each pillar; the first is its own name.
PILLAR_PHRASES: dict[Pillar, tuple[str, ...]] = {
    "hạ tầng số": (
        "ha tang so",
        "ha tang va nen tang so",
        "ha tang vt-cntt",
        "ha tang vt cntt",
        "ha tang vien thong",
        "ha tang cong nghe thong tin",
        "ha tang cntt",
        "ha tang thong tin",
        "ha tang dien toan",
        "ha tang mang",
        "ha tang 4g",
    ),
    "chính quyền số": ("chinh quyen so", "chinh phu so", "chinh quyen dien tu", "chinh phu dien tu"),
    "kinh tế số": ("kinh te so",),
    "xã hội số": ("xa hoi so",),
}
_PILLAR_PATTERN = re.compile(
    "|".join(
        rf"(?P<p{i}>\b(?:{'|'.join(re.escape(p) for p in phrases)})\b)"
        for i, phrases in enumerate(PILLAR_PHRASES.values())
    )
)
# The opening of a passage about one topic: "Về hạ tầng số, …", "Trong chính quyền số, …", "Hợp tác phát triển
# kinh tế số: …", "Đối với xã hội số, …", "Trong lĩnh vực kinh tế số, …".
_TOPIC_LEAD = re.compile(
    r"^\W*(?:\d+\.\s*|[a-zđ]\)\s*)?(?:ve|trong|doi voi|voi|hop tac|linh vuc|tru cot|o|phat trien|xay dung)\b"
)
_LEAD_CHARS = 60


def pillars_of(text: str) -> list[Pillar]:
    """The pillars a passage is about (see the module docstring)."""
    folded = fold(text)
    found: list[tuple[int, Pillar]] = []
    for match in _PILLAR_PATTERN.finditer(folded):
        index = next(i for i in range(len(PILLARS)) if match.group(f"p{i}"))
        found.append((match.start(), PILLARS[index]))
    if not found:
        return []
    if _TOPIC_LEAD.match(folded):
        lead = [p for start, p in found if start < _LEAD_CHARS]
        if lead:
            return list(dict.fromkeys(lead))
    distinct = list(dict.fromkeys(p for _, p in found))
    return distinct if len(distinct) == 1 else []


def mentioned_pillars(text: str) -> list[Pillar]:
    """Every pillar a text names, in order (for a question: "về kinh tế số" -> ["kinh tế số"])."""
    folded = fold(text)
    found: list[Pillar] = []
    for match in _PILLAR_PATTERN.finditer(folded):
        index = next(i for i in range(len(PILLARS)) if match.group(f"p{i}"))
        if PILLARS[index] not in found:
            found.append(PILLARS[index])
    return found


@dataclass
class _Open:
    kind: UnitKind
    label: str
    start: int
    end: int
    parent: int | None


def split_units(doc_id: str, text: str) -> list[Unit]:
    """The document's units, outermost first, each with its offsets into `text`."""
    lines = [(m.start(), m.end()) for m in _LINE.finditer(text) if m.group(0).strip()]
    legal = _is_legal(text, lines)
    opened: list[_Open] = []
    article: int | None = None
    clause: int | None = None
    point: int | None = None
    paragraph_no = 0
    for start, end in lines:
        line = text[start:end]
        stripped_start = start + len(line) - len(line.lstrip())
        body = text[stripped_start:end]
        if legal and (m := _ARTICLE.match(body)):
            opened.append(_Open("article", f"Điều {m.group(1)}", stripped_start, end, None))
            article, clause, point = len(opened) - 1, None, None
        elif legal and (m := _CLAUSE.match(body)):
            opened.append(_Open("clause", f"khoản {m.group(1)}", stripped_start, end, article))
            clause, point = len(opened) - 1, None
        elif legal and clause is not None and (m := _POINT.match(body)):
            opened.append(_Open("point", f"điểm {m.group(1)}", stripped_start, end, clause))
            point = len(opened) - 1
        elif legal and (clause is not None or article is not None):
            # A line under a clause or point continues it; under an article only, it is an item of the article.
            if point is not None:
                opened[point].end = end
            elif clause is not None:
                opened[clause].end = end
            else:
                paragraph_no += 1
                opened.append(_Open("item", f"ý {paragraph_no}", stripped_start, end, article))
        else:
            paragraph_no += 1
            opened.append(_Open("paragraph", f"đoạn {paragraph_no}", stripped_start, end, None))
            point = clause = None
        for index in (point, clause, article):
            if index is not None:
                opened[index].end = max(opened[index].end, end)
    ids = [f"{doc_id}@{o.start}" for o in opened]
    return [
        Unit(
            id=ids[i],
            kind=o.kind,
            label=o.label,
            start=o.start,
            end=o.end,
            parent=None if o.parent is None else ids[o.parent],
            pillars=pillars_of(text[o.start : o.end]),
        )
        for i, o in enumerate(opened)
    ]


def _is_legal(text: str, lines: list[tuple[int, int]]) -> bool:
    """Articles, or at least two numbered clauses at line starts: the shape of a statute or regulation."""
    clauses = 0
    for start, end in lines:
        body = text[start:end].lstrip()
        if _ARTICLE.match(body):
            return True
        if _CLAUSE.match(body):
            clauses += 1
    return clauses >= 2


def label_path(units: list[Unit], unit: Unit) -> str:
    """'Điều 6, khoản 2, điểm a' (outermost first); a paragraph is labelled on its own."""
    by_id = {u.id: u for u in units}
    parts = [unit.label]
    parent = unit.parent
    while parent is not None and parent in by_id:
        parts.append(by_id[parent].label)
        parent = by_id[parent].parent
    return ", ".join(reversed(parts))
