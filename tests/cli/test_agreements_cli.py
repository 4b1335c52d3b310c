"""`troly agreements` over the sample corpus, through typer's CliRunner (BM25-only index)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

import troly.cli  # noqa: F401  (registers the command groups on app)
from index.tracker import BadFilterError
from troly.cli.app import app
from web.tracking import BadFollowUpError, CommitmentGoneError

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, sample_corpus: Path) -> dict[str, str]:
    env = {"TROLY_HOME": str(tmp_path / "home"), "TROLY_EMBEDDING__BACKEND": "none", "COLUMNS": "200"}
    assert runner.invoke(app, ["ingest", str(sample_corpus)], env=env).exit_code == 0
    return env


def test_json_has_one_entry_per_agreement_with_cited_commitments(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["agreements", "--json"], env=env)
    assert result.exit_code == 0, result.output
    entries = json.loads(result.stdout)["agreements"]
    by_province = {e["province"]: e for e in entries}
    assert {"quang-tri", "ho-chi-minh", "can-tho"} <= set(by_province)
    quang_tri = by_province["quang-tri"]
    assert quang_tri["signed"] == "2025-10-29" and quang_tri["period"] == {"start": 2025, "end": 2030}
    assert quang_tri["horizon"] == 2035
    row = next(c for c in quang_tri["commitments"] if "điều hành thông minh" in c["citation"]["quote"])
    assert row["party"] == "hai bên" and row["pillar"] == "chính quyền số"
    assert set(row) >= {"party", "text", "pillar", "deadline", "citation"}
    assert not any(e["document"].startswith("thu-tuc") or "huong-dan" in e["document"] for e in entries)


def test_csv_md_and_filters(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["agreements", "--csv", "--province", "tp hcm"], env=env)
    assert result.exit_code == 0, result.output
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert table and {r["agreement"] for r in table} == {"ho-chi-minh+vnpt-2022"}
    md = runner.invoke(app, ["agreements", "--md", "--pillar", "kinh te so"], env=env)
    assert (
        md.exit_code == 0
        and "### kinh tế số" in md.output
        and "chính quyền số" not in md.output.split("###")[-1]
    )
    plain = runner.invoke(app, ["agreements", "--party", "VNPT"], env=env)
    assert plain.exit_code == 0 and "VNPT" in plain.output


def test_xlsx_is_written(env: dict[str, str], tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "cam-ket.xlsx"
    result = runner.invoke(app, ["agreements", "--xlsx", str(out)], env=env)
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out).active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["agreement", "document", "parties"] and sheet.max_row > 3


def test_bad_filters_and_formats_are_clear_errors(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["agreements", "--pillar", "năng lượng"], env=env)
    assert isinstance(result.exception, BadFilterError) and result.exception.exit_code == 2
    both = runner.invoke(app, ["agreements", "--json", "--csv"], env=env)
    assert both.exit_code == 2


def test_followup_set_show_and_review(env: dict[str, str]) -> None:
    rows = json.loads(runner.invoke(app, ["agreements", "--json", "--province", "quang tri"], env=env).stdout)
    commitment = rows["agreements"][0]["commitments"][0]["id"]
    done = runner.invoke(
        app, ["followup", "set", commitment, "dang trien khai", "--note", "Đang lắp đặt"], env=env
    )
    assert done.exit_code == 0, done.output
    shown = json.loads(runner.invoke(app, ["followup", "show", commitment, "--json"], env=env).stdout)
    assert shown[0]["state"] == "đang triển khai" and shown[0]["note"] == "Đang lắp đặt"
    again = json.loads(
        runner.invoke(app, ["agreements", "--json", "--province", "quang tri"], env=env).stdout
    )
    assert again["agreements"][0]["commitments"][0]["id"] == commitment
    audit = runner.invoke(app, ["audit", "--json", "--action", "follow_up"], env=env)
    assert commitment in audit.stdout
    gone = runner.invoke(app, ["followup", "set", "0000000000000000", "hoàn thành"], env=env)
    assert isinstance(gone.exception, CommitmentGoneError)  # `troly` prints it and exits 1
    bad = runner.invoke(app, ["followup", "set", commitment, "xong rồi"], env=env)
    assert isinstance(bad.exception, BadFollowUpError) and bad.exception.exit_code == 2
    assert runner.invoke(app, ["followup", "review"], env=env).exit_code == 0


def test_followups_and_their_audit_go_to_postgres_when_the_database_is(
    env: dict[str, str], pg_url: str
) -> None:
    rows = json.loads(runner.invoke(app, ["agreements", "--json", "--province", "quang tri"], env=env).stdout)
    commitment = rows["agreements"][0]["commitments"][0]["id"]
    on_pg = {**env, "TROLY_DATABASE__URL": pg_url}  # the state on PostgreSQL, the index still in files
    done = runner.invoke(
        app, ["followup", "set", commitment, "hoan thanh", "--date", "2025-06-30"], env=on_pg
    )
    assert done.exit_code == 0, done.output
    shown = json.loads(runner.invoke(app, ["followup", "show", commitment, "--json"], env=on_pg).stdout)
    assert [(s["state"], s["date"], s["by"]) for s in shown] == [("hoàn thành", "2025-06-30", "cli")]
    assert commitment in runner.invoke(app, ["audit", "--json", "--action", "follow_up"], env=on_pg).stdout
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM commitment_followups").fetchone() == (1,)
    local = json.loads(runner.invoke(app, ["followup", "show", commitment, "--json"], env=env).stdout)
    assert local == []  # nothing was written to the SQLite file
