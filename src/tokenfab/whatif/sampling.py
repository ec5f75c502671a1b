"""Monte Carlo on the front rows: draw each uncertain input's factors, re-evaluate the rows
with the one evaluation's pure functions, in chunks with their own seeds.

Chunk k of a run with master seed S draws from ``SeedSequence(S).spawn(n_chunks)[k]``, and
the chunk size is fixed (:data:`CHUNK_SAMPLES`), so any backend that evaluates the same
chunks gives the same numbers bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..catalog.uncertainty import TARGETS, Distribution, UncertainInput
from ..deployment.candidates import money_energy, owned_price, sizing
from .rows import Z90, Rows

CHUNK_SAMPLES = 4096
FIGURES: tuple[str, ...] = ("usd_per_mtok", "j_per_token", "gco2e_per_1k", "latency_s", "feasible")


def draw(d: Distribution, rng: np.random.Generator, size: tuple[int, ...]) -> np.ndarray:
    """Factors from one distribution (a zero-width range gives exactly its value)."""
    if d.kind == "lognormal":
        return float(d.median or 1.0) * np.exp(float(d.sigma or 0.0) * rng.standard_normal(size))
    lo, hi = float(d.low or 1.0), float(d.high or 1.0)
    if lo == hi:
        return np.full(size, lo)
    if d.kind == "uniform":
        return rng.uniform(lo, hi, size)
    return rng.triangular(lo, float(d.mode or 1.0), hi, size)


def applies(inp: UncertainInput, rows: Rows) -> np.ndarray:
    """Which rows an input moves (its ``when`` filter and its target's own scope)."""
    w = inp.when
    ok = np.ones(len(rows), bool)
    if w.model_class:
        ok &= np.array([m == w.model_class for m in rows.keys["model_class"]])
    if w.pricing:
        ok &= np.array([p in w.pricing for p in rows.keys["pricing"]])
    if w.currency:
        ok &= np.array([c in w.currency for c in rows.keys["currency"]])
    if inp.target == "rent":
        ok &= ~rows.owned
    if inp.target in ("electricity", "lifetime", "residual", "colocation"):
        ok &= rows.owned
    if inp.target == "fx":
        ok &= np.array([c != "USD" for c in rows.keys["currency"]])
    if inp.target == "utilization" and rows.demand is not None:
        ok &= False
    return ok


def row_band_ends(rows: Rows) -> tuple[np.ndarray, np.ndarray]:
    """Each row's accuracy band at its 10th and 90th percentile (the estimate's 80 % range)."""
    med, sig = _band(rows)
    return med * np.exp(-Z90 * sig), med * np.exp(Z90 * sig)


def _band(rows: Rows) -> tuple[np.ndarray, np.ndarray]:
    ones = np.ones(len(rows))
    return (ones if rows.thr_median is None else rows.thr_median), (0 * ones if rows.thr_sigma is None else rows.thr_sigma)


def factors(inputs: Sequence[UncertainInput], rows: Rows, rng: np.random.Generator, n: int
            ) -> dict[str, np.ndarray]:
    """(n, R) factor per target: the product of every input on that target (1 where none applies).
    Inputs are drawn in file order, each (n, groups) with groups sorted, for reproducibility."""
    out = {t: np.ones((n, len(rows))) for t in TARGETS}
    for inp in inputs:
        mask = applies(inp, rows)
        if not mask.any():
            continue
        # one draw per group (per accelerator, provider, currency; one group for per: sample)
        keys = rows.keys[inp.per] if inp.per != "sample" else ("all",) * len(rows)
        groups = sorted({k for k, m in zip(keys, mask) if m})
        idx = np.array([groups.index(k) if m else 0 for k, m in zip(keys, mask)])
        if inp.distribution.kind == "accuracy-band":  # a standard normal per group, each row through its own band
            med, sig = _band(rows)
            f = med * np.exp(sig * rng.standard_normal((n, len(groups)))[:, idx])
        else:
            f = draw(inp.distribution, rng, (n, len(groups)))[:, idx]
        out[inp.target] = np.where(mask, out[inp.target] * f, out[inp.target])
    return out


def evaluate(rows: Rows, f: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Figures of every row under factors ``f`` (each (n, R) or broadcastable) with the
    evaluation's own functions: sizing, owning, money, energy, carbon, SLO masks."""
    thr_f = f["throughput"]
    util = np.minimum(rows.utilization * f["utilization"], 1.0)
    sz = sizing(rows.thr * thr_f, rows.demand, util, rows.count, rows.tdp_w, rows.idle_dev, rows.idle_frac,
                rows.server_w)
    pue = rows.pue * f["pue"]
    price = rows.rent_usd * (f["rent"] * f["fx"])
    if rows.owned.any():
        t = rows.terms
        terms = dict(t, years=t["years"] * f["lifetime"], residual_frac=t["residual_frac"] * f["residual"],
                     electricity_usd_per_kwh=t["electricity_usd_per_kwh"] * (f["electricity"] * f["fx"]),
                     colocation_usd_per_kw_month=t["colocation_usd_per_kw_month"] * f["colocation"])
        own = owned_price(terms, sz["it_inst_w"], rows.count, rows.provisioned_w, pue)["total"]
        price = np.where(rows.owned, own, price)
    me = money_energy(sz["instances"], sz["served"], rows.count, price, sz["j_per_token_it"], pue, rows.grid_g)
    feasible = (rows.fits & sz["ok"] & (rows.ttft_p99_s / thr_f <= rows.ttft_limit_s)
                & (rows.tpot_p99_s / thr_f <= rows.tpot_limit_s))
    if rows.budget_usd_per_month is not None:
        feasible &= me["usd_per_month"] <= rows.budget_usd_per_month
    if rows.max_gco2e_per_1k is not None:
        feasible &= me["gco2e_per_1k"] <= rows.max_gco2e_per_1k
    return {"usd_per_mtok": me["usd_per_mtok"], "j_per_token": me["j_per_token"], "gco2e_per_1k": me["gco2e_per_1k"],
            "latency_s": np.broadcast_to(rows.latency_s / thr_f, feasible.shape), "feasible": feasible}


def chunk_sizes(samples: int) -> list[int]:
    full, rest = divmod(samples, CHUNK_SAMPLES)
    return [CHUNK_SAMPLES] * full + ([rest] if rest else [])


def run_chunk(rows: Rows, inputs: Sequence[UncertainInput], seed: np.random.SeedSequence, n: int
              ) -> dict[str, np.ndarray]:
    """One chunk: ``n`` samples drawn from ``seed`` and evaluated (a Ray task runs exactly this)."""
    rng = np.random.default_rng(seed)
    return evaluate(rows, factors(inputs, rows, rng, n))
