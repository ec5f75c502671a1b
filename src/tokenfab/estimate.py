"""One deployment, estimated: catalog lookup -> engine arrays -> best split -> result.

``estimate(...)`` is the Python entry point behind ``tokenfab estimate``. When the
parallelism is not given it evaluates every valid (tp, pp, ep, attention layout) split
of the accelerators, each across a grid of concurrencies, in one vectorized pass, and
keeps the one with the highest throughput that fits (and meets the latency limits in
server/interactive scenarios), as benchmark submitters tune theirs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from . import efficiency as _eff
from .catalog import Accelerator, Catalog, ModelSpec, load_catalog
from .engine import BOUNDS, Efficiency, HardwareArrays, ModelArrays, ParallelConfig, best_point, steady_state
from .engine.serving import pass_time
from .engine.dtypes import COMPUTE_PEAK_ORDER, KV_BYTES_PER_ELEMENT, WEIGHT_BYTES_PER_PARAM
from .engine.memory import weight_bytes_total
from .engine.serving import DEFAULT_CHUNK_TOKENS
from .errors import DoesNotFitError, InputError, NoFeasiblePlanError
from .inputs import parse_input
from .units import format_bytes

Scenario = Literal["offline", "server", "interactive"]
# MLPerf Inference llama2-70b limits (p99), used when a scenario is named without limits
SCENARIO_LIMITS_S: dict[str, tuple[float, float]] = {
    "offline": (float("inf"), float("inf")),
    "server": (2.0, 0.2),
    "interactive": (0.45, 0.04),
}
DEFAULT_STACK_BY_VENDOR: dict[str, str] = {
    "NVIDIA": "trtllm",
    "AMD": "vllm",
    "Google": "jax-xla",
    "AWS": "neuron",
    "Huawei (HiSilicon)": "cann",
    "Tenstorrent": "tt-metal",
}
MAX_PIPELINE_SEARCH = 8


class EstimateRequest(BaseModel):
    """Every input of one estimate, with its default (the only place defaults live)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str
    accelerator: str
    count: int = Field(default=1, ge=1, le=1_000_000)
    tp: int | None = Field(default=None, ge=1, le=4096)
    pp: int | None = Field(default=None, ge=1, le=1024)
    ep: int | None = Field(default=None, ge=1, le=4096)
    weights: str | None = None  # default: the model's release dtype if the chip computes it, else bf16
    kv: str | None = None  # default: fp8 when weights are <= 8 bits and the chip has FP8, else bf16
    isl: float = Field(gt=0, le=10_000_000)
    osl: float = Field(gt=0, le=1_000_000)
    concurrency: int | None = Field(default=None, ge=1, le=10_000_000)
    scenario: Scenario = "offline"
    ttft_max_s: float | None = Field(default=None, gt=0, le=3600)
    tpot_max_s: float | None = Field(default=None, gt=0, le=60)
    stack: str | None = None  # default: by vendor (trtllm on NVIDIA, vllm on AMD, ...)
    fidelity: Literal["roofline", "derated", "calibrated"] = "calibrated"
    disaggregated: bool = False
    chunk_tokens: int = Field(default=DEFAULT_CHUNK_TOKENS, ge=16, le=1_000_000)

    @model_validator(mode="after")
    def _check(self) -> "EstimateRequest":
        for name in ("weights", "kv"):
            v = getattr(self, name)
            known = WEIGHT_BYTES_PER_PARAM if name == "weights" else KV_BYTES_PER_ELEMENT
            if v is not None and v not in known:
                raise ValueError(f"{name} = {v!r} is not a known dtype; use one of {', '.join(known)}")
        if self.scenario == "offline" and (self.ttft_max_s or self.tpot_max_s):
            raise ValueError("latency limits need --scenario server or interactive")
        return self

    def limits(self) -> tuple[float, float]:
        ttft, tpot = SCENARIO_LIMITS_S[self.scenario]
        return (self.ttft_max_s or ttft, self.tpot_max_s or tpot)


