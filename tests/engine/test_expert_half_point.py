"""The routed-expert rows law's half point of one kernel family (weight-only MXFP4 on Hopper),
against hand calculations from the table's factors (docs/engine.md section 3, trial x59)."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest

from tokenfab.accuracy.calibration import BOUNDS, FITTED_HALF, _paths, neutral_start
from tokenfab.catalog import load_catalog
from tokenfab.catalog.assumptions import efficiency_table
from tokenfab.engine.efficiency import efficiency_arrays, moe_half_tokens_scale
from tokenfab.engine.serving import expert_gemm_rate

CAT = load_catalog()
TABLE = CAT.efficiency


def _half(acc: str, dtype: str, table=TABLE) -> float:
    return float(efficiency_arrays(table, [acc], ["trtllm"], [dtype], "calibrated").moe_half_tokens[0])


def test_weight_only_mxfp4_on_hopper_takes_its_own_half_point():
    glob = float(TABLE["calibrated"]["moe_half_tokens"])
    s = TABLE["calibrated"]["moe_half_tokens_scale"]["w4a16"]["nvidia-hopper"]
    assert BOUNDS["moe_half_tokens_scale"][0] <= s <= BOUNDS["moe_half_tokens_scale"][1]
    # gpt-oss on H100 and H200 (one GH100 die, one architecture) computes as w4a16: the global half x s
    for acc in ("h100-sxm", "h200", "gh200"):
        assert _half(acc, "w4a16") == pytest.approx(glob * s)
        assert moe_half_tokens_scale(TABLE, acc, "w4a16") == s
    # every other kernel family keeps the global half point: FP8 and block-scaled FP8 experts on Hopper,
    # MXFP4 against MXFP8 activations and NVFP4 on Blackwell, a chip of its own architecture
    for acc, dtype in (("h200", "fp8"), ("h200", "fp8_block"), ("h100-sxm", "bf16"), ("b200", "w4a8"),
                       ("b200", "fp4"), ("mi300x", "fp8")):
        assert _half(acc, dtype) == pytest.approx(glob)
        assert moe_half_tokens_scale(TABLE, acc, dtype) == 1.0


def test_a_table_without_the_scale_is_neutral():
    t = copy.deepcopy(TABLE)
    t["calibrated"].pop("moe_half_tokens_scale")
    assert moe_half_tokens_scale(t, "h200", "w4a16") == 1.0
    assert _half("h200", "w4a16", t) == pytest.approx(float(t["calibrated"]["moe_half_tokens"]))
    # the roofline and derated fidelities hold no fitted value at all
    for fidelity in ("roofline", "derated"):
        assert float(efficiency_arrays(TABLE, ["h200"], ["trtllm"], ["w4a16"], fidelity).moe_half_tokens[0]) == 0.0


def test_expert_rate_at_few_rows_by_hand():
    """At 123 tokens a step (HO016: one H200, 1,024 / 8,192) gpt-oss-120b routes 123 x 4 / 128 = 3.84
    rows to each expert. The rows law's factor is rows / (rows + half): with the halves 90 and 33
    (x59's global and W4A16-on-Hopper half points, rounded) 3.84 / 93.84 = 0.0409 and 3.84 / 36.84 =
    0.1042, so the W4A16 expert GEMMs run 2.55x faster there than the global law would run them;
    at 512 rows per expert the gap is 602 / 545 = 1.105x."""
    eff = efficiency_arrays(TABLE, ["h200", "h200"], ["trtllm", "trtllm"], ["w4a16", "w4a16"], "calibrated")
    glob_eff = efficiency_arrays(TABLE, ["h200"], ["trtllm"], ["fp8"], "calibrated")
    own = dataclasses.replace(eff, moe_half_tokens=np.array([33.0, 33.0]))
    base = dataclasses.replace(eff, moe_half_tokens=np.array([90.0, 90.0]))
    rows = np.array([123 * 4 / 128, 512.0])
    width = np.array([2880.0, 2880.0])
    got = expert_gemm_rate(1e15, rows, width, own) / expert_gemm_rate(1e15, rows, width, base)
    assert got == pytest.approx([(3.84375 + 90) / (3.84375 + 33), 602 / 545])
    assert got[0] == pytest.approx(2.55, abs=0.01)
    assert float(glob_eff.moe_half_tokens[0]) == pytest.approx(float(TABLE["calibrated"]["moe_half_tokens"]))


def test_the_fit_sees_the_scale_only_where_it_starts_one():
    start = neutral_start(efficiency_table(), ["trtllm"], "trtllm")
    assert start["moe_half_tokens_scale"] == {}  # nothing fitted at the neutral start
    assert not any(p[0] == "moe_half_tokens_scale" for p in _paths(start, ["trtllm"]))
    start["moe_half_tokens_scale"] = {"w4a16": {"nvidia-hopper": 1.0}}
    assert ("moe_half_tokens_scale", "w4a16", "nvidia-hopper") in _paths(start, ["trtllm"])
    assert FITTED_HALF == (("w4a16", "nvidia-hopper"),)
