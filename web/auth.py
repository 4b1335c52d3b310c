"""Bearer-key authentication, per-key rate limit and the admin check, as FastAPI dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from web.db import KEY_PREFIX
from web.errors import forbidden, rate_limited, unauthorized
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


def authenticate(request: Request, services: ServicesDep) -> Principal:
    if not services.settings.server.require_auth:
        client = request.client.host if request.client else "local"
        principal = Principal(key_id=None, name=client, admin=True)
    else:
        token = _bearer(request)
        if token is None:
            raise unauthorized()
        key = services.db.find_key(token) if token.startswith(KEY_PREFIX) else None
        if key is None:
            raise unauthorized("Khóa API không hợp lệ hoặc đã bị thu hồi.")
        principal = Principal(key_id=key.id, name=key.name, admin=key.admin)
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
