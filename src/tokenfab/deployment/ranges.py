"""The estimate's 80 % prediction interval carried through one evaluation: which accuracy
class a candidate belongs to (``accuracy.bands``), its throughput and times at the interval's
ends, and money, energy and carbon re-sized at another throughput by the same pure functions
:func:`~tokenfab.deployment.candidates.build` uses (ranges, ``plan --risk``, ``whatif``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..accuracy.bands import RISK_LEVELS, Band
from ..catalog import assumptions as A
from ..economics import energy as EN
from .candidates import BANDED_FIDELITIES, OWNERSHIP_TERMS, Candidates, money_energy, owned_price, sizing
from .candidates import block_band as candidates_block_band
from .problem import Block
from .result import RiskFigures


def block_band(c: Candidates, blk: Block) -> Band:
    """The band of one block (chip x precision x stack) under ``c``'s workload; a user's own
    calibration of that chip x stack counts as validated."""
    return candidates_block_band(c.efficiency, c.workload, blk)


def band_of(c: Candidates, p: int) -> Band | None:
    """The accuracy class and 80 % interval of pair ``p``'s estimates (None for a fidelity whose
    spread was not measured: roofline and derated are bounds, not predictions)."""
    if c.space.fidelity not in BANDED_FIDELITIES:
        return None
    return block_band(c, c.blocks[int(c.inputs.block[int(c.pair_config[p])])])


def pair_ratios(c: Candidates, quantile: float) -> np.ndarray:
    """measured / predicted throughput at ``quantile`` for every pair (P,): one band lookup per
    distinct block; 1 where the fidelity has no measured spread."""
    if c.space.fidelity not in BANDED_FIDELITIES:
        return np.ones(len(c.pair_config))
    per_block = np.array([block_band(c, blk).ratio_at(quantile) for blk in c.blocks], dtype=float)
    return per_block[np.asarray(c.inputs.block, int)][c.pair_config]


def resized(c: Candidates, factor: np.ndarray, p: np.ndarray, g: np.ndarray) -> dict[str, np.ndarray]:
    """Money, energy and carbon of candidates (pair ``p``, point ``g``; index arrays) if each
    instance delivered ``factor`` times its estimated throughput at the same concurrency (a
    prediction interval's end, a risk quantile): re-sized with whole instances and priced by the
    same pure functions as :func:`build` (``sizing``, ``owned_price``, ``money_energy``), so a
    factor of 1 gives the point figures exactly."""
    p, g = np.asarray(p, int), np.asarray(g, int)
    ci, ki, inp, wl = c.pair_config[p], c.pair_capacity[p], c.inputs, c.workload
    caps = c.capacities

    def per_cap(fn: Any) -> np.ndarray:
        return np.array([fn(k) for k in caps], dtype=float)[ki]

    count = np.array([b.count for b in c.blocks], dtype=float)[inp.block[ci]]
    tdp = np.array([b.accelerator.tdp_w or np.nan for b in c.blocks], dtype=float)[inp.block[ci]]
    server_w = A.number("server_non_accelerator_w_per_8_accel")
    thr = np.asarray(c.point.throughput_output_tok_per_s)[ci, g] * factor
    sz = sizing(thr, wl.demand_tok_per_s(), wl.serving_utilization(), count, tdp, inp.idle[ci],
                A.number("idle_power_frac"), server_w)
    pue = per_cap(lambda k: k.pue.value)
    price = per_cap(lambda k: k.rent.usd_per_accel_hour if k.rent else np.nan)
    owned = np.array([caps[i].ownership is not None for i in ki], dtype=bool)
    if owned.any():
        terms = {n: per_cap(lambda k, n=n: np.nan if k.ownership is None else getattr(k.ownership, n))
                 for n in OWNERSHIP_TERMS}
        own = owned_price(terms, sz["it_inst_w"], count, tdp + server_w / 8.0, pue)["total"]
        price = np.where(owned, own, price)
    grid_g = per_cap(lambda k: k.grid.carbon()[0] if k.grid else np.nan)
    out = money_energy(sz["instances"], sz["served"], count, price, sz["j_per_token_it"], pue, grid_g)
    embodied = sz["instances"] * (count * A.number("embodied_gco2e_per_gpu")
                                  + count / 8.0 * A.number("embodied_gco2e_per_8_accel_server"))
    out.update(instances=sz["instances"], throughput=sz["throughput"],
               embodied_per_1k=EN.embodied_gco2e_per_1k_tokens(embodied, A.number("lifetime_years"), sz["served"], 1.0))
    return out


def _opt(x: float) -> float | None:
    return x if np.isfinite(x) else None


def risk_figures(c: Candidates, p: int, g: int, risk: str) -> RiskFigures:
    """Candidate (p, g) judged at ``risk`` (throughput at its (100 - XX)th percentile)."""
    r = float(pair_ratios(c, RISK_LEVELS[risk])[p])
    at = resized(c, np.array([r]), np.array([p]), np.array([g]))
    priced = c.capacities[int(c.pair_capacity[p])].paid_as != "unpriced"
    return RiskFigures(risk=risk, throughput_ratio=r, throughput_output_tok_per_s=float(at["throughput"][0]),
                       usd_per_mtok_output=float(at["usd_per_mtok"][0]) if priced else None,
                       usd_per_month=float(at["usd_per_month"][0]) if priced else None,
                       latency_s=c.value("latency", p, g) / r, j_per_output_token=_opt(float(at["j_per_token"][0])))


def perf_range(band: Band | None, thr: float, ttft: float, tpot: float) -> dict[str, Any]:
    """Throughput times the band's ratios; TTFT and TPOT times their own multiples (the step range,
    widened to the measured spread of that time over serving runs: ``bands.time_multiples``)."""
    if band is None:
        return {}
    lo, hi = band.ratio_low, band.ratio_high
    return dict(accuracy=band, throughput_output_tok_per_s_low=thr * lo, throughput_output_tok_per_s_high=thr * hi,
                ttft_s_low=ttft * band.ttft_factor_low, ttft_s_high=ttft * band.ttft_factor_high,
                tpot_s_low=tpot * band.tpot_factor_low, tpot_s_high=tpot * band.tpot_factor_high)


def ends_of(c: Candidates, p: int, g: int, band: Band | None) -> dict[str, np.ndarray] | None:
    """Money, energy and carbon at the interval's two throughputs: index 0 the low throughput
    (high cost), index 1 the high throughput (low cost)."""
    if band is None:
        return None
    return resized(c, np.array([band.ratio_low, band.ratio_high]), np.array([p, p]), np.array([g, g]))
