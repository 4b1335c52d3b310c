"""Answers to "VNPT cam kết gì với X về Y?" from the tracker's rows, over a real Library (BM25 only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.commitment_answers import is_commitment_question
from assistant.llm.scripted import ScriptedChatModel
from assistant.pipeline import AnswerPipeline
from assistant.planning import AnswerPlanner
from index.library import Library
from tests.ingest.commitment_texts import write_agreements
from troly.settings import EmbeddingSettings, RetrievalSettings, Settings


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    home = tmp_path_factory.mktemp("commitment-answers")
    corpus = write_agreements(home / "corpus")
    settings = Settings(
        home=home, embedding=EmbeddingSettings(backend="none"), retrieval=RetrievalSettings(fusion="bm25")
    )
    library = Library.open(settings)
    assert not library.ingest([corpus]).failed
    return library


def _statements(library: Library, question: str) -> list[tuple[str, str]] | None:
    plan = AnswerPlanner(library.settings, library).plan(question)
    (part,) = plan.parts
    found = part.profile_answer
    if found is None or not found.statements:
        return None
    texts = {d.id: d.text for d in library.documents()}
    return [(s.text, texts[s.doc_id][s.start : s.end]) for s in found.statements]


def test_what_a_side_committed_to_with_each_quote(library: Library) -> None:
    said = _statements(library, "VNPT cam kết gì với tỉnh Lạng Sơn?")
    assert said is not None
    lines = [line for line, _ in said]
    assert any("phủ sóng 5G" in line for line in lines)
    assert not any("tạo điều kiện thuận lợi" in line for line in lines)  # the province's, not VNPT's
    assert not any("sàn thương mại điện tử" in q and "nông sản" in q for _, q in said)  # Bắc Kạn's row
    for line, quote in said:
        assert quote and (quote in line or line.endswith(quote))


def test_typed_without_diacritics_with_a_pillar_and_the_other_side(library: Library) -> None:
    economy = _statements(library, "vnpt cam ket gi voi bac kan ve kinh te so")
    assert economy is not None and [q for _, q in economy] == [
        "Về kinh tế số, VNPT sẽ đưa nông sản của hợp tác xã lên sàn thương mại điện tử"
    ]
    province = _statements(library, "Lạng Sơn cam kết gì với VNPT?")
    assert province is not None
    assert province[0][0].startswith("Lạng Sơn: ") or "Lạng Sơn" in province[0][0]
    assert any("kinh phí đối ứng" in q for _, q in province)


def test_figures_and_dates_are_left_to_the_model() -> None:
    assert is_commitment_question("VNPT cam kết những gì với Quảng Trị?")
    assert is_commitment_question("Các cam kết của VNPT với Cần Thơ về xã hội số")
    assert not is_commitment_question("VNPT cam kết đầu tư bao nhiêu tiền cho hạ tầng 5G ở Quảng Trị?")
    assert not is_commitment_question("VNPT cam kết hoàn thành khi nào?")


def test_the_pipeline_states_the_rows_with_citations_without_the_model(library: Library) -> None:
    model = ScriptedChatModel(["Không được gọi."])
    answer = AnswerPipeline(library.settings, library, model).answer("VNPT cam kết gì với tỉnh Lạng Sơn?")
    assert not answer.refused and answer.format == "list"
    assert model.history == []
    assert "phủ sóng 5G" in answer.text and "[1]" in answer.text
    texts = {d.id: d.text for d in library.documents()}
    assert all(texts[c.source][c.start : c.end] == c.quote for c in answer.citations)


@pytest.mark.shared
def test_seed_questions_about_commitments(shared_dir: Path, tmp_path: Path) -> None:
    """seeds-tasks-dev: k01 is answered from the rows with its key phrases; k08, k21 name provinces the seeds
    do not hold and get no rows of another province."""
    import json

    settings = Settings(
        home=tmp_path, embedding=EmbeddingSettings(backend="none"), retrieval=RetrievalSettings(fusion="bm25")
    )
    library = Library.open(settings)
    library.ingest([shared_dir / "corpus" / "seeds"])
    items = {
        row["id"]: row
        for row in map(json.loads, (shared_dir / "qa" / "seeds-tasks-dev.jsonl").read_text().splitlines())
    }
    planner = AnswerPlanner(settings, library)
    k01 = items["k01"]
    said = " ".join(line for line, _ in _statements(library, k01["question"]) or [])
    assert all(phrase in said for phrase in k01["all_of"])
    assert all(phrase in said for phrase in k01["answers"])
    for trap in ("k08", "k21"):
        plan = planner.plan(items[trap]["question"])
        assert plan.scope.missing and not any(p.profile_answer for p in plan.parts)
