"""Owning instead of renting the bill's accelerator-hours: the existing ownership model
(:mod:`tokenfab.deployment.capacity` ``owned`` for the terms, :mod:`tokenfab.economics.ownership`
for the $/accelerator-hour and the break-even), on a site's grid that must pass the preset.

Accelerators bought = ceil(billed accelerator-hours per month / hours in a month) (the
same hours, served by machines running all month). Power: the chip's TDP at every hour
(a full-load upper bound; the bill says nothing of utilization). Owning per month =
n x total $/accel-hour x hours in a month; break-even (payback) = (upfront + exit cost) /
(today's rent per month - running cost of owning per month), running = total - capital.
"""

from __future__ import annotations

import datetime as dt
import math
from types import SimpleNamespace

from ..catalog.loader import Catalog
from ..deployment.capacity import Policy, owned, purchase_system
from ..economics.cost import HOURS_PER_MONTH
from ..economics.ownership import ownership_usd_per_accel_hour
from ..errors import InputError
from .result import MoveRow

_NO_OVERRIDES = SimpleNamespace(capex_usd_per_accel=None, electricity_usd_per_kwh=None, years=None, residual_frac=None,
                                colocation_usd_per_kw_month=None, network_share_frac=None, ops_overhead_frac=None,
                                cost_of_capital_frac=None, staff_usd_per_accel_year=None, pue=None)


def own_row(catalog: Catalog, accelerator: str, instance_type: str, provider: str, accel_hours_per_month: float,
            today_usd_per_month: float, exit_usd: float, grid: str, preset: str, day: dt.date) -> MoveRow:
    """The owned alternative for one accelerator's billed hours (see the module docstring)."""
    acc = catalog.accelerator(accelerator)
    base = dict(kind="accelerators (own)", subject=instance_type, provider=provider,
                today_usd_per_month=today_usd_per_month, exit_cost_usd=exit_usd)
    system = purchase_system(catalog, acc, None)
    try:
        cap = owned(catalog, acc, None, system, grid, _NO_OVERRIDES, Policy(preset, day))
    except InputError as exc:  # no purchase price or no electricity price: this row has no owned figure
        return MoveRow(**base, plan=None, plan_usd_per_month=None, saving_usd_per_month=None, payback_months=None,
                       reason=f"cannot price owning: {exc}")
    if cap.sovereignty is not None and not cap.sovereignty.passes:
        return MoveRow(**base, plan=None, plan_usd_per_month=None, saving_usd_per_month=None, payback_months=None,
                       reason=f"owning on grid {grid} fails {preset}: {'; '.join(cap.sovereignty.reasons)}")
    t = cap.ownership
    assert t is not None  # owned() always sets the terms
    power = float(acc.tdp_w or 0.0)
    per_h = ownership_usd_per_accel_hour(t.capex_usd_per_accel, t.years, t.residual_frac, power, power,
                                         t.electricity_usd_per_kwh, cap.pue.value, t.colocation_usd_per_kw_month,
                                         t.network_share_frac, t.ops_overhead_frac, t.cost_of_capital_frac,
                                         t.staff_usd_per_accel_year)
    n = max(1, math.ceil(accel_hours_per_month / HOURS_PER_MONTH - 1e-9))
    total_m = float(per_h["total"]) * HOURS_PER_MONTH * n
    running_m = (float(per_h["total"]) - float(per_h["capital"])) * HOURS_PER_MONTH * n
    upfront = t.capex_usd_per_accel * (1 + t.network_share_frac) * n
    gap = today_usd_per_month - running_m
    return MoveRow(
        **base, plan=f"own {n} x {acc.id} on grid {grid} ({t.capex_basis.split(':')[0]})", plan_usd_per_month=total_m,
        saving_usd_per_month=today_usd_per_month - total_m,
        payback_months=(upfront + exit_usd) / gap if gap > 0 else None,
        reason=(f"upfront {upfront:,.0f} USD (capex {t.capex_usd_per_accel:,.0f} x (1 + network {t.network_share_frac:g}) x "
                f"{n}), running {running_m:,.0f} USD/month at TDP on grid {grid}; payback = (upfront + exit) / (rent - "
                "running)" + ("" if gap > 0 else "; renting costs less than running owned hardware: no payback")))
