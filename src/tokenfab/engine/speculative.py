"""Speculative decoding and multi-token prediction (MTP): tokens per step, the draft's shape
and its memory. Pure numpy functions; ``serving.steady_state`` calls them.

Per decode step a draft proposes ``k`` tokens per sequence and the target model verifies
them, plus the token it predicts itself, in one pass over ``k + 1`` tokens per sequence.
With an acceptance rate ``a`` per drafted token (each accepted independently, the first
rejection ends the run), the tokens a sequence advances per step are (Leviathan et al.
2023, "Fast Inference from Transformers via Speculative Decoding", ICML, eq. 1,
arXiv:2211.17192):

    E = (1 - a^(k+1)) / (1 - a)          (E = k + 1 when a = 1, E = 1 when k = 0)

Step time = target pass over ``n * (k + 1)`` decode tokens (``k + 1`` times the GEMM FLOPs
and attention FLOPs, the same weight and KV-cache reads) + ``k`` sequential draft passes
over ``n`` tokens. So ``TPOT = T_step / E`` and throughput = ``n E / T_step``.

The draft is described in units of the target's own layers (``draft_layers`` decoder layers
of the target's width, ``draft_moe_layers`` of them mixture-of-experts), plus one projection
to the vocabulary per drafted token:

* MTP (DeepSeek-V3 technical report, arXiv:2412.19437, section 2.2): each MTP module is one
  transformer block of the main model's shape (MoE for DeepSeek-V3/R1) whose output goes
  through the shared output head.
* EAGLE-3 draft heads (Li et al. 2025, arXiv:2503.01840): one dense decoder layer at the
  target's hidden size feeding an LM head. A target without dense layers (gpt-oss) gets a
  dense MLP as wide as its active experts (``experts_per_token x moe_intermediate_size``).

The draft's weights and its KV cache (``draft_layers`` layers of the target's KV shape) are
held on every device group alongside the target's.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .arrays import ModelArrays
from .memory import kv_bytes_sequence, weight_bytes_total

METHODS: tuple[str, ...] = ("off", "mtp", "draft")


def tokens_per_step(acceptance_rate: ArrayLike, draft_tokens: ArrayLike) -> np.ndarray:
    """Expected tokens a sequence advances per verification step,
    ``E = (1 - a^(k+1)) / (1 - a)`` [tokens] (Leviathan et al. 2023, eq. 1); ``k + 1`` at
    ``a = 1``. ``k = 0`` (no speculation) gives exactly 1."""
    a = np.asarray(acceptance_rate, float)
    k = np.asarray(draft_tokens, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        geometric = (1.0 - a ** (k + 1.0)) / (1.0 - a)
    return np.where(k > 0, np.where(a >= 1.0, k + 1.0, geometric), 1.0)


def draft_model(m: ModelArrays, draft_layers: ArrayLike, draft_moe_layers: ArrayLike) -> ModelArrays:
    """The draft as a model of the target's width: ``draft_layers`` decoder layers, of which
    ``draft_moe_layers`` are MoE, full attention (no sliding window), the target's vocabulary.
    Dense draft layers of an all-MoE target use the active expert width as MLP width."""
    layers = np.asarray(draft_layers, float)
    moe = np.minimum(np.asarray(draft_moe_layers, float), layers)
    dense_width = np.where(m.intermediate_size > 0, m.intermediate_size, m.experts_per_token * m.moe_intermediate_size)
    fields = dict(m.__dict__)
    fields.update(num_layers=layers, num_moe_layers=moe, intermediate_size=dense_width,
                  num_sliding_layers=np.zeros_like(layers))
    return ModelArrays(**fields)


def draft_weight_bytes(m: ModelArrays, draft_layers: ArrayLike, draft_moe_layers: ArrayLike,
                       weight_bytes_per_param: ArrayLike) -> np.ndarray:
    """Weights of the draft, one copy [bytes]: its layers, its LM head and embedding
    (counted although MTP shares them with the main model: an upper bound)."""
    has = np.asarray(draft_layers, float) > 0
    return np.where(has, weight_bytes_total(draft_model(m, draft_layers, draft_moe_layers), weight_bytes_per_param),
                    0.0)


def draft_kv_bytes_sequence(m: ModelArrays, draft_layers: ArrayLike, kv_bytes_per_element: ArrayLike,
                            context_tokens: ArrayLike) -> np.ndarray:
    """KV cache the draft keeps for one sequence [bytes]: ``draft_layers`` full-attention
    layers of the target's KV shape."""
    return kv_bytes_sequence(draft_model(m, draft_layers, 0.0), kv_bytes_per_element, context_tokens)
