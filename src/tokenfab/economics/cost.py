"""Cost per token, rented or owned (vectorized; every argument may be an array).

    $/M tokens = cost per hour / (tokens per second x 3600 x utilization) x 1e6

Input (prompt) tokens are priced on the prefill share of the serving time, output
tokens on the rest; the blended figure puts all the cost on output tokens.

Ownership, per accelerator and year (capital recovery factor CRF = r(1+r)^n / ((1+r)^n - 1)):

    capital    = (capex x (1 + network share) - residual x capex / (1+r)^n) x CRF
    energy     = average power [kW] x PUE x 8760 h x electricity price
    colocation = provisioned power [kW] x colo price per kW-month x 12
    staff      = operations staff cost per accelerator and year (explicit, default 0)
    overhead   = ops overhead fraction x (capital + energy + colocation)
"""

from __future__ import annotations

import numpy as np

from ..units import HOURS_PER_YEAR, MTOK, SECONDS_PER_HOUR

HOURS_PER_MONTH = HOURS_PER_YEAR / 12.0


def usd_per_mtok(cost_usd_per_hour, tok_per_s, utilization=1.0) -> np.ndarray:
    """Dollars per million tokens for a deployment costing ``cost_usd_per_hour``."""
    return np.asarray(cost_usd_per_hour, float) / (np.asarray(tok_per_s, float) * SECONDS_PER_HOUR * utilization) * MTOK


def split_by_phase(cost_usd_per_hour, output_tok_per_s, input_tok_per_s, prefill_share, utilization=1.0):
    """($/M output tokens, $/M input tokens, $/M output tokens with all cost) where prefill
    costs its share of the time and decode the rest."""
    share = np.asarray(prefill_share, float)
    out = usd_per_mtok(np.asarray(cost_usd_per_hour) * (1.0 - share), output_tok_per_s, utilization)
    inp = usd_per_mtok(np.asarray(cost_usd_per_hour) * share, input_tok_per_s, utilization)
    blended = usd_per_mtok(cost_usd_per_hour, output_tok_per_s, utilization)
    return out, inp, blended


def capital_recovery_factor(rate, years) -> np.ndarray:
    """Annual payment per dollar borrowed at ``rate`` over ``years`` (1/years when rate = 0)."""
    r = np.asarray(rate, float)
    n = np.asarray(years, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        crf = r * (1 + r) ** n / ((1 + r) ** n - 1)
    return np.where(r > 0, crf, 1.0 / n)


def ownership_usd_per_accel_hour(
    capex_usd_per_accel,
    years,
    residual_frac,
    average_power_w_per_accel,
    provisioned_power_w_per_accel,
    electricity_usd_per_kwh,
    pue,
    colocation_usd_per_kw_month,
    network_share_frac,
    ops_overhead_frac,
    cost_of_capital_frac,
    staff_usd_per_accel_year=0.0,
) -> dict[str, np.ndarray]:
    """Cost of owning one accelerator per hour of the year, by component [USD/h]."""
    r = np.asarray(cost_of_capital_frac, float)
    n = np.asarray(years, float)
    capex = np.asarray(capex_usd_per_accel, float)
    residual_pv = np.asarray(residual_frac) * capex / (1 + r) ** n
    capital = (capex * (1 + np.asarray(network_share_frac)) - residual_pv) * capital_recovery_factor(r, n)
    energy = np.asarray(average_power_w_per_accel) / 1e3 * pue * HOURS_PER_YEAR * electricity_usd_per_kwh
    colo = np.asarray(provisioned_power_w_per_accel) / 1e3 * colocation_usd_per_kw_month * 12.0
    overhead = np.asarray(ops_overhead_frac) * (capital + energy + colo)
    staff = np.asarray(staff_usd_per_accel_year, float) * np.ones_like(capital)
    per_hour = {k: v / HOURS_PER_YEAR for k, v in
                dict(capital=capital, energy=energy, colocation=colo, staff=staff, overhead=overhead).items()}
    per_hour["total"] = sum(per_hour.values())
    return per_hour


def rental_value(value_now, t_years, halving_years) -> np.ndarray:
    """Obsolescence curve: a new generation every ``halving_years`` halves the rental value."""
    return np.asarray(value_now, float) * 0.5 ** (np.asarray(t_years, float) / np.asarray(halving_years, float))


def breakeven_months(upfront_usd, own_usd_per_month, rent_usd_per_month) -> np.ndarray:
    """Months until buying beats renting: upfront / (rent - running cost of owning); inf when
    renting is never dearer."""
    saving = np.asarray(rent_usd_per_month, float) - np.asarray(own_usd_per_month, float)
    with np.errstate(divide="ignore"):
        return np.where(saving > 0, np.asarray(upfront_usd, float) / saving, np.inf)


def breakeven_months_declining_rent(upfront_usd, own_usd_per_month, rent_usd_per_month, halving_years,
                                    horizon_months: int = 120) -> np.ndarray:
    """Months until buying beats renting when rental prices follow the obsolescence curve
    (rent(t) = rent(0) x 0.5 ** (t / halving)): the first month where cumulative rent
    exceeds upfront + cumulative running cost; inf within the horizon otherwise."""
    months = np.arange(1, horizon_months + 1, dtype=float)
    rent = np.asarray(rent_usd_per_month, float)[..., None] * 0.5 ** ((months - 0.5) / 12.0 / np.asarray(halving_years)[..., None])
    gap = np.cumsum(rent, axis=-1) - (np.asarray(upfront_usd, float)[..., None]
                                      + np.asarray(own_usd_per_month, float)[..., None] * months)
    hit = gap > 0
    first = np.argmax(hit, axis=-1)
    return np.where(hit.any(axis=-1), months[first], np.inf)


def debt_breakeven_usd_per_accel_hour(price_usd, rate, years, opex_usd_per_accel_hour, utilization) -> np.ndarray:
    """Rental price per accelerator-hour below which a GPU bought on debt (annuity at ``rate``
    over ``years``) cannot be serviced, given running costs and the share of hours sold."""
    annuity = np.asarray(price_usd, float) * capital_recovery_factor(rate, years)
    u = np.asarray(utilization, float)
    return annuity / (HOURS_PER_YEAR * u) + np.asarray(opex_usd_per_accel_hour, float) / u
