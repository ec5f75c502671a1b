"""From catalog rows to the engine's arrays: precision and stack defaults, the splits of an
instance, and the columnar model / hardware / efficiency / configuration inputs. The only
module that knows both the catalog records and the engine's array layout."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..catalog import assumptions as A
from ..catalog.hardware import Accelerator
from ..catalog.loader import Catalog
from ..catalog.model_spec import ModelSpec
from ..catalog.speculative import SpeculativeMethod
from ..engine import params as P
from ..engine.arrays import Efficiency, HardwareArrays, ModelArrays
from ..engine.dtypes import (
    BLOCK_SCALED_EFFICIENCY,
    COMPUTE_PEAK_ORDER,
    DEFAULT_WEIGHT_SEARCH,
    EFFICIENCY_KEY,
    FOUR_BIT_FORMATS,
    KV_BYTES_PER_ELEMENT,
    WEIGHT_BYTES_PER_PARAM,
    WEIGHT_ONLY_FORMATS,
)
from ..engine.efficiency import (
    KV_RESERVE_REQUEST,
    KvReserveRule,
    context_attention,
    efficiency_arrays,
    with_kv_reserve,
    with_memory_fraction,
)
from ..engine.parallelism import Split, splits
from ..engine.serving import ParallelConfig
from ..errors import InputError

DEFAULT_STACK_BY_VENDOR: dict[str, str] = {
    "NVIDIA": "trtllm",
    "AMD": "vllm",
    "Google": "jax-xla",
    "AWS": "neuron",
    "Huawei (HiSilicon)": "cann",
    "Tenstorrent": "tt-metal",
    "Intel": "synapseai",  # Intel's Gaudi software: vLLM on Gaudi and optimum-habana both run on it (stacks.yaml)
}


@dataclass(frozen=True)
class Precision:
    weights: str
    kv: str
    compute_dtype: str  # the datasheet peak the weights compute at on this chip
    stack: str
    block_scaled: bool = False  # FP8 weights with per-block scales (ModelSpec.fp8_block_scales)

    @property
    def efficiency_dtype(self) -> str:
        """The GEMM whose efficiency applies: the compute dtype, or ``w4a16`` where 4-bit weights
        run weight-only at the BF16 peak (dequantized inside the GEMM), ``w4a8`` where they run
        against 8-bit activations at the FP8 peak (a block-scaled mixed-input GEMM): each its own
        fitted scale; ``fp8_block`` where FP8 weights carry per-block scales (a measured factor of
        the FP8 GEMM, efficiency.yaml block_scaled_fp8)."""
        return efficiency_key(self.weights, self.compute_dtype, self.block_scaled)


def efficiency_key(weights: str, compute_dtype: str, block_scaled: bool) -> str:
    """:attr:`Precision.efficiency_dtype` of weights computing at ``compute_dtype``."""
    if weights in WEIGHT_ONLY_FORMATS:
        return EFFICIENCY_KEY.get(compute_dtype, compute_dtype)
    if block_scaled and weights == "fp8" and compute_dtype == "fp8":
        return BLOCK_SCALED_EFFICIENCY
    return compute_dtype


def compute_dtype(acc: Accelerator, weights: str, activations_4bit: str = "fp4") -> str:
    """The datasheet peak a weight format computes at on this chip, or a one-line refusal.
    A 4-bit checkpoint whose model runs it against 8-bit activations (``activations_4bit``
    'fp8', ``ModelSpec.activation_dtype_4bit``) computes on FP4 tensor cores at the FP8 peak:
    a mixed FP4 x FP8 MMA runs at the FP8 rate."""
    for peak in COMPUTE_PEAK_ORDER[weights]:
        if acc.peak_flop_per_s(peak):
            return "fp8" if peak == "fp4" and activations_4bit == "fp8" and acc.peak_flop_per_s("fp8") else peak
    has = [d for d in ("fp4", "fp8", "bf16") if acc.peak_flop_per_s(d)]
    fix = f"use --weights {' or '.join(has)}" if has else "this chip publishes no dense FLOP/s peak"
    raise InputError(f"weights = {weights!r}: {acc.id} has no {weights} compute peak; {fix}")


def kept_dtypes(spec: ModelSpec, weights: str) -> dict[str, str]:
    """The weight groups ('attention', 'lm_head') a low-bit checkpoint keeps at a higher
    precision, and that precision. The LM head stays BF16 under every 8- or 4-bit format
    (ModelOpt's quantization configs all disable ``*lm_head*``: NVIDIA/TensorRT-Model-Optimizer
    modelopt/torch/quantization/config.py ``_default_disabled_quantizer_cfg``; vLLM quantizes no
    LM head); the attention projections of a 4-bit checkpoint stay in the model's
    ``attention_dtype_4bit`` where it has one."""
    out: dict[str, str] = {}
    if weights in FOUR_BIT_FORMATS and spec.attention_dtype_4bit is not None:
        out["attention"] = spec.attention_dtype_4bit
    if WEIGHT_BYTES_PER_PARAM[weights] < WEIGHT_BYTES_PER_PARAM["bf16"]:
        out["lm_head"] = "bf16"
    return out


def kept_formats(spec: ModelSpec, weights: str, hw_row: dict[str, float]) -> tuple[float, float, float, float]:
    """(attention bytes/param, attention peak, LM-head bytes/param, LM-head peak) of the groups
    :func:`kept_dtypes` keeps; 0 = quantized with the rest. A kept dtype the chip has no peak
    for computes at its BF16 peak."""
    bf16 = hw_row["bf16_flop_per_s"]
    bf16 = bf16 if np.isfinite(bf16) else 0.0
    dtypes = kept_dtypes(spec, weights)
    out = []
    for group in ("attention", "lm_head"):
        kept = dtypes.get(group)
        peak = hw_row[f"{kept}_flop_per_s"] if kept else 0.0
        out += [WEIGHT_BYTES_PER_PARAM[kept], peak if np.isfinite(peak) else bf16] if kept else [0.0, 0.0]
    return out[0], out[1], out[2], out[3]


def default_kv(weights: str, acc: Accelerator) -> str:
    return "fp8" if WEIGHT_BYTES_PER_PARAM[weights] <= 1.0 and acc.fp8_dense_flop_per_s else "bf16"


def weight_search(spec: ModelSpec, given: Sequence[str] | None) -> tuple[str, ...]:
    """The weight formats searched: the given ones, else bf16, fp8 and the model's release format."""
    if given:
        return tuple(dict.fromkeys(given))
    return tuple(dict.fromkeys((*DEFAULT_WEIGHT_SEARCH, spec.release_dtype)))


