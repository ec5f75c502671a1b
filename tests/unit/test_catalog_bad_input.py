"""Malformed or inconsistent catalog files: one line naming file, row, field, value and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import assert_one_line_error, run_cli

GOOD_CHIP = """\
schema_version: 1
rows:
  - id: private-npu
    name: Private NPU
    vendor: Example Corp
    status: shipping
    bf16_dense_flop_per_s: 500e12
    memory_bytes: 96e9
    memory_bandwidth_bytes_per_s: 4e12
    source: internal datasheet rev 3
    as_of: 2026-10-01
    kind: datasheet
"""

OFFERS_HEADER = (
    "id,provider,region,instance_type,accelerator,accelerator_count,currency,on_demand_price_per_accel_hour,"
    "reserved_1y_price_per_accel_hour,reserved_3y_price_per_accel_hour,spot_price_per_accel_hour,source,as_of,kind,notes\n"
)


def _overlay(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def _validate(overlay: Path):
    return run_cli("catalog", "list", "accelerators", "--json", "--catalog", str(overlay))


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    bad = GOOD_CHIP.replace("    vendor: Example Corp", "    vendor: [Example Corp")
    proc = _validate(_overlay(tmp_path, "accelerators.yaml", bad))
    assert_one_line_error(proc, "accelerators.yaml:", "YAML syntax error")


def test_missing_field(tmp_path):
    bad = GOOD_CHIP.replace("    source: internal datasheet rev 3\n", "")
    line = assert_one_line_error(_validate(_overlay(tmp_path, "accelerators.yaml", bad)))
    assert "accelerators.yaml:3" in line and "private-npu" in line and "'source'" in line


def test_wrong_unit_gets_a_unit_hint(tmp_path):
    bad = GOOD_CHIP.replace("memory_bytes: 96e9", "memory_bytes: 96")
    line = assert_one_line_error(_validate(_overlay(tmp_path, "accelerators.yaml", bad)))
    assert "'memory_bytes' = 96" in line and "80e9" in line


def test_unknown_field_suggests_the_right_one(tmp_path):
    bad = GOOD_CHIP.replace("memory_bytes: 96e9", "memory_gb: 96")
    line = assert_one_line_error(_validate(_overlay(tmp_path, "accelerators.yaml", bad)))
    assert "unknown field 'memory_gb'" in line and "did you mean 'memory_bytes'" in line


def test_negative_value(tmp_path):
    bad = GOOD_CHIP.replace("bf16_dense_flop_per_s: 500e12", "bf16_dense_flop_per_s: -500e12")
    line = assert_one_line_error(_validate(_overlay(tmp_path, "accelerators.yaml", bad)))
    assert "'bf16_dense_flop_per_s' = -5" in line and "greater than or equal" in line


def test_bad_provenance_kind(tmp_path):
    bad = GOOD_CHIP.replace("kind: datasheet", "kind: rumour")
    line = assert_one_line_error(_validate(_overlay(tmp_path, "accelerators.yaml", bad)))
    assert "'kind' = 'rumour'" in line and "'datasheet'" in line


def test_estimate_without_notes_is_refused(tmp_path):
    bad = GOOD_CHIP.replace("kind: datasheet", "kind: estimate")
    line = assert_one_line_error(_validate(_overlay(tmp_path, "accelerators.yaml", bad)))
    assert "estimated from" in line


def test_negative_price_in_csv(tmp_path):
    row = "neg,lambda,us,x,h100-sxm,8,USD,-2.5,,,,quote,2026-10-01,datasheet,\n"
    proc = run_cli("catalog", "list", "offers", "--catalog", str(_overlay(tmp_path, "offers.csv", OFFERS_HEADER + row)))
    line = assert_one_line_error(proc)
    assert "offers.csv:2" in line and "'on_demand_price_per_accel_hour' = '-2.5'" in line


def test_unknown_currency(tmp_path):
    row = "yen,lambda,us,x,h100-sxm,8,JPY,300,,,,quote,2026-10-01,datasheet,\n"
    proc = run_cli("catalog", "validate", "--catalog", str(_overlay(tmp_path, "offers.csv", OFFERS_HEADER + row)))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr + proc.stdout
    assert "'currency' = 'JPY'" in proc.stdout and "'USD'" in proc.stdout


def test_csv_cell_count_mismatch(tmp_path):
    row = "short,lambda,us,x,h100-sxm\n"
    proc = run_cli("catalog", "list", "offers", "--catalog", str(_overlay(tmp_path, "offers.csv", OFFERS_HEADER + row)))
    assert_one_line_error(proc, "offers.csv:2", "5 cells", "15")


def test_unknown_reference_suggests(tmp_path):
    row = "typo,lambda,us,x,h100-sxmm,8,USD,2.5,,,,quote,2026-10-01,datasheet,\n"
    proc = run_cli("catalog", "list", "offers", "--catalog", str(_overlay(tmp_path, "offers.csv", OFFERS_HEADER + row)))
    assert_one_line_error(proc, "offer typo", "'accelerator' = 'h100-sxmm'", "did you mean 'h100-sxm'")


def test_unknown_region(tmp_path):
    row = "mars,lambda,mars-1,x,h100-sxm,8,USD,2.5,,,,quote,2026-10-01,datasheet,\n"
    proc = run_cli("catalog", "list", "offers", "--catalog", str(_overlay(tmp_path, "offers.csv", OFFERS_HEADER + row)))
    assert_one_line_error(proc, "'region' = 'mars-1'", "known: us")


def test_duplicate_id_in_one_file(tmp_path):
    doubled = GOOD_CHIP + "\n".join(GOOD_CHIP.splitlines()[2:]) + "\n"
    proc = _validate(_overlay(tmp_path, "accelerators.yaml", doubled))
    assert_one_line_error(proc, "'private-npu' is already defined")


def test_duplicate_yaml_key(tmp_path):
    bad = GOOD_CHIP.replace("    vendor: Example Corp\n", "    vendor: Example Corp\n    vendor: Other\n")
    assert_one_line_error(_validate(_overlay(tmp_path, "accelerators.yaml", bad)), "duplicate key 'vendor'")


def test_wrong_schema_version(tmp_path):
    bad = GOOD_CHIP.replace("schema_version: 1", "schema_version: 7")
    assert_one_line_error(_validate(_overlay(tmp_path, "accelerators.yaml", bad)), "schema_version = 7")


def test_misnamed_overlay_file(tmp_path):
    proc = _validate(_overlay(tmp_path, "accelerator.yaml", GOOD_CHIP))
    assert_one_line_error(proc, "not a catalog file name", "did you mean 'accelerators.yaml'")


def test_overlay_dir_must_exist(tmp_path):
    assert_one_line_error(_validate(tmp_path / "nope"), "is not a directory")


def test_validate_lists_every_problem(tmp_path):
    bad = GOOD_CHIP.replace("memory_bytes: 96e9", "memory_bytes: 96").replace("kind: datasheet", "kind: guess")
    proc = run_cli("catalog", "validate", "--catalog", str(_overlay(tmp_path, "accelerators.yaml", bad)))
    assert proc.returncode == 1
    errors = [ln for ln in proc.stdout.splitlines() if ln.startswith("error:")]
    assert len(errors) == 2


def test_unknown_id_did_you_mean():
    assert_one_line_error(run_cli("catalog", "show", "h100-sxn"), "unknown", "did you mean 'h100-sxm'")


def test_unknown_kind():
    assert_one_line_error(run_cli("catalog", "list", "acelerators"), "did you mean 'accelerators'")


@pytest.mark.parametrize("bad", ["", "  "])
def test_empty_id_refused(bad):
    proc = run_cli("catalog", "show", bad)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
