"""Serving: iteration time of continuous batching, TTFT, TPOT, throughput, scenarios.

Steady state of an aggregated engine with chunked prefill and ``B`` concurrent
sequences per replica: every iteration advances each sequence by one token
(``B`` decode tokens at mean context ``isl + osl/2``) and, because a sequence
finishes every ``osl`` iterations and is replaced, prefills ``B * isl / osl``
new tokens on average. So

    TPOT = T_iter(B),    throughput per replica = B / T_iter(B)

A new request waits half an iteration on average, then its prompt is processed in
``ceil(isl / chunk)`` iterations, each carrying one chunk of it (the last one the
remainder) beside the decode batch: ``TTFT = T_iter / 2 + sum over chunks T_iter(B, chunk)``.

The p99 latencies that MLPerf Server/Interactive limits apply to are approximated
as multiples of these means (``Efficiency.p99_ttft_factor`` / ``p99_tpot_factor``; defaults
``arrays.P99_TTFT_FACTOR``, ``arrays.P99_TPOT_FACTOR``), the medians of the mean/p99 pairs in the MLPerf
Inference logs of the rows a fit uses (see docs/engine.md).

Each forward pass is a sum of per-operation rooflines on one device of a stage:
``max(FLOP / (peak * compute_eff), bytes / (bandwidth * memory_eff))`` for the
linear layers (routed experts at the dense rate scaled by rows and width per expert), the same
for attention (computing at ``attention_eff``: no FP4 GEMM scale), once for the decode tokens'
kernel and once for the prompts' (separate kernels: their times add), plus communication and
a per-step overhead that grows with the layers and the sequences the step carries
(``overhead_s + layer_overhead_s * layers + seq_overhead_s * sequences``). With ``pp`` stages
the batch runs as ``pp`` micro-batches, so ``T_iter = pp * t_stage``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from statistics import NormalDist
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import comm, speculative
from .arrays import Efficiency, HardwareArrays, ModelArrays, _Columns
from .memory import (
    chunk_offset_mean,
    decode_context_layers,
    kv_bytes_sequence,
    kv_elements_per_token_layer,
    kv_model,
    kv_shards,
    max_concurrency,
    weight_groups,
    wraps_chunk,
)
from .ops import (
    attention_flops_decode,
    attention_flops_prefill,
    attention_flops_prefill_tokens,
    expert_flops_per_token,
    linear_flops_per_token,
    lm_head_flops_per_token,
    weight_bytes_read,
)

ACTIVATION_BYTES = 2.0  # hidden states move between devices in 16-bit
DEFAULT_CHUNK_TOKENS = 8192  # TensorRT-LLM default max_num_tokens
MAX_BATCH_PER_RANK = 2048  # TensorRT-LLM default max_batch_size (per attention rank)
BOUNDS = ("compute", "memory", "communication", "overhead")
# the terms pass_time reports into its ``parts`` dict [s per iteration]: the first six add up to the
# iteration's time; the last three say what the linear layers' time is made of (routed experts' and
# kept-precision GEMMs' compute, weight streaming: the linear layers take the larger of compute and
# streaming, or the measured kernels' time)
PASS_PARTS = ("linear", "attention_compute", "attention_memory", "moe_token_work", "communication", "overhead",
              "linear_experts_compute", "linear_kept_compute", "linear_weight_streaming")


@dataclass(frozen=True)
class ParallelConfig(_Columns):
    """Deployment choices, one entry per configuration (arrays broadcast).

    ``tp``/``pp``/``ep`` parallel degrees of one replica (``tp * pp`` devices; experts
    split ``ep`` ways inside the ``tp`` group); ``replicas`` data-parallel copies;
    ``dp_attention`` > 0 runs attention data-parallel inside the stage (MLA models with EP);
    ``weight_bytes_per_param``, ``kv_bytes_per_element`` storage; ``gemm_flop_per_s`` and
    ``attention_flop_per_s`` the datasheet peaks for the compute dtypes; ``isl``/``osl``
    mean input/output tokens (``osl_cv`` the output lengths' std/mean); ``chunk_tokens`` prefill
    chunk; ``disaggregated`` > 0 runs prefill on separate replicas of the same shape.
    Speculative decoding (``engine.speculative``): ``draft_tokens`` drafted per sequence and step
    (0 = off), ``acceptance_rate`` per drafted token, the draft as ``draft_layers`` layers of the
    target's shape (``draft_moe_layers`` MoE).
    Weight groups a low-bit checkpoint keeps at a higher precision (``deployment.problem.kept_formats``):
    the attention projections at ``attention_weight_bytes_per_param`` computing at
    ``attention_proj_flop_per_s``, the LM head at ``head_weight_bytes_per_param`` / ``head_flop_per_s``;
    0 = quantized with the rest.
    Prompt attention measured on the configuration's stack x chip x KV dtype x head size
    (efficiency.yaml ``context_attention``, applied where ``Efficiency.context_attention_measured``):
    ``prefill_attention_flop_per_s`` per device, for the causal pairs plus
    ``prefill_attention_pairs_per_token`` pairs per prompt token and layer; 0 = none.
    """

    tp: np.ndarray
    pp: np.ndarray
    ep: np.ndarray
    replicas: np.ndarray
    dp_attention: np.ndarray
    weight_bytes_per_param: np.ndarray
    kv_bytes_per_element: np.ndarray
    gemm_flop_per_s: np.ndarray
    attention_flop_per_s: np.ndarray
    isl: np.ndarray
    osl: np.ndarray
    chunk_tokens: np.ndarray
    disaggregated: np.ndarray
    draft_tokens: np.ndarray | float = 0.0
    acceptance_rate: np.ndarray | float = 0.0
    draft_layers: np.ndarray | float = 0.0
    draft_moe_layers: np.ndarray | float = 0.0
    osl_cv: np.ndarray | float = 0.0
    attention_weight_bytes_per_param: np.ndarray | float = 0.0
    attention_proj_flop_per_s: np.ndarray | float = 0.0
    head_weight_bytes_per_param: np.ndarray | float = 0.0
    head_flop_per_s: np.ndarray | float = 0.0
    prefill_attention_flop_per_s: np.ndarray | float = 0.0
    prefill_attention_pairs_per_token: np.ndarray | float = 0.0


@dataclass(frozen=True)
class PassTime:
    """Components of one iteration [s] and the work it did."""

    total_s: np.ndarray
    compute_s: np.ndarray
    memory_s: np.ndarray
    comm_s: np.ndarray
    overhead_s: np.ndarray
    flop: np.ndarray
    bytes: np.ndarray


def expert_gemm_rate(gemm_rate: ArrayLike, rows_per_expert: ArrayLike, width: ArrayLike, eff: Efficiency) -> np.ndarray:
    """FLOP/s of a grouped routed-expert GEMM on one device: the dense ``gemm_rate`` at a
    further ``width / (width + moe_half_width)`` (``width``: the expert's intermediate columns
    per device) and ``rows / (rows + moe_half_tokens)`` (``rows``: tokens per expert)."""
    rows, w = np.asarray(rows_per_expert, float), np.asarray(width, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.asarray(gemm_rate, float) * (w / (w + eff.moe_half_width))) * (rows / (rows + eff.moe_half_tokens))


# expected maximum of n independent standard normals, n = 1 .. 1,024, by Blom's approximation
# Phi^-1((n - 0.375) / (n + 0.25)): 0 at n = 1, 0.589 at n = 2 (exactly 1 / sqrt(pi) = 0.564), 1.434 at
# n = 8 (1.424), 2.380 at n = 72 (2.388)
_MAX_RANKS = np.arange(1, 1025, dtype=float)
_EXPECTED_MAX_NORMAL = np.array([NormalDist().inv_cdf((n - 0.375) / (n + 0.25)) for n in _MAX_RANKS])


def ep_straggler(assignments: ArrayLike, ep: ArrayLike, dispersion: ArrayLike) -> np.ndarray:
    """Load of the most loaded of ``ep`` expert-parallel ranks over the mean rank's [-]:
    ``1 + z(ep) sqrt(dispersion / L)``, ``L`` the token-expert ``assignments`` of the pass per rank
    (tokens x experts per token / ep) and ``z(ep)`` the expected maximum of ``ep`` standard normals;
    1 at ``ep`` = 1, with no assignments, or at dispersion 0; at most ``ep`` (one rank carrying every
    assignment), which binds only below about one assignment per rank (docs/engine.md)."""
    per_rank, ranks = np.asarray(assignments, float), np.maximum(np.asarray(ep, float), 1.0)
    z = np.interp(ranks, _MAX_RANKS, _EXPECTED_MAX_NORMAL)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = z * np.sqrt(np.asarray(dispersion, float) / per_rank)
    return np.minimum(1.0 + np.where((per_rank > 0) & np.isfinite(spread), spread, 0.0), ranks)


def chunked_rereads(m: ModelArrays, eff: Efficiency, isl: ArrayLike, osl: ArrayLike) -> np.ndarray:
    """Token-layers a decode token's attention reads again, beyond those it attends to, where the
    stack's kernel reads a chunked-attention layer's chunk once per query head
    (``Efficiency.chunked_reads_per_query_head``) and the request outgrows the chunk: its chunked
    layers' ``chunk_offset_mean`` tokens ``heads / kv_heads - 1`` more times (4 for
    Llama-4-Maverick's 40 query and 8 KV heads) [token-layers]."""
    heads_per_kv = m.num_attention_heads / np.maximum(m.num_kv_heads, 1.0)
    extra = m.num_sliding_layers * chunk_offset_mean(isl, osl, m.sliding_window_tokens) * (heads_per_kv - 1.0)
    return np.where(wraps_chunk(m, isl, osl) & (np.asarray(eff.chunked_reads_per_query_head) > 0), extra, 0.0)


# pass_time and steady_state run over 60 lines on purpose: each is one block of equations
# (docs/engine.md) whose terms are easier to check side by side than split across helpers.
def pass_time(
    m: ModelArrays, hw: HardwareArrays, eff: Efficiency, cfg: ParallelConfig, n_decode: ArrayLike, context: ArrayLike,
        n_prefill: ArrayLike,
    groups: dict[str, np.ndarray] | None = None, queries_per_sequence: ArrayLike = 1.0,
    parts: dict[str, np.ndarray] | None = None,
) -> PassTime:
    """Time of one iteration of a replica carrying ``n_decode`` decode tokens at mean
    ``context`` and ``n_prefill`` prompt tokens (prompts of ``cfg.isl`` tokens).
    ``groups`` may pass ``memory.weight_groups(m)`` when the caller already has it.
    ``queries_per_sequence`` decode tokens of one sequence share one read of its KV cache
    (speculative verification of ``k + 1`` tokens). A ``parts`` dict, where given, receives the
    iteration's terms [s] (:data:`PASS_PARTS`; those marked additive sum to ``total_s``)."""
    if groups is None:
        groups = weight_groups(m)
    # Terms are grouped so that what depends only on the configuration (model, chip, split) is
    # computed at the configuration's size, and each token-dependent term costs one product:
    # steady_state evaluates several token counts per configuration at once.
    tp, pp = np.asarray(cfg.tp, float), np.asarray(cfg.pp, float)
    n_dec = np.asarray(n_decode, float)
    n_pre = np.asarray(n_prefill, float)
    dpa = np.asarray(cfg.dp_attention) > 0
    n_mb = (n_dec + n_pre) / pp  # tokens of one micro-batch
    devices_per_stage = tp
    share = 1.0 / pp  # a stage's share of the layers, and a micro-batch's of the replica's tokens
    # linear layers
    prompts = np.where(cfg.isl > 0, n_pre / np.maximum(cfg.isl, 1.0), 0.0)
    f_exp = n_mb * (expert_flops_per_token(m) * share)
    # the LM head runs for the decode tokens and the last token of each prompt only
    logits_mb = (n_dec + np.minimum(prompts, n_pre)) * share
    head_flop = lm_head_flops_per_token(m)
    f_head = logits_mb * (head_flop * share)
    f_proj = n_mb * (2.0 * groups["attention"] * share)  # attention projections (Q/K/V/O)
    f_other = n_mb * ((linear_flops_per_token(m, groups) - head_flop - 2.0 * groups["attention"]) * share) - f_exp
    f_lin = f_other + f_exp + f_proj + f_head
    b_lin = weight_bytes_read(m, cfg.weight_bytes_per_param, n_mb, np.where(dpa, tp, 1.0), groups,
                              cfg.attention_weight_bytes_per_param, cfg.head_weight_bytes_per_param) / pp
    gemm_rate = cfg.gemm_flop_per_s * eff.compute_eff
    ep = np.asarray(cfg.ep, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rows_per_expert = n_mb * np.where(m.num_experts > 0, m.experts_per_token / np.maximum(m.num_experts, 1), 0)
        width = m.moe_intermediate_size * np.maximum(ep, 1.0) / tp  # expert slice per device
        expert_scale = np.where(eff.expert_compute_scale > 0, eff.expert_compute_scale, 1.0)  # 0 = not given = 1
        moe_rate = expert_gemm_rate(gemm_rate * expert_scale, rows_per_expert, width, eff)
        # the most loaded expert-parallel rank sets the layer's pace: its expert GEMMs and the
        # all-to-all bytes it receives
        straggler = ep_straggler(n_mb * m.experts_per_token / np.maximum(ep, 1.0), ep, eff.expert_load_dispersion)
        t_exp = np.where(f_exp > 0, f_exp * straggler / moe_rate, 0.0)
        # data-parallel attention: each device's dense GEMMs carry its own share of the tokens
        def row_efficiency(tokens: np.ndarray) -> np.ndarray:
            n_dev = np.where(dpa, tokens / tp, tokens)
            return np.where(n_dev > 0, n_dev / (n_dev + eff.gemm_half_tokens), 1.0)

        rows = row_efficiency(n_mb)
        dense_rate = gemm_rate * rows
        # layers a checkpoint keeps at a higher precision compute at that dtype's peak, at the
        # stack's efficiency without the low-bit scale (as attention does); 0 = with the rest
        kept_eff = eff.attention_eff
        proj_peak = np.asarray(cfg.attention_proj_flop_per_s)
        proj_rate = np.where(proj_peak > 0, proj_peak * kept_eff, gemm_rate) * rows
        head_rate = (np.where(np.asarray(cfg.head_flop_per_s) > 0, cfg.head_flop_per_s * kept_eff, gemm_rate)
                     * row_efficiency(logits_mb))
        t_kept = np.where(f_proj > 0, f_proj / proj_rate, 0.0) + np.where(f_head > 0, f_head / head_rate, 0.0)
    t_lin_c = (f_other / dense_rate + t_kept + t_exp) / devices_per_stage
    stage_bw = devices_per_stage * (hw.memory_bandwidth_bytes_per_s * eff.memory_eff)
    t_lin_m = b_lin / stage_bw
    # attention: decode reads the KV cache it attends to (a chunked layer: its token's chunk so far,
    # however much the stack caches; some kernels read it once per query head); prefill computes
    # causal attention and writes KV
    share2 = share * share  # the replica's sequences, one micro-batch of them, one stage's layers
    ctx_layers = decode_context_layers(m, context, cfg.isl, cfg.osl)
    f_att_dec = n_dec * (attention_flops_decode(m, context, ctx_layers) * share2)
    f_att_pre = prompts * (attention_flops_prefill(m, cfg.isl) * share2)
    f_att = f_att_dec + f_att_pre
    read_layers = ctx_layers + chunked_rereads(m, eff, cfg.isl, cfg.osl)
    b_att_dec = n_dec * (kv_elements_per_token_layer(m) * read_layers * cfg.kv_bytes_per_element
                         / np.asarray(queries_per_sequence, float) * share2)
    b_att_pre = n_pre * (kv_elements_per_token_layer(m) * m.num_layers * cfg.kv_bytes_per_element * share2)
    b_att = b_att_dec + b_att_pre
    # prompt attention at its own scale; 0 (a column left out of Efficiency.stack) = neutral 1
    p_scale = np.where(eff.prefill_attention_scale > 0, eff.prefill_attention_scale, 1.0)
    att_rate = devices_per_stage * (cfg.attention_flop_per_s * eff.attention_eff)
    # a mixed batch runs its generation requests and its context requests through different
    # attention kernels one after the other (memory-bound decode, compute-bound prompts): one
    # roofline each, summed, so neither hides behind the other
    t_dec_c, t_dec_m = f_att_dec / att_rate, b_att_dec / stage_bw
    t_pre_c, t_pre_m = f_att_pre * (1.0 / p_scale) / att_rate, b_att_pre / stage_bw
    # where the stack's own kernels were timed and the fidelity reads them: their measured law (the
    # causal pairs plus a per-token share)
    law_rate = np.asarray(cfg.prefill_attention_flop_per_s, float) * np.asarray(eff.context_attention_measured, float)
    if np.any(law_rate > 0):
        f_law = f_att_pre + prompts * (attention_flops_prefill_tokens(m, cfg.isl, cfg.prefill_attention_pairs_per_token)
                                       * share2)
        with np.errstate(divide="ignore", invalid="ignore"):
            t_pre_c = np.where(law_rate > 0, f_law / (devices_per_stage * law_rate), t_pre_c)
    t_att_c = np.where(t_dec_c >= t_dec_m, t_dec_c, 0.0) + np.where(t_pre_c >= t_pre_m, t_pre_c, 0.0)
    t_att_m = np.where(t_dec_c < t_dec_m, t_dec_m, 0.0) + np.where(t_pre_c < t_pre_m, t_pre_m, 0.0)
    # communication inside one stage, per micro-batch
    bw_tp = comm.link_bandwidth(tp, hw.scale_up_domain, hw.scale_up_bytes_per_s, hw.scale_out_bytes_per_s,
                                 hw.scale_up_mesh_peers)
    act = n_mb * (m.hidden_size * ACTIVATION_BYTES)
    alpha, neff = eff.collective_latency_s, eff.network_eff
    ar = comm.allreduce_time(act, tp, bw_tp, alpha, neff)
    a2a_bytes = n_mb * (2.0 * m.experts_per_token * m.hidden_size * ACTIVATION_BYTES / tp) * straggler
    moe_tp = tp / np.maximum(ep, 1.0)
    # the expert-parallel and the expert tensor-parallel groups sit inside the tp group: on a full
    # mesh each reaches only its own members' links
    bw_ep = comm.link_bandwidth(tp, hw.scale_up_domain, hw.scale_up_bytes_per_s, hw.scale_out_bytes_per_s,
                                 hw.scale_up_mesh_peers, links_used=ep - 1.0)
    bw_moe_tp = comm.link_bandwidth(tp, hw.scale_up_domain, hw.scale_up_bytes_per_s, hw.scale_out_bytes_per_s,
                                     hw.scale_up_mesh_peers, links_used=moe_tp - 1.0)
    a2a = 2.0 * comm.alltoall_time(a2a_bytes / 2.0, ep, bw_ep, eff.alltoall_latency_s, neff)
    moe_ar = comm.allreduce_time(act, moe_tp, bw_moe_tp, alpha, neff)
    layers = m.num_layers / pp
    moe_layers = m.num_moe_layers / pp
    dense_layers = layers - moe_layers
    # all-reduces after attention (unless data-parallel) and after each dense MLP; an MoE layer's
    # all-to-all and expert all-reduce where experts are split, else its all-reduce
    ar_layers = np.where(dpa, 0.0, layers) + dense_layers + np.where(ep > 1, 0.0, moe_layers)
    t_comm = ar_layers * ar + np.where(ep > 1, moe_layers, 0.0) * (a2a + moe_ar)
    if np.any(pp > 1):
        bw_pp = comm.link_bandwidth(tp * pp, hw.scale_up_domain, hw.scale_up_bytes_per_s, hw.scale_out_bytes_per_s,
                                     hw.scale_up_mesh_peers, links_used=1.0)  # each device sends to one peer
        t_comm = t_comm + np.where(pp > 1, comm.p2p_time(act / tp, bw_pp, alpha, neff), 0.0)
    sequences = n_dec + prompts  # sequences of one micro-batch, times pp (decode + prompts it carries)
    overhead = np.broadcast_to((eff.overhead_s + eff.layer_overhead_s * layers) + sequences * (eff.seq_overhead_s * share),
                               np.shape(t_comm))
    # per-token work of an MoE layer (routing, permutation, finalize) that every rank does for the
    # micro-batch's tokens however the experts are split
    t_route = moe_layers * n_mb * (m.experts_per_token * m.hidden_size * eff.moe_token_cost_s_per_element)
    t_lin = np.maximum(t_lin_c, t_lin_m)
    measured = (np.asarray(eff.measured_gemm) > 0) | (np.asarray(eff.measured_moe) > 0)
    if np.any(measured):
        t_measured, moe_timed = _measured_linear(m, hw, eff, cfg, n_mb, dpa, groups, f_lin - f_exp, t_exp, b_lin,
                                                 gemm_rate)
        t_lin = np.where(measured, t_measured, t_lin)
        # a measured MoE layer time already holds that work; a shape or split the table lacks keeps it
        t_route = np.where(measured & moe_timed, 0.0, t_route)
    t_att = t_att_c + t_att_m  # each kernel's bound: its compute or its memory time
    t_stage = t_lin + t_att + t_route + t_comm + overhead
    if parts is not None:  # a diagnostic (benchmarks/step_parts.py), off the engine's hot path
        terms = (t_lin, t_att_c, t_att_m, t_route, t_comm, overhead,
                 t_exp / devices_per_stage, t_kept / devices_per_stage, t_lin_m)
        parts.update({name: pp * np.asarray(v, float) for name, v in zip(PASS_PARTS, terms)})
    compute = np.where(t_lin_c >= t_lin_m, t_lin, 0.0) + t_att_c + t_route
    memory = np.where(t_lin_c < t_lin_m, t_lin, 0.0) + t_att_m
    return PassTime(
        total_s=pp * t_stage,
        compute_s=pp * compute,
        memory_s=pp * memory,
        comm_s=pp * t_comm,
        overhead_s=pp * overhead,
        flop=(f_lin + f_att) * (pp * pp),
        bytes=(b_lin + b_att) * (pp * pp),
    )


def _plus(a: PassTime, b: PassTime) -> PassTime:
    return PassTime(**{f.name: getattr(a, f.name) + getattr(b, f.name) for f in fields(PassTime)})


def step_time(
    m: ModelArrays, hw: HardwareArrays, eff: Efficiency, cfg: ParallelConfig, n_seq: ArrayLike, context: ArrayLike,
    n_prefill: ArrayLike, groups: dict[str, np.ndarray] | None = None,
) -> tuple[PassTime, np.ndarray]:
    """One decode step of ``n_seq`` sequences (with ``n_prefill`` prompt tokens beside them)
    and the tokens each sequence advances in it. Without speculation: one pass, 1 token.
    With ``k = cfg.draft_tokens``: the target verifies ``k + 1`` tokens per sequence in one
    pass, plus ``k`` sequential draft passes over ``n_seq`` tokens (the first one also over
    the prompt tokens; no fixed per-step overhead, which the step pays once), and each
    sequence advances ``speculative.tokens_per_step(a, k)`` tokens (docs/engine.md)."""
    k = np.asarray(cfg.draft_tokens, float)
    q = k + 1.0
    n = np.asarray(n_seq, float)
    t = pass_time(m, hw, eff, cfg, n * q, context, n_prefill, groups, q)
    if np.any(k > 0):
        dm = speculative.draft_model(m, cfg.draft_layers, cfg.draft_moe_layers)
        deff = replace(eff, overhead_s=0.0 * np.asarray(eff.overhead_s))
        first = pass_time(dm, hw, deff, cfg, n, context, n_prefill)
        rest = pass_time(dm, hw, deff, cfg, n, context, 0.0)
        on = (k > 0).astype(float)
        draft = PassTime(**{f.name: on * getattr(first, f.name) + np.maximum(k - 1.0, 0.0) * getattr(rest, f.name)
                            for f in fields(PassTime)})
        t = _plus(t, draft)
    return t, speculative.tokens_per_step(cfg.acceptance_rate, k)


def _measured_linear(m: ModelArrays, hw: HardwareArrays, eff: Efficiency, cfg: ParallelConfig, n_mb: np.ndarray,
                     dpa: np.ndarray, groups: dict[str, np.ndarray], f_dense: np.ndarray, t_exp: np.ndarray,
                     b_lin: np.ndarray, gemm_rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Linear layers of one stage with measured kernel times (``measured_kernels``): dense GEMMs
    at the achieved FLOP/s of ``n_mb`` rows (memory- and compute-bound regimes both measured),
    MoE layers at the measured layer time of the model's shape and split; each part keeps the
    calibrated roofline where the database has no entry. Returns the time and where the MoE
    layers were timed by the table."""
    from .measured_kernels import gemm_rate as measured_rate
    from .measured_kernels import model_moe_time

    tp, pp = np.asarray(cfg.tp, float), np.asarray(cfg.pp, float)
    bw = hw.memory_bandwidth_bytes_per_s * eff.memory_eff
    b_dense = weight_bytes_read(m, cfg.weight_bytes_per_param, 0.0, np.where(dpa, tp, 1.0), groups,
                                cfg.attention_weight_bytes_per_param, cfg.head_weight_bytes_per_param) / pp
    rate = measured_rate(eff.measured_gemm, n_mb)
    t_dense = np.where(rate > 0, f_dense / tp / np.where(rate > 0, rate, 1.0),
                       np.maximum(f_dense / tp / gemm_rate, b_dense / tp / bw))
    layer_s = model_moe_time(eff.measured_moe, m, cfg, n_mb)
    timed = np.isfinite(layer_s) & (np.asarray(m.num_moe_layers) > 0)
    t_moe = np.where(timed, m.num_moe_layers / pp * np.nan_to_num(layer_s),
                     np.maximum(t_exp / tp, (b_lin - b_dense) / tp / bw))
    return t_dense + np.where(m.num_moe_layers > 0, t_moe, 0.0), timed


@dataclass(frozen=True)
class ServingPoint:
    """Steady state at a given concurrency, per configuration."""

    concurrency: np.ndarray  # sequences per replica
    fits: np.ndarray
    max_concurrency: np.ndarray
    memory_per_device_bytes: np.ndarray
    weights_per_device_bytes: np.ndarray
    ttft_s: np.ndarray
    tpot_s: np.ndarray
    ttft_p99_s: np.ndarray
    tpot_p99_s: np.ndarray
    throughput_output_tok_per_s: np.ndarray  # whole deployment
    throughput_per_device_tok_per_s: np.ndarray
    bound: np.ndarray  # index into BOUNDS
    mfu: np.ndarray
    mbu: np.ndarray
    time_shares: dict[str, np.ndarray]


def fieldwise(fn: Any, *points: ServingPoint) -> ServingPoint:
    """A point whose every array is ``fn`` of the same array of each of ``points`` (the arrays
    of ``time_shares`` one by one): picking, merging, stacking points field by field."""
    def one(*vals: Any) -> Any:
        if isinstance(vals[0], dict):
            return {k: fn(*(v[k] for v in vals)) for k in vals[0]}
        return fn(*vals)

    return ServingPoint(**{f.name: one(*(getattr(p, f.name) for p in points)) for f in fields(ServingPoint)})


def live_context(isl: ArrayLike, osl: ArrayLike, osl_cv: ArrayLike = 0.0) -> np.ndarray:
    """Mean context of the sequences in flight [tokens]. A sequence of ``o`` output tokens stays
    ``o`` steps, so the batch holds long outputs in proportion to their length: over a workload
    whose output lengths have mean ``osl`` and coefficient of variation ``osl_cv``, the live
    sequences have generated ``E[o^2] / (2 E[o]) = osl (1 + cv^2) / 2`` tokens on average
    (uniform lengths: ``osl / 2``)."""
    cv = np.asarray(osl_cv, float)
    return np.asarray(isl, float) + np.asarray(osl, float) * (1.0 + cv * cv) / 2.0


def request_context(isl: ArrayLike, osl: ArrayLike, osl_cv: ArrayLike = 0.0) -> np.ndarray:
    """KV room a live sequence holds under a stack that admits a request only with room for its
    whole prompt and output [tokens]: the length-weighted mean request, ``isl + osl (1 + cv^2)``
    (``live_context`` with the whole output instead of the half generated on average)."""
    cv = np.asarray(osl_cv, float)
    return np.asarray(isl, float) + np.asarray(osl, float) * (1.0 + cv * cv)


def steady_state(
    m: ModelArrays, hw: HardwareArrays, eff: Efficiency, cfg: ParallelConfig, concurrency: ArrayLike
) -> ServingPoint:
    """Serving metrics at ``concurrency`` sequences per replica (arrays broadcast)."""
    B = np.asarray(concurrency, float)
    isl, osl = np.asarray(cfg.isl, float), np.asarray(cfg.osl, float)
    ctx = live_context(isl, osl, cfg.osl_cv)
    dis = np.asarray(cfg.disaggregated) > 0
    chunk = np.asarray(cfg.chunk_tokens, float)
    groups = weight_groups(m)
    tokens = speculative.tokens_per_step(cfg.acceptance_rate, cfg.draft_tokens)  # per sequence and step
    n_pre = np.where(dis, 0.0, B * tokens * isl / osl)
    # TTFT: aggregated = wait + the iterations that carry this prompt
    pre_chunk = np.minimum(isl, chunk)
    n_chunks = np.ceil(isl / chunk)
    last_chunk = isl - (n_chunks - 1.0) * chunk
    # the mean step, the step that carries a prompt chunk and (where a prompt takes several
    # chunks) the one that carries its last chunk, evaluated together along a new first axis:
    # what depends only on the configuration is computed once for the three
    beside = np.where(dis, 0.0, B)
    n_dec, n_new = [B, beside], [n_pre, pre_chunk]
    if np.any(n_chunks > 1):
        n_dec.append(beside)
        n_new.append(last_chunk)
    shape = np.broadcast_shapes(m.broadcast_shape(), hw.broadcast_shape(), eff.broadcast_shape(),
                                cfg.broadcast_shape(), np.shape(B))
    steps, _ = step_time(m, hw, eff, cfg, np.stack([np.broadcast_to(x, shape) for x in n_dec]), ctx,
                         np.stack([np.broadcast_to(x, shape) for x in n_new]), groups)
    it, with_prompt = (PassTime(**{f.name: np.broadcast_to(getattr(steps, f.name), (len(n_dec), *shape))[i]
                                   for f in fields(PassTime)}) for i in (0, 1))
    t_iter = it.total_s
    # every prompt fits in one chunk: the last chunk is the whole prompt
    with_last = steps.total_s[2] if len(n_dec) > 2 else with_prompt.total_s
    prompt_s = (n_chunks - 1.0) * with_prompt.total_s + with_last
    # disaggregated: the prompt runs alone on a prefill replica, then KV moves over scale-out
    mk = kv_model(m, eff.chunked_kv_full, eff.sliding_kv_full)  # the model as the stack holds its KV cache
    kv_move = kv_bytes_sequence(mk, cfg.kv_bytes_per_element, isl) / (
        hw.scale_out_bytes_per_s * eff.network_eff * cfg.tp * cfg.pp
    )
    ttft = 0.5 * t_iter + prompt_s + np.where(dis, kv_move, 0.0)
    per_replica = B * tokens / t_iter
    # disaggregated: extra prefill replicas sized to the prompt rate
    prefill_rate_per_replica = pre_chunk / with_prompt.total_s  # prompt tokens/s of one prefill replica
    extra = np.where(dis, per_replica / osl * isl / prefill_rate_per_replica, 0.0)
    deployment = per_replica * cfg.replicas / (1.0 + extra)
    devices = cfg.tp * cfg.pp * cfg.replicas
    q = np.asarray(cfg.draft_tokens, float) + 1.0
    act_tokens = np.where(dis, B * q, B * q + chunk)
    # a draft's weights (sharded like the target's) and KV cache (same shards) take memory too
    # the KV room a live sequence holds: its context, or its whole request where the stack reserves it
    reserved = np.where(np.asarray(eff.kv_reserve_request) > 0, request_context(isl, osl, cfg.osl_cv), ctx)
    kv_seq = kv_bytes_sequence(mk, cfg.kv_bytes_per_element, reserved)
    draft_w: np.ndarray | float = 0.0
    kv_scale: np.ndarray | float = 1.0
    if np.any(q > 1.0):
        draft_w = speculative.draft_weight_bytes(m, cfg.draft_layers, cfg.draft_moe_layers,
                                                 cfg.weight_bytes_per_param) / (cfg.tp * cfg.pp)
        kv_scale = 1.0 + speculative.draft_kv_bytes_sequence(m, cfg.draft_layers, cfg.kv_bytes_per_element,
                                                             reserved) / kv_seq
    mc, w_dev = max_concurrency(
        mk, hw.memory_bytes, cfg.weight_bytes_per_param,
        np.asarray(cfg.kv_bytes_per_element) * kv_scale, cfg.tp, cfg.pp, cfg.dp_attention, reserved, act_tokens,
        cfg.attention_weight_bytes_per_param, cfg.head_weight_bytes_per_param,
        eff.kv_memory_fraction, eff.kv_fraction_of_free, draft_w, groups,  # kv_model keeps every weight
    )
    w_dev = np.asarray(w_dev + draft_w)
    cap = MAX_BATCH_PER_RANK * np.where(np.asarray(cfg.dp_attention) > 0, cfg.tp, 1.0)
    mc = np.minimum(mc, cap)
    fits = (mc >= np.maximum(B, 1.0)) & (w_dev > 0)
    kv_dev = B * kv_seq * kv_scale / (kv_shards(m, cfg.tp, cfg.dp_attention) * cfg.pp)
    parts = np.stack(np.broadcast_arrays(it.compute_s, it.memory_s, it.comm_s, it.overhead_s))
    bound = np.argmax(parts, axis=0)
    n_dev_rep = cfg.tp * cfg.pp
    mfu = it.flop / (t_iter * n_dev_rep * cfg.gemm_flop_per_s)
    mbu = it.bytes / (t_iter * n_dev_rep * hw.memory_bandwidth_bytes_per_s)
    shares = {name: p / t_iter for name, p in zip(BOUNDS, parts)}
    return ServingPoint(
        concurrency=B * np.ones_like(t_iter),
        fits=fits,
        max_concurrency=mc,
        memory_per_device_bytes=w_dev + kv_dev,
        weights_per_device_bytes=w_dev,
        ttft_s=ttft,
        tpot_s=t_iter / tokens,
        ttft_p99_s=eff.p99_ttft_factor * ttft,
        tpot_p99_s=eff.p99_tpot_factor * t_iter / tokens,
        throughput_output_tok_per_s=deployment,
        throughput_per_device_tok_per_s=deployment / devices,
        bound=bound,
        mfu=mfu,
        mbu=mbu,
        time_shares=shares,
    )


def concurrency_grid(n_points: int = 40, max_batch: int = 16384) -> np.ndarray:
    """Candidate concurrencies: 1..max_batch, geometric, unique integers."""
    return np.unique(np.round(np.geomspace(1, max_batch, n_points)))


REFINE_POINTS = 8  # concurrencies tried between the best grid point and the next one up


def _pick(pt: ServingPoint, index: np.ndarray) -> ServingPoint:
    """The point at ``index`` along the last axis of every field (configurations before it)."""
    shape = np.shape(pt.throughput_output_tok_per_s)
    return fieldwise(lambda a: np.take_along_axis(np.broadcast_to(a, shape), index[..., None], axis=-1)[..., 0], pt)


def _extended(*objs: Any) -> list[Any]:
    """Each column set with a new last axis, for evaluation against a grid of concurrencies."""
    return [type(o)(**{k: np.asarray(v)[..., None] for k, v in o.__dict__.items()}) for o in objs]


def sustained(pt: ServingPoint, utilization: ArrayLike) -> ServingPoint:
    """``pt`` as a server carries it: its throughput times ``utilization``, the share of its
    limit-bound steady-state capacity a deployment under latency limits sustains (a server under
    random arrivals runs below the load at which its p99 latencies just meet them;
    ``Efficiency.server_utilization`` where fitted, 1 = none). The concurrency and latencies stay
    those the limits were checked at. ``utilization`` is per configuration along axis 0."""
    u = np.asarray(utilization, float)
    u = u.reshape(u.shape + (1,) * (np.ndim(pt.throughput_output_tok_per_s) - u.ndim))
    return replace(pt, throughput_output_tok_per_s=pt.throughput_output_tok_per_s * u,
                   throughput_per_device_tok_per_s=pt.throughput_per_device_tok_per_s * u)


def carried_share(utilization: ArrayLike, ttft_limit_s: ArrayLike, tpot_limit_s: ArrayLike,
                  closed_loop: ArrayLike = False) -> np.ndarray:
    """The share :func:`sustained` applies, per configuration: ``utilization`` where a TTFT or TPOT
    limit is finite, 1 without one (offline) or in a ``closed_loop`` (a stated concurrency: what a
    benchmark at a fixed concurrency runs)."""
    limited = (np.isfinite(np.asarray(ttft_limit_s, float)) | np.isfinite(np.asarray(tpot_limit_s, float))) \
        & ~np.asarray(closed_loop, bool)
    return np.where(limited, np.asarray(utilization, float), 1.0)


def meets_limits(pt: ServingPoint, ttft_limit_s: ArrayLike, tpot_limit_s: ArrayLike) -> np.ndarray:
    """Fits in memory, p99 latencies under the limits (``inf`` = none), a finite throughput."""
    ex = lambda a: np.asarray(a, float)[..., None]
    return (pt.fits & (pt.ttft_p99_s <= ex(ttft_limit_s)) & (pt.tpot_p99_s <= ex(tpot_limit_s))
            & np.isfinite(pt.throughput_output_tok_per_s))


def refined_point(
    m: ModelArrays, hw: HardwareArrays, eff: Efficiency, cfg: ParallelConfig, grid: np.ndarray, score: np.ndarray,
    ttft_limit_s: ArrayLike=np.inf, tpot_limit_s: ArrayLike=np.inf, n_points: int = REFINE_POINTS,
) -> tuple[ServingPoint, np.ndarray, np.ndarray]:
    """Between a configuration's best grid point (highest ``score``, the throughput of the points
    that meet the limits) and the next grid point up, ``n_points`` integer concurrencies spaced
    geometrically: the best of them that meets the limits, else the lowest. A latency limit or
    the memory fit is crossed somewhere in that gap; without this the answer stays on the grid
    point below it, up to one grid ratio (~1.28x) short in throughput. Where the gap holds no
    integer (small concurrencies) or the best point is the grid's last, the points lie between
    the grid's two highest points instead, so the result is still a concurrency off the grid.
    Returns the point, whether it meets the limits, and its concurrency (all per configuration)."""
    g = np.asarray(grid, float)
    best = np.argmax(score, axis=-1)
    lo_i = np.minimum(best, len(g) - 2)
    lo, hi = g[lo_i], g[lo_i + 1]
    frac = np.arange(1, n_points + 1) / (n_points + 1.0)
    fine = np.round(lo[..., None] * (hi / lo)[..., None] ** frac)
    room = (hi - lo > 1.0) & (best < len(g) - 1)
    top = np.round(g[-2] * (g[-1] / g[-2]) ** frac)
    fine = np.where(room[..., None], np.clip(fine, lo[..., None] + 1.0, hi[..., None] - 1.0), top)
    m2, hw2, eff2, cfg2 = _extended(m, hw, eff, cfg)
    pt = steady_state(m2, hw2, eff2, cfg2, fine)
    ok = meets_limits(pt, ttft_limit_s, tpot_limit_s)
    # the best that meets the limits; none does: the lowest (an off-grid candidate that fails)
    pick = np.where(ok.any(axis=-1), np.argmax(np.where(ok, pt.throughput_output_tok_per_s, -1.0), axis=-1), 0)
    return _pick(pt, pick), np.take_along_axis(ok, pick[..., None], axis=-1)[..., 0], \
        np.take_along_axis(fine, pick[..., None], axis=-1)[..., 0]


def capacity_point(
    m: ModelArrays, hw: HardwareArrays, eff: Efficiency, cfg: ParallelConfig, concurrency: ArrayLike,
    max_concurrency: ArrayLike,
) -> tuple[ServingPoint, np.ndarray, np.ndarray]:
    """Each configuration at its capacity, ``floor(max_concurrency)`` of a point already chosen
    (the KV cache's or the stack's batch cap's limit), where that lies above the point's
    ``concurrency``, else at ``concurrency`` again: the point (a last axis of length 1, as
    ``refined_point``'s grid), its concurrency, and whether it lies above. ``best_point`` and the
    planner's candidates (``deployment/candidates.py``) both try it."""
    cap = np.floor(np.asarray(max_concurrency, float))
    here = np.asarray(concurrency, float)
    room = np.isfinite(cap) & (cap > here)
    at_b = np.where(room, cap, here)
    m2, hw2, eff2, cfg2 = _extended(m, hw, eff, cfg)
    return steady_state(m2, hw2, eff2, cfg2, at_b[..., None]), at_b, room


def best_point(
    m: ModelArrays,
    hw: HardwareArrays,
    eff: Efficiency,
    cfg: ParallelConfig,
    ttft_limit_s: ArrayLike=np.inf,
    tpot_limit_s: ArrayLike=np.inf,
    grid: np.ndarray | None = None,
) -> tuple[ServingPoint, np.ndarray]:
    """Highest-throughput concurrency per configuration whose p99 TTFT/TPOT stay under
    the limits (``inf`` = offline) and whose KV cache fits. Returns the point at that
    concurrency and a boolean 'feasible' array. Configurations are along axis 0 and the
    grid along a new last axis, evaluated in one vectorized pass; then ``refined_point``
    tries the gap above each configuration's best grid point, so a limit crossed inside a
    gap costs at most ~3 % of throughput instead of up to one grid ratio (~28 %)."""
    g = concurrency_grid() if grid is None else np.asarray(grid, float)
    m2, hw2, eff2, cfg2 = _extended(m, hw, eff, cfg)
    pt = steady_state(m2, hw2, eff2, cfg2, g)
    ok = meets_limits(pt, ttft_limit_s, tpot_limit_s)
    score = np.where(ok, pt.throughput_output_tok_per_s, -1.0)
    best = np.argmax(score, axis=-1)
    feasible = np.take_along_axis(ok, best[..., None], axis=-1)[..., 0]
    chosen = _pick(pt, best)
    if len(g) > 1:  # between the best grid point and the next one up
        fine, fine_ok, _ = refined_point(m, hw, eff, cfg, g, score, ttft_limit_s, tpot_limit_s)
        better = fine_ok & (~feasible | (fine.throughput_output_tok_per_s > chosen.throughput_output_tok_per_s))
        chosen = fieldwise(lambda f, c: np.where(better, f, c), fine, chosen)
        feasible = feasible | fine_ok
    # the capacity itself (KV cache or batch cap): refinement stops at its last point below it
    at, _, room = capacity_point(m, hw, eff, cfg, chosen.concurrency, chosen.max_concurrency)
    if np.any(room):
        at_ok = meets_limits(at, ttft_limit_s, tpot_limit_s)[..., 0]
        at = _pick(at, np.zeros(np.shape(room), dtype=int))
        better = room & at_ok & (~feasible | (at.throughput_output_tok_per_s > chosen.throughput_output_tok_per_s))
        chosen = fieldwise(lambda a, c: np.where(better, a, c), at, chosen)
        feasible = feasible | better
    return chosen, feasible
