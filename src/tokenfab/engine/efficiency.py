"""Efficiency factors by fidelity, the one implementation (vectorized over configurations).

Fidelities, chosen by name (``FIDELITIES``):

* ``roofline``: datasheet peaks only (every factor 1, no fixed costs).
* ``derated``: measured hardware efficiencies from independent sources: GEMM efficiency per
  accelerator and compute dtype (MAMF), 0.8 of peak HBM and link bandwidth; no fixed costs.
* ``calibrated``: the derated GEMM efficiency times a per-stack compute scale (and, for a
  compute dtype without a measured GEMM efficiency such as FP4, a scale per tensor-core
  architecture x dtype, :func:`dtype_compute_scale`), a per-stack memory efficiency, per-pass and
  per-sequence overhead, a per-layer overhead, a collective latency
  and the routed-expert GEMM efficiency (by rows and width per expert), fitted on measured results.
  Attention runs at the chip's measured efficiency times the stack's compute scale (no FP4
  GEMM scale: attention kernels do not compute in FP4).
* ``measured``: ``calibrated``, except that dense GEMMs and MoE layers take their time from
  NVIDIA aiconfigurator's measured kernel database where it covers the chip x stack x dtype
  (optional extra ``tokenfab[measured]``; :mod:`.measured_kernels`).

The factors come from a table shaped like ``data/efficiency.yaml`` passed in by the caller
(calibration passes trial tables); this module reads no file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from ..errors import CatalogError, InputError
from .arrays import ROOFLINE, Efficiency
from .dtypes import BLOCK_SCALED_EFFICIENCY, EFFICIENCY_PEAK

FIDELITIES: tuple[str, ...] = ("roofline", "derated", "calibrated", "measured")


def check_fidelity(fidelity: str) -> str:
    if fidelity not in FIDELITIES:
        raise InputError(f"fidelity = {fidelity!r}: use one of {', '.join(FIDELITIES)}")
    return fidelity


def hardware_compute_eff(table: Mapping[str, Any], accelerator: str, compute_dtype: str) -> float:
    """Measured GEMM efficiency of one accelerator at one compute dtype [-]; a dtype without
    a measurement uses the chip's bf16 figure, a chip without any the default."""
    d = table["derated"]
    per = d["compute_eff"].get(accelerator, {})
    return float(per.get(compute_dtype, per.get("bf16", d["default_compute_eff"])))


def stack_factors(calibrated: Mapping[str, Any], accelerator: str, stack: str) -> Mapping[str, Any]:
    """The per-stack factors (compute_scale, memory_eff, overhead_s) for one chip: a user's
    calibration of that accelerator x stack (``accelerator_stacks``, from ``tokenfab
    calibrate``) first, then the stack's shipped factors, then the default stack's."""
    own = calibrated.get("accelerator_stacks", {}).get(accelerator, {}).get(stack)
    if own:
        return own
    return calibrated["stacks"].get(stack) or calibrated["stacks"][calibrated["default_stack"]]


def stack_extra(calibrated: Mapping[str, Any], own: Mapping[str, Any], stack: str, key: str, neutral: float) -> float:
    """A per-stack factor a user's accelerator x stack calibration does not carry
    (``seq_overhead_s``): from ``own`` when present, else the stack's
    shipped value, else the default stack's, else ``neutral``."""
    if key in own:
        return float(own[key])
    stacks = calibrated["stacks"]
    shipped = stacks.get(stack) or stacks.get(calibrated.get("default_stack", ""), {})
    return float(shipped.get(key, neutral))


def p99_factors(table: Mapping[str, Any]) -> dict[str, float]:
    """p99 / mean TTFT and TPOT of the table (fitted with the calibrated factors; a latency
    statistic, not an efficiency, so every fidelity uses it), else the documented defaults."""
    c = table.get("calibrated", {})
    return {k: float(c.get(k, ROOFLINE[k])) for k in ("p99_ttft_factor", "p99_tpot_factor")}


