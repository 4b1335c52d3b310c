"""Commitments read from an agreement's text: the side that commits, the pillar, the deadline, the quote."""

from __future__ import annotations

from ingest.commitments import commitment_id, extract_commitments, short_line
from ingest.pipeline import load_document
from ingest.profile import build_profile
from tests.ingest.commitment_texts import LANG_SON, NEWS, document
from troly.records import Commitment


def _rows(text: str) -> list[Commitment]:
    doc = document(text)
    return extract_commitments(doc, build_profile(doc))


def _row(rows: list[Commitment], phrase: str) -> Commitment:
    found = [r for r in rows if phrase in r.citation.quote]
    assert len(found) == 1, [r.text for r in rows]
    return found[0]


def test_each_side_its_commitments_with_pillar_and_deadline() -> None:
    rows = _rows(LANG_SON)
    coverage = _row(rows, "phủ sóng 5G")
    assert (coverage.party, coverage.party_key, coverage.pillar, coverage.deadline) == (
        "VNPT",
        "vnpt",
        "hạ tầng số",
        "2026",
    )
    platform = _row(rows, "nền tảng tích hợp")
    assert (platform.party, platform.pillar) == ("hai bên", "chính quyền số")
    province = _row(rows, "tạo điều kiện thuận lợi")
    assert (province.party, province.party_key) == ("Lạng Sơn", "lang-son")
    duty = _row(rows, "kinh phí đối ứng")
    assert duty.party == "Lạng Sơn"


def test_a_list_of_contents_is_one_row_per_item_of_both_sides() -> None:
    rows = _rows(LANG_SON)
    items = [r for r in rows if r.kind == "content"]
    assert [r.citation.quote for r in items] == [
        "Hợp tác phát triển thương mại điện tử",
        "Hợp tác đào tạo kỹ năng số cho người dân",
    ]
    assert {r.party for r in items} == {"hai bên"}


def test_past_facts_wishes_needs_scope_and_signing_are_not_commitments() -> None:
    quotes = " ".join(r.citation.quote for r in _rows(LANG_SON))
    for phrase in (
        "đã hỗ trợ",
        "mong muốn",
        "rất cần",
        "bốn trụ cột",
        "đã ký thỏa thuận",
        "đánh giá kết quả",
    ):
        assert phrase not in quotes


def test_every_quote_is_the_text_at_its_offsets_and_ids_are_stable() -> None:
    doc = document(LANG_SON)
    rows = extract_commitments(doc, build_profile(doc))
    assert rows
    for row in rows:
        assert doc.text[row.citation.start : row.citation.end] == row.citation.quote
        assert row.id == commitment_id(doc.id, row.citation.quote)
    assert [r.id for r in extract_commitments(doc, build_profile(doc))] == [r.id for r in rows]


def test_a_restated_commitment_is_merged_into_the_first() -> None:
    text = LANG_SON + "\n\n“VNPT sẽ phủ sóng 5G tới 200 xã vùng cao trước năm 2026”, ông Khải nhấn mạnh."
    rows = _rows(text)
    coverage = _row(rows, "Về hạ tầng số")
    assert len(coverage.also) == 1 and "ông Khải" in coverage.also[0].quote


def test_news_without_an_agreement_and_a_statute_have_no_commitments() -> None:
    assert _rows(NEWS) == []
    statute = (
        "Điều 5. Trách nhiệm\n\n1. Cơ quan nhà nước sẽ hỗ trợ doanh nghiệp.\n\n2. Các bên ký kết hợp đồng."
    )
    assert _rows(statute) == []


def test_the_line_is_the_quote_trimmed() -> None:
    assert short_line("Trong khi đó, VNPT cam kết đầu tư.") == "VNPT cam kết đầu tư."
    long = "VNPT sẽ " + "xây dựng hạ tầng " * 30
    assert len(short_line(long)) <= 221 and short_line(long).endswith("…")


def test_sample_corpus_agreements(sample_corpus: object) -> None:
    from pathlib import Path

    assert isinstance(sample_corpus, Path)
    path = sample_corpus / "vnpt-quang-tri-2025.html"
    doc = load_document(path, path.name)
    rows = extract_commitments(doc, build_profile(doc))
    platform = _row(rows, "trung tâm điều hành thông minh")
    assert (platform.party, platform.pillar) == ("hai bên", "chính quyền số")
    assert all("mong muốn" not in r.citation.quote for r in rows)


HA_GIANG = (
    "Ngày 5/6/2024, tại TP Hà Giang, UBND tỉnh Hà Giang và Tập đoàn Bưu chính Viễn thông Việt Nam (VNPT) đã ký "
    "kết thỏa thuận hợp tác về chuyển đổi số giai đoạn 2024-2030.\n\n"
    "Theo nội dung thỏa thuận, Tập đoàn VNPT sẽ hỗ trợ tỉnh xây dựng nền tảng điều hành thông minh trong năm 2026.\n\n"
    "Tỉnh Hà Giang cũng sẽ tạo điều kiện để VNPT phát triển hạ tầng viễn thông tại các xã vùng sâu.\n\n"
    "Hai bên thống nhất sẽ phối hợp đào tạo 500 cán bộ cấp xã về kỹ năng số.\n\n"
    "Đại diện VNPT cho biết, VNPT cũng cam kết sẽ phủ sóng 4G tới 100% thôn bản trước năm 2027.\n\n"
    "Năm 2023, VNPT đã đầu tư 300 tỷ đồng vào hạ tầng tại Hà Giang.\n\n"
    "Chủ tịch UBND tỉnh Hà Giang Nguyễn Văn Sơn đề nghị VNPT quan tâm hỗ trợ thêm về nhân lực."
)


def test_another_agreement_written_the_same_way() -> None:
    rows = _rows(HA_GIANG)
    assert [(r.party, r.deadline) for r in rows] == [
        ("VNPT", "2026"),
        ("Hà Giang", None),
        ("hai bên", None),
        ("VNPT", "2027"),
    ]
    assert rows[0].text.startswith("Tập đoàn VNPT sẽ hỗ trợ")
    assert not any("300 tỷ" in r.citation.quote or "đề nghị" in r.citation.quote for r in rows)
