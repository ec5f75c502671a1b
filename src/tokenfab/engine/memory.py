"""Memory: weight bytes, KV-cache bytes, per-device footprint, largest concurrency.

KV cache per token per layer [elements]:
  MHA/GQA: ``2 * n_kv * head_dim``;  MLA: ``kv_lora_rank + qk_rope_head_dim``
  (DeepSeek-V3: 61 x 576 x 2 B = 70,272 B/token in BF16).
Sliding/chunked layers keep at most ``sliding_window_tokens`` tokens, except on a stack that
caches them whole (``kv_model``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import ArrayLike

from .arrays import DEFAULT_KV_MEMORY_FRACTION, ModelArrays
from .params import attention_params

EMBEDDING_BYTES_PER_PARAM = 2.0  # input embedding table stays in 16-bit
USABLE_MEMORY_FRACTION = DEFAULT_KV_MEMORY_FRACTION  # the default budget (a stack's own rule: Efficiency)
RUNTIME_RESERVE_BYTES = 3.5e9  # CUDA context, NCCL buffers, allocator ("others" in aiconfigurator)


def kv_elements_per_token_layer(m: ModelArrays) -> np.ndarray:
    """KV elements cached per token per layer [elements]."""
    gqa = 2.0 * m.num_kv_heads * m.head_dim
    mla = m.kv_lora_rank + m.qk_rope_head_dim
    return np.where(m.mla > 0, mla, gqa)


def effective_context_layers(m: ModelArrays, context_tokens: ArrayLike) -> np.ndarray:
    """Sum over layers of the tokens each layer attends to: global layers see the whole
    context, sliding layers at most the window [token-layers]."""
    c = np.asarray(context_tokens, dtype=float)
    window = np.where(m.sliding_window_tokens > 0, m.sliding_window_tokens, np.inf)
    return (m.num_layers - m.num_sliding_layers) * c + m.num_sliding_layers * np.minimum(c, window)


def chunk_offset_mean(start_tokens: ArrayLike, new_tokens: ArrayLike, chunk_tokens: ArrayLike) -> np.ndarray:
    """Mean of ``p mod chunk`` over the positions ``p = start .. start + new - 1`` [tokens]: how far
    into its own chunk a token generated at each of those positions sits, so how many tokens a
    chunked-attention layer attends to on average while decoding them. With ``S(n)`` the sum of
    ``p mod C`` over ``p < n`` (``q C (C - 1) / 2 + r (r - 1) / 2``, ``n = q C + r``), the mean is
    ``(S(start + new) - S(start)) / new``."""
    c = np.asarray(chunk_tokens, float)
    n0 = np.asarray(start_tokens, float)
    k = np.asarray(new_tokens, float)

    def below(n: np.ndarray) -> np.ndarray:
        q = np.floor(n / c)
        r = n - q * c
        return q * (c * (c - 1.0) / 2.0) + r * (r - 1.0) / 2.0

    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((k > 0) & (c > 0), (below(n0 + k) - below(n0)) / k, 0.0)


def wraps_chunk(m: ModelArrays, isl: ArrayLike, osl: ArrayLike) -> np.ndarray:
    """True where the model has chunked-attention layers and a request (``isl + osl`` tokens)
    outgrows the chunk."""
    return ((np.asarray(m.chunked_attention, float) > 0) & (m.num_sliding_layers > 0) & (m.sliding_window_tokens > 0)
            & (np.asarray(isl, float) + np.asarray(osl, float) > m.sliding_window_tokens))


def decode_context_layers(m: ModelArrays, context_tokens: ArrayLike, isl: ArrayLike, osl: ArrayLike) -> np.ndarray:
    """Token-layers a decode token attends to, summed over layers, for requests of ``isl`` prompt
    and ``osl`` output tokens at mean ``context_tokens``: ``effective_context_layers``, except that
    the chunked-attention layers of a request that outgrows its chunk attend from the start of the
    token's own chunk, ``chunk_offset_mean(isl, osl, chunk)`` tokens on average (e.g. 511.5 at
    8,192 / 1,024 with 8,192-token chunks, where ``min(context, chunk)`` would give the chunk)."""
    c = np.asarray(context_tokens, float)
    window = np.where(m.sliding_window_tokens > 0, m.sliding_window_tokens, np.inf)
    local = np.where(wraps_chunk(m, isl, osl), chunk_offset_mean(isl, osl, m.sliding_window_tokens),
                     np.minimum(c, window))
    return (m.num_layers - m.num_sliding_layers) * c + m.num_sliding_layers * local


def kv_model(m: ModelArrays, chunked_kv_full: ArrayLike, sliding_kv_full: ArrayLike = 0.0) -> ModelArrays:
    """``m`` as a stack holds its KV cache: where ``chunked_kv_full`` is 1, chunked-attention layers
    (``m.chunked_attention``) keep the whole context like global layers (TensorRT-LLM allocates no
    per-chunk cache); where ``sliding_kv_full`` is 1, so do sliding-window layers (TensorRT-LLM sizes
    its cache for the longest window on every layer unless given per-layer windows). Use it for
    memory (what a sequence holds, what moves between replicas), not for what a decode step reads:
    attention still spans the chunk or the window."""
    chunked = np.asarray(m.chunked_attention, float) > 0
    whole = ((chunked & (np.asarray(chunked_kv_full, float) > 0))
             | (~chunked & (np.asarray(sliding_kv_full, float) > 0))) & (np.asarray(m.num_sliding_layers, float) > 0)
    if not np.any(whole):
        return m
    return replace(m, num_sliding_layers=np.where(whole, 0.0, m.num_sliding_layers))


def kv_bytes_per_token(m: ModelArrays, kv_bytes_per_element: np.ndarray | float) -> np.ndarray:
    """KV bytes per token for a long context (global layers only grow) [bytes/token]."""
    return kv_elements_per_token_layer(m) * (m.num_layers - m.num_sliding_layers) * kv_bytes_per_element


def kv_bytes_sequence(m: ModelArrays, kv_bytes_per_element: ArrayLike, context_tokens: ArrayLike) -> np.ndarray:
    """KV bytes held by one sequence at a given context length [bytes]."""
    return kv_elements_per_token_layer(m) * effective_context_layers(m, context_tokens) * kv_bytes_per_element


def attention_weights(m: ModelArrays) -> np.ndarray:
    """Attention parameters of all layers [parameters]."""
    return m.num_layers * attention_params(
        m.hidden_size, m.num_attention_heads, m.num_kv_heads, m.head_dim, mla=m.mla,
        q_lora_rank=m.q_lora_rank, kv_lora_rank=m.kv_lora_rank, qk_rope_head_dim=m.qk_rope_head_dim,
        qk_nope_head_dim=m.qk_nope_head_dim, v_head_dim=m.v_head_dim,
    )


def weight_groups(m: ModelArrays) -> dict[str, np.ndarray]:
    """Parameters by placement group: attention, dense MLP, routed experts, shared experts
    and routers, LM head, input embedding [parameters]."""
    dense_layers = m.num_layers - m.num_moe_layers
    return {
        "attention": attention_weights(m),
        "dense_mlp": dense_layers * 3.0 * m.hidden_size * m.intermediate_size,
        "experts": m.num_moe_layers * m.num_experts * 3.0 * m.hidden_size * m.moe_intermediate_size,
        "shared": m.num_moe_layers
        * (m.num_shared_experts * 3.0 * m.hidden_size * m.shared_expert_intermediate_size
           + m.hidden_size * m.num_experts),
        "lm_head": m.vocab_size * m.hidden_size * (1 - np.asarray(m.tie_embeddings)),
        "embedding": m.vocab_size * m.hidden_size,
    }


def kept_bytes(weight_bytes_per_param: ArrayLike, kept: ArrayLike | None) -> np.ndarray:
    """Bytes per parameter of a weight group a checkpoint may keep at a higher precision than
    the rest (attention projections, LM head): ``kept`` where given (> 0), else the weights'."""
    w = np.asarray(weight_bytes_per_param, dtype=float)
    if kept is None:
        return w
    k = np.asarray(kept, dtype=float)
    return np.where(k > 0, k, w)


