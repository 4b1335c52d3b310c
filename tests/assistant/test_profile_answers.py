"""Answers written from the document profiles: each statement cites the sentence that holds its facts."""

from __future__ import annotations

import pytest

from assistant.profile_answers import ProfileAnswer, answer_from_profiles
from assistant.question import analyse
from assistant.scope import plan_scope
from ingest.profile import build_profile
from troly.records import Document, DocumentProfile

DOCS = {
    "lang-son.txt": (
        "2024-05-15",
        "Chiều 14/5, tại phường Hòa Phú, UBND tỉnh Lạng Sơn và Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT) ký "
        "thỏa thuận hợp tác về chuyển đổi số giai đoạn 2024 - 2028, tầm nhìn đến năm 2032.\n\n"
        "Phát biểu tại buổi lễ, ông Nông Văn Khải, Phó chủ tịch UBND tỉnh Lạng Sơn cho biết tỉnh cần nhân lực.",
    ),
    "cao-bang.txt": (
        "2019-03-02",
        "Ngày 1/3/2019, UBND tỉnh Cao Bằng và Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT) ký thỏa thuận hợp tác "
        "giai đoạn 2019 - 2023.\n\n"
        "Chủ tịch UBND tỉnh Cao Bằng Hoàng Xuân Ánh đánh giá cao sự đồng hành của VNPT.",
    ),
}


@pytest.fixture(scope="module")
def corpus() -> tuple[list[DocumentProfile], dict[str, str]]:
    docs = [Document(id=i, title=i, date=d, content_hash="0", text=t) for i, (d, t) in DOCS.items()]
    return [build_profile(d) for d in docs], {d.id: d.text for d in docs}


def _answer(
    question: str, corpus: tuple[list[DocumentProfile], dict[str, str]]
) -> list[ProfileAnswer | None]:
    profiles, texts = corpus
    analysis = analyse(question, profiles)
    scope = plan_scope(analysis, profiles)
    return [answer_from_profiles(analyse(p.question, profiles), p, profiles, texts) for p in scope.parts]


def _said(found: ProfileAnswer | None, texts: dict[str, str]) -> list[tuple[str, str]]:
    assert found is not None
    return [(s.text, texts[s.doc_id][s.start : s.end]) for s in found.statements]


def test_who_holds_a_role(corpus: tuple[list[DocumentProfile], dict[str, str]]) -> None:
    (found,) = _answer("Chủ tịch UBND tỉnh Cao Bằng là ai?", corpus)
    (said,) = _said(found, corpus[1])
    assert said[0] == "Hoàng Xuân Ánh là Chủ tịch UBND tỉnh Cao Bằng"
    assert said[1].startswith("Chủ tịch UBND tỉnh Cao Bằng Hoàng Xuân Ánh")


def test_a_role_no_document_gives_anyone_is_refused_by_name(
    corpus: tuple[list[DocumentProfile], dict[str, str]],
) -> None:
    # Lạng Sơn's article names its vice-chair only: the chair is not "Nông Văn Khải".
    (found,) = _answer("Chủ tịch UBND tỉnh Lạng Sơn là ai?", corpus)
    assert found is not None and not found.statements
    assert found.refusal == "Tài liệu hiện có không nêu tên Chủ tịch UBND tỉnh Lạng Sơn."


def test_what_role_a_person_holds(corpus: tuple[list[DocumentProfile], dict[str, str]]) -> None:
    (found,) = _answer("ong nong van khai giu chuc vu gi", corpus)
    assert _said(found, corpus[1])[0][0] == "Ông Nông Văn Khải là Phó chủ tịch UBND tỉnh Lạng Sơn"


def test_period_horizon_and_place_of_an_agreement(
    corpus: tuple[list[DocumentProfile], dict[str, str]],
) -> None:
    (found,) = _answer("Thỏa thuận với Lạng Sơn có giai đoạn nào và tầm nhìn đến năm nào?", corpus)
    ((text, quote),) = _said(found, corpus[1])
    assert (
        text == "Thỏa thuận giữa UBND tỉnh Lạng Sơn và VNPT có giai đoạn 2024–2028, định hướng đến năm 2032"
    )
    assert "2024 - 2028" in quote and "2032" in quote
    (place,) = _answer("Lễ ký kết với Lạng Sơn diễn ra ở đâu?", corpus)
    assert _said(place, corpus[1])[0][0].endswith("được ký tại phường Hòa Phú")
    (signed,) = _answer("VNPT ký thỏa thuận với Lạng Sơn vào ngày nào?", corpus)
    assert _said(signed, corpus[1])[0][0].endswith("được ký ngày 14/5 (bài đăng năm 2024)")


