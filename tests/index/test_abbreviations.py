from __future__ import annotations

from index.abbreviations import expand, find_definitions, learn


def test_definitions_need_matching_initials() -> None:
    text = (
        "Sinh viên học chương trình tiên tiến (CTTT) và Ủy ban nhân dân (UBND) xã; "
        "hồ sơ nộp tại phòng (A12) hoặc theo mẫu (BẢN GỐC)."
    )
    assert list(find_definitions(text)) == [("cttt", "chương trình tiên tiến"), ("ubnd", "ủy ban nhân dân")]


def test_learn_keeps_the_most_frequent_expansion() -> None:
    texts = ["chuyển đổi số (CĐS)", "chuyển đổi số (CĐS) cấp xã", "chữ điện số (CĐS)"]
    assert learn(texts) == {"cds": "chuyển đổi số"}


def test_expand_keeps_the_question_accent_mode() -> None:
    known = {"cttt": "chương trình tiên tiến", "ubnd": "ủy ban nhân dân"}
    assert expand("Mục tiêu của CTTT là gì?", known) == "Mục tiêu của CTTT là gì? (chương trình tiên tiến)"
    assert expand("muc tieu cua cttt", known) == "muc tieu cua cttt (chuong trinh tien tien)"
    assert expand("Không có viết tắt", known) == "Không có viết tắt"


def test_glossary_lines_define_abbreviations() -> None:
    text = (
        "Các từ viết tắt:\n"
        "CBHD: Cán bộ hướng dẫn\n"
        "- CBPB – cán bộ phản biện;\n"
        "TP = thành phố\n"
        "GV: viên chức là giảng viên của Trường;\n"
        "Ghi chú: Hồ sơ nộp tại phòng.\n"
    )
    assert list(find_definitions(text)) == [
        ("cbhd", "cán bộ hướng dẫn"),
        ("cbpb", "cán bộ phản biện"),
        ("tp", "thành phố"),
    ]


def test_glossary_definition_expands_a_question() -> None:
    known = learn(["Từ viết tắt\nKLTN: Khóa luận tốt nghiệp\n", "Sinh viên làm khóa luận tốt nghiệp (KLTN)."])
    assert known == {"kltn": "khóa luận tốt nghiệp"}
    assert expand("Ai chấm KLTN?", known) == "Ai chấm KLTN? (khóa luận tốt nghiệp)"
