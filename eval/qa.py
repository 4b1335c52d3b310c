"""The QA input format (see EVAL-FORMAT.md): one JSON question a line, validated with clear errors."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from troly.errors import TrolyError


class QAFormatError(TrolyError):
    """The QA file is missing or a line does not follow the QA input format."""

    code = "qa_format"


class QAItem(BaseModel):
    # Unknown keys are ignored so that QA sets carrying extra annotations still load.
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    answers: list[str] = Field(default_factory=list)
    all_of: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    answerable: bool = True

    @field_validator("id", "question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("không được để trống")
        return value

    @field_validator("answers", "all_of", "sources")
    @classmethod
    def _no_blank_items(cls, values: list[str]) -> list[str]:
        if any(not v.strip() for v in values):
            raise ValueError("có phần tử rỗng")
        return values

    @model_validator(mode="after")
    def _gold_present(self) -> QAItem:
        if self.answerable and not (self.answers or self.all_of):
            raise ValueError("câu hỏi có đáp án (answerable) cần ít nhất một 'answers' hoặc 'all_of'")
        return self

    @property
    def unaccented(self) -> bool:
        """True when the question was typed without Vietnamese diacritics."""
        return not has_diacritics(self.question)


def has_diacritics(text: str) -> bool:
    """True when the text holds a Vietnamese letter with a diacritic (tone or vowel mark, or đ)."""
    for ch in unicodedata.normalize("NFD", text):
        if ch in "đĐ" or (unicodedata.combining(ch) and "\u0300" <= ch <= "\u036f"):
            return True
    return False


def parse_qa_line(line: str, *, where: str) -> QAItem:
    """One QA line; `where` names it ('file.jsonl:12') in the error message."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise QAFormatError(f"{where}: dòng không phải JSON hợp lệ ({exc.msg}, cột {exc.colno}).") from exc
    if not isinstance(data, dict):
        raise QAFormatError(f"{where}: mỗi dòng phải là một đối tượng JSON {{...}}.")
    try:
        return QAItem.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'dòng'}: {err['msg']}" for err in exc.errors()
        )
        raise QAFormatError(f"{where}: câu hỏi không hợp lệ: {problems}.") from exc


def load_qa(path: Path, *, limit: int | None = None) -> list[QAItem]:
    """All questions of a QA JSONL file (the first `limit` when given); ids must be unique."""
    if not path.is_file():
        raise QAFormatError(f"Không tìm thấy tệp câu hỏi: {path}")
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise QAFormatError(f"{path}: tệp câu hỏi phải mã hoá UTF-8.") from exc
    items: list[QAItem] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        item = parse_qa_line(line, where=f"{path.name}:{number}")
        if item.id in seen:
            raise QAFormatError(
                f"{path.name}:{number}: mã câu hỏi '{item.id}' bị trùng (đã có ở dòng {seen[item.id]})."
            )
        seen[item.id] = number
        items.append(item)
        if limit is not None and len(items) >= limit:
            break
    if not items:
        raise QAFormatError(f"{path}: tệp câu hỏi không có câu hỏi nào.")
    return items


class CitedSource(BaseModel):
    n: int
    source: str
    chunk_id: str = ""
    quote: str = ""


class RetrievedSource(BaseModel):
    source: str
    chunk_id: str = ""
    score: float = 0.0


class ResultLine(BaseModel):
    """One line of the results JSONL written by `troly eval run` (EVAL-FORMAT.md, 'Results output').

    `unsupported` is an addition to the documented keys: the numbers/dates of the answer that its evidence
    does not hold (from `Answer.unsupported`), needed for the unsupported-numbers metric.
    """

    model_config = ConfigDict(extra="ignore")

    id: str
    question: str
    answer: str = ""
    refused: bool = False
    citations: list[CitedSource] = Field(default_factory=list)
    retrieved: list[RetrievedSource] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    unsupported: list[str] = Field(default_factory=list)
    misattributed: list[str] = Field(
        default_factory=list,
        description="Answer sentences citing a unit about another subject than they name (eval.attribution).",
    )

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False)


def load_results(path: Path) -> list[ResultLine]:
    """Lines of a results JSONL file; a torn last line (an interrupted run) is ignored."""
    if not path.is_file():
        raise QAFormatError(f"Không tìm thấy tệp kết quả: {path}")
    lines = path.read_text(encoding="utf-8").splitlines()
    rows: list[ResultLine] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append(ResultLine.model_validate_json(line))
        except ValidationError as exc:
            if number == len(lines):
                break
            where = f"{path.name}:{number}"
            raise QAFormatError(f"{where}: dòng kết quả không hợp lệ ({exc.error_count()} lỗi).") from exc
    return rows