def weight_bytes_total(m: ModelArrays, weight_bytes_per_param: ArrayLike, attention_bytes: ArrayLike | None = None,
                       head_bytes: ArrayLike | None = None) -> np.ndarray:
    """All weights of one model copy [bytes]; the input embedding stays 16-bit, the attention
    projections and LM head at ``attention_bytes`` / ``head_bytes`` per parameter where kept:
    what the one device of an unsplit replica holds."""
    return weight_bytes_per_device(m, weight_bytes_per_param, 1.0, 1.0, 0.0, attention_bytes, head_bytes)


def weight_bytes_per_device(m: ModelArrays, weight_bytes_per_param: ArrayLike, tp: ArrayLike, pp: ArrayLike,
    dp_attention: ArrayLike, attention_bytes: ArrayLike | None = None,
        head_bytes: ArrayLike | None = None, groups: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Weights held by one device of a tp x pp replica [bytes]. Everything is sharded
    tp ways (experts: ep x tp/ep), except attention under data-parallel attention, which is
    replicated on each device of the stage. ``groups`` may pass ``weight_groups(m)``."""
    g = groups if groups is not None else weight_groups(m)
    tp = np.asarray(tp, dtype=float)
    attn_shard = np.where(np.asarray(dp_attention) > 0, 1.0, tp)
    sharded = ((g["dense_mlp"] + g["experts"] + g["shared"]) / tp * np.asarray(weight_bytes_per_param, dtype=float)
               + g["lm_head"] / tp * kept_bytes(weight_bytes_per_param, head_bytes)
               + g["attention"] / attn_shard * kept_bytes(weight_bytes_per_param, attention_bytes))
    return (sharded + g["embedding"] / tp * EMBEDDING_BYTES_PER_PARAM) / pp


def kv_shards(m: ModelArrays, tp: ArrayLike, dp_attention: ArrayLike) -> np.ndarray:
    """Ways one sequence's KV cache is split inside a stage: GQA heads split up to n_kv
    (replicated beyond); an MLA latent is not split by heads (each TP rank keeps it all)
    unless attention is data-parallel, where each device holds different sequences."""
    tp = np.asarray(tp, dtype=float)
    gqa = np.minimum(tp, m.num_kv_heads)
    mla = np.where(np.asarray(dp_attention) > 0, tp, 1.0)
    return np.where(m.mla > 0, mla, gqa)


def kv_budget_bytes(memory_bytes: ArrayLike, loaded_bytes: ArrayLike, kv_memory_fraction: ArrayLike,
                    kv_fraction_of_free: ArrayLike) -> np.ndarray:
    """What a stack's budget leaves the KV cache on one device [bytes]: ``f x capacity - loaded``
    (a fraction of the whole memory: vLLM, SGLang) or ``f x (capacity - loaded)`` (of what is free
    once runtime, weights and activations are loaded: TensorRT-LLM)."""
    cap, f = np.asarray(memory_bytes, dtype=float), np.asarray(kv_memory_fraction, dtype=float)
    loaded = np.asarray(loaded_bytes, dtype=float)
    return np.where(np.asarray(kv_fraction_of_free) > 0, f * (cap - loaded), f * cap - loaded)


def max_concurrency(
    m: ModelArrays,
    memory_bytes: ArrayLike,
    weight_bytes_per_param: ArrayLike,
    kv_bytes_per_element: ArrayLike,
    tp: ArrayLike,
    pp: ArrayLike,
    dp_attention: ArrayLike,
    context_tokens: ArrayLike,
    activation_tokens: ArrayLike,
    attention_bytes: ArrayLike | None = None,
    head_bytes: ArrayLike | None = None,
    kv_memory_fraction: ArrayLike = USABLE_MEMORY_FRACTION,
    kv_fraction_of_free: ArrayLike = 0.0,
    extra_weight_bytes: ArrayLike = 0.0,
    groups: dict[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(largest number of concurrent sequences per replica, weights per device [bytes]).

    The KV cache gets, per device, what the stack's budget leaves (``kv_memory_fraction`` f):
    of the whole memory (``kv_fraction_of_free`` 0: vLLM, SGLang)
    ``f x capacity - runtime reserve - weights - activations``, or of what is free once the
    weights and activations are loaded (1: TensorRT-LLM)
    ``f x (capacity - runtime reserve - weights - activations)``; activations of one iteration are
    ``activation_tokens x hidden x 2 B x 8`` buffers, ``extra_weight_bytes`` (a draft model's
    share) count as weights. Each sequence holds ``kv_bytes_sequence(context) / (kv_shards x pp)``
    per device. Negative or zero means the model does not fit. ``groups`` may pass ``weight_groups(m)``.
    """
    w_dev = weight_bytes_per_device(m, weight_bytes_per_param, tp, pp, dp_attention, attention_bytes, head_bytes,
                                    groups)
    act = np.asarray(activation_tokens, dtype=float) * m.hidden_size * 2.0 * 8.0 / np.asarray(tp, dtype=float)
    loaded = RUNTIME_RESERVE_BYTES + w_dev + np.asarray(extra_weight_bytes, dtype=float) + act
    free = kv_budget_bytes(memory_bytes, loaded, kv_memory_fraction, kv_fraction_of_free)
    per_seq = kv_bytes_sequence(m, kv_bytes_per_element, context_tokens) / (kv_shards(m, tp, dp_attention) * pp)
    return np.floor(free / per_seq), w_dev