def precisions(cat: Catalog, spec: ModelSpec, acc: Accelerator, weights: Sequence[str] | None, kv: str | None,
               stack: str | None) -> list[Precision]:
    """Every (weights, kv, compute peak, stack) this chip can run; one fixed weight format the
    chip cannot compute is refused in one line, a searched one is skipped."""
    st = cat.stack(stack).id if stack else DEFAULT_STACK_BY_VENDOR.get(acc.vendor, "vllm")
    if stack and acc.vendor not in cat.stack(stack).accelerator_vendors:
        raise InputError(f"stack = {stack!r} does not run on {acc.vendor} accelerators ({acc.id}); catalog "
                         f"stacks.yaml lists {', '.join(cat.stack(stack).accelerator_vendors)}")
    out = []
    fixed = bool(weights) and len(weights or ()) == 1
    for w in weight_search(spec, weights):
        try:
            peak = compute_dtype(acc, w, spec.activation_dtype_4bit)
        except InputError:
            if fixed:
                raise
            continue
        k = kv or default_kv(w, acc)
        if k in ("fp8", "fp4", "nvfp4") and not acc.peak_flop_per_s("fp8" if k == "fp8" else "fp4"):
            if kv is not None:
                raise InputError(f"kv = {k!r}: {acc.id} has no {k} support; use --kv bf16")
            k = "bf16"
        out.append(Precision(w, k, peak, st, block_scaled=w == "fp8" and spec.fp8_block_scales))
    if not out:
        raise InputError(f"{acc.id} computes none of the weight formats {', '.join(weight_search(spec, weights))}; "
                         "pass --weights with a format it has")
    return out


