"""`tokenfab whatif`: table, --json, --csv, shocks side by side, overlay ranges."""

from __future__ import annotations

import csv
import io
import json

from ..conftest import cli

ARGS = ("whatif", "--model", "llama-3.1-70b", "--rate-rps", "5", "--isl", "1000", "--osl", "200", "--tpot-max-s",
        "0.05", "--sovereignty", "eu-jurisdiction", "--samples", "500", "--seed", "1")


def test_json_has_percentiles_probabilities_and_tornado():
    proc = cli(*ARGS, "--json")
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert d["samples"] == 500 and d["seed"] == 1 and d["rows"]
    assert set(d["rows"][0]["usd_per_mtok"]) == {"p10", "p50", "p90"}
    assert d["tornado"] and d["inputs"] and all(i["source"] for i in d["inputs"])
    assert d["after"] is None and d["shocks"] == []


def test_csv_one_line_per_front_row():
    proc = cli(*ARGS, "--csv")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert rows and {"usd_per_mtok_p10", "usd_per_mtok_p50", "usd_per_mtok_p90", "prob_best"} <= set(rows[0])


def test_table_shows_before_and_after_with_dropped_rows():
    proc = cli(*ARGS, "--shock", "export-ban:buyer=CN", "--sovereignty", "none", "--own", "--own-grid", "fr",
               env={"COLUMNS": "250"})
    if proc.returncode == 3:  # nothing left after the ban is an expected outcome with its reason
        assert "after the shocks" in proc.stderr
        return
    assert proc.returncode == 0, proc.stderr
    assert "plan before and after the shocks" in proc.stdout and "tornado" in proc.stdout


def test_rent_halving_side_by_side():
    proc = cli(*ARGS, "--shock", "rent-halving:2y", env={"COLUMNS": "250"})
    assert proc.returncode == 0, proc.stderr
    assert "rents x 0.622" in proc.stdout and "before" in proc.stdout


def test_overlay_ranges_replace_by_name(tmp_path):
    (tmp_path / "uncertainty.yaml").write_text(
        "schema_version: 1\ninputs:\n  - name: rent-on-demand\n    target: rent\n    when: {pricing: [on_demand]}\n"
        "    per: provider\n    distribution: {kind: uniform, low: 0.5, high: 0.5}\n    source: my negotiated price\n"
        "    as_of: 2026-12-01\n    kind: estimate\n", encoding="utf-8")
    proc = cli(*ARGS, "--json", "--catalog", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    bar = next(b for b in d["tornado"] if b["input"] == "rent-on-demand")
    assert bar["low_factor"] == 0.5 and bar["high_factor"] == 0.5
    assert next(i for i in d["inputs"] if i["name"] == "rent-on-demand")["source"] == "my negotiated price"


def test_malformed_overlay_ranges_are_one_line(tmp_path):
    (tmp_path / "uncertainty.yaml").write_text(
        "schema_version: 1\ninputs:\n  - name: pue\n    target: pue\n    distribution: {kind: triangular, low: 2, "
        "mode: 1, high: 3}\n    source: x y z\n    as_of: 2026-12-01\n    kind: estimate\n", encoding="utf-8")
    proc = cli(*ARGS, "--catalog", str(tmp_path))
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "low <= mode <= high" in lines[0]


def test_ray_backend_needs_no_address_for_local():
    proc = cli(*ARGS, "--address", "1.2.3.4:6379")
    assert proc.returncode == 2 and "needs backend = 'ray'" in proc.stderr
