"""Assembly and hash verification of the GGUF file, on small fake part packages importable from tmp_path."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.llm import model_files
from assistant.llm.model_files import EmbeddedModel, ModelCorruptError
from troly.errors import ModelNotReadyError
from troly.settings import Settings

PARTS = [b"GGUF" + bytes(range(256)) * 3, "phần hai của mô hình".encode(), b"\x00\x01tail" * 50]


def _write_part_packages(root: Path, prefix: str, parts: list[bytes]) -> None:
    for n, data in enumerate(parts, start=1):
        package = root / f"{prefix}{n}"
        (package / "data").mkdir(parents=True)
        (package / "data" / f"part{n:02d}.bin").write_bytes(data)
        (package / "__init__.py").write_text(
            "import os\n\ndef get_part_path():\n"
            "    here = os.path.dirname(os.path.abspath(__file__))\n"
            f"    return os.path.join(here, 'data', 'part{n:02d}.bin')\n"
        )


@pytest.fixture
def fake_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EmbeddedModel:
    """The 'qwen2.5-0.5b' entry redirected to three tiny part packages with their real joined hash."""
    prefix = f"fakeparts_{tmp_path.name.replace('-', '_')}_"
    _write_part_packages(tmp_path / "site", prefix, PARTS)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    model = EmbeddedModel(
        key="qwen2.5-0.5b",
        filename="tiny.gguf",
        sha256=hashlib.sha256(b"".join(PARTS)).hexdigest(),
        part_module=prefix + "{n}",
        parts=len(PARTS),
    )
    monkeypatch.setitem(model_files.EMBEDDED_MODELS, "qwen2.5-0.5b", model)
    monkeypatch.setattr(model_files, "_verified_in_process", {})
    return model


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(home=tmp_path / "home")
    s.llm.model = "qwen2.5-0.5b"
    return s


def test_prepare_joins_parts_in_order_and_verifies(fake_model: EmbeddedModel, settings: Settings) -> None:
    path = model_files.prepare(settings)
    assert path == settings.models_dir / "tiny.gguf"
    assert path.read_bytes() == b"".join(PARTS)
    assert [p.name for p in settings.models_dir.iterdir() if p.name.endswith(".part")] == []
    status = model_files.status(settings)
    assert status.verified and status.ready and status.size_bytes == len(b"".join(PARTS))


def test_prepare_reuses_a_good_file(fake_model: EmbeddedModel, settings: Settings) -> None:
    first = model_files.prepare(settings)
    stamp = first.stat().st_mtime_ns
    model_files._verified_in_process.clear()  # as a new process would: hashes again, keeps the file
    assert model_files.prepare(settings) == first
    assert first.stat().st_mtime_ns == stamp


def test_corrupted_part_is_a_clear_error_and_leaves_nothing(
    fake_model: EmbeddedModel, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = replace(fake_model, sha256="ab" * 32)
    monkeypatch.setitem(model_files.EMBEDDED_MODELS, "qwen2.5-0.5b", bad)
    with pytest.raises(ModelCorruptError) as info:
        model_files.prepare(settings)
    assert info.value.code == "model_corrupt"
    assert 'pip install "troly[local]"' in info.value.message
    assert [p.name for p in settings.models_dir.iterdir() if not p.name.endswith(".lock")] == []


def test_corrupted_file_on_disk_is_detected_and_reassembled(
    fake_model: EmbeddedModel, settings: Settings
) -> None:
    path = model_files.prepare(settings)
    data = bytearray(path.read_bytes())
    data[10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelCorruptError) as info:
        model_files.verify(path, fake_model.sha256)
    assert str(path) in info.value.message
    assert model_files.prepare(settings).read_bytes() == b"".join(PARTS)


def test_changed_file_is_hashed_again_in_the_same_process(
    fake_model: EmbeddedModel, settings: Settings
) -> None:
    path = model_files.prepare(settings)
    assert model_files.is_verified(path, fake_model.sha256)
    path.write_bytes(b"truncated")
    assert not model_files.is_verified(path, fake_model.sha256)
    with pytest.raises(ModelCorruptError):
        model_files.verify(path, fake_model.sha256)


def test_missing_part_package_names_the_install(
    fake_model: EmbeddedModel, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = replace(fake_model, parts=len(PARTS) + 1)
    monkeypatch.setitem(model_files.EMBEDDED_MODELS, "qwen2.5-0.5b", missing)
    with pytest.raises(ModelNotReadyError) as info:
        model_files.prepare(settings)
    assert 'pip install "troly[local]"' in info.value.message
    assert missing.part_module_name(len(PARTS) + 1) in info.value.message
    status = model_files.status(settings)
    assert not status.parts_installed and not status.ready


def test_user_model_path_must_exist_and_is_not_hashed(tmp_path: Path, settings: Settings) -> None:
    settings.llm.model_path = tmp_path / "mine.gguf"
    with pytest.raises(ModelNotReadyError) as info:
        model_files.prepare(settings)
    assert "mine.gguf" in info.value.message
    (tmp_path / "mine.gguf").write_bytes(b"not checked")
    assert model_files.prepare(settings) == tmp_path / "mine.gguf"
    status = model_files.status(settings, check_hash=True)
    assert status.ready and not status.embedded and not status.verified


def test_status_of_a_file_never_assembled(fake_model: EmbeddedModel, settings: Settings) -> None:
    status = model_files.status(settings, check_hash=True)
    assert not status.exists and not status.ready
    assert "troly models --prepare" in status.detail


def test_unwritable_models_folder_is_a_clear_error(fake_model: EmbeddedModel, settings: Settings) -> None:
    settings.home.mkdir(parents=True)
    settings.models_dir.write_text("một tệp chắn chỗ thư mục")
    with pytest.raises(ModelNotReadyError) as info:
        model_files.prepare(settings)
    assert str(settings.models_dir) in info.value.message and "TROLY_HOME" in info.value.message
