"""Egress cost from a provider's published tiers, and exit cost under the EU Data Act.

Data Act (Regulation (EU) 2023/2854) Art. 29: from 11 Jan 2024 to 12 Jan 2027 switching
charges (egress included) may not exceed the costs of switching; from 12 Jan 2027 no
switching charges. tokenfab uses the published internet-egress tiers as the at-cost upper
bound before that date and zero after it. Art. 34: egress for parallel (multi-cloud) use
may still be billed at cost after 2027.
"""

from __future__ import annotations

import datetime as dt

from ..catalog.market import Egress
from ..units import GIB

DATA_ACT_ZERO_SWITCHING = dt.date(2027, 1, 12)


def _to_unit_volume(volume_gb: float, unit: str) -> float:
    return volume_gb * 1e9 / GIB if unit == "GiB" else volume_gb


def egress_cost(volume_gb: float, egress: Egress) -> float:
    """Cost in ``egress.currency`` of ``volume_gb`` decimal GB in one month. Tier bounds
    (``up_to_volume``) and the free allowance count on the month's total volume, in the
    provider's unit (GB or GiB); volume past the last bounded tier pays the last price."""
    v = _to_unit_volume(volume_gb, egress.volume_unit)
    free = egress.free_volume_per_month
    cost, lower = 0.0, 0.0
    for tier in egress.tiers:
        upper = tier.up_to_volume if tier.up_to_volume is not None else float("inf")
        lo, hi = max(lower, free), min(upper, v)
        if hi > lo:
            cost += (hi - lo) * tier.price_per_unit
        lower = upper
        if v <= upper:
            break
    else:
        if egress.tiers:
            cost += max(v - max(lower, free), 0.0) * egress.tiers[-1].price_per_unit
    return cost


def exit_cost(volume_gb: float, egress: Egress, on_date: dt.date) -> tuple[float, str]:
    """One-off cost of moving ``volume_gb`` out to switch provider, and the rule applied."""
    if on_date >= DATA_ACT_ZERO_SWITCHING:
        return 0.0, (
            f"EU Data Act Art. 29(1): no switching charges from {DATA_ACT_ZERO_SWITCHING} "
            "(parallel multi-cloud egress may still be billed at cost, Art. 34)"
        )
    return egress_cost(volume_gb, egress), (
        "EU Data Act Art. 29(2)-(3): switching charges at most at cost until "
        f"{DATA_ACT_ZERO_SWITCHING}; the published egress tiers are used as that upper bound"
    )
