"""Physical properties that must hold for any configuration (hypothesis)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tokenfab.catalog import load_catalog
from tokenfab.deployment.problem import hardware_row, model_row
from tokenfab.engine import Efficiency, HardwareArrays, ModelArrays, ParallelConfig, steady_state
from tokenfab.engine.memory import max_concurrency

CAT = load_catalog()
MODELS = ["llama-3.1-8b", "llama-3.1-70b", "mixtral-8x7b", "deepseek-v3", "gpt-oss-120b", "gemma-3-27b", "qwen3-30b-a3b"]
ACCELS = ["h100-sxm", "h200", "b200", "mi300x", "gb200", "tpu-v6e", "l40s"]
EFF = dict(compute_eff=0.6, memory_eff=0.8, network_eff=0.8, overhead_s=2e-3, collective_latency_s=1e-5,
           layer_overhead_s=3e-5, moe_half_tokens=256.0, attention_eff=0.6, seq_overhead_s=5e-6,
           moe_half_width=512.0, gemm_half_tokens=64.0, prefill_attention_scale=0.5, expert_load_dispersion=12.0)

configs = st.fixed_dictionaries(dict(
    model=st.sampled_from(MODELS),
    accel=st.sampled_from(ACCELS),
    tp=st.sampled_from([1, 2, 4, 8]),
    pp=st.sampled_from([1, 2]),
    batch=st.integers(1, 2048),
    isl=st.integers(1, 32_000),
    osl=st.integers(1, 4_000),
    wbytes=st.sampled_from([2.0, 1.0, 0.5625]),
    kvbytes=st.sampled_from([2.0, 1.0]),
))


def build(c, **hw_override):
    spec = CAT.model(c["model"])
    m = ModelArrays.stack([model_row(spec)])
    hrow = hardware_row(CAT.accelerator(c["accel"]))
    hrow.update(hw_override)
    hw = HardwareArrays.stack([hrow])
    cfg = ParallelConfig.stack([dict(
        tp=c["tp"], pp=c["pp"], ep=1, replicas=1, dp_attention=0, weight_bytes_per_param=c["wbytes"],
        kv_bytes_per_element=c["kvbytes"], gemm_flop_per_s=hrow["bf16_flop_per_s"],
        attention_flop_per_s=hrow["bf16_flop_per_s"], isl=c["isl"], osl=c["osl"], chunk_tokens=8192,
        disaggregated=0,
    )])
    return m, hw, Efficiency.stack([EFF]), cfg


@settings(max_examples=150, deadline=None)
@given(configs, st.floats(1.01, 4.0))
def test_more_memory_bandwidth_is_never_slower(c, factor):
    m, hw, eff, cfg = build(c)
    faster = replace(hw, memory_bandwidth_bytes_per_s=hw.memory_bandwidth_bytes_per_s * factor)
    a = steady_state(m, hw, eff, cfg, c["batch"])
    b = steady_state(m, faster, eff, cfg, c["batch"])
    assert b.tpot_s[0] <= a.tpot_s[0] * (1 + 1e-12)
    assert b.ttft_s[0] <= a.ttft_s[0] * (1 + 1e-12)


@settings(max_examples=150, deadline=None)
@given(configs, st.floats(1.01, 4.0))
def test_more_memory_never_lowers_the_concurrency_that_fits(c, factor):
    m, hw, eff, cfg = build(c)
    args = (cfg.weight_bytes_per_param, cfg.kv_bytes_per_element, cfg.tp, cfg.pp, cfg.dp_attention,
            cfg.isl + cfg.osl / 2, c["batch"])
    small, _ = max_concurrency(m, hw.memory_bytes, *args)
    big, _ = max_concurrency(m, hw.memory_bytes * factor, *args)
    assert big[0] >= small[0]


@settings(max_examples=150, deadline=None)
@given(configs, st.integers(1, 100_000))
def test_longer_context_never_makes_decode_faster(c, extra):
    m, hw, eff, cfg = build(c)
    longer = replace(cfg, isl=cfg.isl + extra)
    a = steady_state(m, hw, eff, cfg, c["batch"])
    b = steady_state(m, hw, eff, longer, c["batch"])
    assert b.tpot_s[0] >= a.tpot_s[0] * (1 - 1e-12)


@settings(max_examples=150, deadline=None)
@given(configs)
def test_more_gpus_never_reduce_memory_available_per_device(c):
    """Splitting the same model over more devices (tp or pp doubled) never leaves less free
    memory on a device."""
    m, hw, eff, cfg = build(c)
    args = lambda tp, pp: (cfg.weight_bytes_per_param, cfg.kv_bytes_per_element, tp, pp, 0, 1.0, 1.0)
    _, w1 = max_concurrency(m, hw.memory_bytes, *args(cfg.tp, cfg.pp))
    _, w2 = max_concurrency(m, hw.memory_bytes, *args(cfg.tp * 2, cfg.pp))
    _, w3 = max_concurrency(m, hw.memory_bytes, *args(cfg.tp, cfg.pp * 2))
    assert w2[0] <= w1[0] and w3[0] <= w1[0]


def test_vectorized_equals_one_at_a_time():
    rng = np.random.default_rng(0)
    cs = [dict(model=str(rng.choice(MODELS)), accel=str(rng.choice(ACCELS)), tp=int(rng.choice([1, 2, 4, 8])), pp=1,
               batch=int(rng.integers(1, 512)), isl=int(rng.integers(10, 8000)), osl=int(rng.integers(10, 2000)),
               wbytes=1.0, kvbytes=1.0) for _ in range(20)]
    singles = [steady_state(*build(c), c["batch"]).tpot_s[0] for c in cs]
    parts = [build(c) for c in cs]
    stack = lambda i: type(parts[0][i])(**{k: np.concatenate([getattr(p[i], k) for p in parts])
                                           for k in parts[0][i].__dict__})
    together = steady_state(stack(0), stack(1), stack(2), stack(3), np.array([c["batch"] for c in cs])).tpot_s
    assert np.allclose(singles, together, rtol=1e-12)
