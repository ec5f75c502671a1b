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


def test_sm120_blackwell_does_not_borrow_the_sm100_fp4_scale():
    """The RTX PRO 6000 (GB202, sm_120) runs FP4 GEMMs with mma.sync, not the B200's tcgen05
    instructions: it is its own architecture, so its FP4 GEMMs take the neutral scale 1. With no
    measured MAMF ratio of its own it runs at the derated default (0.7) x the stack's scale, and its
    FP4 GEMM rate is twice its FP8 one (2,000 against 1,000 TFLOP/s dense)."""
    trt = TABLE["calibrated"]["stacks"]["trtllm"]["compute_scale"]
    assert "rtx-pro-6000" not in TABLE["derated"]["architecture"]
    assert dtype_compute_scale(TABLE, "rtx-pro-6000", "fp4") == 1.0
    assert _eff("rtx-pro-6000", "fp4") == pytest.approx(0.7 * trt)
    assert _eff("rtx-pro-6000", "fp4") * 2000e12 == pytest.approx(2 * _eff("rtx-pro-6000", "fp8") * 1000e12)
    # the B200 keeps the scale fitted on its own (sm_100) FP4 rows
    assert dtype_compute_scale(TABLE, "b200", "fp4") < 1.0


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
                                               ("b200", "fp8"), ("mi355x", "fp8")])
def test_mxfp4_weights_compute_at_bf16_without_fp4_units(acc, expected):
    """TensorRT-LLM's gpt-oss MoE support matrix: Hopper runs MXFP4 weights with BF16 activations
    (W4A16), Blackwell with MXFP8 activations: a mixed FP4 x FP8 MMA, which runs at the FP8 rate.
    A checkpoint quantizing its activations too (W4A4, the default) computes at the FP4 peak."""
    assert compute_dtype(CAT.accelerator(acc), "mxfp4", CAT.model("gpt-oss-120b").activation_dtype_4bit) == expected
    w4a4 = "bf16" if expected == "bf16" else "fp4"
    assert compute_dtype(CAT.accelerator(acc), "mxfp4", CAT.model("llama-2-70b").activation_dtype_4bit) == w4a4


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
    assert 0.0 < w4 <= 1.0  # fitted, bounded by a native BF16 GEMM (0.83 since trial x59; at the bound 1.0 before, docs)
    # H200 (same GH100 die) shares the scale; a native BF16 GEMM on H100 does not take it
    assert dtype_compute_scale(TABLE, "h200", "w4a16") == w4
    assert _eff("h100-sxm", "bf16") == pytest.approx(0.8 * trt)
    # on B200 MXFP4 runs against MXFP8 activations at the FP8 peak (4.5 PFLOP/s dense): no weight-only key
    b = blocks_for(CAT, spec, CAT.accelerator("b200"), 2, ("mxfp4",), None, "trtllm", {})[0]
    assert b.precision.compute_dtype == "fp8" and b.precision.efficiency_dtype == "w4a8"
    assert float(engine_inputs(spec, [b], 1024, 1024, 8192, False, "calibrated").cfg.gemm_flop_per_s[0]) == \
        pytest.approx(4.5e15, rel=0.01)


@pytest.mark.parametrize(("acc", "fp8_mamf"), [("b200", 0.76), ("gb200", 0.72)])
def test_mxfp4_against_mxfp8_activations_is_its_own_gemm_at_the_fp8_peak(acc, fp8_mamf):
    """gpt-oss on Blackwell: MXFP4 experts against MXFP8 activations (TensorRT-LLM's gpt-oss MoE
    support matrix) run a block-scaled mixed-input GEMM at the FP8 peak. Its efficiency starts
    from the chip's measured FP8 GEMM ratio (B200 0.76, GB200 0.72: derated table), not the BF16
    one (0.78, 0.73), times the stack's scale and the architecture's fitted w4a8 scale."""
    from tokenfab.deployment.problem import blocks_for, engine_inputs

    spec = CAT.model("gpt-oss-120b")
    block = blocks_for(CAT, spec, CAT.accelerator(acc), 1, ("mxfp4",), None, "trtllm", {})[0]
    assert (block.precision.compute_dtype, block.precision.efficiency_dtype) == ("fp8", "w4a8")
    w4a8 = TABLE["calibrated"]["dtype_compute_scale"]["w4a8"]["nvidia-blackwell"]
    trt = TABLE["calibrated"]["stacks"]["trtllm"]["compute_scale"]
    assert 0.0 < w4a8 <= 1.0
    inp = engine_inputs(spec, [block], 1024, 1024, 8192, False, "calibrated")
    assert float(inp.eff.compute_eff[0]) == pytest.approx(fp8_mamf * trt * w4a8)
    # the derated fidelity (no fitted factor) uses the same measured FP8 figure
    assert float(efficiency_arrays(TABLE, [acc], ["trtllm"], ["w4a8"], "derated").compute_eff[0]) == \
        pytest.approx(fp8_mamf)
    # a dense FP8 checkpoint on the same chip does not take the w4a8 scale
    assert _eff(acc, "fp8") == pytest.approx(fp8_mamf * trt)
    # a table without the w4a8 entry leaves the mixed GEMM at the FP8 GEMM's efficiency
    t = copy.deepcopy(TABLE)
    t["calibrated"]["dtype_compute_scale"].pop("w4a8")
    assert float(efficiency_arrays(t, [acc], ["trtllm"], ["w4a8"], "calibrated").compute_eff[0]) == \
        pytest.approx(fp8_mamf * trt)