@dataclass(frozen=True)
class Estimate:
    """The chosen deployment and its predicted performance (JSON-safe via to_dict)."""

    model: str
    accelerator: str
    count: int
    tp: int
    pp: int
    ep: int
    replicas: int
    dp_attention: bool
    weights: str
    kv: str
    stack: str
    scenario: str
    isl: float
    osl: float
    ttft_limit_s: float | None
    tpot_limit_s: float | None
    concurrency: int
    concurrency_per_replica: int
    throughput_output_tok_per_s: float
    throughput_per_accelerator_tok_per_s: float
    ttft_s: float
    tpot_s: float
    ttft_p99_s: float
    tpot_p99_s: float
    slo_met: bool
    fits_in_memory: bool
    memory_per_device_bytes: float
    weights_per_device_bytes: float
    memory_capacity_bytes: float
    max_concurrency_per_replica: int
    bound: str
    mfu: float
    mbu: float
    fidelity: str
    parallelism_chosen_by_engine: bool
    candidates_evaluated: int
    time_shares: dict[str, float] = field(default_factory=dict)
    efficiency: dict[str, float] = field(default_factory=dict)
    disaggregated: bool = False
    input_tok_per_s: float = 0.0
    prefill_time_share: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("ttft_limit_s", "tpot_limit_s"):
            if d[k] is not None and not np.isfinite(d[k]):
                d[k] = None
        return d


# ---------------------------------------------------------------- arrays from catalog rows

def model_row(spec: ModelSpec) -> dict[str, float]:
    return dict(
        num_layers=spec.num_layers, num_moe_layers=spec.num_moe_layers, hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size or 0, num_attention_heads=spec.num_attention_heads,
        num_kv_heads=spec.num_kv_heads, head_dim=spec.head_dim, vocab_size=spec.vocab_size,
        tie_embeddings=float(spec.tie_embeddings), mla=float(spec.attention == "mla"),
        kv_lora_rank=spec.kv_lora_rank or 0, q_lora_rank=spec.q_lora_rank or 0,
        qk_rope_head_dim=spec.qk_rope_head_dim or 0, qk_nope_head_dim=spec.qk_nope_head_dim or 0,
        v_head_dim=spec.v_head_dim or 0, sliding_window_tokens=spec.sliding_window_tokens or 0,
        num_sliding_layers=spec.num_sliding_layers, num_experts=spec.num_experts or 0,
        experts_per_token=spec.experts_per_token or 0, num_shared_experts=spec.num_shared_experts,
        moe_intermediate_size=spec.moe_intermediate_size or 0,
        shared_expert_intermediate_size=spec.shared_expert_intermediate_size or spec.moe_intermediate_size or 0,
    )


def hardware_row(acc: Accelerator) -> dict[str, float]:
    nan = float("nan")
    missing = [f for f in ("memory_bytes", "memory_bandwidth_bytes_per_s") if getattr(acc, f) is None]
    if missing:
        raise InputError(
            f"accelerator {acc.id!r} has no published {', '.join(missing)}; the engine cannot estimate it. "
            "Fix: add the figure in an overlay (--catalog DIR) with its source"
        )
    up = acc.scale_up_bandwidth_bytes_per_s_per_direction or 0.0
    out = acc.scale_out_bandwidth_bytes_per_s_per_direction or up or 25e9
    return dict(
        bf16_flop_per_s=acc.bf16_dense_flop_per_s or nan, fp8_flop_per_s=acc.fp8_dense_flop_per_s or nan,
        fp4_flop_per_s=acc.fp4_dense_flop_per_s or nan, memory_bytes=acc.memory_bytes,
        memory_bandwidth_bytes_per_s=acc.memory_bandwidth_bytes_per_s,
        scale_up_bytes_per_s=up or out, scale_up_domain=acc.scale_up_domain_size or 1,
        scale_out_bytes_per_s=out,
    )


