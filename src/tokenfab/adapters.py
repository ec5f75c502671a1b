"""Bridges from catalog records to engine inputs (the only module that knows both)."""

from __future__ import annotations

from .catalog.model_spec import ModelSpec
from .engine import params as _params


def spec_param_counts(spec: ModelSpec) -> tuple[float, float]:
    """Computed (total, active) parameters of a catalog model [parameters]."""
    attn = _params.attention_params(
        spec.hidden_size,
        spec.num_attention_heads,
        spec.num_kv_heads,
        spec.head_dim,
        mla=spec.attention == "mla",
        q_lora_rank=spec.q_lora_rank or 0,
        kv_lora_rank=spec.kv_lora_rank or 0,
        qk_rope_head_dim=spec.qk_rope_head_dim or 0,
        qk_nope_head_dim=spec.qk_nope_head_dim or 0,
        v_head_dim=spec.v_head_dim or 0,
    )
    total, active = _params.model_params(
        num_layers=spec.num_layers,
        num_moe_layers=spec.num_moe_layers,
        hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size or 0,
        vocab_size=spec.vocab_size,
        tie_embeddings=spec.tie_embeddings,
        attention_params_per_layer=attn,
        num_experts=spec.num_experts or 0,
        experts_per_token=spec.experts_per_token or 0,
        moe_intermediate_size=spec.moe_intermediate_size or 0,
        num_shared_experts=spec.num_shared_experts,
        shared_expert_intermediate_size=spec.shared_expert_intermediate_size
        or spec.moe_intermediate_size
        or 0,
    )
    return float(total), float(active)
