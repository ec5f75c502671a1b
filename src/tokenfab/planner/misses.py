"""Why candidates were ruled out, and the smallest relaxation of each limit that yields a plan.

A nearest miss for a numeric limit is exact: among the candidates that pass every other
constraint, the smallest value of that metric, rounded *up* to the precision shown, so that
setting the limit to the printed value admits at least the candidates counted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np

from .scenario import Scenario

CONSTRAINTS: tuple[str, ...] = (
    "provider filter", "region filter", "accelerator filter", "fits in memory", "TTFT", "TPOT",
    "budget", "carbon", "sovereignty", "spot price cap", "power data",
)


def why(k: str, s: Scenario) -> str:
    ttft, tpot = s.limits_s()
    return {
        "provider filter": "excluded by the provider filter",
        "region filter": "excluded by the region filter",
        "accelerator filter": "excluded by the accelerator filter",
        "fits in memory": "did not fit in memory",
        "TTFT": f"missed TTFT p99 <= {ttft * 1e3:g} ms",
        "TPOT": f"missed TPOT p99 <= {tpot * 1e3:g} ms",
        "budget": f"exceeded ${s.budget_usd_per_month:,.0f}/month" if s.budget_usd_per_month else "exceeded the budget",
        "carbon": (f"exceeded {s.max_gco2e_per_1k_tok:g} gCO2e per 1k tokens" if s.max_gco2e_per_1k_tok
                   else "exceeded the carbon cap"),
        "sovereignty": f"failed the '{s.sovereignty}' sovereignty preset",
        "spot price cap": (f"spot price above ${s.max_spot_usd_per_accel_hour:g}/accelerator-hour"
                           if s.max_spot_usd_per_accel_hour else "spot price above the cap"),
        "power data": "have no published TDP for energy figures",
    }.get(k, f"were removed by {k}")


def ceil_sig(v: float, digits: int = 3) -> float:
    """``v`` rounded up to ``digits`` significant digits (0.050412 -> 0.0505)."""
    if v <= 0:
        return v
    step = 10.0 ** (math.floor(math.log10(v)) - digits + 1)
    up = math.ceil(v / step) * step
    return up if up >= v else up + step


def _plural(n: int, words: str) -> str:
    return f"{n:,} {words}{'' if n == 1 else 's'}"


def nearest_misses(s: Scenario, masks: Mapping[str, np.ndarray], values: Mapping[str, np.ndarray],
                   feasible: bool = False) -> list[str]:
    """One hint per constraint that alone keeps candidates out: the exact relaxation."""
    specs: list[tuple[str, Callable[[float], float], Callable[[float], str]]] = [
        ("TPOT", ceil_sig, lambda v: f"relax TPOT (p99) to {v * 1e3:.3g} ms"),
        ("TTFT", ceil_sig, lambda v: f"relax TTFT (p99) to {v:.3g} s"),
        ("budget", lambda v: float(math.ceil(ceil_sig(v, 4))), lambda v: f"raise the budget to ${v:,.0f}/month"),
        ("carbon", ceil_sig, lambda v: f"allow {v:.3g} gCO2e per 1k tokens"),
    ]
    out = []
    for k, round_up, text in specs:
        others = np.logical_and.reduce([m for kk, m in masks.items() if kk != k])
        only = ~masks[k] & others
        if not only.any():
            continue
        vals = np.asarray(values[k])[only]
        vals = vals[np.isfinite(vals)]
        if vals.size == 0:
            continue
        limit = round_up(float(vals.min()))
        n = int((vals <= limit).sum())
        gain = (f"to get a plan ({_plural(n, 'candidate')} at that limit)" if not feasible
                else f"to admit {_plural(n, 'more candidate')}")
        out.append(f"{text(limit)} {gain}")
    only_sov = ~masks["sovereignty"] & np.logical_and.reduce([m for kk, m in masks.items() if kk != "sovereignty"])
    if only_sov.any():
        out.append(f"{_plural(int(only_sov.sum()), 'candidate')} fail only the '{s.sovereignty}' preset")
    return out
