"""`troly serve`, `troly keys create|list|revoke` and `troly audit`."""

from __future__ import annotations

import copy
import json
from typing import Annotated, Any, Literal

import typer

from troly.cli.app import app, console, err_console, settings_from
from troly.errors import TrolyError
from troly.settings import Settings

keys_app = typer.Typer(help="Quản lý khóa API của máy chủ HTTP.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(help="Địa chỉ lắng nghe (mặc định: settings.server.host).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Cổng (mặc định: settings.server.port).")] = None,
) -> None:
    """Chạy máy chủ HTTP (API, widget, /docs)."""
    import uvicorn

    from web.app import create_app

    settings = settings_from(ctx)
    server = settings.server.model_copy(update={k: v for k, v in (("host", host), ("port", port)) if v})
    settings = settings.model_copy(update={"server": server})
    if settings.database.is_postgres:
        _check_schema(settings)
    console.print(f"troly: http://{server.host}:{server.port} (tài liệu API: /docs)")
    # uvicorn's access log writes query strings (questions, a key pasted in a URL): web.access_log replaces it.
    uvicorn.run(
        create_app(settings),
        host=server.host,
        port=server.port,
        log_level="info",
        log_config=_log_config(),
        access_log=False,
        timeout_graceful_shutdown=server.graceful_shutdown_s,
    )


def _log_config() -> dict[str, Any]:
    """uvicorn's logging, plus troly's own: the access log on stdout, the server's notes on stderr."""
    from uvicorn.config import LOGGING_CONFIG

    from web.access_log import ACCESS_LOGGER

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["handlers"]["troly_access"] = {
        "formatter": "default",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stdout",
    }
    config["loggers"]["web"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    config["loggers"][ACCESS_LOGGER] = {"handlers": ["troly_access"], "level": "INFO", "propagate": False}
    return config


def _check_schema(settings: Settings) -> None:
    """A replica refuses to start on a schema older or newer than its code (SchemaMismatchError says what to
    run); a PostgreSQL that cannot be reached yet is not a reason to refuse: /readyz says 503 until it is."""
    from troly.postgres import schema
    from troly.postgres.connection import DatabaseUnavailableError

    try:
        schema.check(settings.database.url, connect_timeout_s=settings.database.connect_timeout_s)
    except DatabaseUnavailableError as exc:
        err_console.print(
            f"[yellow]Cảnh báo:[/yellow] {exc.message} Máy chủ vẫn chạy; /readyz báo 503 tới khi kết nối được."
        )


@keys_app.command("create")
def create_key(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="Tên gợi nhớ, ví dụ tên ứng dụng hoặc người dùng.")],
    admin: Annotated[bool, typer.Option("--admin", help="Cho phép thêm và xóa tài liệu.")] = False,
) -> None:
    """Tạo khóa mới. Khóa chỉ hiện một lần, ở dòng cuối."""
    from web.store import open_store

    db = open_store(settings_from(ctx))
    try:
        key, token = db.create_key(name, admin=admin)
    finally:
        db.close()
    role = "quản trị" if key.admin else "người dùng"
    console.print(f"Đã tạo khóa #{key.id} ({key.name}, {role}). Hãy lưu lại, khóa sẽ không hiện lại:")
    typer.echo(token)


@keys_app.command("list")
def list_keys(ctx: typer.Context) -> None:
    """Liệt kê các khóa (không bao giờ in khóa đầy đủ)."""
    from web.store import open_store

    db = open_store(settings_from(ctx))
    try:
        keys = db.list_keys()
    finally:
        db.close()
    if not keys:
        console.print("Chưa có khóa nào. Tạo bằng: troly keys create --name TÊN [--admin]")
    for key in keys:
        role = "quản trị" if key.admin else "người dùng"
        state = f"đã thu hồi {key.revoked_at}" if key.revoked_at else "đang dùng"
        line = f"#{key.id}\t{key.name}\t{key.hint}\t{role}\ttạo {key.created_at}\t{state}"
        console.print(line, soft_wrap=True, highlight=False)


@keys_app.command("revoke")
def revoke_key(ctx: typer.Context, key_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Thu hồi khóa theo id."""
    from web.store import open_store

    db = open_store(settings_from(ctx))
    try:
        revoked = db.revoke_key(key_id)
    finally:
        db.close()
    if not revoked:
        raise TrolyError(f"Không có khóa đang hoạt động với id {key_id}.", code="key_not_found")
    console.print(f"Đã thu hồi khóa #{key_id}.")


@app.command()
def audit(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=100_000, help="Số mục mới nhất.")] = 50,
    action: Annotated[
        Literal[
            "ask",
            "upload",
            "ingest",
            "cancel",
            "delete",
            "feedback",
            "signin",
            "signin_refused",
            "signout",
            "review",
            "export",
            "key_create",
            "key_revoke",
            "follow_up",
        ]
        | None,
        typer.Option(
            "--action",
            help="Chỉ một loại: ask, upload, ingest, cancel, delete, feedback, follow_up; trang quản trị: "
            "signin, signin_refused, signout, review, export, key_create, key_revoke.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In JSON (mỗi mục một dòng).")] = False,
) -> None:
    """Nhật ký của máy chủ: khóa nào hỏi, tải lên (upload), việc nạp kết thúc ra sao (ingest), hủy (cancel),
    xóa gì và khi nào (mới nhất trước; không có khóa)."""
    from web.store import open_store

    db = open_store(settings_from(ctx))
    try:
        entries = db.audit_log(limit, action)
    finally:
        db.close()
    if as_json:
        for entry in entries:
            typer.echo(json.dumps(entry, ensure_ascii=False))
        return
    if not entries:
        console.print("Nhật ký trống.")
    for entry in entries:
        key = f"#{entry['key_id']}" if entry["key_id"] is not None else "-"
        console.print(
            f"{entry['at']}\t{key}\t{entry['action']}\t{entry['detail']}",
            soft_wrap=True,
            highlight=False,
            markup=False,
        )
