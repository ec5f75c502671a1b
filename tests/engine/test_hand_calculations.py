"""Engine figures against hand calculations from the published architectures.

Every expected number below is computed in the comment next to it from the model's
config.json dimensions, not taken from tokenfab's output.
"""

from __future__ import annotations

import numpy as np
import pytest

from tokenfab.catalog import load_catalog
from tokenfab.deployment.problem import hardware_row, model_row
from tokenfab.engine import Efficiency, HardwareArrays, ModelArrays, ParallelConfig
from tokenfab.engine.arrays import ROOFLINE
from tokenfab.engine.memory import kv_bytes_per_token, kv_bytes_sequence, weight_bytes_total
from tokenfab.engine.ops import (
    attention_flops_decode,
    attention_flops_prefill,
    distinct_experts,
    linear_flops_per_token,
)
from tokenfab.engine.params import attention_params
from tokenfab.engine.serving import pass_time


def arrays(model_id: str, **override) -> ModelArrays:
    row = model_row(load_catalog().model(model_id))
    row.update(override)
    return ModelArrays.stack([row])


def test_llama_3_1_8b_one_layer():
    # d=4096, 32 q heads, 8 kv heads, head_dim 128, intermediate 14336
    # attention: q 4096*4096 + k,v 2*4096*1024 + o 4096*4096 = 41,943,040
    assert attention_params(4096, 32, 8, 128) == 41_943_040
    one_layer = arrays("llama-3.1-8b", num_layers=1, vocab_size=0)
    # linear FLOPs/token = 2*(41,943,040 + 3*4096*14336 = 176,160,768) = 436,207,616
    assert linear_flops_per_token(one_layer)[0] == 436_207_616
    # attention QK^T + AV at context 1000: 4 * 32 * 128 * 1000 = 16,384,000
    assert attention_flops_decode(one_layer, 1000)[0] == 16_384_000
    # causal prefill of 1000 tokens: 4*32*128 * 1000^2/2 = 8,192,000,000
    assert attention_flops_prefill(one_layer, 1000)[0] == 8_192_000_000


def test_llama_3_1_8b_whole_model_flops_and_weights():
    m = arrays("llama-3.1-8b")
    # 32 layers * 436,207,616 + LM head 2*128256*4096 = 13,958,643,712 + 1,050,673,152
    assert linear_flops_per_token(m)[0] == 15_009_316_864
    # bf16: 2 bytes per matrix parameter; 32*218,103,808 + 2*128256*4096 = 8,029,995,008
    # (the published 8,030,261,248 adds 266,240 norm weights, which the engine leaves out)
    assert weight_bytes_total(m, 2.0)[0] == 2 * 8_029_995_008
    # fp8 body, bf16 input embedding (525,336,576 params)
    assert weight_bytes_total(m, 1.0)[0] == (8_029_995_008 - 525_336_576) + 2 * 525_336_576


def test_deepseek_v3_one_moe_layer():
    one = arrays("deepseek-v3", num_layers=1, num_moe_layers=1, vocab_size=0)
    # MLA attention: q_a 7168*1536 + q_b 1536*128*192 + kv_a 7168*576 + kv_b 512*128*256 + o 128*128*7168
    mla = 11_010_048 + 37_748_736 + 4_128_768 + 16_777_216 + 117_440_512
    assert mla == 187_105_280
    # routed 8 * 3*7168*2048 = 352,321,536; shared 44,040,192; router 7168*256 = 1,835,008
    expected = 2 * (mla + 352_321_536 + 44_040_192 + 1_835_008)
    assert linear_flops_per_token(one)[0] == expected
    # weight-absorbed MLA decode at context 1000: 2*128*(2*512 + 64) * 1000 = 278,528,000
    assert attention_flops_decode(one, 1000)[0] == 278_528_000


def test_distinct_experts_balls_into_bins():
    # one token touches exactly k experts; many tokens touch all
    assert distinct_experts(256, 8, 1) == pytest.approx(8.0)
    assert distinct_experts(256, 8, 10_000) == pytest.approx(256.0)
    # 32 tokens: 256 * (1 - (248/256)^32) = 256 * (1 - 0.362063) = 163.31
    assert distinct_experts(256, 8, 32) == pytest.approx(163.31, abs=0.01)
    assert distinct_experts(0, 0, 32) == 0
    # no token touches nothing; a model whose every expert is active (k = E) touches all of them
    # with one token and none with zero tokens; the values broadcast per configuration
    assert distinct_experts(256, 8, 0) == 0
    assert distinct_experts(4, 4, 1) == pytest.approx(4.0)
    assert distinct_experts(4, 4, 0) == 0
    # 128 experts, top-4, 2 tokens: 128 (1 - (124/128)^2) = 128 (1 - 0.938476...) = 7.875
    got = distinct_experts(np.array([[128.0], [0.0]]), np.array([[4.0], [0.0]]), np.array([1.0, 2.0]))
    assert got == pytest.approx(np.array([[4.0, 7.875], [0.0, 0.0]]), rel=1e-12)


