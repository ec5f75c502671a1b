"""Efficiency factors by fidelity: roofline (peaks only), derated, calibrated.

Reads ``data/efficiency.yaml``. Datasheet peaks live in the catalog; this table only
holds achieved fractions and fixed costs, each with its source or fitting method.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from .errors import InputError

FIDELITIES: tuple[str, ...] = ("roofline", "derated", "calibrated")


@lru_cache(maxsize=1)
def table() -> dict[str, Any]:
    text = (resources.files("tokenfab") / "data" / "efficiency.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def hardware_compute_eff(accelerator: str, dtype_peak: str) -> float:
    d = table()["derated"]
    per = d["compute_eff"].get(accelerator, {})
    return float(per.get(dtype_peak, per.get("bf16", d["default_compute_eff"])))


def factors(accelerator: str, stack: str, dtype_peak: str, fidelity: str) -> dict[str, float]:
    """Efficiency dict for one accelerator x stack x compute dtype at a fidelity."""
    if fidelity not in FIDELITIES:
        raise InputError(f"fidelity = {fidelity!r}: use one of {', '.join(FIDELITIES)}")
    if fidelity == "roofline":
        from .engine.arrays import ROOFLINE

        return dict(ROOFLINE)
    d = table()["derated"]
    hw = hardware_compute_eff(accelerator, dtype_peak)
    if fidelity == "derated":
        return dict(
            compute_eff=hw, memory_eff=float(d["memory_eff"]), network_eff=float(d["network_eff"]),
            overhead_s=0.0, collective_latency_s=0.0, layer_overhead_s=0.0, moe_eff=1.0, moe_half_tokens=0.0,
        )
    c = table()["calibrated"]
    s = c["stacks"].get(stack) or c["stacks"][c["default_stack"]]
    scale = float(s["compute_scale"]) * (float(c["fp4_compute_scale"]) if dtype_peak == "fp4" else 1.0)
    return dict(
        compute_eff=min(hw * scale, 1.0),
        memory_eff=min(float(s["memory_eff"]), 1.0),
        network_eff=float(d["network_eff"]),
        overhead_s=float(s["overhead_s"]),
        collective_latency_s=float(c["collective_latency_s"]),
        layer_overhead_s=float(c["layer_overhead_s"]),
        moe_eff=float(c["moe_eff"]),
        moe_half_tokens=float(c["moe_half_tokens"]),
    )
