"""Two replicas on one PostgreSQL, on loopback: load, shared keys, shared limits, uploads, a replica killed.

    python -m eval.bench_replicas [--clients 50] [--searches-per-client 20] [--corpus DIR] [--limit 60]
                                  [--lease-s 30]

An embedded PostgreSQL (pgvector) is started under --data; the corpus (default: a generated one, see
eval.load_bench) is ingested with the real embedding model through `troly ingest`; then two `troly serve`
processes, each with its own home, share the database (TROLY_DATABASE__URL, TROLY_INDEX__BACKEND=postgres)
and one uploads folder. They generate no answers here (the LLM backend points nowhere): the figures are
for search, keys, limits, the index and the upload job queue, what the replicas share. A starts first, so its
worker holds the job queue; after A is killed, an upload through B waits for A's lease to lapse
(--lease-s), then B's worker runs it. Prints one line per measurement.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import psycopg

from eval.load_bench import Phase, generated_corpus
from troly.postgres import schema
from troly.postgres.embedded import EmbeddedPostgres
from troly.settings import DatabaseSettings
from web.postgres_store import PostgresStore

DATABASE = "bench_replicas"
_CLI = [sys.executable, "-c", "from troly.cli import main; main()"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env(home: Path, url: str, uploads: Path, limit: int, lease_s: float) -> dict[str, str]:
    return {
        **os.environ,
        "TROLY_HOME": str(home),
        "TROLY_DATABASE__URL": url,
        "TROLY_INDEX__BACKEND": "postgres",
        "TROLY_SERVER__UPLOADS_DIR": str(uploads),
        "TROLY_SERVER__RATE_LIMIT_PER_MINUTE": str(limit),
        "TROLY_JOBS__LEASE_S": str(lease_s),
        "TROLY_LLM__BACKEND": "openai",
        "TROLY_OPENAI__BASE_URL": "http://127.0.0.1:9/v1",
    }


# Replica name by process id, to tell which replica's worker ran a job (its holder names the pid).
_BY_PID: dict[int, str] = {}


class Replica:
    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.name = name
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(env["TROLY_HOME"]) / "serve.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [*_CLI, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        _BY_PID[self.process.pid] = name

    @classmethod
    def named(cls, worker: str) -> str:
        """The replica whose ingest worker is `worker` (host:pid:nonce, web/ingest_worker.py)."""
        parts = worker.split(":")
        return _BY_PID.get(int(parts[1]), worker) if len(parts) == 3 and parts[1].isdigit() else worker

    def wait(self, token: str) -> None:
        deadline = time.monotonic() + 120
        while True:
            try:
                # One search loads the embedding model and the generation before the clock starts.
                response = httpx.get(
                    f"{self.url}/v1/search", params={"q": "khởi động"}, headers=_bearer(token), timeout=60
                )
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"replica {self.name} did not start; see {self.log}")
            time.sleep(0.3)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def load(
    targets: Sequence[str],
    tokens: Sequence[str],
    queries: Sequence[str],
    each: int,
    kill_after_s: float = 0.0,
    victim: Replica | None = None,
) -> dict[str, Phase]:
    """`len(tokens)` clients, client i on targets[i % len(targets)] with its own key, `each` searches each;
    with `victim`, it is killed `kill_after_s` into the run."""
    phases = {url: Phase(url) for url in targets}
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def run(i: int) -> None:
            url = targets[i % len(targets)]
            for n in range(each):
                started = time.perf_counter()
                try:
                    response = await client.get(
                        f"{url}/v1/search",
                        params={"q": queries[(i + n) % len(queries)]},
                        headers=_bearer(tokens[i]),
                    )
                except httpx.HTTPError as exc:
                    phases[url].record(started, None, type(exc).__name__)
                else:
                    phases[url].record(started, response)

        async def killer() -> None:
            if victim is not None:
                await asyncio.sleep(kill_after_s)
                victim.kill()

        started = time.perf_counter()
        await asyncio.gather(killer(), *(run(i) for i in range(len(tokens))))
        for phase in phases.values():
            phase.wall_s = time.perf_counter() - started
    return phases


def upload(
    store: PostgresStore, to: Replica, search: Replica, token: str, name: str, text: bytes, phrase: str
) -> dict[str, object]:
    """Upload one file through `to` (a job), then search for `phrase` through `search` until its file is the
    first hit: the times from the request, and which replica's worker ran the job."""
    started = time.perf_counter()
    uploaded = httpx.post(
        f"{to.url}/v1/documents", files=[("files", (name, text))], headers=_bearer(token), timeout=120
    )
    answered = time.perf_counter()
    while True:
        hits = httpx.get(f"{search.url}/v1/search", params={"q": phrase}, headers=_bearer(token)).json()[
            "results"
        ]
        if (hits and hits[0]["source"] == name) or time.perf_counter() - answered > 120:
            break
        time.sleep(0.05)
    found = time.perf_counter()
    job = store.get_job(uploaded.json()["id"]) if uploaded.status_code == 202 else None
    worker = str(job["worker"] or "") if job else ""
    return {
        "upload_status": uploaded.status_code,
        "upload_answered_s": round(answered - started, 2),
        "found_after_upload_answered_s": round(found - answered, 2),
        "from_upload_start_s": round(found - started, 2),
        "job": None if job is None else job["state"],
        "job_attempts": None if job is None else job["attempts"],
        "job_run_by": Replica.named(worker),
    }


