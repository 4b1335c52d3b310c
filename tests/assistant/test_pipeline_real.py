"""The whole answer path on real components: the sample corpus ingested by the real Library (BM25 + e5
vectors), the embedded Qwen2.5 GGUF run by llama.cpp on CPU, citations and verification in code."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.llm.llamacpp_chat_model import LlamaCppChatModel
from assistant.pipeline import AnswerPipeline
from index.library import Library
from troly.settings import Settings


def real_settings(home: Path) -> Settings:
    settings = Settings(home=home)
    # The 0.5B model keeps CI fast; the pipeline's refusal, citations and checks do not depend on its size.
    settings.llm.model = "qwen2.5-0.5b"
    settings.llm.threads = 2
    return settings


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> AnswerPipeline:
    pytest.importorskip("llama_cpp")
    settings = real_settings(tmp_path_factory.mktemp("troly-home"))
    library = Library.open(settings)
    library.ingest([Path(__file__).resolve().parents[2] / "samples" / "corpus"])
    return AnswerPipeline(settings, library, LlamaCppChatModel(settings))


@pytest.mark.slow
def test_real_model_answers_with_a_verified_citation(pipeline: AnswerPipeline) -> None:
    answer = pipeline.answer("UBND TP. Hồ Chí Minh và VNPT ký thỏa thuận chuyển đổi số vào ngày nào?")
    assert not answer.refused, answer
    assert "6/9/2022" in answer.text
    assert answer.unsupported == []
    assert [c.source for c in answer.citations][:1] == ["vnpt-tphcm-2022.txt"]
    library = pipeline.retriever
    for citation in answer.citations:
        document = library.document(citation.source)
        assert document is not None and document.text[citation.start : citation.end] == citation.quote
    assert answer.timings_ms["first_token"] > answer.timings_ms["retrieve"] > 0
    assert answer.model == "qwen2.5-0.5b"


@pytest.mark.slow
def test_real_pipeline_refuses_a_question_the_corpus_cannot_answer(pipeline: AnswerPipeline) -> None:
    answer = pipeline.answer("VNPT cam kết đầu tư bao nhiêu tiền cho hạ tầng 5G ở Quảng Trị?")
    assert answer.refused and answer.citations == []