def architecture(table: Mapping[str, Any], accelerator: str) -> str:
    """The chip's tensor-core architecture (``derated.architecture``: chips sharing their tensor
    cores share it); a chip not listed is its own."""
    return str(table["derated"].get("architecture", {}).get(accelerator, accelerator))


def _calibrated_scale(table: Mapping[str, Any], key: str, accelerator: str, compute_dtype: str) -> float:
    """A fitted scale of ``calibrated.<key>`` per compute dtype x architecture; 1 where none."""
    return float(table["calibrated"].get(key, {}).get(compute_dtype, {}).get(architecture(table, accelerator), 1.0))


def dtype_compute_scale(table: Mapping[str, Any], accelerator: str, compute_dtype: str) -> float:
    """Fitted GEMM efficiency of ``compute_dtype`` relative to the chip's measured figure, per
    tensor-core architecture (:func:`architecture`); 1 (the neutral value: the dtype reaches the
    same fraction of its peak) where no measured row of that architecture x dtype exists."""
    return _calibrated_scale(table, "dtype_compute_scale", accelerator, compute_dtype)


def moe_half_tokens_scale(table: Mapping[str, Any], accelerator: str, compute_dtype: str) -> float:
    """Fitted scale on the routed-expert rows law's half point (``moe_half_tokens``) of one kernel
    family, per compute dtype x tensor-core architecture (:func:`architecture`); 1 where the
    table has none."""
    return _calibrated_scale(table, "moe_half_tokens_scale", accelerator, compute_dtype)


def kernel_key(efficiency_dtype: str) -> str:
    """The dtype the measured kernel tables (``measured_kernels``) are looked up under: block-scaled
    FP8 has tables of its own, a mixed-input GEMM (``w4a16``, ``w4a8``) takes the peak it computes at."""
    if efficiency_dtype == BLOCK_SCALED_EFFICIENCY:
        return efficiency_dtype
    return EFFICIENCY_PEAK.get(efficiency_dtype, efficiency_dtype)


def block_scale_factors(table: Mapping[str, Any], accelerator: str, efficiency_dtype: str,
                        when_applied: bool = True) -> tuple[float, float]:
    """(dense, experts) of block-scaled FP8 weights on this chip: the block-scaled GEMM's rate as a
    fraction of the per-tensor FP8 GEMM's on dense GEMMs, and a routed-expert GEMM's further
    fraction relative to that dense one (``Efficiency.expert_compute_scale``). Measured per
    tensor-core architecture (efficiency.yaml ``block_scaled_fp8``, from aiconfigurator's kernel
    tables, not fitted); (1, 1) for any other weights, an architecture not listed, experts of
    an architecture with a dense figure only, and a table whose ``applied`` is not true (the shipped
    one: docs/engine.md section 6) unless ``when_applied`` is False (the measured figures, to say
    what an estimate leaves out)."""
    block = table.get("block_scaled_fp8", {})
    if efficiency_dtype != BLOCK_SCALED_EFFICIENCY or (when_applied and block.get("applied") is not True):
        return 1.0, 1.0
    arch = architecture(table, accelerator)
    out: list[float] = []
    for part, default in (("dense", 1.0), ("experts", None)):
        v = block.get(part, {}).get(arch, default if default is not None else out[0])
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 1:
            raise CatalogError(f"efficiency.yaml block_scaled_fp8 {part} {arch} = {v!r}. Fix: a fraction in (0, 1]")
        out.append(float(v))
    return out[0], out[1] / out[0]


def moe_token_cost(table: Mapping[str, Any], accelerator: str, stack: str, efficiency_dtype: str) -> float:
    """Seconds an MoE layer of this stack spends per element of the routed hidden states it is
    given (tokens x hidden x top-k), the part of the layer an expert-parallel split does not
    divide: measured per tensor-core architecture x MoE dtype from NVIDIA aiconfigurator's kernel
    tables (efficiency.yaml ``moe_token_cost``, ``benchmarks/moe_token_cost.py``), not fitted;
    0 where the stack, architecture or dtype is not measured."""
    spec = table.get("moe_token_cost", {}).get("stacks", {}).get(stack) or {}
    arch = architecture(table, accelerator)
    v = (spec.get(arch) or {}).get(efficiency_dtype, 0.0)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < 1e-9:
        raise CatalogError(f"efficiency.yaml moe_token_cost {stack} {arch} {efficiency_dtype} = {v!r}. "
                           "Fix: seconds per element, 0 <= value < 1e-9 (measured figures are ~1e-13 to 6e-12)")
    return float(v)