def attention_peak(spec: ModelSpec, hw_row: dict[str, float], kv: str, gemm_peak: float) -> float:
    """Peak the attention math runs at: FP8 with an FP8 KV cache (FP8 FMHA kernels), except
    MLA, whose absorbed decode kernels (FlashMLA) compute in BF16 whatever the cache dtype."""
    bf16 = hw_row["bf16_flop_per_s"]
    if kv == "fp8" and spec.attention != "mla" and np.isfinite(hw_row["fp8_flop_per_s"]):
        return hw_row["fp8_flop_per_s"]
    return bf16 if np.isfinite(bf16) else gemm_peak


def compute_dtype(acc: Accelerator, weights: str) -> str:
    """The datasheet peak a weight format computes at on this chip, or a one-line refusal."""
    for peak in COMPUTE_PEAK_ORDER[weights]:
        if acc.peak_flop_per_s(peak):
            return peak
    has = [d for d in ("fp4", "fp8", "bf16") if acc.peak_flop_per_s(d)]
    fix = f"use --weights {' or '.join(has)}" if has else "this chip publishes no dense FLOP/s peak"
    raise InputError(f"weights = {weights!r}: {acc.id} has no {weights} compute peak; {fix}")


def default_weights(spec: ModelSpec, acc: Accelerator) -> str:
    w = spec.release_dtype
    try:
        compute_dtype(acc, w)
        return w
    except InputError:
        return "bf16"


