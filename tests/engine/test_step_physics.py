"""Issue-16 step physics against hand calculations: a per-step overhead that depends on what
the step carries, GEMM efficiency by rows (dense) and width (experts), attention kept off the
FP4 GEMM scale. Every expected number is worked out in the comment next to it."""

from __future__ import annotations

import copy

import pytest

from tokenfab.catalog import load_catalog
from tokenfab.catalog.assumptions import efficiency_table
from tokenfab.deployment.problem import model_row
from tokenfab.engine import Efficiency, HardwareArrays, ModelArrays, ParallelConfig
from tokenfab.engine.arrays import ROOFLINE
from tokenfab.engine.efficiency import efficiency_arrays
from tokenfab.engine.serving import expert_gemm_rate, pass_time

# a made-up device: 1 PFLOP/s, bandwidth and links so fast that memory and communication vanish
HW = HardwareArrays.stack([dict(bf16_flop_per_s=1e15, fp8_flop_per_s=2e15, fp4_flop_per_s=4e15, memory_bytes=1e12,
                                memory_bandwidth_bytes_per_s=1e21, scale_up_bytes_per_s=1e21, scale_up_domain=8,
                                scale_out_bytes_per_s=1e21)])


def arrays(model_id: str, **override) -> ModelArrays:
    row = model_row(load_catalog().model(model_id))
    row.update(override)
    return ModelArrays.stack([row])


def cfg(tp=1, pp=1, ep=1, isl=1000, dp=0) -> ParallelConfig:
    return ParallelConfig.stack([dict(
        tp=tp, pp=pp, ep=ep, replicas=1, dp_attention=dp, weight_bytes_per_param=2.0, kv_bytes_per_element=2.0,
        gemm_flop_per_s=1e15, attention_flop_per_s=1e15, isl=isl, osl=100, chunk_tokens=8192, disaggregated=0)])


def eff(**factors) -> Efficiency:
    return Efficiency.stack([{**ROOFLINE, **factors}])


def test_step_overhead_grows_with_layers_and_sequences():
    m = arrays("llama-3.1-8b")  # 32 layers
    e = eff(overhead_s=1e-3, layer_overhead_s=1e-5, seq_overhead_s=2e-6)
    # 64 decode sequences: 1 ms + 32 * 10 us + 64 * 2 us = 1 + 0.32 + 0.128 = 1.448 ms
    t = pass_time(m, HW, e, cfg(), n_decode=64, context=500, n_prefill=0)
    assert t.overhead_s[0] == pytest.approx(1.448e-3, rel=1e-12)
    # plus 2,000 prompt tokens of 1,000-token prompts = 2 more sequences: 1.448 + 2 * 0.002 = 1.452 ms
    t = pass_time(m, HW, e, cfg(), n_decode=64, context=500, n_prefill=2000)
    assert t.overhead_s[0] == pytest.approx(1.452e-3, rel=1e-12)
    # two pipeline stages: the fixed part per stage (2 * 1 ms), layers and sequences once: 2 + 0.32 + 0.128
    t = pass_time(m, HW, e, cfg(pp=2), n_decode=64, context=500, n_prefill=0)
    assert t.overhead_s[0] == pytest.approx(2.448e-3, rel=1e-12)


def test_dense_gemm_efficiency_by_rows():
    """4,096 prompt tokens of Llama-3.1-8B: linear FLOPs 15,009,316,864 per token (hand count in
    test_hand_calculations). With gemm_half_tokens = 4,096 the GEMMs run at 4096 / (4096 + 4096) = 1/2
    of their rate, so the compute time grows by exactly the linear FLOPs / 1 PFLOP/s."""
    m = arrays("llama-3.1-8b")
    base = pass_time(m, HW, eff(), cfg(isl=4096), n_decode=0, context=0, n_prefill=4096)
    slow = pass_time(m, HW, eff(gemm_half_tokens=4096.0), cfg(isl=4096), n_decode=0, context=0, n_prefill=4096)
    linear_s = 15_009_316_864 * 4096 / 1e15  # 61.48 ms
    assert slow.compute_s[0] - base.compute_s[0] == pytest.approx(linear_s, rel=1e-9)


