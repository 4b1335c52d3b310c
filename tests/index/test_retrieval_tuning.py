"""Accent restoration for the dense model, document-level fusion, and their wiring into Library.search."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from index.base import EmbedKind, Vectors
from index.fusion import weighted_fusion
from index.library import Library
from index.text import AccentRestorer, NameLexicon
from ingest.vietnamese import syllables
from tests.index.helpers import HashingEmbedder, settings_for, write_corpus

TEXTS = [
    "Thành phố Cần Thơ xếp hạng thứ 12 về chuyển đổi số.",
    "Cần Thơ đẩy mạnh dịch vụ công trực tuyến.",
    "Cân nặng của trẻ em được đo hằng tháng tại trạm y tế.",
    "Trẻ thiếu cân nặng được bổ sung vi chất.",
    "Hồ sơ cần có giấy khai sinh của trẻ.",
]


def test_restorer_picks_the_form_that_the_neighbouring_syllable_makes_likely() -> None:
    restorer = AccentRestorer(TEXTS)
    # "can" is "cần" before "thơ" and "cân" before "nặng": the bigram outweighs the more frequent "cần".
    assert restorer.restore("can tho xep hang") == "cần thơ xếp hạng"
    assert restorer.restore("can nang cua tre em") == "cân nặng của trẻ em"


def test_restorer_keeps_punctuation_and_unknown_syllables() -> None:
    restorer = AccentRestorer(TEXTS)
    assert restorer.restore("Can Tho, xep hang zin?") == "cần thơ, xếp hạng zin?"
    assert restorer.restore("") == ""
    assert AccentRestorer([]).restore("can tho") == "can tho"


def test_restorer_knows_question_words_that_documents_rarely_write() -> None:
    # The corpus writes "bảo" and "nhiều" but never asks "bao nhiêu" or "nào".
    restorer = AccentRestorer([*TEXTS, "Ông bảo rằng nhiều xã đã làm.", "Nao núng không phải là cách."])
    assert restorer.restore("can tho xep hang bao nhieu") == "cần thơ xếp hạng bao nhiêu"
    assert restorer.restore("ho so gom nhung gi") == "hồ sơ gồm những gì"
    assert restorer.restore("xa nao da lam") == "xã nào đã làm"


def test_restorer_can_keep_the_typed_case() -> None:
    restorer = AccentRestorer(TEXTS)
    assert restorer.restore("UBND TP Can Tho xep hang?", keep_case=True) == "UBND TP Cần Thơ xếp hạng?"
    assert restorer.restore("İstanbul can tho", keep_case=True).endswith("cần thơ")  # "İ".lower() is 2 chars


def test_document_fusion_scores_a_document_with_its_best_bm25_and_best_dense() -> None:
    # Chunks 0 and 1 belong to document A: BM25 finds chunk 0, the dense model chunk 1. Chunk 2 (document
    # B) is second in both rankings.
    bm25 = [(0, 10.0), (2, 8.0), (1, 0.0)]
    dense = [(1, 0.9), (2, 0.8), (0, 0.0)]
    documents = {0: "A", 1: "A", 2: "B"}
    plain = weighted_fusion(bm25, dense, 0.5, 3)
    assert plain[0].position == 2  # 0.5 * 0.8 + 0.5 * 0.89: the only chunk both rankings liked
    fused = weighted_fusion(bm25, dense, 0.5, 3, documents.__getitem__)
    assert [f.position for f in fused] == [0, 2, 1]
    assert fused[0].score == pytest.approx(1.0)  # A's best BM25 and best dense, both 1 after min-max
    assert fused[2].score == pytest.approx(0.5)  # the other chunk of A keeps its own score
    assert fused[0].bm25 == 10.0 and fused[0].dense == 0.0  # raw scores stay the chunk's own


class RecordingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []

    def embed(self, texts: Sequence[str], kind: EmbedKind = "passage") -> Vectors:
        if kind == "query":
            self.queries.extend(texts)
        return super().embed(texts, kind)


def test_library_embeds_unaccented_questions_with_restored_accents(tmp_path: Path) -> None:
    embedder = RecordingEmbedder()
    library = Library.open(settings_for(tmp_path / "home"), embedder=embedder)
    library.ingest([write_corpus(tmp_path / "corpus")])
    hits = library.search("can tho xep hang thu may", k=1)
    assert hits[0].chunk.doc_id == "can-tho.txt"
    # "mấy" is not in the corpus: the restorer knows it as a question word.
    assert embedder.queries[-1] == "cần thơ xếp hạng thứ mấy"
    library.search("Cần Thơ xếp hạng thứ mấy?", k=1)
    assert embedder.queries[-1] == "Cần Thơ xếp hạng thứ mấy?"  # an accented question is left alone
    plain = library.settings.retrieval.model_copy(update={"restore_accents": False})
    library.search("can tho xep hang", k=1, retrieval=plain)
    assert embedder.queries[-1] == "can tho xep hang"


@pytest.mark.shared
def test_restorer_on_a_real_corpus_restores_most_syllables(shared_dir: Path) -> None:
    """The ViRHE4QA corpus restores the unaccented twin of each dev question (measured: 96% of syllables)."""
    corpus = shared_dir / "corpus" / "virhe4qa"
    restorer = AccentRestorer(p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.txt")))
    qa = shared_dir / "qa"

    def questions(name: str) -> list[str]:
        lines = (qa / name).read_text(encoding="utf-8").splitlines()
        return [json.loads(line)["question"] for line in lines if line.strip()]

    right = total = 0
    for accented, plain in zip(
        questions("virhe4qa-dev.jsonl"), questions("virhe4qa-dev-noaccent.jsonl"), strict=True
    ):
        expected, restored = syllables(accented), syllables(restorer.restore(plain))
        assert len(expected) == len(restored)
        right += sum(a == b for a, b in zip(expected, restored, strict=True))
        total += len(expected)
    assert right / total >= 0.93


def test_library_restores_accents_for_the_model_keeping_case(tmp_path: Path) -> None:
    library = Library.open(settings_for(tmp_path / "home"), embedder=RecordingEmbedder())
    assert library.restore_accents("Can Tho xep hang") == "Can Tho xep hang"  # no index yet: unchanged
    library.ingest([write_corpus(tmp_path / "corpus")])
    assert library.restore_accents("Can Tho xep hang thu may?") == "Cần Thơ xếp hạng thứ mấy?"
    assert library.restore_accents("Cần Thơ xếp hạng?") == "Cần Thơ xếp hạng?"  # typed with accents


def test_name_lexicon_finds_corpus_names_typed_in_lower_case() -> None:
    lexicon = NameLexicon(
        [
            "Lễ ký kết diễn ra tại UBND TP Cần Thơ. Sau đó tỉnh Quảng Trị cũng ký với VNPT.",
            "Theo Chủ tịch xã, năm nay xã làm tốt.",  # "Theo Chủ" only opens a sentence: not a name
        ]
    )
    assert lexicon.find("le ky ket voi can tho o dau") == ["can tho"]
    assert lexicon.find("Lễ ký kết với UBND TP Cần Thơ và quang tri") == ["UBND TP Cần Thơ", "quang tri"]
    assert lexicon.find("theo chu tich xa") == []


def test_library_finds_corpus_names(tmp_path: Path) -> None:
    library = Library.open(settings_for(tmp_path / "home"), embedder=RecordingEmbedder())
    assert library.corpus_names("can tho xep hang") == []  # no index yet
    library.ingest([write_corpus(tmp_path / "corpus")])
    assert library.corpus_names("can tho xep hang may") == ["can tho"]
