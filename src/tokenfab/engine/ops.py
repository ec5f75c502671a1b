"""FLOPs and bytes of the operations of a forward pass (per replica, whole model).

Linear layers: ``2 x active parameters`` FLOPs per token (input embedding excluded).
Attention (per token, per attended context token, per layer):
  GQA/MHA ``4 n_q h`` (QK^T and AV); MLA decode, weight-absorbed, ``2 n_q (r_kv + r_rope) + 2 n_q r_kv``;
  MLA prefill, non-absorbed, ``2 n_q (d_nope + d_rope) + 2 n_q d_v``.
Causal prefill of s tokens attends s^2/2 token pairs (window w: s w - w^2/2 when s > w).
MoE weights read for n tokens in one pass: E (1 - (1 - k/E)^n) distinct experts per layer
(uniform routing; expected value of a balls-into-bins count).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .arrays import ModelArrays
from .memory import kept_bytes, weight_groups


def distinct_experts(num_experts: ArrayLike, experts_per_token: ArrayLike, n_tokens: ArrayLike) -> np.ndarray:
    """Expected distinct experts touched per MoE layer by ``n_tokens`` tokens."""
    E = np.asarray(num_experts, dtype=float)
    k = np.asarray(experts_per_token, dtype=float)
    n = np.asarray(n_tokens, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        untouched_one = np.where(E > 0, 1.0 - k / np.maximum(E, 1), 1.0)  # by one token; no experts: 1
    # (1 - k/E)^n as exp(n log(1 - k/E)): the logarithm at the configuration's size, once;
    # k = E (every expert active) gives exp(n x -708), 0 for any token and 1 for none
    log_one = np.log(np.maximum(untouched_one, np.finfo(float).tiny))
    return E * (1.0 - np.exp(n * log_one))


def expert_flops_per_token(m: ModelArrays) -> np.ndarray:
    """Matmul FLOPs of one token in its routed experts [FLOP]."""
    return 2.0 * m.num_moe_layers * m.experts_per_token * 3.0 * m.hidden_size * m.moe_intermediate_size


def linear_flops_per_token(m: ModelArrays, groups: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Matmul FLOPs of one token through all layers and the LM head, routed experts included [FLOP]."""
    g = groups if groups is not None else weight_groups(m)
    return 2.0 * (g["attention"] + g["dense_mlp"] + g["shared"]) + lm_head_flops_per_token(m) + expert_flops_per_token(m)


def lm_head_flops_per_token(m: ModelArrays) -> np.ndarray:
    """Matmul FLOPs of the LM head for one token whose logits are computed [FLOP]: every decode
    token, but only the last token of a prompt (the serving stacks gather it before the head;
    the other prompt positions produce no logits)."""
    return 2.0 * m.vocab_size * m.hidden_size


def weight_bytes_read(
    m: ModelArrays, weight_bytes_per_param: ArrayLike, n_tokens: ArrayLike, attn_reads: ArrayLike = 1.0,
        groups: dict[str, np.ndarray] | None = None, attention_bytes: ArrayLike | None = None,
        head_bytes: ArrayLike | None = None,
) -> np.ndarray:
    """Weight bytes streamed from memory by one forward pass over ``n_tokens`` tokens
    [bytes, summed over the devices of one replica]. ``attn_reads`` counts replicated
    attention copies (data-parallel attention reads its weights on every device); attention
    projections and the LM head at ``attention_bytes`` / ``head_bytes`` per parameter where a
    checkpoint keeps them at a higher precision (``memory.kept_bytes``)."""
    g = groups if groups is not None else weight_groups(m)
    w = np.asarray(weight_bytes_per_param, dtype=float)
    touched = distinct_experts(m.num_experts, m.experts_per_token, n_tokens)
    expert_bytes = m.num_moe_layers * 3.0 * m.hidden_size * m.moe_intermediate_size * w  # one expert, all layers
    lm_head = m.vocab_size * m.hidden_size
    always = ((g["dense_mlp"] + g["shared"]) * w  # read whatever the token count
              + g["attention"] * attn_reads * kept_bytes(weight_bytes_per_param, attention_bytes)
              + lm_head * kept_bytes(weight_bytes_per_param, head_bytes))
    return touched * expert_bytes + always


def _attn_flops_per_pair(m: ModelArrays, prefill: bool) -> np.ndarray:
    gqa = 4.0 * m.num_attention_heads * m.head_dim
    if prefill:
        mla = 2.0 * m.num_attention_heads * (m.qk_nope_head_dim + m.qk_rope_head_dim + m.v_head_dim)
    else:
        mla = 2.0 * m.num_attention_heads * (2.0 * m.kv_lora_rank + m.qk_rope_head_dim)
    return np.where(m.mla > 0, mla, gqa)


def attention_flops_prefill_tokens(m: ModelArrays, seq_tokens: ArrayLike, pairs_per_token: ArrayLike) -> np.ndarray:
    """FLOPs of ``pairs_per_token`` extra query-key pairs per prompt token and layer of one
    sequence's prefill [FLOP]: a kernel's per-token work that does not shrink with the context
    (efficiency.yaml ``context_attention``)."""
    return (_attn_flops_per_pair(m, prefill=True) * np.asarray(seq_tokens, float)
            * np.asarray(pairs_per_token, float) * m.num_layers)


def attention_flops_decode(m: ModelArrays, context_tokens: ArrayLike, context_layers: ArrayLike | None = None
                           ) -> np.ndarray:
    """Attention FLOPs of one new token attending ``context_tokens`` [FLOP] (or, where given, the
    token-layers ``context_layers`` it attends to summed over layers: ``memory.decode_context_layers``)."""
    from .memory import effective_context_layers

    layers = effective_context_layers(m, context_tokens) if context_layers is None else np.asarray(context_layers)
    return _attn_flops_per_pair(m, prefill=False) * layers


def causal_pairs(seq_tokens: ArrayLike, window: ArrayLike) -> np.ndarray:
    """Token pairs attended in causal prefill of ``seq_tokens``, window ``window`` (0 = none)."""
    s = np.asarray(seq_tokens, dtype=float)
    w = np.asarray(window, dtype=float)
    w_eff = np.where(w > 0, np.minimum(w, s), s)  # no window = the whole sequence
    return s * w_eff - w_eff * w_eff / 2.0


def attention_flops_prefill(m: ModelArrays, seq_tokens: ArrayLike) -> np.ndarray:
    """Attention FLOPs of the causal prefill of one sequence [FLOP]."""
    pairs_global = causal_pairs(seq_tokens, 0) * (m.num_layers - m.num_sliding_layers)
    pairs_local = causal_pairs(seq_tokens, m.sliding_window_tokens) * m.num_sliding_layers
    return _attn_flops_per_pair(m, prefill=True) * (pairs_global + pairs_local)
