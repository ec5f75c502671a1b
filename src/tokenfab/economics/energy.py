"""Power, energy per token and carbon (vectorized).

    accelerator power = TDP x (idle + (1 - idle) x utilization)
    IT power          = n x accelerator power + server share (non-accelerator parts of the server)
    facility power    = IT power x PUE
    J per output token = facility power / output tokens per second
    gCO2e per 1k tokens = J/token x 1000 / 3.6e6 x grid gCO2e/kWh
    embodied per token  = (devices x embodied + servers x embodied) / (lifetime x tokens/s x utilization)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..units import J_PER_KWH, SECONDS_PER_HOUR


def accelerator_power_w(tdp_w: ArrayLike, utilization: ArrayLike, idle_frac: ArrayLike) -> np.ndarray:
    u = np.asarray(utilization, float)
    return np.asarray(tdp_w, float) * (idle_frac + (1.0 - np.asarray(idle_frac)) * u)


def it_power_w(n_accel: ArrayLike, accelerator_w: ArrayLike, server_w_per_8_accel: ArrayLike) -> np.ndarray:
    n = np.asarray(n_accel, float)
    return n * np.asarray(accelerator_w) + np.asarray(server_w_per_8_accel) * n / 8.0


def j_per_token(power_w: ArrayLike, tok_per_s: ArrayLike) -> np.ndarray:
    return np.asarray(power_w, float) / np.asarray(tok_per_s, float)


def kwh_per_mtok(j_per_tok: ArrayLike) -> np.ndarray:
    return np.asarray(j_per_tok, float) * 1e6 / J_PER_KWH


def gco2e_per_1k_tokens(j_per_tok: ArrayLike, gco2e_per_kwh: ArrayLike) -> np.ndarray:
    return np.asarray(j_per_tok, float) * 1e3 / J_PER_KWH * np.asarray(gco2e_per_kwh, float)


def embodied_gco2e_per_1k_tokens(embodied_gco2e_total: ArrayLike, lifetime_years: ArrayLike, tok_per_s: ArrayLike,
    utilization: ArrayLike) -> np.ndarray:
    lifetime_s = np.asarray(lifetime_years, float) * 8760.0 * SECONDS_PER_HOUR
    tokens = lifetime_s * np.asarray(tok_per_s, float) * np.asarray(utilization, float)
    return np.asarray(embodied_gco2e_total, float) / tokens * 1e3
