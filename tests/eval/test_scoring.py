from __future__ import annotations

import pytest

from eval.qa import CitedSource, QAItem, ResultLine, RetrievedSource
from eval.scoring import (
    citation_precision,
    contains,
    is_correct,
    latency,
    normalize,
    percentile,
    score_run,
    score_with_subsets,
    token_recall,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.320 người", "1320 người"),
        ("1,320 người", "1320 người"),
        ("Giá 1.320.000 đồng.", "giá 1320000 đồng"),
        ("4,2 triệu", "4 2 triệu"),
        ("12.3456", "12 3456"),
        ("Năm 2025-2030, tại Đồng Hới!", "năm 2025 2030 tại đồng hới"),
        ("TP.HCM", "tp hcm"),
        ("  nhiều   khoảng\ttrắng ", "nhiều khoảng trắng"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_normalize_composes_unicode() -> None:
    decomposed = "Hoa\u0300 Bi\u0300nh"
    assert normalize(decomposed) == "hoà bình"


def test_contains_on_word_boundaries() -> None:
    assert not contains("dân số 1100 người", "110")
    assert contains("dân số 110 người", "110")
    assert contains("dân số 1.320 người", "1320")
    assert contains("dân số 1320 người", "1.320")
    assert contains("khoảng 4,2 triệu đồng", "4,2 triệu")
    assert not contains("khoảng 4,25 triệu đồng", "4,2 triệu")
    assert not contains("Hà Nội", "Nội Bài")
    assert contains("Diễn ra ở phường Đồng Hới [1].", "Đồng Hới")
    assert not contains("bất kỳ", "   ")


def _item(**kw: object) -> QAItem:
    data: dict[str, object] = {"id": "q", "question": "Câu?", "answers": ["Đồng Hới"], "sources": ["a.txt"]}
    data.update(kw)
    return QAItem.model_validate(data)


def test_is_correct_alternatives_all_of_and_refusal() -> None:
    item = _item(answers=["2025-2030", "2025 đến 2030"])
    assert is_correct(item, "Giai đoạn 2025 đến 2030.", refused=False)
    assert not is_correct(item, "Giai đoạn 2025 đến 2030.", refused=True)
    assert not is_correct(item, "Giai đoạn 2026.", refused=False)
    both = _item(answers=[], all_of=["giáo dục thông minh", "y tế số"])
    assert is_correct(both, "Gồm giáo dục thông minh và y tế số.", refused=False)
    assert not is_correct(both, "Gồm giáo dục thông minh.", refused=False)
    unanswerable = _item(answers=[], sources=[], answerable=False)
    assert not is_correct(unanswerable, "Đồng Hới", refused=False)


def test_token_recall_takes_best_alternative() -> None:
    item = _item(answers=["bồi thường thiệt hại", "đền bù"])
    assert token_recall(item, "Phải bồi thường cho bên kia") == 0.5  # 2 of 4 syllables
    assert token_recall(item, "Phải đền bù") == 1.0
    assert token_recall(item, "Phải đền bù", refused=True) == 0.0
    both = _item(answers=[], all_of=["y tế số", "giáo dục"])
    assert token_recall(both, "y tế và giáo dục") == pytest.approx(4 / 5)


def test_citation_precision() -> None:
    assert citation_precision(["seeds/a.txt", "a.txt", "b.txt"], ["a.txt"]) == 0.5
    assert citation_precision(["a.txt"], ["corpus/a.txt"]) == 1.0
    assert citation_precision([], ["a.txt"]) is None


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile([7.0], 95) == 7.0
    assert latency([ResultLine(id="a", question="?", timings_ms={"total": 3.0})])["total"]["p95"] == 3.0


def _row(
    qid: str,
    answer: str,
    *,
    refused: bool = False,
    cited: tuple[str, ...] = (),
    retrieved: tuple[str, ...] = ("a.txt",),
    timings: dict[str, float] | None = None,
    unsupported: tuple[str, ...] = (),
) -> ResultLine:
    return ResultLine(
        id=qid,
        question="?",
        answer=answer,
        refused=refused,
        citations=[CitedSource(n=i + 1, source=s) for i, s in enumerate(cited)],
        retrieved=[RetrievedSource(source=s) for s in retrieved],
        timings_ms=timings or {"total": 100.0},
        unsupported=list(unsupported),
    )


def test_score_run_over_a_hand_made_run() -> None:
    items = [
        _item(id="q1", question="Ở đâu?"),
        _item(id="q2", question="o dau?", answers=["110"], sources=["b.txt"]),
        _item(id="q3", question="Bao nhiêu?", answers=["4,2 triệu"], sources=["c.txt"]),
        _item(id="q4", question="Không có?", answers=[], sources=[], answerable=False),
        _item(id="q5", question="khong co?", answers=[], sources=[], answerable=False),
        _item(id="q6", question="Chưa chạy?"),
    ]
    rows = {
        "q1": _row("q1", "Tại Đồng Hới [1][2].", cited=("a.txt", "z.txt"), timings={"total": 100.0}),
        "q2": _row(
            "q2",
            "Có 1100 người [1].",
            cited=("b.txt",),
            retrieved=("x.txt", "b.txt"),
            unsupported=("1100",),
            timings={"total": 300.0},
        ),
        "q3": _row("q3", "Không tìm thấy.", refused=True, retrieved=("x.txt",), timings={"total": 200.0}),
        "q4": _row("q4", "Không có thông tin.", refused=True, retrieved=("x.txt",), timings={"total": 50.0}),
        "q5": _row("q5", "Có 5 tỷ.", retrieved=("x.txt",), timings={"total": 400.0}),
    }
    metrics = score_with_subsets(items, rows)
    assert metrics["questions"] == 5
    assert metrics["answerable"] == 3
    assert metrics["answer_accuracy"] == pytest.approx(1 / 3)
    assert metrics["answer_token_recall"] == pytest.approx(1 / 3)
    assert metrics["citation_accuracy"] == pytest.approx((0.5 + 1.0) / 2)
    assert metrics["cited_answers"] == 2
    assert metrics["false_refusal_rate"] == pytest.approx(1 / 3)
    assert metrics["refusal_accuracy"] == pytest.approx(1 / 2)
    assert metrics["unsupported_answers"] == 1
    retrieval = metrics["retrieval"]
    assert isinstance(retrieval, dict)
    assert retrieval["count"] == 3
    assert retrieval["hit@1"] == pytest.approx(1 / 3)
    assert retrieval["hit@3"] == pytest.approx(2 / 3)
    assert metrics["latency_ms"] == {"total": {"p50": 200.0, "p95": 400.0, "count": 5.0}}
    sub = metrics["unaccented"]
    assert isinstance(sub, dict)
    assert sub["questions"] == 2
    assert sub["answer_accuracy"] == 0.0
    assert sub["refusal_accuracy"] == 0.0


def test_retrieval_only_run_has_no_answer_metrics() -> None:
    items = [_item(id="q1")]
    metrics = score_run(items, {"q1": _row("q1", "")}, answers=False)
    assert "answer_accuracy" not in metrics
    assert metrics["retrieval"] == {"count": 1, "mrr": 1.0, "hit@1": 1.0, "hit@3": 1.0, "hit@5": 1.0}
