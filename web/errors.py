"""HTTP errors: a stable English code, a Vietnamese message, one JSON shape `{"error": {code, message}}`."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from troly.errors import ModelNotReadyError, TrolyError

log = logging.getLogger(__name__)


class ApiError(TrolyError):
    """An error answered with `status`; `headers` carry e.g. Retry-After."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.status = status
        self.headers = headers or {}


def unauthorized(message: str = "Thiếu hoặc sai khóa API (Authorization: Bearer ...).") -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def forbidden() -> ApiError:
    return ApiError(403, "forbidden", "Khóa API này không có quyền quản trị tài liệu.")


def not_found(code: str, message: str) -> ApiError:
    return ApiError(404, code, message)


def too_large(code: str, message: str) -> ApiError:
    return ApiError(413, code, message)


def rate_limited(retry_after_s: int) -> ApiError:
    return ApiError(
        429,
        "rate_limited",
        f"Quá nhiều yêu cầu. Vui lòng thử lại sau {retry_after_s} giây.",
        headers={"Retry-After": str(retry_after_s)},
    )


def too_many_files(limit: int) -> ApiError:
    count = f"{limit:,}".replace(",", ".")
    return ApiError(
        413,
        "too_many_files",
        f"Quá nhiều tệp trong một lần tải lên: tối đa {count} tệp (TROLY_SERVER__MAX_UPLOAD_FILES).",
    )


def queue_full(retry_after_s: int) -> ApiError:
    return ApiError(
        503,
        "queue_full",
        f"Hệ thống đang bận trả lời các câu hỏi khác. Vui lòng thử lại sau {retry_after_s} giây.",
        headers={"Retry-After": str(retry_after_s)},
    )


# Codes of errors raised by other stages that mean "try again later" rather than "your request is wrong".
_UNAVAILABLE_CODES = {
    ModelNotReadyError.code,
    "index_corrupt",
    "index_busy",
    "embedder_mismatch",
    "model_corrupt",
    "llm_failed",
    "chat_model",
    "not_ready",
    "stale_index",
    "database_unavailable",
    "schema_mismatch",
}


# Codes of other stages that mean "the question is wrong", answered like the API's own check (422).
_UNPROCESSABLE_CODES = {"empty_question"}


def status_for(error: TrolyError) -> int:
    if isinstance(error, ApiError):
        return error.status
    if error.code in _UNPROCESSABLE_CODES:
        return 422
    return 503 if error.code in _UNAVAILABLE_CODES else 400


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def error_response(error: TrolyError) -> JSONResponse:
    status = status_for(error)
    headers = error.headers if isinstance(error, ApiError) else None
    if status == 503 and not headers:  # every "try again later" says when
        headers = {"Retry-After": "10"}
    return JSONResponse(error_body(error.code, error.message), status_code=status, headers=headers)


_HTTP_CODES = {
    404: ("not_found", "Không tìm thấy địa chỉ này."),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ cho địa chỉ này."),
}


def install_handlers(app: FastAPI, *, max_upload_files: int = 1000) -> None:
    """The JSON error shape for every error; `max_upload_files` is the form parser's file limit, named when
    an upload passes it."""

    async def on_troly(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, TrolyError)
        return error_response(exc)

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        fields = ", ".join(".".join(str(p) for p in err.get("loc", ())) for err in exc.errors())
        message = f"Yêu cầu không hợp lệ ({fields})." if fields else "Yêu cầu không hợp lệ."
        return JSONResponse(error_body("invalid_request", message), status_code=422)

    async def on_http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        # Starlette's multipart parser stops at the file limit with a 400 and an English sentence.
        if exc.status_code == 400 and str(exc.detail).startswith("Too many files"):
            return error_response(too_many_files(max_upload_files))
        code, message = _HTTP_CODES.get(exc.status_code, ("http_error", "Yêu cầu không thể xử lý."))
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)

    async def on_unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(error_body("internal", "Lỗi hệ thống. Vui lòng thử lại sau."), status_code=500)

    app.add_exception_handler(TrolyError, on_troly)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
