"""The access log: one line per request with the client, method, path, status and time, never the query
string nor a body. Queries are questions (`/v1/search?q=...`) that may hold citizens' personal data, and a
key put in the URL by mistake would land in the log; `server.log_queries` writes them, for debugging only.

`troly serve` turns uvicorn's own access log (which writes the query string) off and prints this one.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ACCESS_LOGGER = "web.access"
log = logging.getLogger(ACCESS_LOGGER)


class AccessLog:
    def __init__(self, app: ASGIApp, *, log_queries: bool = False) -> None:
        self.app = app
        self.log_queries = log_queries

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # the app failed before it answered

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            if log.isEnabledFor(logging.INFO):
                log.info(
                    '%s - "%s %s HTTP/%s" %d %.0fms',
                    _client(scope),
                    scope["method"],
                    self._target(scope),
                    scope.get("http_version", "1.1"),
                    status,
                    (time.perf_counter() - started) * 1000,
                )

    def _target(self, scope: Scope) -> str:
        path = str(scope.get("root_path", "")) + str(scope["path"])
        query = scope.get("query_string", b"")
        if self.log_queries and query:
            return f"{path}?{query.decode('latin-1')}"
        return path


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else "-"
