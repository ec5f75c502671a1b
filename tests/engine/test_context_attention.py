"""Prompt attention at the measured law of a stack's own kernels (efficiency.yaml ``context_attention``,
from NVIDIA's aiconfigurator tables, read at every fidelity but the roofline), against hand calculations: the
lookup, the time of a prompt's attention in a pass, where the law does not apply, and the regression
that measures it."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest

from tests.conftest import load_benchmark
from tests.engine.test_step_physics import HW, arrays, cfg, eff
from tokenfab.catalog import load_catalog
from tokenfab.catalog.assumptions import efficiency_table
from tokenfab.deployment.problem import blocks_for, engine_inputs
from tokenfab.engine.efficiency import context_attention, efficiency_arrays
from tokenfab.engine.serving import pass_time
from tokenfab.errors import CatalogError


def test_lookup_by_stack_chip_kv_dtype_and_head_size():
    t = efficiency_table()
    # head 64 (gpt-oss) reaches a smaller share of the BF16 peak on B200 than on H200, TensorRT-LLM
    b200, h200 = (context_attention(t, chip, "trtllm", "bf16", 64) for chip in ("b200", "h200"))
    assert 0 < b200[0] < h200[0] <= 1 and b200[1] > 0 and h200[1] > 0
    # an FP16 cache is read as the BF16 entry; an FP8 one has its own
    assert context_attention(t, "h200", "trtllm", "fp16", 128) == context_attention(t, "h200", "trtllm", "bf16", 128)
    assert context_attention(t, "h200", "trtllm", "fp8", 128) != context_attention(t, "h200", "trtllm", "bf16", 128)
    # not timed: another vendor's chip, a stack without tables, a head size, an FP4 cache
    for args in (("mi300x", "vllm", "bf16", 128), ("h200", "neuron", "bf16", 128), ("h200", "trtllm", "bf16", 96),
                 ("b200", "trtllm", "fp4", 128)):
        assert context_attention(t, *args) == (0.0, 0.0)


def test_a_bad_figure_is_refused_in_one_line():
    t = copy.deepcopy(efficiency_table())
    t["context_attention"]["stacks"]["trtllm"]["h200"]["bf16"]["64"] = [-0.5, 900]
    with pytest.raises(CatalogError, match=r"context_attention trtllm h200 bf16 64: \[-0.5, 900\]\. Fix: "):
        context_attention(t, "h200", "trtllm", "bf16", 64)


def test_prompt_attention_time_by_hand():
    """Llama-3.1-8B (32 layers, 32 heads of 128): one 4,000-token prompt at a law of 0.5 of a 1e15
    FLOP/s peak and 1,000 pairs per token: 32 x 32 x 4 x 128 x (4,000^2 / 2 + 1,000 x 4,000) / 5e14
    = 524,288 x 12e6 / 5e14 = 12.582912 ms; the physics without the law (1e15 peak, efficiency 1,
    scale 1) is 524,288 x 8e6 / 1e15 = 4.194304 ms."""
    m = arrays("llama-3.1-8b")
    assert (float(m.num_layers[0]), float(m.num_attention_heads[0]), float(m.head_dim[0])) == (32, 32, 128)
    base = cfg(isl=4000)
    law = dataclasses.replace(base, prefill_attention_flop_per_s=np.array([5e14]),
                              prefill_attention_pairs_per_token=np.array([1000.0]))
    parts: dict[str, np.ndarray] = {}
    pass_time(m, HW, eff(context_attention_measured=1.0), law, n_decode=0, context=0, n_prefill=4000, parts=parts)
    expected = 32 * 32 * 4 * 128 * (4000**2 / 2 + 1000 * 4000) / 5e14
    assert expected == pytest.approx(12.582912e-3, rel=1e-12)
    assert parts["attention_compute"][0] == pytest.approx(expected, rel=1e-12)
    # the roofline (flag 0) keeps the physics, as does a configuration without a law
    for e, c in ((eff(), law), (eff(context_attention_measured=1.0), base)):
        p: dict[str, np.ndarray] = {}
        pass_time(m, HW, e, c, n_decode=0, context=0, n_prefill=4000, parts=p)
        assert p["attention_compute"][0] == pytest.approx(32 * 32 * 4 * 128 * 8e6 / 1e15, rel=1e-12)
    # decode attention is not prompt attention: a decode-only pass is unchanged by the law
    a, b = ({} for _ in range(2))
    pass_time(m, HW, eff(context_attention_measured=1.0), law, n_decode=64, context=2000, n_prefill=0, parts=a)
    pass_time(m, HW, eff(context_attention_measured=1.0), base, n_decode=64, context=2000, n_prefill=0, parts=b)
    assert a["attention_compute"][0] == b["attention_compute"][0]
    assert a["attention_memory"][0] == b["attention_memory"][0]


def test_engine_inputs_carry_the_law_for_gqa_and_not_for_mla():
    cat = load_catalog()
    t = efficiency_table()
    h200 = cat.accelerator("h200")
    peak = float(h200.bf16_dense_flop_per_s)
    spec = cat.model("llama-3.1-8b")
    blocks = blocks_for(cat, spec, h200, 1, ["bf16"], "bf16", "trtllm", dict(tp=None, pp=None, ep=None,
                                                                              dp_attention=None))
    inp = engine_inputs(spec, blocks, 1000, 100, 8192, False, "calibrated")
    fraction, pairs = context_attention(t, "h200", "trtllm", "bf16", 128)
    assert np.all(inp.cfg.prefill_attention_flop_per_s == pytest.approx(fraction * peak, rel=1e-12))
    assert np.all(inp.cfg.prefill_attention_pairs_per_token == pairs)
    # the shipped table applies the law at every fidelity but the roofline; 'measured' at that one only
    assert np.all(inp.eff.context_attention_measured == 1.0)
    assert np.all(engine_inputs(spec, blocks, 1000, 100, 8192, False, "roofline").eff.context_attention_measured == 0)
    only = copy.deepcopy(t)
    only["context_attention"]["applied"] = "measured"
    assert np.all(engine_inputs(spec, blocks, 1000, 100, 8192, False, "calibrated", only)
                  .eff.context_attention_measured == 0.0)
    ds = cat.model("deepseek-r1")
    assert ds.attention == "mla"
    blocks = blocks_for(cat, ds, cat.accelerator("b200"), 8, ["fp4"], "fp8", "trtllm",
                        dict(tp=8, pp=1, ep=8, dp_attention=None))
    assert np.all(engine_inputs(ds, blocks, 1000, 100, 8192, False, "calibrated").cfg.prefill_attention_flop_per_s == 0)


def test_columns_flag_where_the_table_applies_it():
    t = efficiency_table()
    assert t["context_attention"]["applied"] == "always"
    only = copy.deepcopy(t)
    only["context_attention"]["applied"] = "measured"
    for fidelity, shipped, measured_only in (("roofline", 0.0, 0.0), ("derated", 1.0, 0.0), ("calibrated", 1.0, 0.0)):
        assert efficiency_arrays(t, ["h200"], ["trtllm"], ["bf16"], fidelity).context_attention_measured[0] == shipped
        assert (efficiency_arrays(only, ["h200"], ["trtllm"], ["bf16"], fidelity).context_attention_measured[0]
                == measured_only)
    bad = copy.deepcopy(t)
    bad["context_attention"]["applied"] = "sometimes"
    with pytest.raises(CatalogError, match=r"context_attention applied = 'sometimes'\. Fix: applied: measured or always"):
        efficiency_arrays(bad, ["h200"], ["trtllm"], ["bf16"], "calibrated")


def test_the_measured_fidelity_reads_it():
    pytest.importorskip("aiconfigurator_core")
    e = efficiency_arrays(efficiency_table(), ["h200"], ["trtllm"], ["bf16"], "measured")
    assert e.context_attention_measured[0] == 1.0


def test_the_regression_recovers_a_hand_law():
    """A table built from a law of 0.4 of a 1e15 peak and 500 pairs per token, at three prompt
    lengths and two head shapes, plus rows the fit must leave out (a window, a short prompt, a small
    call): the fit gives back 0.4 and 500."""
    mod = load_benchmark("attention_kernels")
    peak, f, n = 1e15, 0.4, 500.0
    rows = []
    for isl in (1024, 4096, 16384):
        for heads, hd, batch in ((64, 64, 8), (32, 128, 16)):
            lat_s = heads * batch * (isl**2 / 2 + n * isl) * 4 * hd / (f * peak)
            rows.append((batch, isl, heads, 8, hd, 0, "bfloat16", lat_s * 1e3))
    rows += [(8, 4096, 64, 8, 64, 128, "bfloat16", 9.0),  # sliding window
             (64, 256, 64, 8, 64, 0, "bfloat16", 9.0),  # prompt too short
             (2, 1024, 64, 8, 64, 0, "bfloat16", 9.0)]  # call too small
    cols = ("batch_size", "isl", "num_heads", "num_key_value_heads", "head_dim", "window_size", "kv_cache_dtype",
            "latency")
    table = {c: np.array([r[i] for r in rows]) for i, c in enumerate(cols)}
    # at least ten rows per head size are needed: repeat the clean rows
    table = {c: np.concatenate([v[:6]] * 3 + [v]) for c, v in table.items()}
    got = mod.context_law(table, peak)
    for hd in (64, 128):
        assert got["bf16"][hd] == pytest.approx((f, n), rel=1e-9)