# a KV admission rule as Efficiency.kv_reserve_request: 1 = the whole request reserved, 0 = the live context
KvReserveRule = Literal["live", "request"]
KV_RESERVE_REQUEST: dict[str, float] = {"live": 0.0, "request": 1.0}


def kv_budget(table: Mapping[str, Any], stack: str) -> dict[str, float]:
    """The stack's memory budget for weights and KV cache (``kv_cache_budget`` of the table: a
    server setting, the same at every fidelity): ``kv_memory_fraction`` and
    ``kv_fraction_of_free`` (1 = a fraction of what is free after weights and activations),
    and its admission rule ``kv_reserve_request`` (``reserve: request`` = 1, a request is admitted
    with room for its whole prompt and output; ``live`` = 0, the default, its current context),
    and how much KV cache a chunked-attention layer holds, ``chunked_kv_full`` (``chunked_layers:
    full`` = 1, the whole context; ``window`` = 0, the default, at most the chunk), and a
    sliding-window layer, ``sliding_kv_full`` (``sliding_layers``, the same two values);
    the stack's own entry, else the table's default, else vLLM's 0.90 of the whole memory."""
    budget = table.get("kv_cache_budget", {})
    row = budget.get("stacks", {}).get(stack) or budget.get("default") or {}
    of, f = row.get("of", "total"), row.get("fraction", ROOFLINE["kv_memory_fraction"])
    reserve = row.get("reserve", "live")
    chunked = row.get("chunked_layers", "window")
    sliding = row.get("sliding_layers", "window")
    if of not in ("total", "free") or isinstance(f, bool) or not isinstance(f, (int, float)) or not 0 < f <= 1:
        raise CatalogError(f"efficiency.yaml kv_cache_budget for stack {stack!r}: of = {of!r}, fraction = {f!r}. "
                           "Fix: of: total or free, and 0 < fraction <= 1")
    if reserve not in KV_RESERVE_REQUEST:
        raise CatalogError(f"efficiency.yaml kv_cache_budget for stack {stack!r}: reserve = {reserve!r}. "
                           "Fix: reserve: live or request")
    for key, value in (("chunked_layers", chunked), ("sliding_layers", sliding)):
        if value not in ("window", "full"):
            raise CatalogError(f"efficiency.yaml kv_cache_budget for stack {stack!r}: {key} = {value!r}. "
                               f"Fix: {key}: window or full")
    return {"kv_memory_fraction": float(f), "kv_fraction_of_free": 1.0 if of == "free" else 0.0,
            "kv_reserve_request": KV_RESERVE_REQUEST[reserve],
            "chunked_kv_full": 1.0 if chunked == "full" else 0.0,
            "sliding_kv_full": 1.0 if sliding == "full" else 0.0}


def chunked_decode_kernel(table: Mapping[str, Any], accelerator: str, stack: str) -> dict[str, float]:
    """How the stack's decode kernel reads a chunked-attention layer's KV cache on this chip
    (``chunked_decode_kernel`` of the table, a property of the stack's kernels, the same at every
    fidelity): ``chunked_reads_per_query_head`` 1 where the chip's tensor-core architecture is
    listed under the stack's ``per_query_head`` (each KV head's chunk read once per query head),
    else 0 (once per KV head)."""
    spec = table.get("chunked_decode_kernel", {}).get("stacks", {}).get(stack) or {}
    archs = spec.get("per_query_head", [])
    if not isinstance(archs, list) or not all(isinstance(a, str) for a in archs):
        raise CatalogError(f"efficiency.yaml chunked_decode_kernel for stack {stack!r}: per_query_head = {archs!r}. "
                           "Fix: a list of architecture names (derated: architecture), e.g. [nvidia-hopper]")
    arch = architecture(table, accelerator)
    return {"chunked_reads_per_query_head": 1.0 if arch in archs else 0.0}


