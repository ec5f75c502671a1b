"""Columnar inputs of the engine: model, hardware and efficiency as numpy arrays.

Every field is an array (or scalar) and all fields broadcast together, so one
call evaluates as many configurations as the arrays hold. Build them with
``stack`` from per-item dicts and index them with ``take``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, TypeVar, cast

import numpy as np

T = TypeVar("T", bound="_Columns")


class _Columns:
    @classmethod
    def stack(cls: type[T], rows: Sequence[dict[str, Any]]) -> T:
        """One array per field from a list of per-item dicts (missing = 0)."""
        return cls(**{f.name: np.array([r.get(f.name, 0) for r in rows], dtype=float) for f in fields(cast(Any, cls))})

    def broadcast_shape(self) -> tuple[int, ...]:
        """The shape all fields broadcast to."""
        return np.broadcast_shapes(*(np.shape(getattr(self, f.name)) for f in fields(cast(Any, self))))

    def take(self: T, index: Any) -> T:
        """Rows at ``index`` (fancy indexing), keeping the column layout."""
        return type(self)(**{f.name: np.asarray(getattr(self, f.name))[index] for f in fields(cast(Any, self))})


@dataclass(frozen=True)
class ModelArrays(_Columns):
    """Transformer architecture numbers (see ``catalog.ModelSpec`` for meanings)."""

    num_layers: np.ndarray
    num_moe_layers: np.ndarray
    hidden_size: np.ndarray
    intermediate_size: np.ndarray
    num_attention_heads: np.ndarray
    num_kv_heads: np.ndarray
    head_dim: np.ndarray
    vocab_size: np.ndarray
    tie_embeddings: np.ndarray
    mla: np.ndarray
    kv_lora_rank: np.ndarray
    q_lora_rank: np.ndarray
    qk_rope_head_dim: np.ndarray
    qk_nope_head_dim: np.ndarray
    v_head_dim: np.ndarray
    sliding_window_tokens: np.ndarray
    num_sliding_layers: np.ndarray
    chunked_attention: np.ndarray  # 1: the local layers attend within chunks (Llama 4), 0: sliding windows
    num_experts: np.ndarray
    experts_per_token: np.ndarray
    num_shared_experts: np.ndarray
    moe_intermediate_size: np.ndarray
    shared_expert_intermediate_size: np.ndarray


@dataclass(frozen=True)
class HardwareArrays(_Columns):
    """Datasheet peaks of one device; NaN where a dtype has no published peak."""

    bf16_flop_per_s: np.ndarray
    fp8_flop_per_s: np.ndarray
    fp4_flop_per_s: np.ndarray
    memory_bytes: np.ndarray
    memory_bandwidth_bytes_per_s: np.ndarray
    scale_up_bytes_per_s: np.ndarray
    scale_up_domain: np.ndarray
    scale_out_bytes_per_s: np.ndarray
    scale_up_mesh_peers: np.ndarray  # direct links a full-mesh fabric splits its bandwidth over; 0 = switched


@dataclass(frozen=True)
class Efficiency(_Columns):
    """Achieved fractions of peak and fixed costs, kept apart from the peaks.

    ``compute_eff`` [-] fraction of the dtype's dense peak reached by GEMMs;
    ``memory_eff`` [-] fraction of peak HBM bandwidth; ``network_eff`` [-] of
    link bandwidth; ``overhead_s`` [s] per forward pass (scheduling, launches);
    ``collective_latency_s`` [s] per collective call (all-reduce, point-to-point);
    ``alltoall_latency_s`` [s] per expert-parallel all-to-all (a MoE layer's dispatch and its
    combine: routing counts, token permutation and a completion signal to every rank, several
    times an all-reduce's latency); ``layer_overhead_s`` [s] per layer
    per forward pass (kernel launches and the minimum duration of the ~15 small kernels of
    a layer); ``moe_half_tokens`` [tokens] the rows per expert at which a grouped expert GEMM
    reaches half the dense GEMM's efficiency: an expert seeing M tokens in a pass runs at
    ``M / (M + moe_half_tokens)`` of it (a wide expert with many rows is a dense GEMM, so the
    asymptote is the dense efficiency itself, not a fitted factor; one kernel family, weight-only
    MXFP4 on Hopper, takes its own: ``efficiency.moe_half_tokens_scale``);
    ``p99_ttft_factor`` / ``p99_tpot_factor`` [-] the p99 of TTFT / TPOT as a multiple of the
    steady-state mean (latency limits apply to p99; fitted with the other factors);
    ``attention_eff`` [-] fraction of the attention dtype's peak reached by attention kernels
    (they are not FP4 GEMMs: the FP4 GEMM scale does not apply to them);
    ``seq_overhead_s`` [s] per sequence carried by a forward pass (sampling, scheduler and
    detokenizer bookkeeping): with ``overhead_s`` and ``layer_overhead_s`` the step's fixed cost
    depends on what the step does; ``moe_half_width`` [-] the expert width (intermediate
    columns per device) at which a grouped expert GEMM reaches half its efficiency: an expert
    slice ``I`` wide runs at a further ``I / (I + moe_half_width)`` (small experts fill the
    tensor-core tiles poorly); ``gemm_half_tokens`` [tokens] the rows (tokens of a micro-batch) at
    which a dense GEMM reaches half its efficiency: ``compute_eff * M / (M + gemm_half_tokens)``
    (tile and wave quantization: a pass over few tokens cannot fill the chip; the same law as
    the rows per expert of ``moe_half_tokens``); ``prefill_attention_scale`` [-] causal prompt
    attention's efficiency relative to ``attention_eff`` (decode attention keeps ``attention_eff``;
    0 = not given = 1); ``expert_compute_scale`` [-] a routed-expert GEMM's rate relative to the
    dense GEMM's of the same weights beyond the rows and width laws (1 except for block-scaled FP8
    on chips whose tensor cores take no block scales, ``efficiency.block_scale_factors``; 0 = not
    given = 1).
    ``measured_gemm`` id of a measured dense-GEMM curve (``measured_kernels.register``) and
    ``measured_moe`` of measured MoE-layer tables (``measured_kernels.register_moe``), 0 = the
    physics above.
    ``kv_memory_fraction`` [-] and ``kv_fraction_of_free`` (1 or 0): the serving stack's budget for
    weights and KV cache, a server setting rather than an efficiency (the same at every fidelity):
    a fraction of the device's whole memory (0: vLLM's ``gpu_memory_utilization``, SGLang's
    ``mem_fraction_static``) or of what is free once weights and activations are loaded (1:
    TensorRT-LLM's ``kv_cache_free_gpu_mem_fraction``), ``memory.max_concurrency``.
    ``kv_reserve_request`` (1 or 0): the stack's admission rule, also a server setting. 1: a
    request is admitted only when the KV cache of its whole prompt and output fits (TensorRT-LLM's
    default ``GUARANTEED_NO_EVICT`` capacity policy; a started request is never paused), so each
    live sequence holds room for ``isl + osl (1 + cv^2)`` tokens; 0: a sequence holds its current
    context (vLLM, SGLang: blocks allocated as tokens are generated, preempted when memory runs out).
    ``chunked_kv_full`` (1 or 0): 1 where the stack keeps a chunked-attention layer's
    (``ModelArrays.chunked_attention``) KV cache for the whole context (TensorRT-LLM), though each
    token attends within its chunk; 0 where it holds at most the chunk (``memory.kv_model``).
    ``sliding_kv_full`` (1 or 0): the same for sliding-window layers (TensorRT-LLM sizes its cache
    for one window, the longest, on every layer unless it is given per-layer windows).
    ``chunked_reads_per_query_head`` (1 or 0): 1 where the stack's decode kernel for a
    chunked-attention layer reads each KV head's chunk once per query head it serves instead of
    once (TensorRT-LLM on Hopper, whose grouped-query XQA kernel declines chunked attention and
    falls back to one thread block per query head, ``efficiency.chunked_decode_kernel``); it
    applies once a sequence outgrows the chunk (``serving.chunked_rereads``).
    ``expert_load_dispersion`` [-] the variance of an expert-parallel rank's routed load over a
    Poisson's of the same mean (0: every rank carries exactly its share; 1: independent
    routing); the slowest of ``ep`` ranks sets the MoE layer's pace (``serving.ep_straggler``).
    ``moe_token_cost_s_per_element`` [s] the time an MoE layer spends per element of the routed
    hidden states it is given (tokens x hidden x top-k: routing, permutation, finalize), which every
    rank pays for every token of the micro-batch however the experts are split (measured per
    stack x architecture x MoE dtype, ``efficiency.moe_token_cost``; 0 = none).
    ``server_utilization`` [-] where a deployment runs under a TTFT or TPOT limit, the fraction of
    its limit-bound steady-state capacity it sustains (a server under random arrivals carries less
    than the load at which its p99 latencies just meet the limits; fitted; 1 = none, offline and
    fixed-concurrency runs never pay it, ``serving.sustained``).
    ``context_attention_measured`` [-] 1 where prompt attention follows the measured law of the
    configuration's own kernels (``ParallelConfig.prefill_attention_flop_per_s``, efficiency.yaml
    ``context_attention``) when it has one: the measured fidelity, and the derated and calibrated
    ones where the table's ``applied`` is ``always``; 0 at the roofline.
    """

    compute_eff: np.ndarray
    memory_eff: np.ndarray
    network_eff: np.ndarray
    overhead_s: np.ndarray
    collective_latency_s: np.ndarray
    alltoall_latency_s: np.ndarray
    layer_overhead_s: np.ndarray
    moe_half_tokens: np.ndarray
    p99_ttft_factor: np.ndarray
    p99_tpot_factor: np.ndarray
    attention_eff: np.ndarray
    seq_overhead_s: np.ndarray
    moe_half_width: np.ndarray
    gemm_half_tokens: np.ndarray
    prefill_attention_scale: np.ndarray
    expert_compute_scale: np.ndarray
    measured_gemm: np.ndarray
    measured_moe: np.ndarray
    kv_memory_fraction: np.ndarray
    kv_fraction_of_free: np.ndarray
    kv_reserve_request: np.ndarray
    chunked_kv_full: np.ndarray
    sliding_kv_full: np.ndarray
    chunked_reads_per_query_head: np.ndarray
    expert_load_dispersion: np.ndarray
    moe_token_cost_s_per_element: np.ndarray
    server_utilization: np.ndarray
    context_attention_measured: np.ndarray


# p99 / mean latency when no fitted figure is given: the medians over the MLPerf Inference v5.1
# Server and Interactive runs of validation/latency_pairs.csv (docs/engine.md)
P99_TTFT_FACTOR = 2.5
P99_TPOT_FACTOR = 1.2
# a stack's memory budget when the table gives none: vLLM's default gpu_memory_utilization, a
# share of the whole memory for weights and KV cache (data/efficiency.yaml kv_cache_budget)
DEFAULT_KV_MEMORY_FRACTION = 0.90
ROOFLINE = dict(
    compute_eff=1.0, memory_eff=1.0, network_eff=1.0, overhead_s=0.0, collective_latency_s=0.0, alltoall_latency_s=0.0,
    layer_overhead_s=0.0, moe_half_tokens=0.0, p99_ttft_factor=P99_TTFT_FACTOR,
    p99_tpot_factor=P99_TPOT_FACTOR, attention_eff=1.0, seq_overhead_s=0.0,
    moe_half_width=0.0, gemm_half_tokens=0.0, prefill_attention_scale=1.0, expert_compute_scale=1.0, measured_gemm=0.0,
    measured_moe=0.0, kv_memory_fraction=DEFAULT_KV_MEMORY_FRACTION, kv_fraction_of_free=0.0, kv_reserve_request=0.0,
    chunked_kv_full=0.0, sliding_kv_full=0.0, chunked_reads_per_query_head=0.0, expert_load_dispersion=0.0,
    moe_token_cost_s_per_element=0.0, server_utilization=1.0, context_attention_measured=0.0,
)
