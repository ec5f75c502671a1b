"""Compute efficiency per tensor-core architecture x dtype, and weight-only MXFP4 on chips
without FP4 units, against hand calculations from the datasheet peaks and the table's factors."""

from __future__ import annotations

import copy

import pytest

import tokenfab
from tokenfab.catalog import load_catalog
from tokenfab.deployment.problem import compute_dtype
from tokenfab.engine.efficiency import dtype_compute_scale, efficiency_arrays

CAT = load_catalog()
TABLE = CAT.efficiency


def _eff(acc: str, dtype: str, stack: str = "trtllm") -> float:
    return float(efficiency_arrays(TABLE, [acc], [stack], [dtype], "calibrated").compute_eff[0])


def test_blackwell_fp4_scale_is_shared_by_the_architecture():
    fitted = TABLE["calibrated"]["dtype_compute_scale"]["fp4"]["nvidia-blackwell"]
    trt = TABLE["calibrated"]["stacks"]["trtllm"]["compute_scale"]
    # B200 has no measured FP4 GEMM efficiency: its bf16 MAMF ratio 0.78 x stack scale x the FP4 scale
    assert _eff("b200", "fp4") == pytest.approx(0.78 * trt * fitted)
    # B300 (Blackwell Ultra, same tensor-core generation, no measured row) takes the same FP4 scale
    assert dtype_compute_scale(TABLE, "b300", "fp4") == fitted
    # FP8 is measured (0.76 on B200): no extra scale
    assert _eff("b200", "fp8") == pytest.approx(0.76 * trt)


def test_a_chip_without_fp4_rows_keeps_its_fp4_peak_advantage():
    """A chip with an FP4 peak but no measured FP4 row of its architecture takes the neutral
    scale 1, so its FP4 GEMMs run at the FP8 efficiency: twice its FP8 GEMMs where the datasheet
    doubles the peak (before, one global FP4 scale of 0.5 cancelled the 2x)."""
    t = copy.deepcopy(TABLE)
    t["calibrated"]["dtype_compute_scale"]["fp4"].pop("mi355x", None)
    assert dtype_compute_scale(t, "mi355x", "fp4") == 1.0
    fp4 = float(efficiency_arrays(t, ["mi355x"], ["vllm"], ["fp4"], "calibrated").compute_eff[0]) * 10066e12
    fp8 = float(efficiency_arrays(t, ["mi355x"], ["vllm"], ["fp8"], "calibrated").compute_eff[0]) * 5033e12
    assert fp4 / fp8 == pytest.approx(2.0)


def test_mi355x_fitted_fp4_scale_applies_to_its_fp4_gemms_only():
    """MI355X (dense FP4 10,066 TFLOP/s, FP8 5,033: AMD datasheet) has one measured MXFP4 row in
    the fitting set (MLPerf v5.1 Llama-2-70B): its own fitted scale s multiplies the FP4 GEMM
    efficiency, FP8 keeps the stack's; FP4 stays above FP8 as long as 2 s > 1."""
    s = dtype_compute_scale(TABLE, "mi355x", "fp4")
    vllm = TABLE["calibrated"]["stacks"]["vllm"]["compute_scale"]
    assert _eff("mi355x", "fp4", "vllm") == pytest.approx(min(0.68 * vllm * s, 1.0))  # bf16 MAMF ratio 0.68
    assert _eff("mi355x", "fp8", "vllm") == pytest.approx(min(0.68 * vllm, 1.0))
    assert 2 * s > 1


def test_mi355x_fp4_estimate_is_above_its_fp8():
    kw = dict(model="llama-3.1-70b", accelerator="mi355x", count=8, isl=2000, osl=200, scenario="offline")
    fp4 = tokenfab.estimate(weights="fp4", **kw).performance.throughput_output_tok_per_s
    fp8 = tokenfab.estimate(weights="fp8", **kw).performance.throughput_output_tok_per_s
    assert fp4 > 1.2 * fp8


def test_a_table_without_the_section_is_neutral():
    t = copy.deepcopy(TABLE)
    del t["calibrated"]["dtype_compute_scale"]
    assert dtype_compute_scale(t, "b200", "fp4") == 1.0


@pytest.mark.parametrize(("acc", "expected"), [("h100-sxm", "bf16"), ("h200", "bf16"), ("mi300x", "bf16"),
                                               ("b200", "fp4"), ("mi355x", "fp4")])
def test_mxfp4_weights_compute_at_bf16_without_fp4_units(acc, expected):
    """TensorRT-LLM's gpt-oss MoE support matrix: Hopper runs MXFP4 weights with BF16 activations
    (W4A16), Blackwell with MXFP8 activations on its FP4/FP8 tensor cores."""
    assert compute_dtype(CAT.accelerator(acc), "mxfp4") == expected


def test_weight_only_mxfp4_streams_4_25_bits_and_computes_at_the_bf16_peak():
    from tokenfab.deployment.problem import blocks_for, engine_inputs

    spec, acc = CAT.model("gpt-oss-120b"), CAT.accelerator("h100-sxm")
    block = blocks_for(CAT, spec, acc, 4, ("mxfp4",), None, "trtllm", {})[0]
    inp = engine_inputs(spec, [block], 1024, 1024, 8192, False, "calibrated")
    assert float(inp.cfg.weight_bytes_per_param[0]) == pytest.approx(4.25 / 8)
    assert float(inp.cfg.gemm_flop_per_s[0]) == pytest.approx(989e12, rel=0.01)  # H100 SXM dense BF16
    # ...at the efficiency of the mixed-input (W4A16) GEMM: the H100 BF16 MAMF ratio 0.8 x the
    # stack's scale x the Hopper w4a16 scale (dequantization in the GEMM main loop), not a BF16 GEMM's
    w4 = TABLE["calibrated"]["dtype_compute_scale"]["w4a16"]["nvidia-hopper"]
    trt = TABLE["calibrated"]["stacks"]["trtllm"]["compute_scale"]
    assert block.precision.efficiency_dtype == "w4a16"
    assert float(inp.eff.compute_eff[0]) == pytest.approx(0.8 * trt * w4)
    assert 0.0 < w4 <= 1.0  # fitted, bounded by a native BF16 GEMM (at the bound since the BF16-KV rows, docs)
    # H200 (same GH100 die) shares the scale; a native BF16 GEMM on H100 does not take it
    assert dtype_compute_scale(TABLE, "h200", "w4a16") == w4
    assert _eff("h100-sxm", "bf16") == pytest.approx(0.8 * trt)
    # on B200 MXFP4 computes natively at the FP4 peak: no weight-only key
    b = blocks_for(CAT, spec, CAT.accelerator("b200"), 2, ("mxfp4",), None, "trtllm", {})[0]
    assert b.precision.compute_dtype == "fp4" and b.precision.efficiency_dtype == "fp4"