CONTEXT_ATTENTION_KV = {"bf16": "bf16", "fp16": "bf16", "fp8": "fp8"}  # KV dtype -> the table's entry


def context_attention_applied(table: Mapping[str, Any]) -> str:
    """Where the measured prompt-attention law applies (efficiency.yaml ``context_attention.applied``):
    ``always`` (the shipped table since trial x57: the derated and calibrated fidelities too,
    docs/engine.md section 6) or ``measured`` (the measured fidelity only, like its GEMM and MoE
    tables)."""
    applied = table.get("context_attention", {}).get("applied", "measured")
    if applied not in ("measured", "always"):
        raise CatalogError(f"efficiency.yaml context_attention applied = {applied!r}. Fix: applied: measured or always")
    return str(applied)


def context_attention(table: Mapping[str, Any], accelerator: str, stack: str, kv_dtype: str, head_dim: int
                      ) -> tuple[float, float]:
    """The measured prompt-attention law of a stack's kernels on a chip for a KV-cache dtype and
    head size (efficiency.yaml ``context_attention``): ``(fraction of the BF16 dense peak, pairs of
    work per prompt token)``, ``(0, 0)`` where the table has none (the physics and the fitted
    ``prefill_attention_scale`` apply)."""
    kv = CONTEXT_ATTENTION_KV.get(kv_dtype)
    by_chip = (table.get("context_attention", {}).get("stacks", {}).get(stack) or {}).get(accelerator) or {}
    law = (by_chip.get(kv) or {}).get(str(int(head_dim))) if kv else None  # YAML keys are names: '64'
    if law is None:
        return 0.0, 0.0
    ok = isinstance(law, list) and len(law) == 2 and all(isinstance(x, (int, float)) for x in law)
    if not ok or not (0.0 < float(law[0]) <= 2.0) or float(law[1]) < 0.0:
        raise CatalogError(f"efficiency.yaml context_attention {stack} {accelerator} {kv} {head_dim}: {law!r}. "
                           "Fix: [fraction of the BF16 peak in (0, 2], pairs per token >= 0], "
                           "as benchmarks/attention_kernels.py prints them")
    return float(law[0]), float(law[1])


def with_memory_fraction(eff: Efficiency, fraction: ArrayLike) -> Efficiency:
    """``eff`` with the stack's memory-budget fraction replaced where ``fraction`` is finite (a run's
    or a user's own ``--memory-fraction``); the stack's rule (of the whole memory or of the free
    memory, ``kv_fraction_of_free``) is kept."""
    f = np.asarray(fraction, dtype=float)
    return dataclasses.replace(eff, kv_memory_fraction=np.where(np.isfinite(f), f, eff.kv_memory_fraction))


def with_kv_reserve(eff: Efficiency, reserve_request: ArrayLike) -> Efficiency:
    """``eff`` with the stack's KV admission rule replaced where ``reserve_request`` is finite (1:
    a sequence is admitted with room for its whole prompt and output, TensorRT-LLM's
    GUARANTEED_NO_EVICT; 0: it holds its current context, TensorRT-LLM's MAX_UTILIZATION, vLLM,
    SGLang): a run's own scheduler policy."""
    r = np.asarray(reserve_request, dtype=float)
    return dataclasses.replace(eff, kv_reserve_request=np.where(np.isfinite(r), r, eff.kv_reserve_request))


