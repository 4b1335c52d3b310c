"""The FastAPI application: `create_app(settings, services=None)`; `troly serve` runs it with uvicorn."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from troly.settings import Settings
from web.access_log import AccessLog
from web.errors import ApiError, error_body, install_handlers
from web.routers import (
    admin,
    admin_content,
    agreements,
    ask,
    documents,
    feedback,
    health,
    jobs,
    openai_compat,
    profiles,
    search,
)
from web.services import Services

STATIC_DIR = Path(__file__).parent / "static"
JSON_BODY_LIMIT = 1 << 20
UPLOAD_PATHS = ("/v1/documents", "/admin/api/documents")


class BodyLimit:
    """413 for bodies over the limit: uploads get `max_upload_mb` per request, everything else 1 MiB.

    Checked on Content-Length first, then on the bytes actually received (chunked requests).
    """

    def __init__(self, app: ASGIApp, upload_limit: int) -> None:
        self.app = app
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_upload = scope["path"].rstrip("/") in UPLOAD_PATHS
        limit = self.upload_limit if is_upload else JSON_BODY_LIMIT
        code, message = (
            ("upload_too_large", f"Tệp gửi lên quá lớn (tối đa {limit >> 20} MB mỗi lần).")
            if is_upload
            else ("payload_too_large", "Dữ liệu gửi lên quá lớn.")
        )
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            response = JSONResponse(
                error_body(code, message), status_code=413, headers={"Connection": "close"}
            )
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message_in = await receive()
            if message_in["type"] == "http.request":
                received += len(message_in.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(code, message)
            return message_in

        await self.app(scope, counted, send)


class PayloadTooLarge(StarletteHTTPException):
    """Raised while reading the body; an HTTPException so FastAPI's body parsing lets it through."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(413, detail=message)
        self.code = code
        self.message = message


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    owned = services is None
    app_services = services or Services.create(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        app_services.start()
        yield
        if owned:
            app_services.close()

    app = FastAPI(
        title="troly",
        description="Trợ lý hỏi đáp tài liệu tiếng Việt có trích dẫn nguồn.",
        version="0.1.0",
        lifespan=lifespan,
        form_limits={"max_files": settings.server.max_upload_files},
    )
    app.state.services = app_services
    install_handlers(app, max_upload_files=settings.server.max_upload_files)

    async def on_too_large(_: object, exc: Exception) -> JSONResponse:
        assert isinstance(exc, PayloadTooLarge)
        return JSONResponse(error_body(exc.code, exc.message), status_code=413)

    app.add_exception_handler(PayloadTooLarge, on_too_large)
    for module in (
        health,
        ask,
        search,
        documents,
        profiles,
        agreements,
        jobs,
        feedback,
        openai_compat,
        admin,
        admin_content,
    ):
        app.include_router(module.router)
    _mount_static(app, settings.server.demo_key)
    app.add_middleware(BodyLimit, upload_limit=settings.server.max_upload_mb << 20)
    if settings.server.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.server.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Retry-After", "Location"],
        )
    app.add_middleware(AccessLog, log_queries=settings.server.log_queries)
    return app


DEMO_KEY_PLACEHOLDER = 'data-api-key="troly-demo-key"'


def _mount_static(app: FastAPI, demo_key: str) -> None:
    """The widget and its demo page, public: they hold no data, the API calls they make carry a key.

    With `server.demo_key` set (the demo script creates one), the demo page carries that key, so the widget
    on it works as a commune portal's would.
    """

    def static_file(name: str) -> FileResponse:
        path = STATIC_DIR / name
        if not path.is_file():
            raise ApiError(404, "not_found", f"Chưa có tệp {name}.")
        return FileResponse(path)

    @app.get("/", include_in_schema=False, response_model=None)
    def index_page() -> FileResponse | HTMLResponse:
        if not demo_key:
            return static_file("index.html")
        page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
        return HTMLResponse(page.replace(DEMO_KEY_PLACEHOLDER, f'data-api-key="{html.escape(demo_key)}"'))

    @app.get("/widget.js", include_in_schema=False)
    def widget() -> FileResponse:
        return static_file("widget.js")

    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
