"""What a decode step reads in Llama 4's chunked-attention layers (36 of Llama-4-Maverick's 48
layers attend within 8,192-token chunks; 40 query heads share 8 KV heads of 128 dimensions).

A token at position ``p`` attends from the start of its own chunk, ``p mod 8,192`` tokens; on
Hopper TensorRT-LLM decodes those layers with one thread block per query head once a request
outgrows the chunk (its grouped-query kernel declines chunked attention: data/efficiency.yaml
``chunked_decode_kernel``), so each KV head's chunk is read 40 / 8 = 5 times. Hand calculations
and brute-force counts, not the engine's own output."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest

import tokenfab
from tokenfab.catalog import load_catalog
from tokenfab.deployment.problem import model_row
from tokenfab.engine.arrays import ModelArrays
from tokenfab.engine.efficiency import chunked_decode_kernel, efficiency_arrays
from tokenfab.engine.memory import chunk_offset_mean, decode_context_layers, effective_context_layers
from tokenfab.engine.serving import chunked_rereads
from tokenfab.errors import CatalogError

CHUNK = 8192


def _arrays(model_id: str) -> ModelArrays:
    row = model_row(load_catalog().model(model_id))
    return ModelArrays(**{k: np.asarray([v], float) for k, v in row.items()})


@pytest.mark.parametrize("start,new,chunk", [(8192, 1024, CHUNK), (1024, 8192, CHUNK), (1024, 32768, CHUNK),
                                             (100, 50, CHUNK), (8000, 500, CHUNK), (5, 17, 4)])
def test_chunk_offset_mean_counts_positions(start, new, chunk):
    counted = float(np.mean(np.arange(start, start + new) % chunk))
    assert float(chunk_offset_mean(start, new, chunk)) == pytest.approx(counted, rel=1e-12)


def test_chunk_offset_means_by_hand():
    # 8,192 / 1,024: positions 8,192..9,215 sit 0..1,023 into the second chunk
    assert float(chunk_offset_mean(8192, 1024, CHUNK)) == 511.5
    # 1,024 / 8,192: 1,024..8,191 (7,168 positions) then 0..1,023 of the next chunk
    assert float(chunk_offset_mean(1024, 8192, CHUNK)) == pytest.approx(
        ((1024 + 8191) * 7168 / 2 + 1023 * 1024 / 2) / 8192)
    # 1,024 / 32,768: four whole chunks' worth of offsets, 0..8,191 each: 4,095.5
    assert float(chunk_offset_mean(1024, 32768, CHUNK)) == 4095.5


def test_maverick_decode_token_layers():
    """12 global layers see the mean context; 36 chunked layers their token's chunk so far where
    the request outgrows the chunk, else min(context, chunk) as before."""
    m = _arrays("llama-4-maverick")
    assert (float(m.num_layers[0]), float(m.num_sliding_layers[0])) == (48.0, 36.0)
    ctx = 8192 + 512
    assert float(decode_context_layers(m, ctx, 8192, 1024)[0]) == 12 * ctx + 36 * 511.5
    # where min(context, chunk) would charge the whole chunk: 12 x 8,704 + 36 x 8,192
    assert float(effective_context_layers(m, ctx)[0]) == 12 * ctx + 36 * 8192
    # 1,000 / 1,000 never outgrows the chunk: unchanged
    assert float(decode_context_layers(m, 1500, 1000, 1000)[0]) == 48 * 1500


def test_sliding_window_models_keep_the_window():
    """gpt-oss's sliding layers attend to the last 128 tokens wherever the token sits: only
    chunked layers reset at chunk boundaries."""
    m = _arrays("gpt-oss-120b")
    assert float(m.chunked_attention[0]) == 0.0
    for isl, osl in ((1024, 1024), (8192, 1024), (32768, 1024)):
        ctx = isl + osl / 2
        assert float(decode_context_layers(m, ctx, isl, osl)[0]) == float(effective_context_layers(m, ctx)[0])


def _eff(acc: str, stack: str):
    return efficiency_arrays(load_catalog().efficiency, [acc], [stack], ["fp8"], "calibrated")


def test_rereads_only_on_the_listed_stack_and_chip_past_the_chunk():
    m = _arrays("llama-4-maverick")
    hopper_trt = _eff("h200", "trtllm")
    assert float(hopper_trt.chunked_reads_per_query_head[0]) == 1.0
    # 36 layers x 4,095.5 tokens x (40 / 8 - 1) more reads
    assert float(chunked_rereads(m, hopper_trt, 1024, 8192)[0]) == pytest.approx(36 * 4095.5 * 4)
    assert float(chunked_rereads(m, hopper_trt, 1000, 1000)[0]) == 0.0  # XQA: within the chunk
    for acc, stack in (("b200", "trtllm"), ("h200", "vllm"), ("h100-sxm", "sglang")):
        eff = _eff(acc, stack)
        assert float(eff.chunked_reads_per_query_head[0]) == 0.0
        assert float(chunked_rereads(m, eff, 1024, 8192)[0]) == 0.0


def test_a_malformed_entry_is_one_clear_error():
    with pytest.raises(CatalogError, match="stack 'trtllm': per_query_head = 'nvidia-hopper'.*Fix: a list"):
        chunked_decode_kernel({"chunked_decode_kernel": {"stacks": {"trtllm": {"per_query_head": "nvidia-hopper"}}},
                               "derated": {}}, "h200", "trtllm")


def test_the_extra_decode_time_on_8x_h200_by_hand():
    """Maverick FP8 with FP8 KV on 8x H200 (TP 8), 1,024 / 8,192, 64 sequences: each step reads
    64 x 36 layers x 4,095.5 tokens x 2,048 KV elements x 1 B four more times, spread over 8
    devices' bandwidth at the stack's memory efficiency. Attention stays memory-bound, so TPOT grows
    by exactly those bytes over that bandwidth."""
    cat = load_catalog()
    plain_table = copy.deepcopy(cat.efficiency)
    del plain_table["chunked_decode_kernel"]
    plain = dataclasses.replace(cat, efficiency=plain_table)
    kw = dict(model="llama-4-maverick", accelerator="h200", count=8, weights="fp8", kv="fp8", isl=1024, osl=8192,
              tp=8, pp=1, stack="trtllm", scenario="offline", concurrency=64)
    got = tokenfab.estimate(catalog=cat, **kw).performance.tpot_s
    base = tokenfab.estimate(catalog=plain, **kw).performance.tpot_s
    extra_bytes = 64 * 36 * 4095.5 * 2048 * 1.0 * 4
    bw = 8 * float(cat.accelerator("h200").memory_bandwidth_bytes_per_s) * float(_eff("h200", "trtllm").memory_eff[0])
    assert got - base == pytest.approx(extra_bytes / bw, rel=1e-6)
    # and B200 (trtllm-gen kernels) does not pay it
    kw_b = {**kw, "accelerator": "b200"}
    assert (tokenfab.estimate(catalog=cat, **kw_b).performance.tpot_s
            == pytest.approx(tokenfab.estimate(catalog=plain, **kw_b).performance.tpot_s, rel=1e-12))