def test_expert_gemm_efficiency_by_width():
    """One MoE layer of Qwen3-30B-A3B (hidden 2,048, 8 of 128 experts, 768 wide; no attention
    output, no LM head): routed-expert FLOPs per token 2 * 8 * 3 * 2048 * 768 = 75,497,472. With
    moe_half_width = 768 an expert slice 768 wide (tp 1) runs at 768 / (768 + 768) = 1/2, so 8,192
    tokens take 75,497,472 * 8192 / 1e15 s longer; split over ep 2 of tp 2 the slice stays 768 wide
    (whole experts), over tp 2 without ep it is 384 wide: 384 / (384 + 768) = 1/3 of the rate."""
    m = arrays("qwen3-30b-a3b", num_layers=1, num_moe_layers=1, vocab_size=0)
    half = eff(moe_half_width=768.0)
    n = 8192
    base = pass_time(m, HW, eff(), cfg(isl=n), n_decode=0, context=0, n_prefill=n)
    wide = pass_time(m, HW, half, cfg(isl=n), n_decode=0, context=0, n_prefill=n)
    experts_s = 75_497_472 * n / 1e15
    assert wide.compute_s[0] - base.compute_s[0] == pytest.approx(experts_s, rel=1e-9)
    base2 = pass_time(m, HW, eff(), cfg(tp=2, ep=2, isl=n), n_decode=0, context=0, n_prefill=n)
    ep2 = pass_time(m, HW, half, cfg(tp=2, ep=2, isl=n), n_decode=0, context=0, n_prefill=n)
    assert ep2.compute_s[0] - base2.compute_s[0] == pytest.approx(experts_s / 2, rel=1e-9)  # 2 devices share it
    base3 = pass_time(m, HW, eff(), cfg(tp=2, ep=1, isl=n), n_decode=0, context=0, n_prefill=n)
    tp2 = pass_time(m, HW, half, cfg(tp=2, ep=1, isl=n), n_decode=0, context=0, n_prefill=n)
    assert tp2.compute_s[0] - base3.compute_s[0] == pytest.approx(2 * experts_s / 2, rel=1e-9)  # 3x time, 2 devices


def test_expert_gemm_rate_by_rows_and_width():
    """The grouped expert GEMM's rate on its own (benchmarks/moe_kernels.py reads it): 1e15 FLOP/s
    dense; 10 rows per expert against a half of 30 rows run at 10 / 40 = 1/4, an expert 1,000
    columns wide against a half of 3,000 at 1,000 / 4,000 = 1/4: 1e15 / 16 = 6.25e13 FLOP/s; with
    both halves 0 (the neutral start) the dense rate itself."""
    e = eff(moe_half_tokens=30.0, moe_half_width=3000.0)
    assert expert_gemm_rate(1e15, 10.0, 1000.0, e)[0] == pytest.approx(6.25e13, rel=1e-12)
    assert expert_gemm_rate(1e15, 10.0, 1000.0, eff())[0] == pytest.approx(1e15, rel=1e-12)


def _table(**stack_extra):
    t = copy.deepcopy(efficiency_table())
    c = t["calibrated"]
    c["dtype_compute_scale"] = {"fp4": {"nvidia-blackwell": 0.5}}
    c["stacks"]["trtllm"].update(compute_scale=0.8, memory_eff=0.9, overhead_s=2e-3, **stack_extra)
    return t


def test_attention_is_not_scaled_like_fp4_gemms():
    # B200 measured bf16 GEMM efficiency 0.78 (derated, MAMF), TensorRT-LLM scale 0.8, Blackwell FP4 scale 0.5:
    # FP4 GEMMs 0.78 * 0.8 * 0.5 = 0.312; attention (FP8/BF16 kernels) 0.78 * 0.8 = 0.624
    e = efficiency_arrays(_table(), ["b200"], ["trtllm"], ["fp4"], "calibrated")
    assert e.compute_eff[0] == pytest.approx(0.312)
    assert e.attention_eff[0] == pytest.approx(0.624)
    # an FP8 model on H100 (measured fp8 0.71): both 0.71 * 0.8 = 0.568
    e = efficiency_arrays(_table(), ["h100-sxm"], ["trtllm"], ["fp8"], "calibrated")
    assert e.compute_eff[0] == pytest.approx(0.568) and e.attention_eff[0] == pytest.approx(0.568)


def test_user_calibration_keeps_the_stacks_per_sequence_overhead():
    t = _table(seq_overhead_s=5e-6)
    # a user's accelerator x stack calibration carries only compute_scale, memory_eff, overhead_s
    t["calibrated"]["accelerator_stacks"] = {"h100-sxm": {"trtllm": dict(compute_scale=1.0, memory_eff=0.7,
                                                                          overhead_s=1e-3)}}
    e = efficiency_arrays(t, ["h100-sxm", "h200"], ["trtllm", "trtllm"], ["fp8", "fp8"], "calibrated")
    assert list(e.overhead_s) == [1e-3, 2e-3]  # the user's on H100, the shipped on H200
    assert list(e.seq_overhead_s) == [5e-6, 5e-6]  # the shipped per-sequence cost on both


