"""A small bench of the answer pipeline: ingest a corpus, answer a QA file, print each result and totals.

    nice python -m eval.bench_answers --qa ../shared/qa/seeds-dev.jsonl --corpus ../shared/corpus/seeds

Scoring is `eval.scoring` (EVAL-FORMAT.md). The full `troly eval run` is built on the same pipeline.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from assistant.llm.factory import build_chat_model
from assistant.pipeline import AnswerPipeline
from eval.qa import QAItem, load_qa
from eval.scoring import citation_precision, is_correct
from index.library import Library
from troly.records import Answer
from troly.settings import Settings


def _p50(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def run(items: Sequence[QAItem], pipeline: AnswerPipeline) -> list[tuple[QAItem, Answer]]:
    results = []
    for item in items:
        answer = pipeline.answer(item.question)
        results.append((item, answer))
        cited = sorted({c.source for c in answer.citations})
        mark = "REFUSED" if answer.refused else ("OK" if is_correct(item, answer.text, False) else "WRONG")
        if not item.answerable:
            mark = "OK-refused" if answer.refused else "WRONG-answered"
        timing = answer.timings_ms
        print(
            f"{item.id}\t{mark}\tttft={timing.get('first_token', 0) / 1000:.1f}s "
            f"total={timing.get('total', 0) / 1000:.1f}s\tcited={cited}\tunsupported={answer.unsupported}\n"
            f"\t{answer.text}",
            flush=True,
        )
    return results


def summarize(results: Sequence[tuple[QAItem, Answer]]) -> dict[str, float | None]:
    answerable = [(i, a) for i, a in results if i.answerable]
    unanswerable = [(i, a) for i, a in results if not i.answerable]
    precisions = [
        p
        for i, a in answerable
        if not a.refused and (p := citation_precision([c.source for c in a.citations], i.sources)) is not None
    ]
    generated = [a for _, a in results if a.timings_ms.get("generate", 0) > 0]
    return {
        "answer_accuracy": sum(is_correct(i, a.text, a.refused) for i, a in answerable) / len(answerable)
        if answerable
        else None,
        "citation_accuracy": statistics.mean(precisions) if precisions else None,
        "false_refusal_rate": sum(a.refused for _, a in answerable) / len(answerable) if answerable else None,
        "refusal_accuracy": sum(a.refused for _, a in unanswerable) / len(unanswerable)
        if unanswerable
        else None,
        "unsupported_answers": float(sum(bool(a.unsupported) and not a.refused for _, a in results)),
        "first_token_p50_ms": _p50([a.timings_ms["first_token"] for a in generated]),
        "total_p50_ms": _p50([a.timings_ms["total"] for a in generated]),
        "retrieve_p50_ms": _p50([a.timings_ms["retrieve"] for _, a in results]),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--qa", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument(
        "--home", type=Path, default=None, help="TROLY_HOME to reuse (default: a temp folder)"
    )
    args = parser.parse_args(argv)
    items = load_qa(args.qa, limit=args.limit)
    with tempfile.TemporaryDirectory(prefix="troly-bench-") as tmp:
        settings = Settings(home=args.home or Path(tmp))
        library = Library.open(settings)
        started = time.perf_counter()
        library.ingest([args.corpus])
        print(f"ingested {args.corpus} in {time.perf_counter() - started:.1f}s", flush=True)
        model = build_chat_model(settings)
        load = getattr(model, "load", None)
        if callable(load):  # a server loads the model once; timings are per question
            started = time.perf_counter()
            load()
            print(f"model loaded in {time.perf_counter() - started:.1f}s", flush=True)
        pipeline = AnswerPipeline(settings, library, model)
        results = run(items, pipeline)
    budget = settings.answer.evidence_tokens
    print(f"\n{len(results)} questions, model {pipeline.chat_model.name}, evidence {budget} tokens")
    for key, value in summarize(results).items():
        print(f"{key}\t{'-' if value is None else round(value, 3)}")


if __name__ == "__main__":
    main()
