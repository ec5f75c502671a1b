"""Open-weights model architectures: every field an inference model needs."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .records import Record

# Plausible sizes (the largest published models are ~10^2 layers, ~10^4 wide, ~10^3 experts,
# ~10^5..10^6 vocabulary entries and ~10^7 context tokens): beyond them is a typo.
Layers = Annotated[int, Field(gt=0, le=10_000)]
LayerCount = Annotated[int, Field(ge=0, le=10_000)]
Width = Annotated[int, Field(gt=0, le=10_000_000)]
Heads = Annotated[int, Field(gt=0, le=100_000)]
Vocab = Annotated[int, Field(gt=0, le=100_000_000)]
Experts = Annotated[int, Field(gt=0, le=100_000)]
Tokens = Annotated[int, Field(gt=0, le=2**32)]

AttentionKind = Literal["mha", "gqa", "mla"]
WeightDtype = Literal["bf16", "fp16", "fp8", "fp4", "mxfp4", "nvfp4"]


class ModelSpec(Record):
    """A decoder-only transformer, dense or mixture-of-experts.

    Layer bookkeeping: ``num_layers`` = ``num_dense_layers`` + ``num_moe_layers``;
    dense layers use ``intermediate_size``, MoE layers ``num_experts`` experts of
    ``moe_intermediate_size`` (``experts_per_token`` routed per token) plus
    ``num_shared_experts`` always-on experts of ``shared_expert_intermediate_size``.
    Attention: ``num_sliding_layers`` layers keep at most ``sliding_window_tokens``
    tokens of KV (sliding or chunked local attention); the rest are global.
    ``local_attention`` says which: ``sliding`` (each token sees the last window of tokens:
    Mistral, Gemma 3, gpt-oss) or ``chunked`` (tokens see only their own chunk of
    ``sliding_window_tokens``: Llama 4's ``attention_chunk_size``), because serving stacks
    do not cache the two alike (``data/efficiency.yaml`` ``kv_cache_budget``).
    MLA (DeepSeek-V3 family) caches ``kv_lora_rank + qk_rope_head_dim`` elements
    per token per layer.
    """

    name: str
    hf_repo: str | None = None
    architecture: str
    num_layers: Layers
    hidden_size: Width
    intermediate_size: Width | None = None
    num_attention_heads: Heads
    num_kv_heads: Heads
    head_dim: Width
    vocab_size: Vocab
    tie_embeddings: bool = False
    attention: AttentionKind
    attention_bias: bool = False
    # MLA
    kv_lora_rank: Width | None = None
    q_lora_rank: Width | None = None
    qk_rope_head_dim: Width | None = None
    qk_nope_head_dim: Width | None = None
    v_head_dim: Width | None = None
    # local attention
    sliding_window_tokens: Tokens | None = None
    num_sliding_layers: LayerCount = 0
    local_attention: Literal["sliding", "chunked"] = "sliding"
    # MoE
    num_experts: Experts | None = None
    experts_per_token: Experts | None = None
    num_shared_experts: int = Field(default=0, ge=0, le=1_000)
    moe_intermediate_size: Width | None = None
    shared_expert_intermediate_size: Width | None = None
    num_moe_layers: LayerCount = 0
    # published facts
    params_total: float | None = Field(default=None, gt=1e6, le=1e14)
    params_active: float | None = Field(default=None, gt=1e6, le=1e14)
    max_position_embeddings: Tokens | None = None
    context_tokens: Tokens | None = None
    release_dtype: WeightDtype = "bf16"
    # the format a 4-bit checkpoint of this model keeps its attention projections in (None: they
    # are quantized with the rest): gpt-oss's MXFP4 release leaves attention in BF16, NVIDIA's FP4
    # DeepSeek checkpoints keep MLA in FP8 (sources in models.yaml)
    attention_dtype_4bit: Literal["bf16", "fp8"] | None = None
    # the activations a 4-bit checkpoint of this model runs against on FP4 tensor cores: fp4
    # (W4A4, at the FP4 peak) or fp8 (W4A8, at the FP8 peak): TensorRT-LLM runs gpt-oss's MXFP4
    # experts with MXFP8 activations on Blackwell (source in models.yaml)
    activation_dtype_4bit: Literal["fp4", "fp8"] = "fp4"
    # the FP8 release checkpoint scales its weights per block (config.json quantization_config
    # weight_block_size, 128 x 128 for DeepSeek-V3/R1), not per tensor: its GEMMs run a
    # block-scaled FP8 kernel, slower than the per-tensor one on Hopper (efficiency.yaml
    # block_scaled_fp8)
    fp8_block_scales: bool = False
    license: str | None = None

    @property
    def num_dense_layers(self) -> int:
        return self.num_layers - self.num_moe_layers

    @property
    def is_moe(self) -> bool:
        return self.num_moe_layers > 0

    @model_validator(mode="after")
    def _consistent(self) -> ModelSpec:
        if self.num_attention_heads % self.num_kv_heads:
            raise ValueError(
                f"num_attention_heads ({self.num_attention_heads}) must be a multiple of "
                f"num_kv_heads ({self.num_kv_heads})"
            )
        if self.attention == "mha" and self.num_kv_heads != self.num_attention_heads:
            raise ValueError("attention 'mha' needs num_kv_heads == num_attention_heads; use 'gqa'")
        if self.attention == "mla":
            missing = [
                f for f in ("kv_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim")
                if getattr(self, f) is None
            ]
            if missing:
                raise ValueError(f"attention 'mla' needs {', '.join(missing)}")
        if self.num_moe_layers > self.num_layers:
            raise ValueError(f"num_moe_layers ({self.num_moe_layers}) > num_layers ({self.num_layers})")
        if self.num_moe_layers:
            missing = [
                f for f in ("num_experts", "experts_per_token", "moe_intermediate_size")
                if getattr(self, f) is None
            ]
            if missing:
                raise ValueError(f"a MoE model (num_moe_layers > 0) needs {', '.join(missing)}")
            if self.experts_per_token > self.num_experts:  # type: ignore[operator]
                raise ValueError(
                    f"experts_per_token ({self.experts_per_token}) > num_experts ({self.num_experts})"
                )
        if self.num_dense_layers and self.intermediate_size is None:
            raise ValueError("dense layers need intermediate_size")
        if self.fp8_block_scales and self.release_dtype != "fp8":
            raise ValueError(f"fp8_block_scales needs release_dtype 'fp8' (got {self.release_dtype!r}): block "
                             "scales describe an FP8 checkpoint")
        if self.num_sliding_layers > self.num_layers:
            raise ValueError(f"num_sliding_layers ({self.num_sliding_layers}) > num_layers")
        if self.num_sliding_layers and self.sliding_window_tokens is None:
            raise ValueError("num_sliding_layers > 0 needs sliding_window_tokens")
        if self.local_attention == "chunked" and not self.num_sliding_layers:
            raise ValueError("local_attention: chunked needs num_sliding_layers > 0 and sliding_window_tokens")
        if (
            self.params_total is not None
            and self.params_active is not None
            and self.params_active > self.params_total * 1.0001
        ):
            raise ValueError("params_active cannot exceed params_total")
        return self
