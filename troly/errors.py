"""Errors a user can act on. Each carries a stable code and a message shown without a traceback."""

from __future__ import annotations


class TrolyError(Exception):
    code = "error"
    exit_code = 2

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ConfigError(TrolyError):
    code = "config"


class IndexCorruptError(TrolyError):
    code = "index_corrupt"


class ModelNotReadyError(TrolyError):
    code = "model_not_ready"
