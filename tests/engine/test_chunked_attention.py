"""Llama 4's chunked attention as each stack caches it (data/efficiency.yaml kv_cache_budget
``chunked_layers``). 36 of Llama-4-Maverick's 48 layers attend within 8,192-token chunks.
TensorRT-LLM chunks only prompt attention and keeps those layers' KV cache for the whole
sequence (``full``); a stack without that entry holds at most the chunk (``window``). What a
decode step reads is the chunk either way. Hand calculations from the model's config.json."""

from __future__ import annotations

import copy
import dataclasses
import json

import numpy as np
import pytest

import tokenfab
from tests.conftest import FIXTURES, assert_one_line_error, run_cli
from tokenfab.catalog import load_catalog
from tokenfab.catalog.hf_config import read_hf_config
from tokenfab.catalog.model_spec import ModelSpec
from tokenfab.deployment.problem import model_row
from tokenfab.engine.arrays import ModelArrays
from tokenfab.engine.efficiency import kv_budget
from tokenfab.engine.memory import kv_bytes_sequence, kv_model
from tokenfab.errors import CatalogError

KV_PER_TOKEN_LAYER = 2 * 8 * 128  # K and V x 8 KV heads x head_dim 128 [elements]


def _arrays(model_id: str) -> ModelArrays:
    row = model_row(load_catalog().model(model_id))
    return ModelArrays(**{k: np.asarray([v], float) for k, v in row.items()})


def test_llama4_configs_are_chunked_and_others_slide():
    assert read_hf_config(FIXTURES / "hf_configs" / "llama-4-scout").local_attention == "chunked"
    cat = load_catalog()
    assert cat.model("llama-4-maverick").local_attention == "chunked"
    for sliding in ("gpt-oss-120b", "gemma-3-27b"):
        assert cat.model(sliding).local_attention == "sliding"
    with pytest.raises(ValueError, match="local_attention: chunked needs num_sliding_layers"):
        ModelSpec.model_validate({**cat.model("llama-3.1-8b").model_dump(), "local_attention": "chunked"})


@pytest.mark.parametrize("context", [1024.0, 8192.0, 33792.0])
def test_kv_bytes_by_hand(context):
    """FP8 KV (1 B/element): window 12 c + 36 min(c, 8,192) token-layers, whole 48 c."""
    m = _arrays("llama-4-maverick")
    window = (12 * context + 36 * min(context, 8192.0)) * KV_PER_TOKEN_LAYER
    assert kv_bytes_sequence(m, 1.0, context)[0] == pytest.approx(window)
    assert kv_bytes_sequence(kv_model(m, 1.0), 1.0, context)[0] == pytest.approx(48 * context * KV_PER_TOKEN_LAYER)
    assert kv_bytes_sequence(kv_model(m, 0.0), 1.0, context)[0] == pytest.approx(window)
    g = _arrays("gpt-oss-120b")  # a sliding window is not a chunk: the chunked rule leaves it alone
    assert kv_bytes_sequence(kv_model(g, 1.0), 1.0, context)[0] == kv_bytes_sequence(g, 1.0, context)[0]
    # and the sliding rule leaves a chunked layer alone
    assert kv_bytes_sequence(kv_model(m, 0.0, 1.0), 1.0, context)[0] == pytest.approx(window)


@pytest.mark.parametrize("context", [100.0, 2000.0, 33792.0])
def test_sliding_layers_held_whole_by_hand(context):
    """gpt-oss-120b, 36 layers, 18 of them with a 128-token window, 8 KV heads of 64 (1,024 KV
    elements per token and layer), FP8 (1 B/element): by window 18 c + 18 min(c, 128)
    token-layers; held whole (TensorRT-LLM's one window for every layer) 36 c."""
    g = _arrays("gpt-oss-120b")
    assert (float(g.num_layers[0]), float(g.num_sliding_layers[0]), float(g.sliding_window_tokens[0])) == (36, 18, 128)
    per = 2 * 8 * 64
    by_window = (18 * context + 18 * min(context, 128.0)) * per
    assert kv_bytes_sequence(kv_model(g, 0.0, 0.0), 1.0, context)[0] == pytest.approx(by_window)
    assert kv_bytes_sequence(kv_model(g, 0.0, 1.0), 1.0, context)[0] == pytest.approx(36 * context * per)
    assert kv_bytes_sequence(kv_model(g, 1.0, 1.0), 1.0, context)[0] == pytest.approx(36 * context * per)
    # a model without windows is the same either way
    d = _arrays("llama-3.1-8b")
    assert kv_bytes_sequence(kv_model(d, 1.0, 1.0), 1.0, context)[0] == kv_bytes_sequence(d, 1.0, context)[0]


def test_shipped_rule_and_a_malformed_one():
    table = load_catalog().efficiency
    assert kv_budget(table, "trtllm")["chunked_kv_full"] == 1.0
    assert kv_budget(table, "vllm")["chunked_kv_full"] == 0.0
    with pytest.raises(CatalogError, match="stack 'x': chunked_layers = 'all'.*Fix: chunked_layers: window or full"):
        kv_budget({"kv_cache_budget": {"default": {"chunked_layers": "all"}}}, "x")
    assert kv_budget(table, "trtllm")["sliding_kv_full"] == 1.0
    assert kv_budget(table, "vllm")["sliding_kv_full"] == 0.0
    with pytest.raises(CatalogError, match="stack 'x': sliding_layers = 'some'.*Fix: sliding_layers: window or full"):
        kv_budget({"kv_cache_budget": {"default": {"sliding_layers": "some"}}}, "x")