def model_row(spec: ModelSpec) -> dict[str, float]:
    return dict(
        num_layers=spec.num_layers, num_moe_layers=spec.num_moe_layers, hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size or 0, num_attention_heads=spec.num_attention_heads,
        num_kv_heads=spec.num_kv_heads, head_dim=spec.head_dim, vocab_size=spec.vocab_size,
        tie_embeddings=float(spec.tie_embeddings), mla=float(spec.attention == "mla"),
        kv_lora_rank=spec.kv_lora_rank or 0, q_lora_rank=spec.q_lora_rank or 0,
        qk_rope_head_dim=spec.qk_rope_head_dim or 0, qk_nope_head_dim=spec.qk_nope_head_dim or 0,
        v_head_dim=spec.v_head_dim or 0, sliding_window_tokens=spec.sliding_window_tokens or 0,
        num_sliding_layers=spec.num_sliding_layers, chunked_attention=float(spec.local_attention == "chunked"),
        num_experts=spec.num_experts or 0,
        experts_per_token=spec.experts_per_token or 0, num_shared_experts=spec.num_shared_experts,
        moe_intermediate_size=spec.moe_intermediate_size or 0,
        shared_expert_intermediate_size=spec.shared_expert_intermediate_size or spec.moe_intermediate_size or 0,
    )


def hardware_row(acc: Accelerator) -> dict[str, float]:
    """Datasheet figures of a chip for the engine; NaN for a dtype without a peak. A chip
    without published scale-out links uses its scale-up bandwidth, else the assumption."""
    nan = float("nan")
    missing = [f for f in ("memory_bytes", "memory_bandwidth_bytes_per_s") if getattr(acc, f) is None]
    if missing:
        raise InputError(
            f"accelerator {acc.id!r} has no published {', '.join(missing)}; the engine cannot estimate it. "
            "Fix: add the figure in an overlay (--catalog DIR) with its source")
    up = acc.scale_up_bandwidth_bytes_per_s_per_direction or 0.0
    out = acc.scale_out_bandwidth_bytes_per_s_per_direction or up or A.number("scale_out_bytes_per_s_default")
    return dict(
        bf16_flop_per_s=acc.bf16_dense_flop_per_s or nan, fp8_flop_per_s=acc.fp8_dense_flop_per_s or nan,
        fp4_flop_per_s=acc.fp4_dense_flop_per_s or nan, memory_bytes=float(acc.memory_bytes or 0.0),
        memory_bandwidth_bytes_per_s=float(acc.memory_bandwidth_bytes_per_s or 0.0),
        scale_up_bytes_per_s=up or out, scale_up_domain=acc.scale_up_domain_size or 1, scale_out_bytes_per_s=out,
        scale_up_mesh_peers=float((acc.scale_up_domain_size or 1) - 1) if up and acc.scale_up_topology == "full_mesh"
        else 0.0,
    )


def attention_peak(spec: ModelSpec, hw_row: dict[str, float], kv: str, gemm_peak: float) -> float:
    """Peak the attention math runs at: FP8 with an FP8 KV cache (FP8 FMHA kernels), except
    MLA, whose absorbed decode kernels (FlashMLA) compute in BF16 whatever the cache dtype."""
    bf16 = hw_row["bf16_flop_per_s"]
    if kv == "fp8" and spec.attention != "mla" and np.isfinite(hw_row["fp8_flop_per_s"]):
        return hw_row["fp8_flop_per_s"]
    return bf16 if np.isfinite(bf16) else gemm_peak


def prefill_attention_law(table: dict[str, Any], spec: ModelSpec, block: Block, hw_row: dict[str, float]
                          ) -> tuple[float, float]:
    """A block's measured prompt-attention law (efficiency.yaml ``context_attention``, for its stack,
    chip, KV dtype and head size): ``(rate per device [FLOP/s], pairs per prompt token)``, the rate
    the law's fraction of the chip's BF16 dense peak; ``(0, 0)`` for MLA and wherever the table
    has none."""
    bf16 = hw_row["bf16_flop_per_s"]
    if spec.attention == "mla" or not np.isfinite(bf16):
        return 0.0, 0.0
    fraction, pairs = context_attention(table, block.accelerator.id, block.precision.stack, block.precision.kv,
                                        spec.head_dim)
    return fraction * bf16, pairs