def test_prefill_attention_runs_at_its_own_scale_and_decode_attention_does_not():
    """Causal prompt attention of one 4,096-token Llama-3.1-8B prompt (32 layers, 32 query heads of
    128): pairs 4096^2 / 2 = 8,388,608 per layer, 4 * 32 * 128 = 16,384 FLOP per pair, so
    8,388,608 * 16,384 * 32 = 4.398e12 FLOP = 4.398 ms at 1 PFLOP/s. With prefill_attention_scale
    0.5 that part takes twice as long: exactly 4.398 ms more. A decode step (no prompt) is unchanged."""
    m = arrays("llama-3.1-8b")
    n = 4096
    base = pass_time(m, HW, eff(), cfg(isl=n), n_decode=0, context=0, n_prefill=n)
    slow = pass_time(m, HW, eff(prefill_attention_scale=0.5), cfg(isl=n), n_decode=0, context=0, n_prefill=n)
    prefill_attention_s = 8_388_608 * 16_384 * 32 / 1e15
    assert slow.compute_s[0] - base.compute_s[0] == pytest.approx(prefill_attention_s, rel=1e-9)
    dec = pass_time(m, HW, eff(), cfg(isl=n), n_decode=256, context=3000, n_prefill=0)
    dec_scaled = pass_time(m, HW, eff(prefill_attention_scale=0.5), cfg(isl=n), n_decode=256, context=3000,
                           n_prefill=0)
    assert dec_scaled.total_s[0] == dec.total_s[0]
    # the shipped table carries a fitted value inside its bounds, and the calibrated fidelity uses it
    table = efficiency_table()
    s = table["calibrated"]["prefill_attention_scale"]
    assert 0.1 <= s <= 1.0
    got = efficiency_arrays(table, ["h100-sxm"], ["trtllm"], ["fp8"], "calibrated").prefill_attention_scale[0]
    assert got == s
    assert efficiency_arrays(table, ["h100-sxm"], ["trtllm"], ["fp8"], "derated").prefill_attention_scale[0] == 1.0


def test_expert_all_to_all_latency_is_its_own_term():
    """DeepSeek-V3 (61 layers: 3 dense, 58 MoE) on the made-up device whose links are so fast that
    a collective costs only its latency. Attention data-parallel, tp 8 = ep 8: the 3 dense MLPs
    all-reduce over 8 ranks (collective latency x log2 8 each: 3 x 3 x 10 us = 90 us) and every MoE
    layer dispatches and combines (2 all-to-alls at the expert latency: 58 x 2 x 100 us = 11.6 ms);
    the experts are whole on each rank, so no expert all-reduce. Without expert parallelism (tp 8,
    ep 1) no all-to-all runs: 61 attention + 3 dense + 58 MoE all-reduces x 3 x 10 us = 3.66 ms,
    whatever the all-to-all latency."""
    m = arrays("deepseek-v3")
    e = eff(collective_latency_s=1e-5, alltoall_latency_s=1e-4)

    def split(ep: int, dpa: int) -> ParallelConfig:
        return ParallelConfig.stack([dict(
            tp=8, pp=1, ep=ep, replicas=1, dp_attention=dpa, weight_bytes_per_param=1.0, kv_bytes_per_element=1.0,
            gemm_flop_per_s=1e15, attention_flop_per_s=1e15, isl=1000, osl=100, chunk_tokens=8192, disaggregated=0)])

    dep = pass_time(m, HW, e, split(8, 1), n_decode=64, context=500, n_prefill=0)
    assert dep.comm_s[0] == pytest.approx(3 * 3 * 1e-5 + 58 * 2 * 1e-4, rel=1e-9)
    tp = pass_time(m, HW, e, split(1, 0), n_decode=64, context=500, n_prefill=0)
    assert tp.comm_s[0] == pytest.approx(122 * 3 * 1e-5, rel=1e-9)
    assert pass_time(m, HW, eff(collective_latency_s=1e-5), split(1, 0), n_decode=64, context=500,
                     n_prefill=0).comm_s[0] == pytest.approx(tp.comm_s[0], rel=1e-12)


def test_dense_gemm_rows_per_device_under_data_parallel_attention():
    """One MoE layer of Qwen3-30B-A3B (no LM head) on tp 2 = ep 2. Its dense GEMMs per token: the
    attention projections, Q 2048 x (32 x 128) + K, V 2 x 2048 x (4 x 128) + O (32 x 128) x 2048 =
    18,874,368 parameters, and the router, 2048 x 128 = 262,144: 2 x 19,136,512 = 38,273,024 FLOP.
    8,192 prompt tokens with gemm_half_tokens = 4,096:
    - data-parallel attention: each device runs its own 4,096 tokens through the full weights,
      4096 / (4096 + 4096) = 1/2 of the rate, so the two devices take 38,273,024 * 8192 / 1e15 / 2 s
      more than at the full rate;
    - tensor-parallel attention: each device runs all 8,192 tokens through half the columns,
      8192 / (8192 + 4096) = 2/3 of the rate, half of that extra time."""
    m = arrays("qwen3-30b-a3b", num_layers=1, num_moe_layers=1, vocab_size=0)
    n, dense_flop = 8192, 38_273_024
    extra_dp = dense_flop * n / 1e15 / 2
    for dp, extra in ((1, extra_dp), (0, extra_dp / 2)):
        base = pass_time(m, HW, eff(), cfg(tp=2, ep=2, isl=n, dp=dp), n_decode=0, context=0, n_prefill=n)
        slow = pass_time(m, HW, eff(gemm_half_tokens=4096.0), cfg(tp=2, ep=2, isl=n, dp=dp), n_decode=0, context=0,
                         n_prefill=n)
        assert slow.compute_s[0] - base.compute_s[0] == pytest.approx(extra, rel=1e-9)
