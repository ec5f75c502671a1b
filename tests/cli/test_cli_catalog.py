"""The catalog CLI as a user runs it."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli
from tokenfab.catalog import KINDS


@pytest.mark.parametrize("kind", KINDS)
def test_list_json_has_provenance(kind):
    proc = run_cli("catalog", "list", kind, "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert rows
    for row in rows:
        assert {"id", "source", "as_of", "kind"} <= set(row)


def test_list_table():
    proc = run_cli("catalog", "list", "accelerators")
    assert proc.returncode == 0
    assert "h100-sxm" in proc.stdout and "989 TFLOP/s" in proc.stdout


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
