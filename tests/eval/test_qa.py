from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from eval.qa import QAFormatError, ResultLine, has_diacritics, load_qa, load_results


def _write(path: Path, rows: Sequence[object]) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows))
    return path


def test_loads_valid_lines_and_defaults(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "qa.jsonl",
        [
            {"id": "a", "question": "Ai ký?", "answers": ["Ông A"], "sources": ["x.txt"], "answerable": True},
            "",
            {"id": "b", "question": "Hỏi gì?", "answers": [], "sources": [], "answerable": False, "note": 1},
        ],
    )
    items = load_qa(path)
    assert [i.id for i in items] == ["a", "b"]
    assert items[0].all_of == []
    assert not items[1].answerable


def test_limit_keeps_first_questions(tmp_path: Path) -> None:
    rows = [{"id": f"q{i}", "question": "Câu hỏi?", "answers": ["x"]} for i in range(5)]
    assert [i.id for i in load_qa(_write(tmp_path / "qa.jsonl", rows), limit=2)] == ["q0", "q1"]


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("{not json", "qa.jsonl:1: dòng không phải JSON"),
        ("[1, 2]", "đối tượng JSON"),
        (json.dumps({"question": "Ai?", "answers": ["x"]}), "id"),
        (json.dumps({"id": "a", "question": "   ", "answers": ["x"]}), "question"),
        (json.dumps({"id": "a", "question": "Ai?", "answers": [], "answerable": True}), "answerable"),
        (json.dumps({"id": "a", "question": "Ai?", "answers": ["x"], "sources": ""}), "sources"),
    ],
)
def test_bad_lines_raise_clear_errors(tmp_path: Path, line: str, fragment: str) -> None:
    with pytest.raises(QAFormatError) as info:
        load_qa(_write(tmp_path / "qa.jsonl", [line]))
    assert fragment in info.value.message
    assert info.value.code == "qa_format"


def test_duplicate_ids_missing_and_empty_files(tmp_path: Path) -> None:
    row = {"id": "a", "question": "Ai?", "answers": ["x"]}
    with pytest.raises(QAFormatError, match="bị trùng"):
        load_qa(_write(tmp_path / "dup.jsonl", [row, row]))
    with pytest.raises(QAFormatError, match="Không tìm thấy"):
        load_qa(tmp_path / "missing.jsonl")
    with pytest.raises(QAFormatError, match="không có câu hỏi"):
        load_qa(_write(tmp_path / "empty.jsonl", ["", "  "]))


def test_diacritics_detection() -> None:
    assert has_diacritics("Ai là chủ tịch?")
    assert has_diacritics("dong Đa")
    assert not has_diacritics("vnpt ho tro quang tri trien khai nhung du an nao")
    assert not has_diacritics("Giai doan 2025-2030?")


def test_results_round_trip_and_torn_last_line(tmp_path: Path) -> None:
    line = ResultLine(id="a", question="Ai?", answer="Ông A [1].", unsupported=["2030"])
    path = tmp_path / "r.jsonl"
    path.write_text(line.to_json() + "\n" + '{"id": "b", "quest')
    assert load_results(path) == [line]
    path.write_text('{"id": 1}\n' + line.to_json() + "\n")
    with pytest.raises(QAFormatError, match=r"r\.jsonl:1"):
        load_results(path)


@pytest.mark.shared
def test_shared_dev_sets_load(shared_dir: Path) -> None:
    seeds = load_qa(shared_dir / "qa" / "seeds-dev.jsonl")
    assert len(seeds) == 20
    assert sum(not i.answerable for i in seeds) == 2
    assert any(i.unaccented for i in seeds)
    noaccent = load_qa(shared_dir / "qa" / "alqac-dev-noaccent.jsonl")
    assert all(i.unaccented for i in noaccent)
