"""A real HTTP server speaking the part of Ollama's API troly uses, on 127.0.0.1 with an ephemeral port; it
also serves OpenAI's streamed chat completions and model list (/v1/...), as vLLM does.

Use the `ollama_server` fixture (import it into a conftest or test module):

    from tests.fakes.ollama_server import FakeOllama, ollama_server  # noqa: F401

    def test_x(ollama_server: FakeOllama) -> None:
        ollama_server.enqueue("Xin chào")
        client = ollama.Client(host=ollama_server.url)

Replies come from a scripted queue (else an echo of the last user message); embeddings are deterministic
unit vectors derived from a hash of the text; `delay_s` sleeps before each reply to test timeouts.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest

EMBED_DIM = 16


def fake_embedding(text: str, dim: int = EMBED_DIM) -> list[float]:
    """Deterministic, not normalised (so clients must normalise), never all zeros."""
    seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")
    vector = np.random.default_rng(seed).normal(size=dim) * 3.0
    return [float(x) for x in vector]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out has hung up; writing to it fails, as it would against real Ollama.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeOllama:
    def __init__(
        self,
        models: tuple[str, ...] = ("qwen2.5:7b-instruct", "bge-m3"),
        *,
        embed_dim: int = EMBED_DIM,
    ) -> None:
        self.models = list(models)
        self.embed_dim = embed_dim
        self.delay_s = 0.0
        self.replies: deque[str] = deque()
        self.failures: deque[tuple[int, str]] = deque()
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._server = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def enqueue(self, text: str) -> None:
        self.replies.append(text)

    def fail_next(self, status: int, message: str) -> None:
        """The next POST answers HTTP `status` with `{"error": message}`; status 0 means an error line
        in the middle of a streamed chat, as Ollama sends when a runner crashes."""
        self.failures.append((status, message))

    def start(self) -> FakeOllama:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def next_reply(self, messages: list[dict[str, Any]]) -> str:
        if self.replies:
            return self.replies.popleft()
        users = [m.get("content", "") for m in messages if m.get("role") == "user"]
        return f"Bạn hỏi: {users[-1] if users else ''}"


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _pieces(text: str) -> Iterator[str]:
    """Split into word-sized pieces that keep their trailing spaces, like a tokenizer's stream."""
    start = 0
    for i, ch in enumerate(text):
        if ch == " " and i + 1 < len(text) and text[i + 1] != " ":
            yield text[start : i + 1]
            start = i + 1
    if start < len(text):
        yield text[start:]


def _handler_for(fake: FakeOllama) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

        def _send_json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _read_json(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b"{}"
            body: dict[str, Any] = json.loads(raw or b"{}")
            return body

        def do_GET(self) -> None:
            fake.requests.append((f"GET {self.path}", {}))
            if self.path == "/api/version":
                self._send_json(200, {"version": "0.0.0-fake"})
            elif self.path == "/api/tags":
                models = [{"name": m, "model": m, "modified_at": _now(), "size": 1} for m in fake.models]
                self._send_json(200, {"models": models})
            elif self.path == "/v1/models":
                self._send_json(
                    200, {"object": "list", "data": [{"id": m, "object": "model"} for m in fake.models]}
                )
            else:
                self._send_json(404, {"error": "not found"})

        def do_POST(self) -> None:
            body = self._read_json()
            fake.requests.append((f"POST {self.path}", body))
            model = str(body.get("model", ""))
            if self.path not in ("/api/chat", "/api/embed", "/v1/chat/completions"):
                self._send_json(404, {"error": "not found"})
                return
            if model not in fake.models:
                self._send_json(404, {"error": {"message": f"model '{model}' not found"}})
                return
            if fake.delay_s:
                time.sleep(fake.delay_s)
            if fake.failures and fake.failures[0][0] != 0:
                status, message = fake.failures.popleft()
                self._send_json(status, {"error": message})
                return
            if self.path == "/v1/chat/completions":
                self._openai_chat(model, body)
                return
            if self.path == "/api/embed":
                inputs = body.get("input", [])
                texts = [inputs] if isinstance(inputs, str) else list(inputs)
                vectors = [fake_embedding(t, fake.embed_dim) for t in texts]
                self._send_json(200, {"model": model, "embeddings": vectors})
                return
            self._chat(model, body)

        def _chat(self, model: str, body: dict[str, Any]) -> None:
            reply = fake.next_reply(list(body.get("messages", [])))
            options = body.get("options") or {}
            for stop in options.get("stop") or []:
                if stop and stop in reply:
                    reply = reply[: reply.index(stop)]
            pieces = list(_pieces(reply))
            limit = options.get("num_predict")
            done_reason = "stop"
            if isinstance(limit, int) and 0 < limit < len(pieces):
                pieces, done_reason = pieces[:limit], "length"
            final = {
                "model": model,
                "created_at": _now(),
                "done": True,
                "done_reason": done_reason,
                "total_duration": 1000,
                "prompt_eval_count": 10,
                "eval_count": len(pieces),
            }
            if body.get("stream", True) is False:
                message = {"role": "assistant", "content": "".join(pieces)}
                self._send_json(200, {**final, "message": message})
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            midstream_error = fake.failures.popleft()[1] if fake.failures else None
            for i, piece in enumerate(pieces):
                if midstream_error is not None and i == len(pieces) // 2:
                    self._chunk(json.dumps({"error": midstream_error}, ensure_ascii=False) + "\n")
                    self.wfile.write(b"0\r\n\r\n")
                    return
                line = {
                    "model": model,
                    "created_at": _now(),
                    "message": {"role": "assistant", "content": piece},
                    "done": False,
                }
                self._chunk(json.dumps(line, ensure_ascii=False) + "\n")
            self._chunk(json.dumps({**final, "message": {"role": "assistant", "content": ""}}) + "\n")
            self.wfile.write(b"0\r\n\r\n")

        def _openai_chat(self, model: str, body: dict[str, Any]) -> None:
            """OpenAI's streamed chat completion, as vLLM serves it: `data: {...}` events, then [DONE]."""
            reply = fake.next_reply(list(body.get("messages", [])))
            pieces = list(_pieces(reply))[: int(body.get("max_tokens") or 10**6)]
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in pieces:
                event = {
                    "object": "chat.completion.chunk",
                    "model": model,
                    "choices": [{"index": 0, "delta": {"content": piece}}],
                }
                self._chunk(f"data: {json.dumps(event, ensure_ascii=False)}\n\n")
            self._chunk("data: [DONE]\n\n")
            self.wfile.write(b"0\r\n\r\n")

        def _chunk(self, text: str) -> None:
            data = text.encode("utf-8")
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

    return Handler


@pytest.fixture
def ollama_server() -> Iterator[FakeOllama]:
    server = FakeOllama().start()
    try:
        yield server
    finally:
        server.stop()
