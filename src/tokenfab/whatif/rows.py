"""The front rows a what-if samples, as columns gathered once from the plan's candidates.

Everything a sample changes is a factor on one of these columns; the figures come back from
the same pure functions ``build`` uses (``candidates.sizing``, ``money_energy``,
``owned_price``), so with every factor 1 they equal the plan's figures exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..catalog import assumptions as A
from ..deployment.candidates import OWNERSHIP_TERMS, Candidates
from ..deployment.ranges import band_of

Z90 = 1.2815515655446004  # standard normal 90th percentile: ln(p90 / p10) = 2 x Z90 x sigma

ObjectiveName = str


@dataclass(frozen=True)
class Rows:
    """Columns (R,) of the rows sampled, plus the scenario's limits (picklable for Ray)."""

    labels: tuple[str, ...]
    thr: np.ndarray  # engine instance throughput [output tok/s]
    ttft_p99_s: np.ndarray
    tpot_p99_s: np.ndarray
    latency_s: np.ndarray  # mean TTFT + osl x mean TPOT
    fits: np.ndarray
    count: np.ndarray
    tdp_w: np.ndarray
    idle_dev: np.ndarray
    provisioned_w: np.ndarray
    pue: np.ndarray
    rent_usd: np.ndarray  # per accelerator-hour (NaN for owned rows)
    grid_g: np.ndarray
    owned: np.ndarray
    terms: dict[str, np.ndarray]  # ownership terms (NaN for rented rows)
    keys: dict[str, tuple[str, ...]]  # accelerator, provider, currency, pricing, model_class per row
    demand: float | None
    utilization: float
    idle_frac: float
    server_w: float
    ttft_limit_s: float
    tpot_limit_s: float
    budget_usd_per_month: float | None
    max_gco2e_per_1k: float | None
    # each row's engine accuracy band (accuracy.bands: the estimate's own 80 % interval) as a
    # lognormal factor on throughput: median and sigma of ln (1 and 0 where no spread was measured)
    thr_median: np.ndarray | None = None
    thr_sigma: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.labels)


def gather(c: Candidates, where: Sequence[tuple[int, int]], labels: Sequence[str], budget: float | None,
           max_gco2e: float | None) -> Rows:
    """The columns of candidates ``where`` = [(pair, point), ...] of ``c``."""
    p = np.array([w[0] for w in where], dtype=int)
    g = np.array([w[1] for w in where], dtype=int)
    ci = c.pair_config[p]
    caps = [c.capacities[int(i)] for i in c.pair_capacity[p]]
    pt, wl = c.point, c.workload
    thr_raw = pt.throughput_output_tok_per_s[ci, g]
    terms = {n: np.array([np.nan if k.ownership is None else float(getattr(k.ownership, n)) for k in caps])
             for n in OWNERSHIP_TERMS}

    def currency(k: object) -> str:
        rent = getattr(k, "rent", None)
        if rent is not None:
            return str(rent.currency)
        grid = getattr(k, "grid", None)
        return str(grid.price_currency) if grid is not None and grid.price_currency else "USD"

    ttft, tpot = wl.limits_s()
    moe = "moe" if c.spec.is_moe else "dense"
    bands = [band_of(c, int(i)) for i in p]
    # a lognormal through the band's two ends: centre sqrt(low x high), so its 10th/90th percentiles are the ends
    thr_median = np.array([1.0 if b is None else np.sqrt(b.ratio_low * b.ratio_high) for b in bands], float)
    thr_sigma = np.array([0.0 if b is None else np.log(b.ratio_high / b.ratio_low) / (2 * Z90) for b in bands], float)
    return Rows(
        labels=tuple(labels), thr=np.asarray(thr_raw, float), ttft_p99_s=np.asarray(pt.ttft_p99_s[ci, g], float),
        tpot_p99_s=np.asarray(pt.tpot_p99_s[ci, g], float), latency_s=np.asarray(c.a["latency"][p, g], float),
        fits=np.asarray(c.masks["fits"][p, g], bool), count=np.array([float(k.count) for k in caps]),
        tdp_w=np.array([float(k.accelerator.tdp_w or np.nan) for k in caps]),
        idle_dev=np.asarray(c.inputs.idle[ci], float), provisioned_w=np.asarray(c.cfg_a["provisioned_w_per_accel"][ci, g]),
        pue=np.array([k.pue.value for k in caps], float),
        rent_usd=np.array([k.rent.usd_per_accel_hour if k.rent else np.nan for k in caps], float),
        grid_g=np.array([k.grid.carbon()[0] if k.grid else np.nan for k in caps], float),
        owned=np.array([k.ownership is not None for k in caps]), terms=terms,
        keys={"accelerator": tuple(k.accelerator.id for k in caps), "provider": tuple(k.provider for k in caps),
              "currency": tuple(currency(k) for k in caps), "pricing": tuple(k.pricing for k in caps),
              "model_class": tuple(moe for _ in caps)},
        demand=wl.demand_tok_per_s(), utilization=wl.serving_utilization(), idle_frac=A.number("idle_power_frac"),
        server_w=A.number("server_non_accelerator_w_per_8_accel"), ttft_limit_s=ttft, tpot_limit_s=tpot,
        budget_usd_per_month=budget, max_gco2e_per_1k=max_gco2e, thr_median=thr_median, thr_sigma=thr_sigma)
