"""Document profiles over synthetic texts and the sample corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline import load_document
from ingest.profile import build_profile
from troly.records import Document

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "corpus"


def _doc(
    text: str, doc_id: str = "t.txt", date: str | None = "2024-05-20", title: str = "Tin mẫu"
) -> Document:
    return Document(id=doc_id, title=title, date=date, content_hash="0" * 64, text=text)


AGREEMENT = (
    "Chiều 14/5, tại phường Hòa Phú, UBND tỉnh Lạng Sơn và Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT) đã ký "
    "thỏa thuận hợp tác về chuyển đổi số giai đoạn 2024 - 2028, tầm nhìn đến năm 2032.\n\n"
    "Phát biểu tại buổi lễ, ông Nông Văn Khải, Phó chủ tịch UBND tỉnh Lạng Sơn cho biết tỉnh cần hỗ trợ về nhân lực.\n\n"
    "Về hạ tầng số, VNPT sẽ phủ sóng 5G tới 200 xã vùng cao."
)


def test_an_agreement_has_its_parties_dates_place_period_and_horizon() -> None:
    text = AGREEMENT
    profile = build_profile(_doc(text))
    assert profile.kind == "agreement"
    assert {s.key for s in profile.subjects} == {"lang-son", "vnpt"}
    agreement = profile.agreement
    assert agreement is not None and agreement.level == "province"
    assert (
        agreement.signed is not None
        and agreement.signed.value == "2024-05-14"
        and agreement.signed.inferred_year
    )
    assert agreement.place is not None and agreement.place.text == "phường Hòa Phú"
    assert agreement.period is not None and (agreement.period.start, agreement.period.end) == (2024, 2028)
    assert agreement.horizon is not None and agreement.horizon.year == 2032
    (person,) = profile.people
    assert (person.name, person.title) == ("Nông Văn Khải", "Phó chủ tịch UBND tỉnh Lạng Sơn")
    for field in (
        agreement.signed.span,
        agreement.place,
        agreement.period.span,
        agreement.horizon.span,
        person.span,
    ):
        assert text[field.start : field.end] == field.text
    assert profile.units[2].pillars == ["hạ tầng số"]


def test_two_signing_dates_are_reported_not_hidden() -> None:
    text = (
        "Ngày 3/4/2024, UBND tỉnh Cao Bằng và Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT) ký thỏa thuận hợp tác.\n\n"
        "Thỏa thuận giữa UBND tỉnh Cao Bằng và VNPT được ký kết ngày 5/4/2024 tại Hà Nội."
    )
    profile = build_profile(_doc(text))
    assert profile.agreement is not None and profile.agreement.signed is not None
    assert profile.agreement.signed.value == "2024-04-03"
    assert (
        len(profile.problems) == 1 and "3/4/2024" in profile.problems[0] and "5/4/2024" in profile.problems[0]
    )


def test_counterparts_listed_with_dates_are_agreements_of_their_own() -> None:
    text = (
        "Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT) hoạt động tại tỉnh Sơn La.\n\n"
        "Cụ thể, VNPT đã lần lượt ký kết hợp tác với UBND các huyện như Mộc Châu (12/3/2019), Yên Châu (5/2019) "
        "và với Sở Y tế (2020)."
    )
    profile = build_profile(_doc(text))
    parties = [(a.parties[1].name, a.signed.value if a.signed else None, a.level) for a in profile.agreements]
    assert parties == [
        ("UBND huyện Mộc Châu", "2019-03-12", "local"),
        ("UBND huyện Yên Châu", "2019-05", "local"),
        ("Sở Y tế", "2020", "organisation"),
    ]


def test_a_text_with_no_recognisable_subject_still_gets_a_profile() -> None:
    profile = build_profile(_doc("Hướng dẫn chung về cách ghi chép sổ sách.", date=None))
    assert profile.subjects == [] and profile.agreements == [] and profile.problems == []
    assert profile.units and profile.version > 0 and len(profile.text_sha256) == 64


def test_a_profile_failure_never_fails_the_document(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_a: object) -> list[object]:
        raise RuntimeError("boom")

    monkeypatch.setattr("ingest.profile.find_people", broken)
    profile = build_profile(_doc(AGREEMENT))
    assert profile.problems and profile.people == []


@pytest.mark.parametrize(
    ("name", "kind", "subjects"),
    [
        ("vnpt-can-tho-2025.md", "agreement", {"can-tho", "vnpt"}),
        ("vnpt-quang-tri-2025.html", "agreement", {"quang-tri", "vnpt"}),
        ("vnpt-tphcm-2022.txt", "agreement", {"ho-chi-minh", "vnpt"}),
        ("thu-tuc/dang-ky-khai-sinh.md", "procedure", set()),
    ],
)
def test_sample_corpus_profiles(name: str, kind: str, subjects: set[str]) -> None:
    document = load_document(SAMPLES / name, name)
    profile = build_profile(document)
    assert profile.kind == kind and {s.key for s in profile.subjects} == subjects
