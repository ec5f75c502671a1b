"""Parameter counts from architecture numbers (vectorized).

Counts every matrix in attention, MLP/experts, routers, embeddings and the LM
head; norms and biases are ignored (< 0.01% of any catalog model). Equations:

* attention, GQA/MHA:  ``d * (n_q * h) + 2 * d * (n_kv * h) + (n_q * h) * d``
* attention, MLA:      ``d*q_lora + q_lora*n_q*(nope+rope)`` (or ``d*n_q*(nope+rope)``
  without a q LoRA) ``+ d*(kv_lora+rope) + kv_lora*n_q*(nope+v) + n_q*v*d``
* gated MLP (SwiGLU/GeGLU): ``3 * d * i``
* MoE layer: ``E * 3 * d * i_e + S * 3 * d * i_s + d * E`` (router)
* embeddings: ``V * d`` input, ``V * d`` head unless tied

Active parameters replace ``E`` by ``k`` (experts per token).
Reference: DeepSeek-V3 technical report (arXiv:2412.19437) for MLA shapes.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def attention_params(
    hidden_size: ArrayLike,
    num_attention_heads: ArrayLike,
    num_kv_heads: ArrayLike,
    head_dim: ArrayLike,
    *,
    mla: ArrayLike = False,
    q_lora_rank: ArrayLike = 0,
    kv_lora_rank: ArrayLike = 0,
    qk_rope_head_dim: ArrayLike = 0,
    qk_nope_head_dim: ArrayLike = 0,
    v_head_dim: ArrayLike = 0,
) -> np.ndarray:
    """Weights of one attention block [parameters]."""
    d = np.asarray(hidden_size, dtype=float)
    nq = np.asarray(num_attention_heads, dtype=float)
    nkv = np.asarray(num_kv_heads, dtype=float)
    h = np.asarray(head_dim, dtype=float)
    gqa = d * nq * h + 2 * d * nkv * h + nq * h * d
    qr = np.asarray(q_lora_rank, dtype=float)
    kvr = np.asarray(kv_lora_rank, dtype=float)
    rope = np.asarray(qk_rope_head_dim, dtype=float)
    nope = np.asarray(qk_nope_head_dim, dtype=float)
    v = np.asarray(v_head_dim, dtype=float)
    q_proj = np.where(qr > 0, d * qr + qr * nq * (nope + rope), d * nq * (nope + rope))
    mla_p = q_proj + d * (kvr + rope) + kvr * nq * (nope + v) + nq * v * d
    return np.where(np.asarray(mla, dtype=bool), mla_p, gqa)


def model_params(
    *,
    num_layers: ArrayLike,
    num_moe_layers: ArrayLike,
    hidden_size: ArrayLike,
    intermediate_size: ArrayLike,
    vocab_size: ArrayLike,
    tie_embeddings: ArrayLike,
    attention_params_per_layer: ArrayLike,
    num_experts: ArrayLike = 0,
    experts_per_token: ArrayLike = 0,
    moe_intermediate_size: ArrayLike = 0,
    num_shared_experts: ArrayLike = 0,
    shared_expert_intermediate_size: ArrayLike = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """(total, active) parameters, including input embedding and LM head."""
    L = np.asarray(num_layers, dtype=float)
    Lm = np.asarray(num_moe_layers, dtype=float)
    d = np.asarray(hidden_size, dtype=float)
    i = np.asarray(intermediate_size, dtype=float)
    V = np.asarray(vocab_size, dtype=float)
    E = np.asarray(num_experts, dtype=float)
    k = np.asarray(experts_per_token, dtype=float)
    ie = np.asarray(moe_intermediate_size, dtype=float)
    S = np.asarray(num_shared_experts, dtype=float)
    is_ = np.asarray(shared_expert_intermediate_size, dtype=float)
    attn = np.asarray(attention_params_per_layer, dtype=float) * L
    dense = (L - Lm) * 3 * d * i
    shared = Lm * S * 3 * d * is_
    router = Lm * d * E
    experts_total = Lm * E * 3 * d * ie
    experts_active = Lm * k * 3 * d * ie
    emb = V * d * np.where(np.asarray(tie_embeddings, dtype=bool), 1.0, 2.0)
    total = attn + dense + shared + router + experts_total + emb
    active = attn + dense + shared + router + experts_active + emb
    return total, active
