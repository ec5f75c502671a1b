"""Malformed or inconsistent catalog files: one line naming file, row, field, value and fix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.conftest import assert_one_line_error
from tests.conftest import cli as run_cli
from tests.conftest import run_cli as run_installed
from tokenfab.catalog import validate_catalog
from tokenfab.catalog.hardware import Accelerator, System
from tokenfab.catalog.market import ApiPrice, Certification, Egress, FxRate, PueFigure
from tokenfab.catalog.sites import Facility

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


def test_an_unknown_scale_up_topology(tmp_path):
    # through the installed script, as a user meets it
    bad = GOOD_CHIP.replace("    source: internal", "    scale_up_topology: ring\n    source: internal")
    _overlay(tmp_path, "accelerators.yaml", bad)
    proc = run_installed("catalog", "list", "accelerators", "--json", "--catalog", str(tmp_path))
    line = assert_one_line_error(proc, code=2)
    assert "scale_up_topology" in line and "ring" in line and "full_mesh" in line


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
    row = "yen,lambda,us,x,h100-sxm,8,BRL,300,,,,quote,2026-10-01,datasheet,\n"
    proc = run_cli("catalog", "validate", "--catalog", str(_overlay(tmp_path, "offers.csv", OFFERS_HEADER + row)))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr + proc.stdout
    assert "'currency' = 'BRL'" in proc.stdout and "'USD'" in proc.stdout


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


# --- schema ranges (fuzzing report): finite numbers, bounded counts, powers > 0, no future dates ---

TOMORROW = dt.date.today() + dt.timedelta(days=1)
PROVENANCE = {"source": "test fixture", "as_of": "2026-10-01", "kind": "datasheet"}


def _chip_with(line: str) -> str:
    return GOOD_CHIP.replace("    kind: datasheet\n", f"    kind: datasheet\n    {line}\n")


def _errors_of(tmp_path: Path, name: str, text: str) -> list[str]:
    _, errors = validate_catalog(_overlay(tmp_path, name, text))
    return errors


@pytest.mark.parametrize("day", ["9999-12-31", TOMORROW.isoformat()])
def test_as_of_in_the_future_is_refused(tmp_path, day):
    bad = GOOD_CHIP.replace("as_of: 2026-10-01", f"as_of: {day}")
    line = assert_one_line_error(_validate(_overlay(tmp_path, "accelerators.yaml", bad)))
    assert "'as_of'" in line and day in line and "in the future" in line


def test_as_of_today_is_accepted(tmp_path):
    good = GOOD_CHIP.replace("as_of: 2026-10-01", f"as_of: {dt.date.today().isoformat()}")
    assert _errors_of(tmp_path, "accelerators.yaml", good) == []


def test_as_of_in_the_future_is_refused_in_csv_too(tmp_path):
    row = f"x,lambda,us,x,h100-sxm,8,USD,2.5,,,,quote,{TOMORROW.isoformat()},datasheet,\n"
    (err,) = _errors_of(tmp_path, "offers.csv", OFFERS_HEADER + row)
    assert "offers.csv:2" in err and "'as_of'" in err and "in the future" in err


@pytest.mark.parametrize("value", ["1e15", "0", "-5", "1000"])
def test_on_chip_sram_out_of_range(tmp_path, value):
    (err,) = _errors_of(tmp_path, "accelerators.yaml", _chip_with(f"on_chip_sram_bytes: {value}"))
    assert "'on_chip_sram_bytes'" in err and "bytes" in err


def test_on_chip_sram_plausible_value_accepted(tmp_path):
    assert _errors_of(tmp_path, "accelerators.yaml", _chip_with("on_chip_sram_bytes: 96e6")) == []


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), "inf", "NaN"])
def test_schema_refuses_non_finite_numbers_whatever_the_reader(value):
    """allow_inf_nan=False: a non-finite number is refused even in a field without an upper bound."""
    row = {"id": "x", "name": "X", "vendor": "V", "status": "shipping", **PROVENANCE}
    with pytest.raises(ValidationError, match="finite"):
        Accelerator.model_validate({**row, "on_chip_sram_bytes": value})
    egress = {"currency": "USD", "source": "page", "as_of": "2026-10-01"}
    with pytest.raises(ValidationError, match="finite"):
        Egress.model_validate({**egress, "free_volume_per_month": value, "tiers": [{"price_per_unit": 0.05}]})


def test_bool_in_a_number_field_is_refused(tmp_path):
    (err,) = _errors_of(tmp_path, "accelerators.yaml", GOOD_CHIP.replace("memory_bytes: 96e9", "memory_bytes: true"))
    assert "'memory_bytes' = True" in err and "not true" in err


def test_offer_accelerator_count_is_bounded(tmp_path):
    row = "big,lambda,us,x,h100-sxm,1000000,USD,2.5,,,,quote,2026-10-01,datasheet,\n"
    (err,) = _errors_of(tmp_path, "offers.csv", OFFERS_HEADER + row)
    assert "'accelerator_count' = '1000000'" in err and "100000" in err


@pytest.mark.parametrize("field", ["accelerators_per_system", "scale_up_domain_size"])
def test_system_counts_are_bounded(field):
    row = {"id": "s", "name": "S", "vendor": "V", "form": "server", "accelerator": "h100-sxm",
           "accelerators_per_system": 8, "scale_up_domain_size": 8, **PROVENANCE}
    System.model_validate(row)
    with pytest.raises(ValidationError, match=field):
        System.model_validate({**row, field: 100_001})


def test_accelerator_scale_up_domain_is_bounded():
    row = {"id": "x", "name": "X", "vendor": "V", "status": "shipping", **PROVENANCE}
    with pytest.raises(ValidationError, match="scale_up_domain_size"):
        Accelerator.model_validate({**row, "scale_up_domain_size": 10**9})


def test_facility_operating_power_zero_is_refused():
    """0 W used to pass and then divide by zero downstream; a site not yet drawing power omits it."""
    row = {"id": "f", "name": "F", "owner": "O", "location": "L", "country": "FR", "status": "announced",
           "announced_power_w": 1e9, **PROVENANCE}
    Facility.model_validate(row)
    with pytest.raises(ValidationError, match="operating_power_w") as info:
        Facility.model_validate({**row, "operating_power_w": 0})
    assert info.value.errors()[0]["type"] == "greater_than"


def test_dated_parts_refuse_future_dates():
    far = "9999-12-31"
    cert = {"name": "SecNumCloud", "status": "qualified", "source": "ANSSI list"}
    Certification.model_validate({**cert, "as_of": "2026-10-01", "valid_to": "2029-01-01"})  # validity may be future
    with pytest.raises(ValidationError, match="in the future"):
        Certification.model_validate({**cert, "as_of": far})
    with pytest.raises(ValidationError, match="in the future"):
        Egress.model_validate({"currency": "USD", "tiers": [], "source": "page", "as_of": far})
    with pytest.raises(ValidationError, match="in the future"):
        PueFigure.model_validate({"value": 1.2, "scope": "fleet", "year": 2025, "source": "report", "as_of": far})
    fx = {"id": "eur", "currency": "EUR", "usd_per_unit": 1.1, **PROVENANCE}
    with pytest.raises(ValidationError, match="rate_date"):
        FxRate.model_validate({**fx, "rate_date": far})
    api = {"id": "a", "vendor": "V", "api_model": "m", "currency": "USD", "input_price_per_mtok": 1,
           "output_price_per_mtok": 2, "output_tok_per_s_per_user": 50, "speed_source": "bench", **PROVENANCE}
    with pytest.raises(ValidationError, match="speed_as_of"):
        ApiPrice.model_validate({**api, "speed_as_of": far})


@pytest.mark.parametrize("day", ["2026-13", "2026-02-30"])
def test_launch_date_must_be_a_calendar_date(tmp_path, day):
    (err,) = _errors_of(tmp_path, "accelerators.yaml", _chip_with(f"launch_date: '{day}'"))
    assert "'launch_date'" in err and "calendar date" in err