def _print(label: str, value: object) -> None:
    print(
        f"{label}: {json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value}",
        flush=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, help="folder to index (default: a generated corpus)")
    parser.add_argument("--documents", type=int, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--searches-per-client", type=int, default=20)
    parser.add_argument("--limit", type=int, default=60, help="requests per minute per key, on both replicas")
    parser.add_argument(
        "--lease-s", type=float, default=30.0, help="jobs.lease_s: how long a killed worker holds the queue"
    )
    parser.add_argument("--data", type=Path, default=Path("/tmp/troly-bench-replicas"))
    args = parser.parse_args(argv)

    args.data.mkdir(parents=True, exist_ok=True)
    server = EmbeddedPostgres(args.data / "pg").start()
    with psycopg.connect(server.url_for("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    url = server.url_for(DATABASE)
    schema.upgrade(url)
    replicas: list[Replica] = []
    with tempfile.TemporaryDirectory(prefix="troly-replicas-") as tmp:
        root = Path(tmp)
        uploads = root / "shared-uploads"
        corpus = args.corpus
        queries = ["chuyển đổi số cấp xã", "dịch vụ công trực tuyến", "chữ ký số cho cán bộ"]
        if corpus is None:
            corpus = root / "corpus"
            corpus.mkdir()
            queries = generated_corpus(corpus, args.documents)
        env_a = _env(root / "a", url, uploads, args.limit, args.lease_s)
        env_b = _env(root / "b", url, uploads, args.limit, args.lease_s)
        started = time.perf_counter()
        subprocess.run([*_CLI, "ingest", str(corpus)], env=env_a, check=True, capture_output=True)
        _print(
            "ingest through replica A's CLI (real embedder, into PostgreSQL)",
            f"{time.perf_counter() - started:.1f} s",
        )
        store = PostgresStore(DatabaseSettings(url=url))
        try:
            _, admin = store.create_key("bench-admin", admin=True)
            # A first: its ingest worker takes the job queue's lease, so that killing A below kills the holder.
            replicas = [Replica("A", env_a)]
            replicas[0].wait(admin)
            replicas.append(Replica("B", env_b))
            replicas[1].wait(admin)
            a, b = replicas

            made = subprocess.run(
                [*_CLI, "keys", "create", "--name", "made-on-a"],
                env=env_a,
                check=True,
                capture_output=True,
                text=True,
            )
            token = made.stdout.strip().splitlines()[-1]
            first = httpx.get(f"{b.url}/v1/search", params={"q": queries[0]}, headers=_bearer(token))
            _print("key created by `troly keys create` on A, first request on B", first.status_code)

            tokens = [store.create_key(f"client-{i}")[1] for i in range(args.clients)]
            phases = asyncio.run(load([a.url, b.url], tokens, queries, args.searches_per_client))
            for replica in replicas:
                _print(
                    f"{args.clients} clients split across both, on {replica.name}",
                    phases[replica.url].summary(),
                )

            _, limited = store.create_key("limited")
            codes = [
                httpx.get(
                    f"{(a, b)[i % 2].url}/v1/search", params={"q": queries[0]}, headers=_bearer(limited)
                ).status_code
                for i in range(2 * args.limit)
            ]
            _print(
                f"one key, {2 * args.limit} requests alternating A/B, limit {args.limit}/min on each",
                {
                    "200": codes.count(200),
                    "429": codes.count(429),
                    "other": len(codes) - codes.count(200) - codes.count(429),
                },
            )

            phrase = f"Phường Bình Thủy mở điểm hỗ trợ chữ ký số lưu động số {int(time.time())}"
            text = f"Thông báo\n\n{phrase}, phục vụ người cao tuổi tại nhà văn hóa khu vực.".encode()
            _print(
                "upload through A, found by search through B",
                upload(store, a, b, admin, "binh-thuy.txt", text, phrase),
            )

            tokens = [store.create_key(f"kill-{i}")[1] for i in range(args.clients)]
            phases = asyncio.run(
                load([a.url, b.url], tokens, queries, args.searches_per_client, kill_after_s=1.0, victim=a)
            )
            _print("A killed (SIGKILL) 1 s into the load: B's clients", phases[b.url].summary())
            _print(
                "A killed (SIGKILL) 1 s into the load: A's clients (expected to fail)",
                phases[a.url].summary(),
            )
            phrase = f"Xã Thới Hưng tiếp nhận hồ sơ cấp đổi giấy phép lái xe số {int(time.time())}"
            text = f"Thông báo\n\n{phrase} vào sáng thứ Sáu tại trụ sở xã.".encode()
            _print(
                f"after A was killed: upload through B, found through B (jobs.lease_s {args.lease_s:g})",
                upload(store, b, b, admin, "thoi-hung.txt", text, phrase),
            )
        finally:
            store.close()
            for replica in replicas:
                replica.stop()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