def _cfg(model: str, acc: str, weights: str, count: int = 1):
    from tokenfab.deployment.problem import blocks_for, engine_inputs

    block = blocks_for(CAT, CAT.model(model), CAT.accelerator(acc), count, (weights,), None, "trtllm", {})[0]
    return engine_inputs(CAT.model(model), [block], 1024, 1024, 8192, False, "calibrated").cfg


@pytest.mark.parametrize(("model", "acc", "weights", "attn", "head"), [
    # gpt-oss's MXFP4 release leaves attention and the LM head in BF16 (B200 BF16 peak 2.25 PFLOP/s)
    ("gpt-oss-120b", "b200", "mxfp4", (2.0, 2.25e15), (2.0, 2.25e15)),
    # NVIDIA's FP4 DeepSeek checkpoints keep MLA in FP8 (B200 FP8 peak 4.5 PFLOP/s)
    ("deepseek-r1", "b200", "fp4", (1.0, 4.5e15), (2.0, 2.25e15)),
    # a plain NVFP4 checkpoint quantizes attention with the rest; ModelOpt leaves only the LM head
    ("llama-2-70b", "b200", "fp4", (0.0, 0.0), (2.0, 2.25e15)),
    ("llama-2-70b", "h100-sxm", "fp8", (0.0, 0.0), (2.0, 989e12)),  # H100 SXM BF16 989 TFLOP/s
    ("llama-2-70b", "h100-sxm", "bf16", (0.0, 0.0), (0.0, 0.0)),  # nothing is kept above BF16
])
def test_groups_a_low_bit_checkpoint_keeps(model, acc, weights, attn, head):
    cfg = _cfg(model, acc, weights, 8 if model == "deepseek-r1" else 2)
    got_attn = (float(cfg.attention_weight_bytes_per_param[0]), float(cfg.attention_proj_flop_per_s[0]))
    got_head = (float(cfg.head_weight_bytes_per_param[0]), float(cfg.head_flop_per_s[0]))
    assert got_attn == pytest.approx(attn, rel=0.01) and got_head == pytest.approx(head, rel=0.01)


def test_gpt_oss_120b_weighs_what_its_checkpoint_does():
    """shared/reference/specs.md counts 114.7B MoE parameters at 4.25 bits (61 GB) plus ~2.1B
    BF16 parameters (4.2 GB): about 65 GB, which the engine reproduces only with the attention,
    router, embedding and LM head kept in BF16 (all at 4.25 bits it would say 62.9 GB)."""
    from tokenfab.deployment.problem import model_row
    from tokenfab.engine.arrays import ModelArrays
    from tokenfab.engine.memory import weight_bytes_total

    m = ModelArrays.stack([model_row(CAT.model("gpt-oss-120b"))])
    kept = float(weight_bytes_total(m, 4.25 / 8, 2.0, 2.0)[0])
    assert kept == pytest.approx(61e9 + 4.2e9, rel=0.01)
    assert float(weight_bytes_total(m, 4.25 / 8)[0]) < 0.97 * kept


def test_kept_bf16_projections_cost_prompt_time_on_blackwell():
    """A 4,096-token prompt of gpt-oss-120b on one B200 at the roofline: the attention
    projections (0.956B parameters) compute at the BF16 peak instead of the FP8 one, adding
    2 x 0.956e9 x 4096 x (1/2.25e15 - 1/4.5e15) = 0.87 ms to the pass."""
    import dataclasses

    from tokenfab.deployment.problem import blocks_for, engine_inputs
    from tokenfab.engine import Efficiency
    from tokenfab.engine.arrays import ROOFLINE
    from tokenfab.engine.serving import pass_time

    spec = CAT.model("gpt-oss-120b")
    block = blocks_for(CAT, spec, CAT.accelerator("b200"), 1, ("mxfp4",), None, "trtllm", {})[0]
    inp = engine_inputs(spec, [block], 4096, 1, 8192, False, "roofline")
    eff = Efficiency.stack([ROOFLINE])
    kept = pass_time(inp.m, inp.hw, eff, inp.cfg, 0, 0, 4096).compute_s[0]
    same = pass_time(inp.m, inp.hw, eff, dataclasses.replace(inp.cfg, attention_proj_flop_per_s=0.0), 0, 0,
                     4096).compute_s[0]
    assert kept - same == pytest.approx(2 * 0.956e9 * 4096 * (1 / 2.25e15 - 1 / 4.5e15), rel=0.01)


@pytest.mark.parametrize(("model", "acc", "weights", "says", "never"), [
    ("gpt-oss-120b", "b200", "mxfp4", ("attention in bf16", "LM head in bf16", "8-bit activations"), "weight-only"),
    ("gpt-oss-120b", "h200", "mxfp4", ("attention in bf16", "weight-only"), "8-bit activations"),
    ("llama-3.1-8b", "b200", "fp4", ("the LM head in bf16",), "attention in"),
])
def test_a_4bit_result_says_how_its_checkpoint_is_costed(model, acc, weights, says, never):
    ev = tokenfab.estimate(model=model, accelerator=acc, count=2, isl=1000, osl=200, weights=weights)
    note = next(n for n in ev.notes if "costed as served" in n)
    assert all(s in note for s in says) and never not in note


def test_an_8bit_result_carries_no_4bit_note():
    ev = tokenfab.estimate(model="llama-3.1-8b", accelerator="h100-sxm", isl=1000, osl=200, weights="fp8")
    assert not any("costed as served" in n for n in ev.notes)
