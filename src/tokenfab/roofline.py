"""Roofline points of one deployment: operational intensity and achieved FLOP/s of its
prefill and decode passes against the chip's compute and bandwidth roofs (per device)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import efficiency as _eff
from .catalog import Catalog, load_catalog
from .engine import Efficiency, HardwareArrays, ModelArrays, ParallelConfig
from .engine.serving import pass_time
from .estimate import EstimateRequest, build_problem, estimate_request, model_row


def roofline(req: EstimateRequest, catalog: Catalog | None = None) -> dict[str, Any]:
    cat = catalog or load_catalog()
    est = estimate_request(req, cat)
    prob = build_problem(req.model_copy(update=dict(tp=est.tp, pp=est.pp, ep=est.ep, weights=est.weights, kv=est.kv)), cat)
    i = next(k for k, c in enumerate(prob.candidates) if c[:4] == (est.tp, est.pp, est.ep, int(est.dp_attention)))
    m = ModelArrays.stack([model_row(prob.spec)])
    hw = HardwareArrays.stack([prob.hw_row])
    eff = Efficiency.stack([_eff.factors(prob.acc.id, prob.stack, prob.peak_dtype, req.fidelity)])
    cfg = ParallelConfig.stack([prob.cfg_rows[i]])
    devices = est.tp * est.pp
    b = float(est.concurrency_per_replica)
    pre = pass_time(m, hw, eff, cfg, 0.0, 0.0, min(req.isl, req.chunk_tokens))
    dec = pass_time(m, hw, eff, cfg, b, req.isl + req.osl / 2, 0.0)

    def point(p) -> dict[str, float]:
        flop, byt, t = float(p.flop[0]), float(p.bytes[0]), float(p.total_s[0])
        return dict(operational_intensity_flop_per_byte=flop / byt,
                    achieved_flop_per_s_per_device=flop / t / devices, time_s=t)

    peak = prob.hw_row[f"{prob.peak_dtype}_flop_per_s"]
    bw = prob.hw_row["memory_bandwidth_bytes_per_s"]
    return dict(
        accelerator=prob.acc.id, dtype=prob.peak_dtype, peak_flop_per_s=peak, memory_bandwidth_bytes_per_s=bw,
        ridge_flop_per_byte=peak / bw, prefill=point(pre), decode=point(dec), concurrency_per_replica=b,
        estimate=est.to_dict(),
    )
