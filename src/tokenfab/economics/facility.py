"""The gigawatt view: what a site of P watts holds and produces, and the power T tokens need.

    IT power              = site power / PUE   (when the site figure is grid power)
    IT W per accelerator  = system power / accelerators per system x (1 + cluster overhead)
    accelerators          = floor(IT power / IT W per accelerator)
    systems               = ceil(accelerators / accelerators per system)
    tokens per day        = accelerators x output tok/s per accelerator x 86,400 x utilization
    power for D tok/s     = ceil(D / (tok/s per accelerator x utilization)) x IT W per accelerator x PUE

Sites are sized on provisioned (nameplate) power: the rack or server figure, not the average draw.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..units import MTOK, SECONDS_PER_DAY


def it_w_per_accelerator(system_power_w: ArrayLike, accelerators_per_system: ArrayLike,
                         cluster_overhead_frac: ArrayLike) -> np.ndarray:
    """Provisioned IT power per accelerator, its share of the cluster's network and storage included [W]."""
    return (np.asarray(system_power_w, float) / np.asarray(accelerators_per_system, float)
            * (1.0 + np.asarray(cluster_overhead_frac, float)))


def site_output(power_w: ArrayLike, is_grid_power: ArrayLike, pue: ArrayLike, it_w_per_accel: ArrayLike,
                accel_per_system: ArrayLike, tok_per_s_per_accel: ArrayLike, utilization: ArrayLike,
                price_usd_per_mtok: ArrayLike | None = None) -> dict[str, np.ndarray]:
    p = np.asarray(power_w, float)
    it_w = np.where(np.asarray(is_grid_power), p / np.asarray(pue, float), p)
    accels = np.floor(it_w / np.asarray(it_w_per_accel, float))
    systems = np.ceil(accels / np.asarray(accel_per_system, float))
    tokens = accels * np.asarray(tok_per_s_per_accel, float) * SECONDS_PER_DAY * np.asarray(utilization, float)
    out = dict(it_power_w=it_w, grid_power_w=it_w * np.asarray(pue, float), accelerators=accels, systems=systems,
               tokens_per_day=tokens)
    if price_usd_per_mtok is not None:
        out["revenue_usd_per_day"] = tokens / MTOK * np.asarray(price_usd_per_mtok, float)
    return out


def power_for_tokens(tok_per_s: ArrayLike, tok_per_s_per_accel: ArrayLike, utilization: ArrayLike,
                     it_w_per_accel: ArrayLike, pue: ArrayLike) -> dict[str, np.ndarray]:
    accels = np.ceil(np.asarray(tok_per_s, float) / (np.asarray(utilization, float) * np.asarray(tok_per_s_per_accel, float)))
    it_w = accels * np.asarray(it_w_per_accel, float)
    return dict(accelerators=accels, it_power_w=it_w, grid_power_w=it_w * np.asarray(pue, float))
