"""Sign-in to the admin console: an admin API key is exchanged once for a server-side session.

The browser holds only the session cookie (HttpOnly, SameSite=Strict, path /admin, expiring after
`server.admin_session_minutes`); the key itself is never kept by the page. Every state-changing request also
carries the session's CSRF token in `X-CSRF-Token`, and its Origin (when the browser sends one) must be this
server's: a page of another site can neither read the token nor pass the Origin check.
"""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response

from web.auth import Principal, ServicesDep
from web.console_records import Session
from web.db import KEY_PREFIX
from web.errors import ApiError, rate_limited
from web.services import Services

COOKIE = "troly_admin"
COOKIE_PATH = "/admin"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _client(request: Request) -> str:
    return request.client.host if request.client else "local"


def check_origin(request: Request) -> None:
    """403 when the request comes from a page of another origin."""
    origin = request.headers.get("origin")
    if origin is None:
        # No Origin: not a cross-site browser request unless Fetch Metadata says so.
        if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            raise _forged()
        return
    if urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower():
        raise _forged()


def _forged() -> ApiError:
    return ApiError(403, "bad_origin", "Yêu cầu đến từ một trang khác, không được chấp nhận.")


def sign_in(request: Request, response: Response, services: Services, token: str) -> Session:
    """Check the key and start a session (sets the cookie); 401 for a wrong or revoked key (429 once this
    address failed too often), 403 for a user key."""
    check_origin(request)
    token = token.strip()
    key = services.db.find_key(token) if token.startswith(KEY_PREFIX) else None
    if key is None:
        retry_after = services.auth_failures.check(f"ip:{_client(request)}")
        if retry_after is not None:
            raise rate_limited(retry_after)
        raise ApiError(401, "unauthorized", "Khóa API không đúng hoặc đã bị thu hồi.")
    if not key.admin:
        services.db.audit(key.id, "signin_refused", "khóa người dùng")
        raise ApiError(
            403, "not_admin", "Khóa này là khóa người dùng: chỉ khóa quản trị mới đăng nhập được trang này."
        )
    ttl_s = services.settings.server.admin_session_minutes * 60
    session_token, session = services.console.create_session(key.id, ttl_s)
    services.key_used(key.id)
    response.set_cookie(
        COOKIE,
        session_token,
        max_age=ttl_s,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    services.db.audit(key.id, "signin", key.name)
    return session


def sign_out(request: Request, response: Response, services: Services) -> None:
    token = request.cookies.get(COOKIE)
    if token:
        services.console.end_session(token)
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")


def current_session(request: Request, services: ServicesDep) -> Session:
    """The caller's live session; 401 `session_expired` without one. Unsafe methods also need the CSRF token
    and a same-origin request."""
    token = request.cookies.get(COOKIE)
    session = services.console.find_session(token) if token else None
    if session is None:
        raise ApiError(401, "session_expired", "Phiên đăng nhập đã hết hạn hoặc chưa đăng nhập.")
    if request.method not in SAFE_METHODS:
        check_origin(request)
        if not secrets.compare_digest(request.headers.get(CSRF_HEADER, ""), session.csrf):
            raise ApiError(403, "bad_csrf", "Thiếu hoặc sai mã chống giả mạo (CSRF); hãy tải lại trang.")
    retry_after = services.limiter.check(f"key:{session.key_id}")
    if retry_after is not None:
        raise rate_limited(retry_after)
    return session


SessionDep = Annotated[Session, Depends(current_session)]


def console_admin(session: SessionDep) -> Principal:
    return Principal(key_id=session.key_id, name=session.key_name, admin=True)


ConsoleAdminDep = Annotated[Principal, Depends(console_admin)]
