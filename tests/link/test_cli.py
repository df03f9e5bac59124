"""`tipnet link run` and `tipnet link evaluate` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from tipnet.cli import app

runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})


def test_run_writes_networks_report_and_state_then_grows(scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["link", "run", str(scenario), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "networks" in result.output and "hub signals set aside" in result.output
    networks = [json.loads(line) for line in (out / "networks.jsonl").read_text().splitlines()]
    report = json.loads((out / "report.json").read_text())
    assert report["networks"] == len(networks) > 0
    assert {"id", "items", "selectors", "route", "risk", "transnational", "edges"} <= set(
        networks[0]
    )
    assert (out / "state" / "state.json").is_file()
    # an incremental run over nothing new keeps every id
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    again = tmp_path / "again"
    args = ["link", "run", str(empty), "--out", str(again), "--state", str(out / "state")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    ids = {json.loads(line)["id"] for line in (again / "networks.jsonl").read_text().splitlines()}
    assert ids == {network["id"] for network in networks}


def test_run_parquet_and_evaluate_it(scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["link", "run", str(scenario), "--out", str(out), "--format", "parquet"]
    result = runner.invoke(app, [*args, "--drop", "phone:+10000000000", "--text-mode", "off"])
    assert result.exit_code == 0, result.output
    table = pq.read_table(out / "networks.parquet")
    assert table.num_rows > 0 and "route" in table.column_names
    networks = str(out / "networks.parquet")
    result = runner.invoke(app, ["link", "evaluate", str(scenario), "--networks", networks])
    assert result.exit_code == 0, result.output
    assert "trafficking networks  precision" in result.output
    result = runner.invoke(app, ["link", "evaluate", str(scenario), "--json"])
    figures = json.loads(result.stdout)
    assert 0.0 <= figures["trafficking"]["precision"] <= 1.0


def test_mistakes_end_with_a_message(scenario: Path, tmp_path: Path) -> None:
    cases = [
        (["link", "run", str(tmp_path / "none"), "--out", str(tmp_path)], "does not exist"),
        (["link", "run", str(scenario), "--out", str(tmp_path), "--format", "xml"], "--format"),
        (["link", "run", str(scenario), "--out", str(tmp_path), "--drop", "nokind"], "kind:value"),
        (["link", "run", str(scenario), "--out", str(tmp_path), "--engine", "dask"], "scheduler"),
        (["link", "evaluate", str(tmp_path)], "no truth"),
    ]
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, (args, result.output)