def test_each_part_answers_from_its_own_document(
    corpus: tuple[list[DocumentProfile], dict[str, str]],
) -> None:
    parts = _answer("Các thỏa thuận của VNPT với Lạng Sơn và với Cao Bằng lần lượt có giai đoạn nào?", corpus)
    said = [_said(p, corpus[1])[0][0] for p in parts]
    assert said == [
        "Thỏa thuận giữa UBND tỉnh Lạng Sơn và VNPT có giai đoạn 2024–2028",
        "Thỏa thuận giữa UBND tỉnh Cao Bằng và VNPT có giai đoạn 2019–2023",
    ]


def test_catalogues(corpus: tuple[list[DocumentProfile], dict[str, str]]) -> None:
    (earliest,) = _answer("Thỏa thuận nào được ký sớm nhất?", corpus)
    ((text, quote),) = _said(earliest, corpus[1])
    assert "tỉnh Cao Bằng" in text and "ngày 1/3/2019" in text and "1/3/2019" in quote
    (listed,) = _answer("Những tỉnh nào đã ký thỏa thuận với VNPT?", corpus)
    assert listed is not None and listed.as_list
    assert [t for t, _ in _said(listed, corpus[1])] == [
        # The question's own party, VNPT, is not repeated on every row.
        "tỉnh Cao Bằng, ký ngày 1/3/2019, giai đoạn 2019–2023",
        "tỉnh Lạng Sơn, ký ngày 14/5 (bài đăng năm 2024), giai đoạn 2024–2028",
    ]
    (until,) = _answer("Thỏa thuận nào kéo dài đến năm 2028?", corpus)
    assert next(t for t, _ in _said(until, corpus[1])).startswith("tỉnh Lạng Sơn")


def test_who_spoke(corpus: tuple[list[DocumentProfile], dict[str, str]]) -> None:
    (found,) = _answer("Những ai phát biểu tại lễ ký kết với Lạng Sơn?", corpus)
    assert found is not None and found.as_list
    assert [t for t, _ in _said(found, corpus[1])] == ["Ông Nông Văn Khải, Phó chủ tịch UBND tỉnh Lạng Sơn"]


def test_other_questions_are_left_to_the_model(corpus: tuple[list[DocumentProfile], dict[str, str]]) -> None:
    assert _answer("VNPT hỗ trợ Lạng Sơn những gì?", corpus) == [None]


def test_how_many_and_until_when(corpus: tuple[list[DocumentProfile], dict[str, str]]) -> None:
    (count,) = _answer("VNPT đã ký thỏa thuận với bao nhiêu tỉnh?", corpus)
    assert (
        count is not None and count.lead == "Tài liệu ghi nhận 2 thỏa thuận:" and len(count.statements) == 2
    )
    (until,) = _answer("Thỏa thuận với Cao Bằng có thời hạn đến năm nào?", corpus)
    assert (
        _said(until, corpus[1])[0][0] == "Thỏa thuận giữa UBND tỉnh Cao Bằng và VNPT có giai đoạn 2019–2023"
    )


def test_two_signing_dates_are_both_shown_with_their_passages() -> None:
    text = (
        "Ngày 3/4/2024, UBND tỉnh Cao Bằng và Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT) ký thỏa thuận hợp tác.\n\n"
        "Thỏa thuận giữa UBND tỉnh Cao Bằng và VNPT được ký kết ngày 5/4/2024 tại Hà Nội."
    )
    document = Document(id="cb.txt", title="cb", date="2024-04-06", content_hash="0", text=text)
    corpus = ([build_profile(document)], {"cb.txt": text})
    (found,) = _answer("VNPT ký thỏa thuận với Cao Bằng ngày nào?", corpus)
    said = _said(found, corpus[1])
    assert [t for t, _ in said] == [
        "Thỏa thuận giữa UBND tỉnh Cao Bằng và VNPT được ký ngày 3/4/2024",
        "Lưu ý: tài liệu cũng ghi ngày ký khác, ngày 5/4/2024",
    ]
    assert "3/4/2024" in said[0][1] and "5/4/2024" in said[1][1]
