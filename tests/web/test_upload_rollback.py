"""A failed re-upload keeps the file behind the indexed version; a request refused part-way (413) changes
nothing; concurrent uploads of one name leave disk and index agreeing; what a crash mid-upload left is
settled when the ingest worker starts."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from index.library import Library
from web.db import Database
from web.services import Services
from web.uploads import BACKUP_PREFIX, MAX_NAME_BYTES, STAGING_PREFIX, recover_uploads, safe_filename

from .conftest import LiveServer, ServerFactory, accepted, live_server, make_settings, statuses, wait_for_job
from .fakes import FakeLibrary, FakePipeline

GOOD = (
    "Thông báo của xã Phú Mậu về lịch tiếp công dân\n\n"
    "Chủ tịch Ủy ban nhân dân xã Phú Mậu tiếp công dân vào sáng thứ Năm hằng tuần tại trụ sở xã."
).encode()


def _post(server: LiveServer, *files: tuple[str, bytes]) -> httpx.Response:
    return server.upload(*files)


def _statuses(server: LiveServer, response: httpx.Response) -> dict[str, str]:
    return statuses(server.wait(accepted(response)))


def _listing(folder: Path) -> list[str]:
    """Every file under uploads/, hidden staging, backup and job files included."""
    if not folder.exists():
        return []
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def real_server(tmp_path: Path) -> Iterator[tuple[LiveServer, Library]]:
    settings = make_settings(tmp_path / "home")
    library = Library.open(settings)
    with live_server(settings, library, FakePipeline(FakeLibrary())) as server:
        yield server, library


def test_failed_reupload_keeps_the_indexed_file_on_the_real_index(
    real_server: tuple[LiveServer, Library],
) -> None:
    server, library = real_server
    uploads = server.services.uploads_dir
    assert _statuses(server, _post(server, ("tb.txt", GOOD))) == {"tb.txt": "added"}
    generation = library.generation

    assert _statuses(server, _post(server, ("tb.txt", b""))) == {"tb.txt": "failed"}
    assert _listing(uploads) == ["tb.txt"]  # no staging or backup file left behind
    assert (uploads / "tb.txt").read_bytes() == GOOD
    assert library.generation == generation
    found = httpx.get(f"{server.url}/v1/search", params={"q": "tiếp công dân"}, headers=server.auth())
    assert found.json()["results"][0]["source"] == "tb.txt"

    # What `troly index rebuild` does: re-read every recorded file. The document must survive it.
    assert library.verify() == []
    report = library.rebuild()
    assert [(o.source, o.status) for o in report.outcomes if o.status == "failed"] == []
    assert [d.id for d in library.documents()] == ["tb.txt"]
    assert "thứ Năm" in (library.document("tb.txt") or pytest.fail("tb.txt lost")).text
    assert library.verify() == []


def test_failed_first_upload_leaves_no_file(server: LiveServer) -> None:
    assert _statuses(server, _post(server, ("hỏng.txt", b"\xff\xfe\x81"))) == {"hỏng.txt": "failed"}
    assert _listing(server.services.uploads_dir) == []


def test_failed_reupload_keeps_the_old_file_with_a_fake_library(
    server: LiveServer, fake_library: FakeLibrary
) -> None:
    uploads = server.services.uploads_dir
    assert _statuses(server, _post(server, ("tb.txt", GOOD))) == {"tb.txt": "added"}
    results = _statuses(server, _post(server, ("tb.txt", b"\xff\xfe\x81"), ("moi.txt", b"van ban moi")))
    assert results == {"tb.txt": "failed", "moi.txt": "added"}
    assert _listing(uploads) == ["moi.txt", "tb.txt"]
    assert (uploads / "tb.txt").read_bytes() == GOOD
    assert fake_library.texts["tb.txt"] == GOOD.decode()


def test_413_on_a_later_file_changes_nothing(
    server_factory: ServerFactory, fake_library: FakeLibrary
) -> None:
    server = server_factory(max_upload_mb=4)
    uploads = server.services.uploads_dir
    assert _statuses(server, _post(server, ("tb.txt", GOOD))) == {"tb.txt": "added"}
    before = dict(fake_library.texts)
    # Under the request limit (middleware), over the per-file limit (the route): the 413 comes from
    # the second file, after the first was already received.
    server.services.settings.server.max_upload_mb = 1
    big = b"a" * ((1 << 20) + 10)
    response = _post(server, ("tb.txt", b"phien ban moi"), ("moi.txt", b"van ban moi"), ("big.txt", big))
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "file_too_large"
    assert _listing(uploads) == ["tb.txt"]
    assert (uploads / "tb.txt").read_bytes() == GOOD
    assert fake_library.texts == before


def test_duplicate_names_in_one_request_are_refused(server: LiveServer) -> None:
    response = _post(server, ("a.txt", b"mot"), ("dir/a.txt", b"hai"))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "duplicate_filename"
    assert _listing(server.services.uploads_dir) == []


def test_concurrent_uploads_of_one_name_leave_disk_and_index_agreeing(
    server: LiveServer, fake_library: FakeLibrary
) -> None:
    errors: list[str] = []

    def upload(n: int) -> None:
        response = _post(server, ("tb.txt", f"phien ban so {n}".encode()))
        if response.status_code != 202:
            errors.append(response.text)
            return
        job = server.wait(response.json()["id"])
        if job["state"] != "completed":
            errors.append(str(job))

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    uploads = server.services.uploads_dir
    assert _listing(uploads) == ["tb.txt"]
    assert (uploads / "tb.txt").read_text(encoding="utf-8") == fake_library.texts["tb.txt"]


def test_recovery_settles_what_a_crash_mid_upload_left(tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    folder.mkdir()
    old, new = GOOD, GOOD + "\n\nBản mới.".encode()
    indexed = {"a.txt": hashlib.sha256(new).hexdigest(), "b.txt": hashlib.sha256(old).hexdigest()}
    # a.txt: the crash came after the new version was indexed; b.txt: before; c.txt: the only copy is the
    # backup; d.txt: neither copy is indexed (kept, and reported).
    for name, current, backup in (("a.txt", new, old), ("b.txt", new, old), ("d.txt", new, old)):
        (folder / name).write_bytes(current)
        (folder / f"{BACKUP_PREFIX}0123456789ab-{name}").write_bytes(backup)
    (folder / f"{BACKUP_PREFIX}0123456789ab-c.txt").write_bytes(old)
    (folder / f"{STAGING_PREFIX}4f2a").write_bytes(b"half an upload")
    started = time.time() + 1  # the server started after that file was written
    (folder / f"{STAGING_PREFIX}new").write_bytes(b"an upload arriving now")
    os.utime(folder / f"{STAGING_PREFIX}new", (started + 5, started + 5))

    notes = recover_uploads(folder, indexed.get, staged_before=started)

    assert (folder / "a.txt").read_bytes() == new
    assert (folder / "b.txt").read_bytes() == old
    assert (folder / "c.txt").read_bytes() == old
    assert (folder / "d.txt").read_bytes() == new
    kept_files = [
        f"{BACKUP_PREFIX}0123456789ab-d.txt",
        f"{STAGING_PREFIX}new",
        "a.txt",
        "b.txt",
        "c.txt",
        "d.txt",
    ]
    assert _listing(folder) == kept_files
    kept = [note for note in notes if note.startswith("d.txt: kept both")]
    assert len(kept) == 1 and any(".partial-4f2a" in note for note in notes)
    assert recover_uploads(folder, indexed.get, staged_before=started) == kept  # only the undecidable one


def test_the_ingest_worker_recovers_the_uploads_folder_from_the_index(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "home")
    library = Library.open(settings)
    folder = settings.home / "uploads"
    folder.mkdir(parents=True)
    (folder / "tb.txt").write_bytes(GOOD)
    library.ingest([folder / "tb.txt"])
    # A crash while re-uploading tb.txt: the new bytes are on the name, the indexed ones in a backup.
    (folder / "tb.txt").rename(folder / f"{BACKUP_PREFIX}0123456789ab-tb.txt")
    (folder / "tb.txt").write_bytes(b"ban moi chua nap")
    services = Services.create(settings, db=Database(settings.db_path), library=library, model=None)
    try:
        services.worker.start()
        deadline = time.monotonic() + 30
        while _listing(folder) != ["tb.txt"] and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        services.close()
    assert _listing(folder) == ["tb.txt"] and (folder / "tb.txt").read_bytes() == GOOD
    assert library.ingest([folder / "tb.txt"]).counts["skipped"] == 1  # disk and index agree again


def test_a_long_vietnamese_name_uploads_and_re_uploads_on_one_connection(
    real_server: tuple[LiveServer, Library],
) -> None:
    """80 × 'ệ' (240 bytes) used to upload once and fail with a 500 (which reset the connection) on its
    re-upload, whose backup name passed 255 bytes; 100 × 'ệ' failed at once."""
    server, library = real_server
    second = GOOD + "\n\nBản cập nhật: tiếp công dân cả chiều thứ Năm.".encode()
    with httpx.Client(base_url=server.url, headers=server.auth(admin=True), timeout=120) as client:
        sources = []
        for name, data in (
            ("ệ" * 80 + ".txt", GOOD),
            ("ệ" * 80 + ".txt", second),
            ("ệ" * 100 + ".txt", GOOD),
        ):
            response = client.post("/v1/documents", files=[("files", (name, data, "text/plain"))])
            assert response.status_code == 202, response.text
            job = wait_for_job(lambda r=response: client.get(f"/v1/jobs/{r.json()['id']}"))  # type: ignore[misc]
            assert job["state"] == "completed" and job["files"][0]["status"] in ("added", "updated"), job
            sources.append(job["files"][0]["source"])
    # Both are cut to the byte limit (the extension kept), so the second one replaces the first.
    assert sources[0] == sources[1] == sources[2] == safe_filename("ệ" * 80 + ".txt")
    assert len(sources[0].encode()) <= MAX_NAME_BYTES and sources[0].endswith(".txt")
    assert _listing(server.services.uploads_dir) == [sources[0]]
    document = library.document(sources[0])
    assert document is not None and "chiều thứ Năm" not in document.text  # the third upload: GOOD again
