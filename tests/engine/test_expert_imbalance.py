"""Expert-parallel load imbalance (``serving.ep_straggler``) against hand calculations: the most
loaded of ``ep`` ranks sets an MoE layer's pace. Every expected number is worked out next to it;
the expected maxima of normals are the exact values (1 / sqrt(pi) for two, 1.4236 for eight,
from the integral of x n phi(x) Phi(x)^(n - 1)), which Blom's approximation meets within 5 %."""

from __future__ import annotations

import math

import pytest

from tokenfab.catalog import load_catalog
from tokenfab.deployment.problem import model_row
from tokenfab.engine import Efficiency, HardwareArrays, ModelArrays, ParallelConfig
from tokenfab.engine.arrays import ROOFLINE
from tokenfab.engine.serving import ep_straggler, pass_time

# a made-up device: 1 PFLOP/s, memory so fast it never binds; links of 1 TB/s so that the
# all-to-all takes time in proportion to its bytes (no latency in ROOFLINE)
HW = HardwareArrays.stack([dict(bf16_flop_per_s=1e15, fp8_flop_per_s=2e15, fp4_flop_per_s=4e15, memory_bytes=1e12,
                                memory_bandwidth_bytes_per_s=1e21, scale_up_bytes_per_s=1e12, scale_up_domain=8,
                                scale_out_bytes_per_s=1e12)])


def one_moe_layer() -> ModelArrays:
    row = model_row(load_catalog().model("qwen3-30b-a3b"))  # hidden 2,048, 8 of 128 experts, 768 wide
    row.update(num_layers=1, num_moe_layers=1, vocab_size=0)
    return ModelArrays.stack([row])


def split(tp: int, ep: int, dp: int) -> ParallelConfig:
    return ParallelConfig.stack([dict(
        tp=tp, pp=1, ep=ep, replicas=1, dp_attention=dp, weight_bytes_per_param=2.0, kv_bytes_per_element=2.0,
        gemm_flop_per_s=1e15, attention_flop_per_s=1e15, isl=8192, osl=100, chunk_tokens=8192, disaggregated=0)])


def eff(**factors) -> Efficiency:
    return Efficiency.stack([{**ROOFLINE, **factors}])


def test_straggler_is_the_expected_maximum_of_the_ranks_loads():
    # 8 ranks, 100 assignments each, dispersion 4: sd of a rank's load sqrt(4 x 100) = 20, the
    # largest of 8 is 1.4236 sd above the mean: 1 + 1.4236 x 20 / 100 = 1.2847
    assert ep_straggler(100.0, 8, 4.0)[()] == pytest.approx(1.28472, rel=3e-3)
    # 2 ranks, 400 each, dispersion 1 (independent routing): 1 + (1 / sqrt(pi)) x 20 / 400 = 1.0282
    assert ep_straggler(400.0, 2, 1.0)[()] == pytest.approx(1 + 20 / 400 / math.sqrt(math.pi), rel=2e-3)
    # no expert parallelism, no dispersion, or nothing routed: the mean rank is the slowest
    assert ep_straggler(100.0, 1, 4.0)[()] == 1.0
    assert ep_straggler(100.0, 8, 0.0)[()] == 1.0
    assert ep_straggler(0.0, 8, 4.0)[()] == 1.0
    # four times the load halves the relative spread (sd grows as sqrt(L))
    assert ep_straggler(400.0, 8, 4.0)[()] - 1 == pytest.approx((ep_straggler(100.0, 8, 4.0)[()] - 1) / 2, rel=1e-12)


def test_slowest_rank_sets_the_expert_gemms_and_all_to_all():
    """8,192 prompt tokens through one Qwen3-30B-A3B MoE layer on tp 2 = ep 2 with data-parallel
    attention. Routed-expert FLOPs 2 x 8 x 3 x 2048 x 768 = 75,497,472 per token, shared by the 2
    ranks: 75,497,472 x 8192 / 1e15 / 2 s at the mean load. Assignments per rank 8192 x 8 / 2 =
    32,768; dispersion 8,192 gives sd sqrt(8192 x 32768) = 16,384, half the mean, so the slower of 2
    ranks carries 1 + z(2) / 2 of it (z(2) = 1 / sqrt(pi) exactly, 0.589 by Blom). The all-to-all
    is the only communication here (attention data-parallel, whole experts per rank), and its bytes
    grow by the same factor: comm time over comm time at dispersion 0 = the factor."""
    m = one_moe_layer()
    cfg = split(2, 2, 1)
    base = pass_time(m, HW, eff(), cfg, n_decode=0, context=0, n_prefill=8192)
    skew = pass_time(m, HW, eff(expert_load_dispersion=8192.0), cfg, n_decode=0, context=0, n_prefill=8192)
    factor = 1 + 0.5 / math.sqrt(math.pi)
    experts_s = 75_497_472 * 8192 / 1e15 / 2
    assert skew.compute_s[0] - base.compute_s[0] == pytest.approx((factor - 1) * experts_s, rel=0.05)
    assert base.comm_s[0] > 0
    assert skew.comm_s[0] / base.comm_s[0] == pytest.approx(factor, rel=0.01)


def test_no_expert_parallelism_no_straggler():
    """Experts split by tensor parallelism (tp 2, ep 1): every device holds a slice of every expert
    and carries the same rows, so the dispersion changes nothing."""
    m = one_moe_layer()
    cfg = split(2, 1, 0)
    base = pass_time(m, HW, eff(), cfg, n_decode=64, context=500, n_prefill=0)
    skew = pass_time(m, HW, eff(expert_load_dispersion=100.0), cfg, n_decode=64, context=500, n_prefill=0)
    assert skew.total_s[0] == base.total_s[0]