def default_kv(weights: str, acc: Accelerator) -> str:
    return "fp8" if WEIGHT_BYTES_PER_PARAM[weights] <= 1.0 and acc.fp8_dense_flop_per_s else "bf16"


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def parallel_candidates(
    spec: ModelSpec, count: int, tp: int | None, pp: int | None, ep: int | None
) -> list[tuple[int, int, int, int, int]]:
    """Valid (tp, pp, ep, dp_attention, replicas) splits of ``count`` devices.

    Rules: tp divides the attention heads, and the KV heads divide tp or tp divides them;
    pp divides the remaining devices and is at most the layer count; ep divides tp and the
    expert count (dense models: ep = 1); data-parallel attention is an option for MoE models
    with ep > 1. User-fixed degrees are checked and refused with the reason.
    """
    heads, kvh, layers = spec.num_attention_heads, spec.num_kv_heads, spec.num_layers
    if tp is not None:
        if count % tp:
            raise InputError(f"tp = {tp} does not divide count = {count}; use a divisor of {count}")
        if heads % tp:
            ok = [d for d in _divisors(count) if heads % d == 0]
            raise InputError(
                f"tp = {tp} does not divide num_attention_heads = {heads} of {spec.id}; use one of {ok}"
            )
    if pp is not None:
        if count % (pp * (tp or 1)):
            raise InputError(f"tp x pp = {(tp or 1) * pp} does not divide count = {count}")
        if pp > layers:
            raise InputError(f"pp = {pp} exceeds the {layers} layers of {spec.id}")
    if ep is not None and ep > 1:
        if not spec.is_moe:
            raise InputError(f"ep = {ep}: {spec.id} is a dense model (no experts); use ep = 1")
        if spec.num_experts % ep:  # type: ignore[operator]
            raise InputError(f"ep = {ep} does not divide the {spec.num_experts} experts of {spec.id}")
        if tp is not None and tp % ep:
            raise InputError(f"ep = {ep} must divide tp = {tp} (experts are split inside the tp group)")
    out = []
    for t in [tp] if tp else _divisors(count):
        if heads % t or (t % kvh and kvh % t):
            continue
        for p in [pp] if pp else _divisors(count // t):
            if (count // t) % p or p > layers or (pp is None and p > MAX_PIPELINE_SEARCH):
                continue
            eps = [ep] if ep else ([e for e in _divisors(t) if spec.num_experts % e == 0] if spec.is_moe else [1])
            for e in eps:
                if t % e:
                    continue
                for dpa in ([0, 1] if spec.is_moe and e > 1 else [0]):
                    out.append((t, p, e, dpa, count // (t * p)))
    if not out:
        raise InputError(
            f"no valid split of {count} accelerators for {spec.id} (heads {heads}, KV heads {kvh}) "
            f"with tp={tp}, pp={pp}, ep={ep}"
        )
    return out


# ---------------------------------------------------------------- the estimate

def estimate(catalog: Catalog | None = None, **kwargs: Any) -> Estimate:
    """Estimate one deployment. Keyword arguments are the fields of :class:`EstimateRequest`."""
    req = parse_input(EstimateRequest, kwargs)
    return estimate_request(req, catalog)


@dataclass(frozen=True)
class Problem:
    """One request resolved against the catalog: its defaults filled in and every valid
    split as engine configuration rows (shared by ``estimate`` and ``validate``)."""

    spec: ModelSpec
    acc: Accelerator
    weights: str
    kv: str
    stack: str
    peak_dtype: str
    candidates: list[tuple[int, int, int, int, int]]
    hw_row: dict[str, float]
    cfg_rows: list[dict[str, float]]


def build_problem(req: EstimateRequest, cat: Catalog) -> Problem:
    spec: ModelSpec = cat.model(req.model)
    acc: Accelerator = cat.accelerator(req.accelerator)
    weights = req.weights or default_weights(spec, acc)
    peak_dtype = compute_dtype(acc, weights)
    kv = req.kv or default_kv(weights, acc)
    if kv in ("fp8", "fp4", "nvfp4") and not acc.peak_flop_per_s("fp8" if kv == "fp8" else "fp4"):
        raise InputError(f"kv = {kv!r}: {acc.id} has no {kv} support; use --kv bf16")
    stack = req.stack or DEFAULT_STACK_BY_VENDOR.get(acc.vendor, "vllm")
    cat.get("stacks", stack)  # an unknown stack is refused with did-you-mean
    cands = parallel_candidates(spec, req.count, req.tp, req.pp, req.ep)
    hw_row = hardware_row(acc)
    peak = hw_row[f"{peak_dtype}_flop_per_s"]
    attn_peak = attention_peak(spec, hw_row, kv, peak)
    cfg_rows = [
        dict(
            tp=c[0], pp=c[1], ep=c[2], dp_attention=c[3], replicas=c[4],
            weight_bytes_per_param=WEIGHT_BYTES_PER_PARAM[weights], kv_bytes_per_element=KV_BYTES_PER_ELEMENT[kv],
            gemm_flop_per_s=peak, attention_flop_per_s=attn_peak, isl=req.isl, osl=req.osl,
            chunk_tokens=float(req.chunk_tokens), disaggregated=float(req.disaggregated),
        )
        for c in cands
    ]
    return Problem(spec, acc, weights, kv, stack, peak_dtype, cands, hw_row, cfg_rows)


def estimate_request(req: EstimateRequest, catalog: Catalog | None = None) -> Estimate:
    cat = catalog or load_catalog()
    prob = build_problem(req, cat)
    spec, acc, weights, kv, stack, cands = prob.spec, prob.acc, prob.weights, prob.kv, prob.stack, prob.candidates
    n = len(cands)
    m = ModelArrays.stack([model_row(spec)] * n)
    hw = HardwareArrays.stack([prob.hw_row] * n)
    effd = _eff.factors(acc.id, stack, prob.peak_dtype, req.fidelity)
    eff = Efficiency.stack([effd] * n)
    cfg = ParallelConfig.stack(prob.cfg_rows)
    arr = np.array(cands, dtype=float)
    ttft_lim, tpot_lim = req.limits()
    if req.concurrency is not None:
        per_rep = np.maximum(np.floor(req.concurrency / arr[:, 4]), 1.0)
        pt = steady_state(m, hw, eff, cfg, per_rep)
        ok = pt.fits
        score = np.where(ok, pt.throughput_output_tok_per_s, -1.0)
        feasible = ok & (pt.ttft_p99_s <= ttft_lim) & (pt.tpot_p99_s <= tpot_lim)
    else:
        pt, feasible = best_point(m, hw, eff, cfg, ttft_lim, tpot_lim)
        score = np.where(feasible, pt.throughput_output_tok_per_s, -1.0)
    fits_any = np.asarray(pt.fits)
    if not fits_any.any():
        # smallest memory need among candidates, for the message
        need = float(weight_bytes_total(ModelArrays.stack([model_row(spec)]), WEIGHT_BYTES_PER_PARAM[weights])[0])
        raise DoesNotFitError(
            f"{spec.id} in {weights} needs {format_bytes(need)} of weights plus KV cache for "
            f"{req.isl:g}+{req.osl:g} tokens; {req.count} x {acc.id} ({format_bytes(acc.memory_bytes)} each) "
            "cannot hold it with any split. Fix: more accelerators, lower-precision --weights, or a shorter context"
        )
    slo_met = bool(feasible.any())
    if not slo_met and req.scenario != "offline" and req.concurrency is None:
        # best effort: lowest latency point that fits, reported with slo_met = False
        pt1 = steady_state(m, hw, eff, cfg, np.ones(n))
        order = np.where(pt1.fits, pt1.tpot_s, np.inf)
        i = int(np.argmin(order))
        pt = pt1
    else:
        i = int(np.argmax(score))
    t, p, e, dpa, rep = (int(v) for v in cands[i])
    g = lambda a: float(np.asarray(a)[i])  # noqa: E731
    # share of the iteration spent on prompt tokens: 1 - (decode-only pass / mixed pass)
    one = lambda o: type(o)(**{k: np.asarray(v)[[i]] for k, v in o.__dict__.items()})  # noqa: E731
    b = np.array([g(pt.concurrency)])
    decode_only = pass_time(one(m), one(hw), one(eff), one(cfg), b, req.isl + req.osl / 2, 0.0).total_s[0]
    prefill_share = 0.0 if req.disaggregated else max(0.0, 1.0 - decode_only / g(pt.tpot_s))
    return Estimate(
        model=spec.id, accelerator=acc.id, count=req.count, tp=t, pp=p, ep=e, replicas=rep,
        dp_attention=bool(dpa), weights=weights, kv=kv, stack=stack, scenario=req.scenario,
        isl=req.isl, osl=req.osl, ttft_limit_s=ttft_lim if np.isfinite(ttft_lim) else None,
        tpot_limit_s=tpot_lim if np.isfinite(tpot_lim) else None,
        concurrency=int(g(pt.concurrency)) * rep, concurrency_per_replica=int(g(pt.concurrency)),
        throughput_output_tok_per_s=g(pt.throughput_output_tok_per_s),
        throughput_per_accelerator_tok_per_s=g(pt.throughput_per_device_tok_per_s),
        ttft_s=g(pt.ttft_s), tpot_s=g(pt.tpot_s), ttft_p99_s=g(pt.ttft_p99_s), tpot_p99_s=g(pt.tpot_p99_s),
        slo_met=bool(np.asarray(feasible)[i]) if slo_met else False,
        fits_in_memory=bool(np.asarray(pt.fits)[i]),
        memory_per_device_bytes=g(pt.memory_per_device_bytes),
        weights_per_device_bytes=g(pt.weights_per_device_bytes),
        memory_capacity_bytes=float(acc.memory_bytes),
        max_concurrency_per_replica=int(max(g(pt.max_concurrency), 0)),
        bound=BOUNDS[int(np.asarray(pt.bound)[i])], mfu=g(pt.mfu), mbu=g(pt.mbu),
        fidelity=req.fidelity,
        parallelism_chosen_by_engine=req.tp is None or req.pp is None or (spec.is_moe and req.ep is None),
        candidates_evaluated=n, time_shares={k: g(v) for k, v in pt.time_shares.items()},
        efficiency=effd, disaggregated=req.disaggregated,
        input_tok_per_s=g(pt.throughput_output_tok_per_s) * req.isl / req.osl, prefill_time_share=prefill_share,
    )
