"""The gigawatt view: what a site of P watts produces, and the power T tokens/day need.

    IT power          = site power / PUE   (when the site figure is grid power)
    accelerators      = IT power / all-in IT power per accelerator
    tokens per day    = accelerators x output tok/s per accelerator x 86,400 x utilization
    power for T/day   = T / (86,400 x utilization x tok/s per accelerator) x all-in W x PUE
"""

from __future__ import annotations

import numpy as np

from ..units import MTOK, SECONDS_PER_DAY


def site_output(power_w, is_grid_power, pue, accel_all_in_w, accel_per_rack, tok_per_s_per_accel, utilization,
                price_usd_per_mtok=None) -> dict[str, np.ndarray]:
    it_w = np.where(np.asarray(is_grid_power), np.asarray(power_w, float) / pue, power_w)
    accels = np.floor(it_w / np.asarray(accel_all_in_w, float))
    racks = np.ceil(accels / np.asarray(accel_per_rack, float))
    tokens = accels * np.asarray(tok_per_s_per_accel) * SECONDS_PER_DAY * np.asarray(utilization)
    out = dict(it_power_w=it_w, grid_power_w=it_w * pue, accelerators=accels, racks=racks, tokens_per_day=tokens)
    if price_usd_per_mtok is not None:
        out["revenue_usd_per_day"] = tokens / MTOK * price_usd_per_mtok
    return out


def power_for_tokens(tokens_per_day, tok_per_s_per_accel, utilization, accel_all_in_w, pue) -> dict[str, np.ndarray]:
    accels = np.ceil(np.asarray(tokens_per_day, float) / (SECONDS_PER_DAY * np.asarray(utilization) * tok_per_s_per_accel))
    it_w = accels * np.asarray(accel_all_in_w)
    return dict(accelerators=accels, it_power_w=it_w, grid_power_w=it_w * pue)