def test_trtllm_holds_fewer_long_maverick_sequences_but_decodes_them_as_fast():
    """4x B200 DEP4 in FP4, 1,024 / 32,768. A TensorRT-LLM sequence reserves its whole request,
    33,792 tokens, on all 48 layers; a vLLM one its live context 1,024 + 16,384 = 17,408 on 12 layers
    plus 8,192 on 36. With the stacks' budgets taken out, the ratio of sequences is
    (12 x 17,408 + 36 x 8,192) / (48 x 33,792) = 0.311; with the chunked layers cached by window it
    would be (12 x 17,408 + 36 x 8,192) / (12 x 33,792 + 36 x 8,192) = 0.719. At one fixed batch of
    32 sequences both stacks' decode steps read the same chunked KV, so TPOT differs only by the
    stacks' own factors, not by 48 / 21 more KV bytes."""
    kw = dict(model="llama-4-maverick", accelerator="b200", count=4, weights="fp4", kv="fp8", isl=1024, osl=32768,
              tp=4, pp=1, ep=4, dp_attention=True, scenario="offline")
    trt = tokenfab.estimate(stack="trtllm", **kw).performance
    vllm = tokenfab.estimate(stack="vllm", **kw).performance
    cap = float(load_catalog().accelerator("b200").memory_bytes)
    w = trt.weights_per_device_bytes
    reserve = 3.5e9
    budgets = 0.9 * (cap - reserve - w) / (0.9 * cap - reserve - w)  # activations aside
    hand = budgets * (12 * 17408 + 36 * 8192) / (48 * 33792)
    assert trt.max_concurrency_per_replica / vllm.max_concurrency_per_replica == pytest.approx(hand, rel=0.05)


def test_at_one_batch_the_rule_changes_memory_not_the_decode_step():
    """Same 32 sequences per replica with TensorRT-LLM's rule and with the chunked layers cached by
    window: the decode step reads the chunk either way (TPOT equal), only the sequences that fit
    differ (0.719 / 0.311 of the KV per sequence, budgets equal, hence about 2.3x)."""
    cat = load_catalog()
    eff = copy.deepcopy(cat.efficiency)
    eff["kv_cache_budget"]["stacks"]["trtllm"]["chunked_layers"] = "window"
    windowed = dataclasses.replace(cat, efficiency=eff)
    kw = dict(model="llama-4-maverick", accelerator="b200", count=4, weights="fp4", kv="fp8", isl=1024, osl=32768,
              tp=4, pp=1, ep=4, dp_attention=True, scenario="offline", stack="trtllm", concurrency=32)
    full = tokenfab.estimate(catalog=cat, **kw).performance
    win = tokenfab.estimate(catalog=windowed, **kw).performance
    assert full.tpot_s == pytest.approx(win.tpot_s, rel=1e-9)
    ratio = win.max_concurrency_per_replica / full.max_concurrency_per_replica
    assert ratio == pytest.approx((48 * 33792) / (12 * 33792 + 36 * 8192), rel=0.02)


def test_a_bad_local_attention_in_an_overlay_is_one_line_through_the_installed_script(tmp_path):
    """A user's models.yaml with ``local_attention: chunky``: one line naming the field, the value
    and what it accepts, exit 2, no traceback (the installed ``tokenfab`` script, fresh process)."""
    row = {**load_catalog().model("llama-4-maverick").model_dump(mode="json", exclude_none=True),
           "id": "my-maverick", "local_attention": "chunky"}
    (tmp_path / "models.yaml").write_text(json.dumps({"schema_version": 1, "rows": [row]}), encoding="utf-8")
    proc = run_cli("estimate", "--catalog", str(tmp_path), "--model", "my-maverick", "--accelerator", "b200",
                   "--count", "4", "--isl", "1024", "--osl", "1024")
    assert_one_line_error(proc, "local_attention", "'chunky'", "'sliding' or 'chunked'", code=2)


def test_estimate_says_when_a_stack_holds_windows_whole():
    """gpt-oss-120b at 1,000 / 1,000 (2,000 tokens): held whole 36 x 2,000 = 72,000 token-layers
    against 18 x 2,000 + 18 x 128 = 38,304 by window, 1.88x; vLLM keeps the window: no note; a
    model without windows: no note."""
    from tests.conftest import cli

    def notes(*args: str) -> list[str]:
        proc = cli("estimate", *args, "--isl", "1000", "--osl", "1000", "--scenario", "offline", "--count", "1",
                   "--json")
        assert proc.returncode == 0, proc.stderr
        return [n for n in json.loads(proc.stdout)["notes"] if "whole context" in n]

    got = notes("--model", "gpt-oss-120b", "--accelerator", "h200", "--stack", "trtllm")
    assert len(got) == 1 and "18 sliding-window layers" in got[0] and "holds 1.88x" in got[0]
    assert notes("--model", "gpt-oss-120b", "--accelerator", "h200", "--stack", "vllm") == []
    assert notes("--model", "llama-3.1-8b", "--accelerator", "h200", "--stack", "trtllm") == []
