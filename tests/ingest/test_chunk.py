from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from ingest.chunk import chunk_document, heading_text, sentence_spans
from ingest.pipeline import load_document
from ingest.vietnamese import fold
from troly.records import Document
from troly.settings import ChunkSettings

SENTENCES = [
    "Ngày 29.10, tại P.Đồng Hới, UBND tỉnh và VNPT ký thỏa thuận hợp tác.",
    "TP. Hồ Chí Minh đặt mục tiêu kinh tế số đạt 25% GRDP vào năm 2025.",
    "ThS. Nguyễn Văn A và TS. Trần B trình bày về 1.320 thủ tục hành chính.",
    "Dân số khoảng 4,2 triệu người!",
    "Hệ thống có phục vụ 120 đơn vị không?",
]


def make_doc(text: str) -> Document:
    return Document(id="a/b.txt", title="Tiêu đề", date="2025-01-02", content_hash="0" * 64, text=text)


def test_sentence_spans_respect_abbreviations_and_numbers() -> None:
    text = " ".join(SENTENCES)
    assert [text[a:b] for a, b in sentence_spans(text)] == SENTENCES


def paragraph(n: int, words: int = 30) -> str:
    body = " ".join(f"từ{n}x{i}" for i in range(words - 1))
    return f"Câu mở đầu {n} {body}."


@pytest.mark.parametrize("overlap", [0, 40])
def test_offsets_ids_and_sizes(overlap: int) -> None:
    text = "\n\n".join(paragraph(n) for n in range(40))
    settings = ChunkSettings(target_words=120, max_words=200, overlap_words=overlap)
    chunks = chunk_document(make_doc(text), settings)
    assert len(chunks) > 5
    for ordinal, chunk in enumerate(chunks):
        assert chunk.id == f"a/b.txt#{ordinal}"
        assert chunk.text == text[chunk.start : chunk.end]
        assert (chunk.title, chunk.date, chunk.doc_id) == ("Tiêu đề", "2025-01-02", "a/b.txt")
        assert len(chunk.text.split()) <= settings.max_words
    covered: set[int] = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())
    starts = [c.start for c in chunks]
    assert starts == sorted(set(starts))


def test_chunks_end_at_paragraph_or_sentence_ends_and_overlap_whole_sentences() -> None:
    long_paragraph = " ".join(f"Câu số {i} nói về thủ tục hành chính ở xã và phường." for i in range(60))
    text = paragraph(1) + "\n\n" + long_paragraph
    chunks = chunk_document(make_doc(text), ChunkSettings(target_words=100, max_words=150, overlap_words=25))
    assert len(chunks) >= 4
    for chunk in chunks:
        assert chunk.text.endswith(".")
        assert chunk.text[0].isupper()
    for previous, current in itertools.pairwise(chunks):
        assert current.start < previous.end  # overlap
        assert text[current.start : previous.end].endswith(".")


def test_sentence_longer_than_max_is_cut_between_words() -> None:
    text = " ".join(f"từ{i}" for i in range(500))
    chunks = chunk_document(make_doc(text), ChunkSettings(target_words=100, max_words=120, overlap_words=0))
    assert all(len(c.text.split()) <= 120 for c in chunks)
    assert " ".join(c.text for c in chunks) == text


def test_headings_are_carried() -> None:
    text = "\n\n".join(
        ["# Thủ tục khai sinh", paragraph(1), "Điều 5. Lệ phí", paragraph(2, 120), paragraph(3, 120)]
    )
    chunks = chunk_document(make_doc(text), ChunkSettings(target_words=100, max_words=150, overlap_words=0))
    assert chunks[0].heading == "Thủ tục khai sinh"
    assert chunks[-1].heading == "Điều 5. Lệ phí"
    assert heading_text("Chương II") == "Chương II"
    assert heading_text("Một câu văn bình thường có dấu chấm ở cuối.") is None


def test_folded_question_words_are_found_in_chunks(sample_corpus: Path) -> None:
    doc = load_document(sample_corpus / "thu-tuc" / "dang-ky-thuong-tru.md", "thu-tuc/dang-ky-thuong-tru.md")
    chunks = chunk_document(doc, ChunkSettings())
    assert any("cong an cap xa" in fold(chunk.text) for chunk in chunks)


def test_empty_document_text_gives_no_chunks() -> None:
    assert chunk_document(make_doc(""), ChunkSettings()) == []


def test_short_statute_article_is_one_chunk() -> None:
    text = "\n\n".join(
        [
            "Hoa lợi, lợi tức",
            "1. Hoa lợi là sản vật tự nhiên mà tài sản mang lại.",
            "2. Lợi tức là khoản lợi thu được từ việc khai thác tài sản.",
        ]
    )
    chunks = chunk_document(make_doc(text), ChunkSettings())
    assert [c.text for c in chunks] == [text]
    assert chunks[0].heading == "Hoa lợi, lợi tức"
