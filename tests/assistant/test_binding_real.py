"""Binding on the real path: two provinces' articles ingested by the real Library (BM25 + e5 vectors), the
embedded GGUF run by llama.cpp. A question about a province with no document is refused by name, and a fact
of one province's article is never given to the other."""

from __future__ import annotations

import pytest

from assistant.llm.llamacpp_chat_model import LlamaCppChatModel
from assistant.pipeline import AnswerPipeline
from index.library import Library
from tests.assistant.test_pipeline_real import real_settings

LANG_SON = """Lạng Sơn và VNPT ký thỏa thuận chuyển đổi số

Ngày 14/5/2024, tại TP Lạng Sơn, UBND tỉnh Lạng Sơn và Tập đoàn VNPT đã ký thỏa thuận hợp tác về chuyển đổi số giai đoạn 2024 - 2028.

Về hạ tầng số, VNPT sẽ phủ sóng 5G tới 120 xã biên giới của tỉnh Lạng Sơn.

Dịp này, VNPT trao tặng tỉnh Lạng Sơn 500 triệu đồng cho quỹ khuyến học.
"""
CAO_BANG = """Cao Bằng và VNPT hợp tác chuyển đổi số

Ngày 2/6/2024, UBND tỉnh Cao Bằng và Tập đoàn VNPT đã ký thỏa thuận hợp tác về chuyển đổi số giai đoạn 2024 - 2030.

Về hạ tầng số, VNPT sẽ lắp đặt 80 điểm wifi công cộng tại các chợ và trường học của tỉnh Cao Bằng.

Ông Hà Văn Nam, Phó chủ tịch UBND tỉnh Cao Bằng, đề nghị VNPT đào tạo kỹ năng số cho người dân.
"""


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> AnswerPipeline:
    pytest.importorskip("llama_cpp")
    corpus = tmp_path_factory.mktemp("two-provinces")
    (corpus / "lang-son.txt").write_text(LANG_SON, encoding="utf-8")
    (corpus / "cao-bang.txt").write_text(CAO_BANG, encoding="utf-8")
    settings = real_settings(tmp_path_factory.mktemp("troly-home"))
    library = Library.open(settings)
    library.ingest([corpus])
    return AnswerPipeline(settings, library, LlamaCppChatModel(settings))


@pytest.mark.slow
def test_a_province_with_no_document_is_refused_by_name(pipeline: AnswerPipeline) -> None:
    answer = pipeline.answer("VNPT cam kết gì với tỉnh Nghệ An về chuyển đổi số?")
    assert answer.refused and answer.citations == []
    assert answer.text == "Tài liệu hiện có không có thông tin về tỉnh Nghệ An."
    unaccented = pipeline.answer("vnpt cam ket gi voi tinh binh duong")
    assert unaccented.refused and "Bình Dương" in unaccented.text


@pytest.mark.slow
def test_one_provinces_number_is_never_given_to_the_other(pipeline: AnswerPipeline) -> None:
    gift = pipeline.answer("VNPT trao tặng tỉnh Cao Bằng bao nhiêu tiền?")
    assert gift.refused and "500" not in gift.text and "Cao Bằng" in gift.text
    wifi = pipeline.answer("VNPT sẽ lắp đặt bao nhiêu điểm wifi ở Lạng Sơn?")
    assert "80" not in wifi.text
    for citation in wifi.citations:
        assert citation.source == "lang-son.txt"


@pytest.mark.slow
def test_each_province_gets_its_own_facts(pipeline: AnswerPipeline) -> None:
    question = "VNPT sẽ phủ sóng 5G tới bao nhiêu xã của Lạng Sơn?"
    # The model reads Lạng Sơn's article only, with its own figure in it.
    (part,) = pipeline.plan(question).parts
    assert part.evidence is not None and {s.doc_id for s in part.evidence.sources} == {"lang-son.txt"}
    assert any("120 xã" in s.text for _, s in part.evidence.sentences())
    answer = pipeline.answer(question)
    # The 0.5B model used in CI sometimes only echoes the question (then the answer is a refusal); whatever it
    # says, no figure of Cao Bằng's article and no citation of it reaches the answer.
    assert "80" not in answer.text
    assert answer.refused or (
        "120" in answer.text and {c.source for c in answer.citations} == {"lang-son.txt"}
    )
    both = pipeline.answer("Các thỏa thuận của VNPT với Lạng Sơn và với Cao Bằng lần lượt có giai đoạn nào?")
    assert both.format == "list" and not both.refused
    lines = both.text.splitlines()
    assert len(lines) == 2 and "Lạng Sơn" in lines[0] and "2024–2028" in lines[0]
    assert "Cao Bằng" in lines[1] and "2024–2030" in lines[1]
    assert [c.source for c in both.citations] == ["lang-son.txt", "cao-bang.txt"]
    deputy = pipeline.answer("Chủ tịch UBND tỉnh Cao Bằng là ai?")
    assert deputy.refused and "Hà Văn Nam" not in deputy.text
