from __future__ import annotations

import pytest

from assistant.question import RoleAsk, analyse, role_matches
from ingest.profile import build_profile
from troly.records import Document, DocumentProfile

TEXT = (
    "Ngày 14/5/2024, UBND tỉnh Lạng Sơn và Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT) ký thỏa thuận hợp tác "
    "giai đoạn 2024 - 2028.\n\n"
    "Phát biểu tại buổi lễ, ông Nông Văn Khải, Phó chủ tịch UBND tỉnh Lạng Sơn cho biết tỉnh cần nhân lực.\n\n"
    "VNPT cũng ký kết hợp tác với UBND các huyện như Cao Lộc (3/2024)."
)


@pytest.fixture(scope="module")
def profiles() -> list[DocumentProfile]:
    return [
        build_profile(Document(id="ls.txt", title="Lạng Sơn", date="2024-05-15", content_hash="0", text=TEXT))
    ]


@pytest.mark.parametrize(
    ("question", "places"),
    [
        ("VNPT cam kết gì với tỉnh Lạng Sơn?", ["lang-son"]),
        ("vnpt cam ket gi voi lang son", ["lang-son"]),
        ("Cần Thơ và TP.HCM lần lượt có giai đoạn nào?", ["can-tho", "ho-chi-minh"]),
        ("VNPT ký với huyện Cao Lộc ngày nào?", ["district:cao-loc"]),
        ("vnpt ky voi cao loc ngay nao", ["district:cao-loc"]),
    ],
)
def test_places_named_with_or_without_diacritics(
    profiles: list[DocumentProfile], question: str, places: list[str]
) -> None:
    assert [p.key for p in analyse(question, profiles).places] == places


def test_people_are_found_however_typed(profiles: list[DocumentProfile]) -> None:
    assert analyse("ong nong van khai la ai", profiles).people == ("Nông Văn Khải",)
    assert analyse("Ông Nông Văn Khải giữ chức vụ gì?", profiles).person == "Nông Văn Khải"
    # A name no document holds is still a person the question names (to be refused by name).
    assert analyse("Ông Lò Văn Bình nói gì?", profiles).people == ("Lò Văn Bình",)
    assert analyse("ong lo van binh noi gi", profiles).people == ("lo van binh",)


def test_roles_asked_about(profiles: list[DocumentProfile]) -> None:
    role = analyse("Chủ tịch UBND tỉnh Lạng Sơn là ai?", profiles).role
    assert role == RoleAsk("Chủ tịch", "UBND tỉnh Lạng Sơn")
    assert analyse("chu tich ubnd tinh lang son la ai", profiles).role == RoleAsk(
        "chu tich", "ubnd tinh lang son"
    )


def test_a_deputy_does_not_answer_for_the_chair() -> None:
    chair = RoleAsk("Chủ tịch", "UBND tỉnh Lạng Sơn")
    assert not role_matches(chair, "Phó chủ tịch", "UBND tỉnh Lạng Sơn")
    assert role_matches(chair, "Chủ tịch", "Ủy ban nhân dân tỉnh Lạng Sơn")
    assert not role_matches(chair, "Chủ tịch", "UBND tỉnh Cao Bằng")
    assert not role_matches(chair, "Chủ tịch", "Hội đồng thành viên VNPT")


def test_fields_pillars_and_parts(profiles: list[DocumentProfile]) -> None:
    a = analyse("Thỏa thuận với Lạng Sơn có giai đoạn nào và định hướng đến năm nào?", profiles)
    assert a.attributes == ("period", "horizon") and not a.several
    assert analyse("Lễ ký kết với Lạng Sơn diễn ra ở đâu?", profiles).attributes == ("place",)
    assert analyse("VNPT hỗ trợ gì về kinh tế số?", profiles).pillars == ("kinh tế số",)
    both = analyse("So sánh thỏa thuận của Lạng Sơn và Cao Bằng", profiles)
    assert both.several and both.subject_words >= {"lang", "son", "cao", "bang"}
    assert not analyse("Quảng Bình sáp nhập với Quảng Trị khi nào?", profiles).several