@dataclass(frozen=True)
class Speculation:
    """Speculative decoding of a block: ``method`` off, mtp or draft, with its figures."""

    method: str = "off"
    draft_tokens: int = 0
    acceptance_rate: float = 0.0
    draft_layers: int = 0
    draft_moe_layers: int = 0
    source: str = ""


OFF = Speculation()
SPECULATIVE_CHOICES = ("off", "mtp", "draft", "auto")


def speculations(cat: Catalog, spec: ModelSpec, method: str, draft_tokens: int | None,
                 acceptance_rate: float | None) -> list[Speculation]:
    """The speculation options searched: ``off``; a forced ``mtp``/``draft`` (refused in one
    line when the catalog has none for the model); ``auto`` = off and every method the
    catalog lists for the model. ``draft_tokens``/``acceptance_rate`` override the defaults."""
    if method not in SPECULATIVE_CHOICES:
        raise InputError(f"speculative = {method!r}: use one of {', '.join(SPECULATIVE_CHOICES)}")
    if method == "off":
        if draft_tokens is not None or acceptance_rate is not None:
            raise InputError("draft_tokens and acceptance_rate apply to speculative decoding: add --speculative "
                             "mtp, draft or auto, or drop them")
        return [OFF]
    rows = [r for r in cat.typed("speculative", SpeculativeMethod) if r.model == spec.id]
    chosen = [r for r in rows if method in ("auto", r.method)]
    if method != "auto" and not chosen:
        has = ", ".join(sorted({r.method for r in rows})) or "none"
        raise InputError(f"speculative = {method!r}: the catalog has no {method} for {spec.id} (it has: {has}); "
                         "use --speculative off or auto, or add a row to speculative.yaml in an overlay")
    out = [OFF] if method == "auto" else []
    for r in chosen:
        out.append(Speculation(r.method, draft_tokens or r.draft_tokens,
                               acceptance_rate if acceptance_rate is not None else r.acceptance_rate,
                               r.draft_layers, r.draft_moe_layers, r.source))
    return out


@dataclass(frozen=True)
class Block:
    """Every split of one instance shape at one precision and speculation."""

    accelerator: Accelerator
    count: int
    precision: Precision
    splits: tuple[Split, ...]
    speculation: Speculation = OFF


def blocks_for(cat: Catalog, spec: ModelSpec, acc: Accelerator, count: int, weights: Sequence[str] | None,
               kv: str | None, stack: str | None, fixed: dict[str, Any],
               speculation: Sequence[Speculation] = (OFF,)) -> list[Block]:
    """The blocks of one instance shape; ``fixed`` holds tp, pp, ep, dp_attention (None = searched);
    one block per precision and speculation option."""
    hardware_row(acc)  # refuses a chip the engine cannot estimate
    sp = tuple(splits(count, spec.num_attention_heads, spec.num_kv_heads, spec.num_layers, spec.num_experts or 0,
                      spec.id, **fixed))
    return [Block(acc, count, p, sp, s) for p in precisions(cat, spec, acc, weights, kv, stack) for s in speculation]


@dataclass(frozen=True)
class EngineInputs:
    """Columnar engine inputs, one row per (block, split); ``block`` and ``split`` index back."""

    m: ModelArrays
    hw: HardwareArrays
    eff: Efficiency
    cfg: ParallelConfig
    block: np.ndarray
    split: np.ndarray
    idle: np.ndarray


