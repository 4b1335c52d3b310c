from __future__ import annotations

from ingest.units import label_path, mentioned_pillars, pillars_of, split_units

STATUTE = (
    "Tội làm giả hồ sơ hành chính\n\n"
    "1. Người nào làm giả hồ sơ hành chính thì bị phạt tiền từ 10.000.000 đồng đến 50.000.000 đồng.\n\n"
    "2. Phạm tội thuộc một trong các trường hợp sau đây, thì bị phạt tù từ 01 năm đến 03 năm:\n\n"
    "a) Có tổ chức;\n\n"
    "b) Tái phạm nguy hiểm.\n\n"
    "3. Người phạm tội còn có thể bị cấm đảm nhiệm chức vụ từ 01 năm đến 05 năm."
)
REGULATION = (
    "QUY CHẾ MẪU — Điều 4. Trách nhiệm của tổ công nghệ số\n\n"
    "Điều 4. Trách nhiệm của tổ công nghệ số\n"
    "Hướng dẫn người dân cài đặt ứng dụng.\n"
    "Báo cáo kết quả hằng tháng.\n\n"
    "Điều 5. Kinh phí\n"
    "1. Kinh phí do ngân sách xã bảo đảm.\n"
    "2. Mức chi theo quy định."
)
AGREEMENT = (
    "Theo thỏa thuận, hai bên hợp tác trên 4 trụ cột: hạ tầng số, chính quyền số, kinh tế số và xã hội số.\n\n"
    "Về kinh tế số, doanh nghiệp sẽ hỗ trợ hợp tác xã bán hàng trên sàn thương mại điện tử.\n\n"
    "Hợp tác phát triển xã hội số: tổ chức lớp kỹ năng số cho người cao tuổi.\n\n"
    "Lễ ký có sự tham dự của lãnh đạo hai bên."
)


def _labels(doc_id: str, text: str) -> list[tuple[str, str]]:
    units = split_units(doc_id, text)
    return [(label_path(units, u), text[u.start : u.end].split("\n")[0][:20]) for u in units]


def test_a_statute_is_split_into_clauses_and_points() -> None:
    units = split_units("s.txt", STATUTE)
    assert [label_path(units, u) for u in units] == [
        "đoạn 1",
        "khoản 1",
        "khoản 2",
        "khoản 2, điểm a",
        "khoản 2, điểm b",
        "khoản 3",
    ]
    clause = units[2]
    assert STATUTE[clause.start : clause.end].endswith("b) Tái phạm nguy hiểm.")  # a clause holds its points
    for unit in units:
        assert STATUTE[unit.start : unit.end] == STATUTE[unit.start : unit.end].strip()


def test_articles_hold_their_items_and_clauses() -> None:
    units = split_units("r.txt", REGULATION)
    labels = [label_path(units, u) for u in units]
    assert labels == [
        "đoạn 1",
        "Điều 4",
        "Điều 4, ý 2",
        "Điều 4, ý 3",
        "Điều 5",
        "Điều 5, khoản 1",
        "Điều 5, khoản 2",
    ]


def test_an_article_without_clauses_is_one_paragraph() -> None:
    text = "Quyền của người dân\n\nNgười dân có quyền được cung cấp thông tin về thủ tục hành chính."
    units = split_units("a.txt", text)
    assert [u.kind for u in units] == ["paragraph", "paragraph"]


def test_passages_are_tagged_with_the_pillar_they_are_about() -> None:
    units = split_units("ag.txt", AGREEMENT)
    assert [u.pillars for u in units] == [[], ["kinh tế số"], ["xã hội số"], []]


def test_pillars_typed_without_diacritics_and_named_in_questions() -> None:
    assert pillars_of("Ve ha tang so, VNPT nang cap mang 5G.") == ["hạ tầng số"]
    assert mentioned_pillars("VNPT hỗ trợ gì về chính quyền số và kinh tế số?") == [
        "chính quyền số",
        "kinh tế số",
    ]
    assert pillars_of("Chính phủ điện tử được triển khai ở mọi xã.") == ["chính quyền số"]