@pytest.mark.parametrize(
    "model_id,expected",
    [
        ("llama-3.1-8b", 131_072),  # 32 layers * 2 * 8 kv heads * 128 * 2 B
        ("llama-3.1-70b", 327_680),  # 80 * 2 * 8 * 128 * 2
        ("deepseek-v3", 70_272),  # MLA: 61 * (512 + 64) * 2
        ("kimi-k2", 70_272),
        ("gpt-oss-120b", 36_864),  # only the 18 full-attention layers grow: 18 * 2 * 8 * 64 * 2
        ("gemma-3-27b", 81_920),  # 10 global layers * 2 * 16 * 128 * 2
    ],
)
def test_kv_bytes_per_token_bf16(model_id, expected):
    assert kv_bytes_per_token(arrays(model_id), 2.0)[0] == expected


def test_mla_cache_is_far_smaller_than_gqa_or_mha():
    ds = kv_bytes_per_token(arrays("deepseek-v3"), 2.0)[0]
    llama70 = kv_bytes_per_token(arrays("llama-3.1-70b"), 2.0)[0]
    # the same DeepSeek attention materialised as MHA: 61 * 128 * (192 + 128) * 2 = 4,997,120
    mha = kv_bytes_per_token(arrays("deepseek-v3", mla=0.0), 2.0)[0]
    assert ds < llama70 < mha


def test_sliding_window_caps_the_cache():
    g = arrays("gemma-3-27b")
    # 4096 tokens: 10 global layers * 4096 + 52 local layers * 1024, times 8192 B per token-layer
    assert kv_bytes_sequence(g, 2.0, 4096)[0] == (10 * 4096 + 52 * 1024) * 8192
    # below the window every layer holds the whole context
    assert kv_bytes_sequence(g, 2.0, 512)[0] == 62 * 512 * 8192


def test_roofline_decode_step_is_weights_over_bandwidth():
    """Batch-1 decode of Llama-3.1-8B on one H100 at roofline fidelity is memory-bound:
    time = (weights read + KV read) / 3.35 TB/s, and the FLOPs are negligible."""
    cat = load_catalog()
    m = arrays("llama-3.1-8b")
    hw = HardwareArrays.stack([hardware_row(cat.accelerator("h100-sxm"))])
    eff = Efficiency.stack([ROOFLINE])
    cfg = ParallelConfig.stack([dict(
        tp=1, pp=1, ep=1, replicas=1, dp_attention=0, weight_bytes_per_param=2.0, kv_bytes_per_element=2.0,
        gemm_flop_per_s=989e12, attention_flop_per_s=989e12, isl=1000, osl=1, chunk_tokens=8192, disaggregated=0,
    )])
    t = pass_time(m, hw, eff, cfg, n_decode=1, context=1000, n_prefill=0)
    weights_read = 2 * (8_029_995_008 - 525_336_576)  # every matrix but the input embedding table
    kv_read = 131_072 * 1000
    assert t.total_s[0] == pytest.approx((weights_read + kv_read) / 3.35e12, rel=1e-9)
    assert t.compute_s[0] == 0 and t.memory_s[0] == pytest.approx(t.total_s[0])


def test_roofline_prefill_is_compute_bound():
    """A 4096-token prompt of Llama-3.1-8B on one H100 at roofline: FLOPs / 989 TFLOP/s.
    Each operation is its own roofline, so writing the prompt's KV cache (0.16 ms at
    3.35 TB/s) hides under the attention math (8.9 ms). The LM head (2 x 128,256 x 4,096 FLOPs a
    token) runs for the prompt's last token only: no other position's logits are computed."""
    cat = load_catalog()
    m = arrays("llama-3.1-8b")
    hw = HardwareArrays.stack([hardware_row(cat.accelerator("h100-sxm"))])
    cfg = ParallelConfig.stack([dict(
        tp=1, pp=1, ep=1, replicas=1, dp_attention=0, weight_bytes_per_param=2.0, kv_bytes_per_element=2.0,
        gemm_flop_per_s=989e12, attention_flop_per_s=989e12, isl=4096, osl=1, chunk_tokens=8192, disaggregated=0,
    )])
    t = pass_time(m, hw, Efficiency.stack([ROOFLINE]), cfg, n_decode=0, context=0, n_prefill=4096)
    head = 2 * 128_256 * 4096
    linear = (15_009_316_864 - head) * 4096 + head
    attention = 32 * 4 * 32 * 128 * 4096**2 / 2
    kv_write = 131_072 * 4096 / 3.35e12
    assert attention / 989e12 > kv_write
    assert t.total_s[0] == pytest.approx((linear + attention) / 989e12, rel=1e-9)
    assert t.memory_s[0] == 0 and t.compute_s[0] == pytest.approx(t.total_s[0])
