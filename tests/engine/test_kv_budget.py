"""Each serving stack's budget for weights and KV cache (data/efficiency.yaml kv_cache_budget):
vLLM's gpu_memory_utilization is a fraction of the whole memory, TensorRT-LLM's
kv_cache_free_gpu_mem_fraction a fraction of what is free once the weights are loaded; and its
admission rule: TensorRT-LLM's default GUARANTEED_NO_EVICT admits a request only with room for
its whole prompt and output, vLLM holds a sequence's current context. Hand calculations on
Llama-3.1-70B in FP8 on one H100 (80 GiB)."""

from __future__ import annotations

import numpy as np
import pytest

import tokenfab
from tokenfab.catalog import load_catalog
from tokenfab.deployment.problem import model_row
from tokenfab.engine.arrays import ModelArrays
from tokenfab.engine.efficiency import kv_budget
from tokenfab.engine.memory import RUNTIME_RESERVE_BYTES, kv_bytes_sequence, max_concurrency, weight_bytes_per_device
from tokenfab.errors import CatalogError

CAP = 80 * 2**30  # an H100 "80GB" holds 80 GiB


def _model() -> ModelArrays:
    row = model_row(load_catalog().model("llama-3.1-70b"))
    return ModelArrays(**{k: np.asarray([v], float) for k, v in row.items()})


def test_shipped_rules_per_stack():
    table = load_catalog().efficiency
    assert kv_budget(table, "trtllm") == {"kv_memory_fraction": 0.9, "kv_fraction_of_free": 1.0,
                                          "kv_reserve_request": 1.0, "chunked_kv_full": 1.0, "sliding_kv_full": 1.0}
    assert kv_budget(table, "vllm") == {"kv_memory_fraction": 0.9, "kv_fraction_of_free": 0.0,
                                        "kv_reserve_request": 0.0, "chunked_kv_full": 0.0, "sliding_kv_full": 0.0}
    assert kv_budget({}, "anything") == {"kv_memory_fraction": 0.9, "kv_fraction_of_free": 0.0,
                                         "kv_reserve_request": 0.0, "chunked_kv_full": 0.0, "sliding_kv_full": 0.0}


@pytest.mark.parametrize("row", [{"of": "freee"}, {"fraction": 1.5}, {"fraction": "most"}, {"fraction": 0}])
def test_a_malformed_budget_is_one_line(row):
    with pytest.raises(CatalogError, match="kv_cache_budget for stack 'x'.*Fix: of: total or free"):
        kv_budget({"kv_cache_budget": {"default": row}}, "x")


@pytest.mark.parametrize("reserve", ["all", "none", ""])
def test_a_malformed_admission_rule_is_one_line(reserve):
    with pytest.raises(CatalogError, match="kv_cache_budget for stack 'x': reserve = .*Fix: reserve: live or request"):
        kv_budget({"kv_cache_budget": {"default": {"reserve": reserve}}}, "x")


@pytest.mark.parametrize("of_free", [0.0, 1.0])
def test_sequences_that_fit_by_hand(of_free):
    m = _model()
    w = float(weight_bytes_per_device(m, 1.0, 1, 1, 0)[0])  # FP8: one byte per parameter (head/embedding 16-bit)
    assert 69e9 < w < 76e9  # 70.6e9 parameters, embedding and head kept 16-bit
    ctx, act_tokens = 1500.0, 8192.0
    act = act_tokens * 8192 * 2 * 8  # hidden 8,192, 2 B, 8 buffers, tp 1
    per_seq = float(kv_bytes_sequence(m, 1.0, ctx)[0])
    assert per_seq == pytest.approx(80 * 2 * 8 * 128 * ctx)  # 80 layers x K,V x 8 heads x 128 x 1 B
    if of_free:
        budget = 0.9 * (CAP - RUNTIME_RESERVE_BYTES - w - act)  # 0.9 of what is free
    else:
        budget = 0.9 * CAP - RUNTIME_RESERVE_BYTES - w - act  # 0.9 of the whole, minus what is loaded
    n, _ = max_concurrency(m, CAP, 1.0, 1.0, 1, 1, 0, ctx, act_tokens, kv_memory_fraction=0.9,
                           kv_fraction_of_free=of_free)
    assert n[0] == np.floor(budget / per_seq)


def test_trtllm_budget_and_admission_against_vllm():
    """Same chips, model and split (70B in FP8 at tp 2 on two H100s, ~36 GB of weights each):
    TensorRT-LLM's rule leaves the cache 0.9 x (C - R - W - A) instead of 0.9 C - R - W - A,
    about 0.1 x (R + W) = 4 GB more of ~37 GB, but each of its sequences holds room for the whole
    request, 1,000 + 500 tokens, where a vLLM sequence holds its mean live context 1,000 + 250."""
    kw = dict(model="llama-3.1-70b", accelerator="h100-sxm", count=2, weights="fp8", kv="fp8", isl=1000, osl=500,
              tp=2, pp=1, ep=1, scenario="offline")
    trt = tokenfab.estimate(stack="trtllm", **kw).performance
    vllm = tokenfab.estimate(stack="vllm", **kw).performance
    w = trt.weights_per_device_bytes
    assert vllm.weights_per_device_bytes == w and 34e9 < w < 38e9
    budgets = 0.9 * (CAP - RUNTIME_RESERVE_BYTES - w) / (0.9 * CAP - RUNTIME_RESERVE_BYTES - w)  # activations aside
    hand = budgets * (1000 + 250) / (1000 + 500)
    assert trt.max_concurrency_per_replica / vllm.max_concurrency_per_replica == pytest.approx(hand, rel=0.02)


@pytest.mark.parametrize("osl_cv", [0.0, 1.0])
def test_a_reserving_stack_holds_room_for_the_whole_request(osl_cv):
    """Llama-3.1-70B FP8 on one H100 (tp 1 does not fit: two, tp 2), 2,000 prompt + 8,000 output
    tokens, TensorRT-LLM: every live sequence is charged isl + osl (1 + cv^2) tokens of KV (the
    length-weighted mean request: 10,000 at cv 0, 18,000 at cv 1), against vLLM's live context
    isl + osl (1 + cv^2) / 2 (6,000 / 10,000). With the budgets' ratio taken out, the ratio of
    sequences is the ratio of those lengths."""
    kw = dict(model="llama-3.1-70b", accelerator="h100-sxm", count=2, weights="fp8", kv="fp8", isl=2000, osl=8000,
              osl_cv=osl_cv, tp=2, pp=1, ep=1, scenario="offline")
    trt = tokenfab.estimate(stack="trtllm", **kw).performance
    vllm = tokenfab.estimate(stack="vllm", **kw).performance
    w = trt.weights_per_device_bytes
    budgets = 0.9 * (CAP - RUNTIME_RESERVE_BYTES - w) / (0.9 * CAP - RUNTIME_RESERVE_BYTES - w)
    tail = 1.0 + osl_cv**2
    hand = budgets * (2000 + 8000 * tail / 2) / (2000 + 8000 * tail)
    assert trt.max_concurrency_per_replica / vllm.max_concurrency_per_replica == pytest.approx(hand, rel=0.03)
