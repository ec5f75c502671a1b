"""Owning accelerators: cost per accelerator-hour, GPU debt and own-vs-rent break-even
(vectorized; every argument may be an array).

Per accelerator and year, with the capital recovery factor CRF = r(1+r)^n / ((1+r)^n - 1):

    capital    = (capex x (1 + network share) - residual x capex / (1+r)^n) x CRF
    energy     = average power [kW] x PUE x 8760 h x electricity price
    colocation = provisioned power [kW] x colo price per kW-month x 12
    staff      = operations staff cost per accelerator and year (explicit, default 0)
    overhead   = ops overhead fraction x (capital + energy + colocation)

Break-even months = upfront / (rent - running cost of owning) per month; when renting is
never dearer the answer is "never" (NaN here; ``None`` with a reason in results).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..units import HOURS_PER_YEAR


def capital_recovery_factor(rate: ArrayLike, years: ArrayLike) -> np.ndarray:
    """Annual payment per dollar borrowed at ``rate`` over ``years`` (1/years when rate = 0)."""
    r = np.asarray(rate, float)
    n = np.asarray(years, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        crf = r * (1 + r) ** n / ((1 + r) ** n - 1)
    return np.where(r > 0, crf, 1.0 / n)


def ownership_usd_per_accel_hour(
    capex_usd_per_accel: ArrayLike,
    years: ArrayLike,
    residual_frac: ArrayLike,
    average_power_w_per_accel: ArrayLike,
    provisioned_power_w_per_accel: ArrayLike,
    electricity_usd_per_kwh: ArrayLike,
    pue: ArrayLike,
    colocation_usd_per_kw_month: ArrayLike,
    network_share_frac: ArrayLike,
    ops_overhead_frac: ArrayLike,
    cost_of_capital_frac: ArrayLike,
    staff_usd_per_accel_year: ArrayLike = 0.0,
) -> dict[str, np.ndarray]:
    """Cost of owning one accelerator per hour of the year, by component [USD/h]."""
    r = np.asarray(cost_of_capital_frac, float)
    n = np.asarray(years, float)
    capex = np.asarray(capex_usd_per_accel, float)
    residual_pv = np.asarray(residual_frac, float) * capex / (1 + r) ** n
    capital = (capex * (1 + np.asarray(network_share_frac, float)) - residual_pv) * capital_recovery_factor(r, n)
    energy = (np.asarray(average_power_w_per_accel, float) / 1e3 * np.asarray(pue, float) * HOURS_PER_YEAR
              * np.asarray(electricity_usd_per_kwh, float))
    colo = np.asarray(provisioned_power_w_per_accel, float) / 1e3 * np.asarray(colocation_usd_per_kw_month, float) * 12.0
    overhead = np.asarray(ops_overhead_frac, float) * (capital + energy + colo)
    staff = np.asarray(staff_usd_per_accel_year, float) * np.ones_like(capital)
    parts = dict(capital=capital, energy=energy, colocation=colo, staff=staff, overhead=overhead)
    per_hour = {k: np.asarray(v / HOURS_PER_YEAR) for k, v in parts.items()}
    per_hour["total"] = np.asarray(sum(per_hour.values()))
    return per_hour


def rental_value(value_now: ArrayLike, t_years: ArrayLike, halving_years: ArrayLike) -> np.ndarray:
    """Obsolescence curve: a new generation every ``halving_years`` halves the rental value."""
    return np.asarray(value_now, float) * 0.5 ** (np.asarray(t_years, float) / np.asarray(halving_years, float))


def breakeven_months(upfront_usd: ArrayLike, own_usd_per_month: ArrayLike, rent_usd_per_month: ArrayLike) -> np.ndarray:
    """Months until buying beats renting: upfront / (rent - running cost of owning); NaN when
    renting is never dearer (buying never pays back)."""
    saving = np.asarray(rent_usd_per_month, float) - np.asarray(own_usd_per_month, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(saving > 0, np.asarray(upfront_usd, float) / saving, np.nan)


def breakeven_months_declining_rent(upfront_usd: ArrayLike, own_usd_per_month: ArrayLike, rent_usd_per_month: ArrayLike,
                                    halving_years: ArrayLike, horizon_months: int = 120) -> np.ndarray:
    """Months until buying beats renting when rental prices follow the obsolescence curve
    (rent(t) = rent(0) x 0.5 ** (t / halving)): the first month where cumulative rent
    exceeds upfront + cumulative running cost; NaN when that does not happen within the
    horizon."""
    months = np.arange(1, horizon_months + 1, dtype=float)
    halving = np.asarray(halving_years, float)[..., None]
    with np.errstate(over="ignore", under="ignore"):
        rent = np.asarray(rent_usd_per_month, float)[..., None] * 0.5 ** ((months - 0.5) / 12.0 / halving)
    gap = np.cumsum(rent, axis=-1) - (np.asarray(upfront_usd, float)[..., None]
                                      + np.asarray(own_usd_per_month, float)[..., None] * months)
    hit = gap > 0
    first = np.argmax(hit, axis=-1)
    return np.where(hit.any(axis=-1), months[first], np.nan)


def debt_breakeven_usd_per_accel_hour(price_usd: ArrayLike, rate: ArrayLike, years: ArrayLike,
                                      opex_usd_per_accel_hour: ArrayLike, utilization: ArrayLike) -> np.ndarray:
    """Rental price per accelerator-hour below which a GPU bought on debt (annuity at ``rate``
    over ``years``) cannot be serviced, given running costs and the share of hours sold."""
    annuity = np.asarray(price_usd, float) * capital_recovery_factor(rate, years)
    u = np.asarray(utilization, float)
    return annuity / (HOURS_PER_YEAR * u) + np.asarray(opex_usd_per_accel_hour, float) / u