def engine_inputs(spec: ModelSpec, blocks: Sequence[Block], isl: float, osl: float, chunk_tokens: float,
                  disaggregated: bool, fidelity: str, table: dict[str, Any] | None = None,
                  osl_cv: float = 0.0, memory_fraction: float | None = None,
                  kv_reserve: KvReserveRule | None = None) -> EngineInputs:
    """Columns for every (block, split): per-block figures repeated over the block's splits.
    ``memory_fraction`` replaces the stack's memory budget fraction, its rule kept (of the whole
    memory, or of what the weights leave free); ``kv_reserve`` (live or request) the stack's KV
    admission rule."""
    n = np.array([len(b.splits) for b in blocks], dtype=int)
    split_cols = np.array([s[:6] for b in blocks for s in b.splits], dtype=float).reshape(-1, 6)
    table = table or A.efficiency_table()
    hw_rows, per_block = [], []
    for b in blocks:
        hrow = hardware_row(b.accelerator)
        gemm = hrow[f"{b.precision.compute_dtype}_flop_per_s"]
        hw_rows.append(hrow)
        per_block.append((WEIGHT_BYTES_PER_PARAM[b.precision.weights], KV_BYTES_PER_ELEMENT[b.precision.kv], gemm,
                          attention_peak(spec, hrow, b.precision.kv, gemm),
                          *kept_formats(spec, b.precision.weights, hrow),
                          *prefill_attention_law(table, spec, b, hrow)))
    wb, kvb, peak, attn, attn_b, attn_p, head_b, head_p, law_rate, law_pairs = (
        np.repeat(col, n) for col in np.array(per_block, dtype=float).reshape(-1, 10).T)
    rows = len(split_cols)
    cfg = ParallelConfig(
        tp=split_cols[:, 0], pp=split_cols[:, 1], ep=split_cols[:, 2], dp_attention=split_cols[:, 3],
        replicas=split_cols[:, 4], weight_bytes_per_param=wb, kv_bytes_per_element=kvb, gemm_flop_per_s=peak,
        attention_flop_per_s=attn, isl=np.full(rows, float(isl)), osl=np.full(rows, float(osl)),
        chunk_tokens=np.full(rows, float(chunk_tokens)), disaggregated=np.full(rows, float(disaggregated)),
        osl_cv=np.full(rows, float(osl_cv)), attention_weight_bytes_per_param=attn_b, attention_proj_flop_per_s=attn_p,
        head_weight_bytes_per_param=head_b, head_flop_per_s=head_p, prefill_attention_flop_per_s=law_rate,
        prefill_attention_pairs_per_token=law_pairs,
        **{f: np.repeat(np.array([float(getattr(b.speculation, f)) for b in blocks]), n)
           for f in ("draft_tokens", "acceptance_rate", "draft_layers", "draft_moe_layers")})
    block = np.repeat(np.arange(len(blocks)), n)
    eff = efficiency_arrays(table, [b.accelerator.id for b in blocks],
                            [b.precision.stack for b in blocks], [b.precision.efficiency_dtype for b in blocks],
                            fidelity).take(block)
    if memory_fraction is not None:
        eff = with_memory_fraction(eff, memory_fraction)
    if kv_reserve is not None:
        eff = with_kv_reserve(eff, KV_RESERVE_REQUEST[kv_reserve])
    return EngineInputs(
        m=ModelArrays.stack([model_row(spec)]), hw=HardwareArrays.stack(hw_rows).take(block),
        eff=eff,
        cfg=cfg, block=block, split=np.concatenate([np.arange(k) for k in n]) if rows else np.zeros(0, int),
        idle=split_cols[:, 5])


def param_counts(spec: ModelSpec) -> tuple[float, float]:
    """Computed (total, active) parameters of a catalog model [parameters]."""
    attn = P.attention_params(
        spec.hidden_size, spec.num_attention_heads, spec.num_kv_heads, spec.head_dim, mla=spec.attention == "mla",
        q_lora_rank=spec.q_lora_rank or 0, kv_lora_rank=spec.kv_lora_rank or 0,
        qk_rope_head_dim=spec.qk_rope_head_dim or 0, qk_nope_head_dim=spec.qk_nope_head_dim or 0,
        v_head_dim=spec.v_head_dim or 0)
    total, active = P.model_params(
        num_layers=spec.num_layers, num_moe_layers=spec.num_moe_layers, hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size or 0, vocab_size=spec.vocab_size, tie_embeddings=spec.tie_embeddings,
        attention_params_per_layer=attn, num_experts=spec.num_experts or 0,
        experts_per_token=spec.experts_per_token or 0, moe_intermediate_size=spec.moe_intermediate_size or 0,
        num_shared_experts=spec.num_shared_experts,
        shared_expert_intermediate_size=spec.shared_expert_intermediate_size or spec.moe_intermediate_size or 0)
    return float(total), float(active)
