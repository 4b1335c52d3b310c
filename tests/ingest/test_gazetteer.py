from __future__ import annotations

import pytest

from ingest.gazetteer import Gazetteer, local_places


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.default()


def test_the_table_holds_the_34_units_of_2025_and_the_29_they_absorbed(gazetteer: Gazetteer) -> None:
    current = [p for p in gazetteer.provinces.values() if p.status == "current"]
    former = [p for p in gazetteer.provinces.values() if p.status == "former"]
    assert len(current) == 34 and len(former) == 29
    for province in former:
        assert province.merged_into in gazetteer.provinces
        assert province.key in gazetteer.province(province.merged_into).merged_from
    assert sum(len(p.merged_from) for p in current) == 29


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("UBND tỉnh Quảng Trị và VNPT", ["quang-tri"]),
        ("VNPT đã trao tặng TP.HCM bao nhiêu tiền", ["ho-chi-minh"]),
        ("tp hcm va vnpt hop tac", ["ho-chi-minh"]),
        ("Ủy ban nhân dân TP. Hồ Chí Minh", ["ho-chi-minh"]),
        ("can tho xep hang bao nhieu", ["can-tho"]),
        ("vnpt cam ket gi voi tinh binh duong", ["binh-duong"]),
        ("Thừa Thiên - Huế và Bà Rịa – Vũng Tàu", ["hue", "ba-ria-vung-tau"]),
        ("Hội nghị ở Đắc Lắc và Kontum", ["dak-lak", "kon-tum"]),
    ],
)
def test_places_are_found_however_typed(gazetteer: Gazetteer, text: str, keys: list[str]) -> None:
    assert [m.key for m in gazetteer.find(text)] == keys


@pytest.mark.parametrize(
    "text",
    [
        "thị xã Quảng Trị",  # a town below the province
        "xã Hòa Bình và phường Long An",  # communes that share a province's name
        "tư tưởng Hồ Chí Minh",  # the person, not the city
        "cuộc sống hoa binh",  # typed without accents, a common phrase needs "tỉnh" to be the province
        "Quảng Trí",  # wrong accents are another word
        "quảng trị",  # lower-case with accents in running text is not a name
    ],
)
def test_look_alikes_are_not_provinces(gazetteer: Gazetteer, text: str) -> None:
    assert gazetteer.find(text) == []


def test_offsets_point_at_the_name_as_written(gazetteer: Gazetteer) -> None:
    text = "Ngày 29.10, tại P.Đồng Hới, UBND tỉnh Quảng Trị đã ký"
    (match,) = gazetteer.find(text)
    assert text[match.start : match.end] == "Quảng Trị" and match.prefixed


def test_former_provinces_say_what_they_became(gazetteer: Gazetteer) -> None:
    assert gazetteer.describe("binh-duong") == "tỉnh Bình Dương (nay thuộc TP. Hồ Chí Minh)"
    assert gazetteer.describe("can-tho") == "TP. Cần Thơ"


def test_local_places_by_prefix() -> None:
    found = local_places("Lễ ký tại P.Đồng Hới; huyện Quảng Xương và xã Hòa An, Phường 5.")
    assert [(p.level, p.name) for p in found] == [
        ("commune", "Đồng Hới"),
        ("district", "Quảng Xương"),
        ("commune", "Hòa An"),
        ("commune", "5"),
    ]
    assert found[1].key == "district:quang-xuong"
    # "P." before an acronym is a university department (Phòng), not a ward.
    assert local_places("Sinh viên liên hệ P.ĐTĐH hoặc P.CTSV.") == []
