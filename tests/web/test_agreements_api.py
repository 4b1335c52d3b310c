"""GET /v1/agreements and the follow-ups over a real server and a real Library (BM25 only, files on disk)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from index.library import Library
from tests.ingest.commitment_texts import LANG_SON, NEWS
from troly.settings import EmbeddingSettings

from .conftest import LiveServer, live_server, make_settings
from .fakes import FakeLibrary, FakePipeline

AGREEMENT_FILE = "lang-son.txt"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / AGREEMENT_FILE).write_text(
        "Lạng Sơn và VNPT ký thỏa thuận\n\nNgày đăng: 12/03/2024\n\n" + LANG_SON, encoding="utf-8"
    )
    (folder / "tin.txt").write_text(NEWS, encoding="utf-8")
    return folder


@pytest.fixture
def api(tmp_path: Path, corpus: Path) -> Iterator[tuple[LiveServer, Library]]:
    settings = make_settings(tmp_path / "home").model_copy(
        update={"embedding": EmbeddingSettings(backend="none")}
    )
    library = Library.open(settings)
    library.ingest([corpus])
    with live_server(settings, library, FakePipeline(FakeLibrary())) as server:
        yield server, library


def _agreements(server: LiveServer, **params: str) -> httpx.Response:
    return httpx.get(f"{server.url}/v1/agreements", params=params, headers=server.auth())


def _row(server: LiveServer, phrase: str) -> dict:  # type: ignore[type-arg]
    entry = _agreements(server).json()["agreements"][0]
    return next(c for c in entry["commitments"] if phrase in c["citation"]["quote"])


def test_agreements_with_filters_and_lookup(api: tuple[LiveServer, Library]) -> None:
    server, _ = api
    response = _agreements(server)
    assert response.status_code == 200, response.text
    entries = response.json()["agreements"]
    assert [e["id"] for e in entries] == ["lang-son+vnpt-2024"]  # the news article is no entry
    assert entries[0]["sources"] == [AGREEMENT_FILE]
    assert _agreements(server, province="quang tri").json()["agreements"] == []
    vnpt = _agreements(server, party="VNPT", pillar="ha tang so").json()["agreements"][0]["commitments"]
    assert [c["party"] for c in vnpt] == ["VNPT"] and "5G" in vnpt[0]["text"]
    assert _agreements(server, **{"from": "2024-03", "to": "2024"}).json()["agreements"]
    bad = _agreements(server, pillar="năng lượng")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_filter"
    one = httpx.get(f"{server.url}/v1/agreements/lang-son+vnpt-2024", headers=server.auth())
    assert one.status_code == 200 and one.json()["parties"][1]["name"] == "VNPT"
    missing = httpx.get(f"{server.url}/v1/agreements/khong-co", headers=server.auth())
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "agreement_not_found"
    assert httpx.get(f"{server.url}/v1/agreements").status_code == 401
    paths = httpx.get(f"{server.url}/openapi.json").json()["paths"]
    assert {
        "/v1/agreements",
        "/v1/agreements/{agreement_id}",
        "/v1/commitments/{commitment_id}/status",
    } <= set(paths)


def test_follow_up_is_admin_audited_and_survives_an_unchanged_quote(
    api: tuple[LiveServer, Library], corpus: Path
) -> None:
    server, library = api
    row = _row(server, "phủ sóng 5G")
    url = f"{server.url}/v1/commitments/{row['id']}/status"
    body = {"state": "dang trien khai", "note": "Đã lắp 40 trạm", "date": "2025-01-15"}
    assert httpx.put(url, json=body, headers=server.auth()).status_code == 403
    done = httpx.put(url, json=body, headers=server.auth(admin=True))
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "đang triển khai" and done.json()["by"] == "quản trị"
    assert any(e["action"] == "follow_up" for e in server.services.db.audit_log(10))
    bad = httpx.put(url, json={"state": "xong"}, headers=server.auth(admin=True))
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_follow_up"
    bad_date = httpx.put(
        url, json={"state": "hoàn thành", "date": "15/01/2025"}, headers=server.auth(admin=True)
    )
    assert bad_date.status_code == 400

    # Another paragraph changes: the commitment's quote does not, so its follow-up stays.
    text = (corpus / AGREEMENT_FILE).read_text(encoding="utf-8")
    (corpus / AGREEMENT_FILE).write_text(text + "\n\nHai bên sẽ họp sơ kết mỗi năm.", encoding="utf-8")
    library.ingest([corpus])
    kept = _row(server, "phủ sóng 5G")
    assert kept["id"] == row["id"] and kept["status"]["note"] == "Đã lắp 40 trạm"
    history = httpx.get(url, headers=server.auth()).json()["history"]
    assert [h["state"] for h in history] == ["đang triển khai"]


def test_a_changed_or_vanished_quote_is_flagged_and_a_stale_update_is_409(
    api: tuple[LiveServer, Library], corpus: Path
) -> None:
    server, library = api
    row = _row(server, "phủ sóng 5G")
    url = f"{server.url}/v1/commitments/{row['id']}/status"
    assert httpx.put(url, json={"state": "hoàn thành"}, headers=server.auth(admin=True)).status_code == 200
    text = (corpus / AGREEMENT_FILE).read_text(encoding="utf-8")
    (corpus / AGREEMENT_FILE).write_text(text.replace("200 xã", "250 xã"), encoding="utf-8")
    library.ingest([corpus])
    reworded = _row(server, "phủ sóng 5G")
    assert reworded["id"] != row["id"] and reworded["status"] is None
    assert reworded["previous"]["state"] == "hoàn thành"
    review = httpx.get(f"{server.url}/v1/commitments/review", headers=server.auth(admin=True)).json()[
        "review"
    ]
    assert [(r["reason"], r["replaced_by"]) for r in review] == [("changed", reworded["id"])]
    stale = httpx.put(url, json={"state": "hoàn thành"}, headers=server.auth(admin=True))
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "commitment_gone"
    # Setting the reworded commitment reviews it.
    new_url = f"{server.url}/v1/commitments/{reworded['id']}/status"
    assert (
        httpx.put(new_url, json={"state": "hoàn thành"}, headers=server.auth(admin=True)).status_code == 200
    )
    assert (
        httpx.get(f"{server.url}/v1/commitments/review", headers=server.auth(admin=True)).json()["review"]
        == []
    )
    # The document is removed: its follow-ups are flagged as gone.
    library.remove(AGREEMENT_FILE)
    gone = httpx.get(f"{server.url}/v1/commitments/review", headers=server.auth(admin=True)).json()["review"]
    assert gone and {r["reason"] for r in gone} == {"gone"}
