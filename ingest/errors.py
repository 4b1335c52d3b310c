"""The one error the ingest stage raises: a file that cannot become a Document, with an actionable reason."""

from __future__ import annotations

from typing import Literal

from troly.errors import TrolyError

IngestErrorCode = Literal[
    "empty", "binary", "unsupported", "corrupt", "encrypted", "too_large", "decode", "unreadable"
]


class IngestError(TrolyError):
    """Raised per file; the pipeline turns it into a `FileFailure` and goes on with the other files."""

    code = "ingest"

    def __init__(self, code: IngestErrorCode, path: str, reason: str) -> None:
        super().__init__(f"Không đọc được tệp {path}: {reason}", code=code)
        self.path = path
        self.reason = reason
