"""Bearer-key authentication, per-key rate limit and the admin check, as FastAPI dependencies.

Requests with a missing or wrong key are limited too, per client address (`server.auth_failures_per_minute`):
past the limit they get 429 instead of 401, so guessing keys or flooding the key lookup is slowed down. A
valid key is never refused because others failed from the same address (offices share one address).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from web.db import KEY_PREFIX
from web.errors import ApiError, forbidden, rate_limited, unauthorized
from web.services import Services


@dataclass(frozen=True)
class Principal:
    """Who is calling: a stored key, or the anonymous user of a server run without auth."""

    key_id: int | None
    name: str
    admin: bool

    @property
    def rate_key(self) -> str:
        return f"key:{self.key_id}" if self.key_id is not None else f"anon:{self.name}"


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _refused(request: Request, services: Services, error: ApiError) -> ApiError:
    """The 401 for a failed authentication, or 429 once its address failed too often this minute."""
    retry_after = services.auth_failures.check(f"ip:{_client(request)}")
    return error if retry_after is None else rate_limited(retry_after)


def _client(request: Request) -> str:
    return request.client.host if request.client else "local"


def authenticate(request: Request, services: ServicesDep) -> Principal:
    if not services.settings.server.require_auth:
        principal = Principal(key_id=None, name=_client(request), admin=True)
    else:
        token = _bearer(request)
        if token is None:
            raise _refused(request, services, unauthorized())
        key = services.db.find_key(token) if token.startswith(KEY_PREFIX) else None
        if key is None:
            raise _refused(request, services, unauthorized("Khóa API không hợp lệ hoặc đã bị thu hồi."))
        principal = Principal(key_id=key.id, name=key.name, admin=key.admin)
        services.key_used(key.id)
    retry_after = services.limiter.check(principal.rate_key)
    if retry_after is not None:
        raise rate_limited(retry_after)
    return principal


CallerDep = Annotated[Principal, Depends(authenticate)]


def require_admin(principal: CallerDep) -> Principal:
    if not principal.admin:
        raise forbidden()
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]
