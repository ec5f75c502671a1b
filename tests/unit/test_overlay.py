"""User overlays: negotiated prices and private chips, with overrides reported."""

from __future__ import annotations

import json

from tests.conftest import cli as run_cli
from tests.unit.test_catalog_bad_input import GOOD_CHIP, OFFERS_HEADER
from tokenfab.catalog import load_catalog


def test_overlay_overrides_and_adds(tmp_path):
    (tmp_path / "accelerators.yaml").write_text(GOOD_CHIP)
    (tmp_path / "offers.csv").write_text(
        OFFERS_HEADER
        + "lambda-h100-8,lambda,us,8x H100,h100-sxm,8,USD,2.10,,,,our contract 2026-10,2026-10-01,datasheet,negotiated\n"
        + "npu-1,lambda,us,npu box,private-npu,4,USD,1.00,,,,our contract,2026-10-01,datasheet,\n"
    )
    cat = load_catalog(tmp_path)
    assert cat.offer("lambda-h100-8").on_demand_price_per_accel_hour == 2.10
    assert cat.accelerator("private-npu").memory_bytes == 96e9
    assert [str(o) for o in cat.overrides] == [f"offers/lambda-h100-8 overridden by {tmp_path / 'offers.csv'}"]
    # bundled rows not in the overlay are untouched
    assert cat.offer("lambda-b200-8").on_demand_price_per_accel_hour == 6.69


def test_cli_says_which_rows_it_overrode(tmp_path):
    (tmp_path / "offers.csv").write_text(
        OFFERS_HEADER + "lambda-h100-8,lambda,us,8x H100,h100-sxm,8,USD,2.10,,,,our contract,2026-10-01,datasheet,\n"
    )
    proc = run_cli("catalog", "show", "lambda-h100-8", "--json", env={"TOKENFAB_CATALOG": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert "offers/lambda-h100-8 overridden by" in proc.stderr
    row = json.loads(proc.stdout)
    assert row["on_demand_price_per_accel_hour"] == 2.10
    assert row["origin"].endswith("offers.csv:2")


def test_bundled_files_are_never_written(tmp_path):
    from tokenfab.catalog.loader import bundled_dir

    before = {p.name: p.stat().st_mtime for p in bundled_dir().iterdir()}
    run_cli("model", "import", "tests/fixtures/hf_configs/qwen3-8b/config.json", "--save", str(tmp_path))
    after = {p.name: p.stat().st_mtime for p in bundled_dir().iterdir()}
    assert before == after