def _one(table: Mapping[str, Any], accelerator: str, stack: str, compute_dtype: str, fidelity: str) -> dict[str, float]:
    # the same at every fidelity: the server's settings and its kernels' reads
    fixed = {**p99_factors(table), **kv_budget(table, stack), **chunked_decode_kernel(table, accelerator, stack)}
    if fidelity == "roofline":
        return dict(ROOFLINE, **fixed)
    d = table["derated"]
    # a mixed-input GEMM starts from the chip's measured figure at the peak it computes at, and the
    # measured kernel tables are looked up at that peak too
    peak = EFFICIENCY_PEAK.get(compute_dtype, compute_dtype)
    hw = hardware_compute_eff(table, accelerator, peak)
    # block-scaled FP8 (a measured kernel factor, every fidelity but the roofline): attention is not
    # a block-scaled GEMM and keeps the chip's figure
    block, experts = block_scale_factors(table, accelerator, compute_dtype)
    token_cost = moe_token_cost(table, accelerator, stack, compute_dtype)  # a kernel's measured time, not fitted
    law = 1.0 if context_attention_applied(table) == "always" else 0.0  # the measured fidelity reads it always
    if fidelity == "derated":
        return dict(ROOFLINE, compute_eff=hw * block, memory_eff=float(d["memory_eff"]),
                    network_eff=float(d["network_eff"]), attention_eff=hw, expert_compute_scale=experts,
                    moe_token_cost_s_per_element=token_cost, context_attention_measured=law, **fixed)
    if fidelity == "measured":
        from .measured_kernels import register, register_moe

        key = kernel_key(compute_dtype)
        return dict(_one(table, accelerator, stack, compute_dtype, "calibrated"),
                    context_attention_measured=1.0,
                    measured_gemm=float(register(accelerator, stack, key)),
                    measured_moe=float(register_moe(accelerator, stack, key)))
    c = table["calibrated"]
    s = stack_factors(c, accelerator, stack)
    scale = float(s["compute_scale"]) * dtype_compute_scale(table, accelerator, compute_dtype)
    return dict(
        compute_eff=min(hw * scale * block, 1.0),
        memory_eff=min(float(s["memory_eff"]), 1.0),
        attention_eff=min(hw * float(s["compute_scale"]), 1.0),
        seq_overhead_s=stack_extra(c, s, stack, "seq_overhead_s", 0.0),
        moe_half_width=float(c.get("moe_half_width", 0.0)),
        gemm_half_tokens=float(c.get("gemm_half_tokens", 0.0)),
        prefill_attention_scale=float(c.get("prefill_attention_scale", 1.0)),
        expert_compute_scale=experts,
        network_eff=float(d["network_eff"]),
        overhead_s=float(s["overhead_s"]),
        collective_latency_s=float(c["collective_latency_s"]),
        alltoall_latency_s=float(c["alltoall_latency_s"]),
        layer_overhead_s=float(c["layer_overhead_s"]),
        moe_half_tokens=float(c["moe_half_tokens"]) * moe_half_tokens_scale(table, accelerator, compute_dtype),
        expert_load_dispersion=float(c.get("expert_load_dispersion", 0.0)),
        measured_gemm=0.0,
        measured_moe=0.0,
        moe_token_cost_s_per_element=token_cost,
        server_utilization=float(c.get("server_utilization", 1.0)),
        context_attention_measured=law,
        **fixed,
    )


def efficiency_arrays(
    table: Mapping[str, Any], accelerator: ArrayLike, stack: ArrayLike, compute_dtype: ArrayLike, fidelity: str
) -> Efficiency:
    """Efficiency columns for configurations given by parallel arrays of accelerator ids,
    stack ids and compute dtypes (strings), at one fidelity. Each distinct combination is
    worked out once and broadcast back."""
    check_fidelity(fidelity)
    if fidelity == "measured":
        from .measured_kernels import database_root

        database_root()  # one clear line when the optional extra is missing
    keys = np.stack(np.broadcast_arrays(np.asarray(accelerator, dtype=str), np.asarray(stack, dtype=str),
                                        np.asarray(compute_dtype, dtype=str)), axis=-1).reshape(-1, 3)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    rows = [_one(table, a, s, d, fidelity) for a, s, d in uniq]
    cols = {name: np.array([r[name] for r in rows], dtype=float)[inverse.ravel()] for name in ROOFLINE}
    return Efficiency(**cols)
