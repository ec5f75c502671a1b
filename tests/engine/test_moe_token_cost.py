"""The MoE layer's per-token work that an expert-parallel split does not divide (efficiency.yaml
``moe_token_cost``, measured from aiconfigurator's tables), against hand calculations: its
lookup, its time in a pass, and the regression that measures it."""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.engine.test_step_physics import HW, arrays, cfg, eff
from tokenfab.catalog.assumptions import efficiency_table
from tokenfab.engine.efficiency import efficiency_arrays, moe_token_cost
from tokenfab.engine.serving import pass_time
from tokenfab.errors import CatalogError

ROOT = Path(__file__).resolve().parents[2]


def test_lookup_by_stack_architecture_and_dtype():
    t = efficiency_table()
    # the W4A16 MXFP4 MoE on Hopper (H100 and H200 share the architecture), TensorRT-LLM's tables
    h100, h200 = (moe_token_cost(t, a, "trtllm", "w4a16") for a in ("h100-sxm", "h200"))
    assert h100 == h200 > 0
    # 68 ns per gpt-oss token (hidden 2,880 x top-4 = 11,520 elements), within 1 ns
    assert h100 * 2880 * 4 == pytest.approx(68e-9, abs=1e-9)
    # another stack, another dtype, a chip of another architecture: not measured, 0
    assert moe_token_cost(t, "h100-sxm", "vllm", "w4a16") == 0.0
    assert moe_token_cost(t, "h100-sxm", "trtllm", "fp8") == 0.0
    assert moe_token_cost(t, "mi300x", "trtllm", "w4a16") == 0.0


def test_a_bad_figure_is_refused_in_one_line():
    t = copy.deepcopy(efficiency_table())
    t["moe_token_cost"]["stacks"]["trtllm"]["nvidia-hopper"]["w4a16"] = -1e-12
    with pytest.raises(CatalogError, match=r"moe_token_cost trtllm nvidia-hopper w4a16 = -1e-12\. Fix: seconds per"):
        moe_token_cost(t, "h200", "trtllm", "w4a16")


def test_columns_carry_it_except_at_the_roofline():
    t = efficiency_table()
    for fidelity in ("derated", "calibrated"):
        e = efficiency_arrays(t, ["h200", "h200"], ["trtllm", "trtllm"], ["w4a16", "fp8"], fidelity)
        assert e.moe_token_cost_s_per_element[0] == moe_token_cost(t, "h200", "trtllm", "w4a16")
        assert e.moe_token_cost_s_per_element[1] == 0.0
    roof = efficiency_arrays(t, ["h200"], ["trtllm"], ["w4a16"], "roofline")
    assert roof.moe_token_cost_s_per_element[0] == 0.0


def test_time_per_pass_by_hand_and_the_same_at_any_expert_split():
    """Qwen3-30B-A3B: 48 MoE layers, hidden 2,048, top-8. 1,000 prompt tokens at 1e-12 s per
    element: 48 x 1,000 x 2,048 x 8 x 1e-12 = 786.432 us, at expert parallelism 1 and 4 alike."""
    m = arrays("qwen3-30b-a3b")
    assert (float(m.num_moe_layers[0]), float(m.hidden_size[0]), float(m.experts_per_token[0])) == (48, 2048, 8)
    expected = 48 * 1000 * 2048 * 8 * 1e-12
    for split in (dict(tp=1, ep=1), dict(tp=4, ep=4, dp=1)):
        base = pass_time(m, HW, eff(), cfg(isl=1000, **split), n_decode=0, context=0, n_prefill=1000)
        with_cost = pass_time(m, HW, eff(moe_token_cost_s_per_element=1e-12), cfg(isl=1000, **split),
                              n_decode=0, context=0, n_prefill=1000)
        assert with_cost.total_s[0] - base.total_s[0] == pytest.approx(expected, rel=1e-9)
        assert with_cost.compute_s[0] - base.compute_s[0] == pytest.approx(expected, rel=1e-9)


def test_nothing_for_a_dense_model_or_measured_moe_tables(monkeypatch):
    dense = arrays("llama-3.1-8b")
    a = pass_time(dense, HW, eff(), cfg(), n_decode=64, context=500, n_prefill=0)
    b = pass_time(dense, HW, eff(moe_token_cost_s_per_element=1e-12), cfg(), n_decode=64, context=500, n_prefill=0)
    assert b.total_s[0] == a.total_s[0]
    # where the measured fidelity reads MoE layers from aiconfigurator's tables, they already hold it
    from tokenfab.engine import serving

    calls = []

    def fake(*args, **kwargs):
        calls.append(1)
        return np.zeros(1), np.ones(1, bool)  # the table timed the MoE layers

    monkeypatch.setattr(serving, "_measured_linear", fake)
    moe = arrays("qwen3-30b-a3b")
    t_on = pass_time(moe, HW, eff(moe_token_cost_s_per_element=1e-12, measured_moe=1.0), cfg(),
                     n_decode=64, context=500, n_prefill=0)
    t_off = pass_time(moe, HW, eff(measured_moe=1.0), cfg(), n_decode=64, context=500, n_prefill=0)
    assert calls and t_on.total_s[0] == t_off.total_s[0]


def _script():
    spec = importlib.util.spec_from_file_location("moe_token_cost", ROOT / "benchmarks" / "moe_token_cost.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["moe_token_cost"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_the_regression_recovers_a_known_intercept():
    """A made-up table: latency = 1.1 ms + 7.5 ms / ep at 16,384 tokens for ep 1..8 (ms, as
    aiconfigurator stores it), a second kernel source slower at every point, and rows the fit
    must leave out (another token count, power-law routing, expert TP 2, min-latency rows)."""
    mod = _script()
    rows = []
    for ep in (1, 2, 4, 8):
        lat = 1.1 + 7.5 / ep
        rows.append(dict(num_tokens=16384, moe_ep_size=ep, latency=lat, kernel_source="moe_torch_flow"))
        rows.append(dict(num_tokens=16384, moe_ep_size=ep, latency=2 * lat, kernel_source="other"))
        rows.append(dict(num_tokens=4096, moe_ep_size=ep, latency=99.0, kernel_source="moe_torch_flow"))
        rows.append(dict(num_tokens=16384, moe_ep_size=ep, latency=99.0, kernel_source=mod.MIN_LATENCY_SOURCE))
    base = dict(moe_dtype="w4a16_mxfp4", hidden_size=2880, inter_size=2880, num_experts=128, topk=4,
                moe_tp_size=1, distribution="balanced")
    table = [{**base, **r} for r in rows]
    table.append({**base, "num_tokens": 16384, "moe_ep_size": 2, "latency": 99.0, "kernel_source": "moe_torch_flow",
                  "distribution": "power_law_1.01"})
    table.append({**base, "num_tokens": 16384, "moe_ep_size": 1, "latency": 99.0, "kernel_source": "moe_torch_flow",
                  "moe_tp_size": 2})
    cols = {k: np.array([r[k] for r in table]) for k in table[0]}
    out = mod.intercepts(cols)
    (shape, c), = out["w4a16_mxfp4"]
    assert shape == (2880, 2880, 128, 4)
    assert c == pytest.approx(1.1e-3, rel=1e-9)
