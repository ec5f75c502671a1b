"""The catalog CLI as a user runs it."""

from __future__ import annotations

import json

import pytest

from tests.conftest import cli as run_cli
from tokenfab.catalog import KINDS


@pytest.mark.parametrize("kind", KINDS)
def test_list_json_has_provenance(kind):
    proc = run_cli("catalog", "list", kind, "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert rows or kind == "discounts"  # negotiated discounts are the user's: none is bundled
    for row in rows:
        assert {"id", "source", "as_of", "kind"} <= set(row)


def test_list_table():
    proc = run_cli("catalog", "list", "accelerators")
    assert proc.returncode == 0
    assert "h100-sxm" in proc.stdout and "989 TFLOP/s" in proc.stdout


def test_grid_table_converts_prices_to_usd():
    proc = run_cli("catalog", "list", "grids")
    assert proc.returncode == 0, proc.stderr
    qc = next(line for line in proc.stdout.splitlines() if "ca-qc" in line)
    # Hydro-Quebec 5.33 CAD cents (rates of 2022-04-01); the nearest ECB fixing the catalog holds is the
    # first of its series, 2024-01-31: 1 EUR = 1.0837 USD = 1.4558 CAD
    assert "0.0533 CAD" in qc and f"{0.0533 * 1.0837 / 1.4558:.4f}" in qc
    assert "price_basis" in proc.stdout  # the footer points at the basis of each price


def test_cost_text_names_the_basis_of_a_foreign_grid_price():
    proc = run_cli("cost", "--model", "llama-3.1-8b", "--own", "--accelerator", "h100-sxm", "--count", "1",
                   "--grid", "no", "--isl", "100", "--osl", "100")
    assert proc.returncode == 0, proc.stderr
    flat = " ".join(proc.stdout.split())
    assert "0.517 NOK/kWh (2024;" in flat and "EXCLUDES grid rent" in flat and "fx NOK->USD" in flat


def test_show_gives_figures_with_kinds_and_source():
    proc = run_cli("catalog", "show", "gb200")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "tdp_w" in out and "estimate" in out  # the per-GPU TDP is flagged
    assert "source:" in out and "aiconfigurator" in out and "origin: bundled" in out


def test_validate_ok():
    proc = run_cli("catalog", "validate")
    assert proc.returncode == 0
    assert proc.stdout.startswith("catalog OK: 40 accelerators") or "catalog OK" in proc.stdout
