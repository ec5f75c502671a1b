"""Roofline points of one evaluated deployment: operational intensity and achieved FLOP/s of
its prefill and decode passes against the chip's compute and bandwidth roofs (per device)."""

from __future__ import annotations

import numpy as np

from ..catalog.loader import Catalog, load_catalog
from ..engine.serving import live_context, pass_time
from ..inputs import ResultModel
from .candidates import build
from .evaluate import capacity_for, config_row, search_space
from .problem import hardware_row
from .result import Evaluation
from .spec import Deployment


class RooflinePoint(ResultModel):
    operational_intensity_flop_per_byte: float
    achieved_flop_per_s_per_device: float
    time_s: float


class Roofline(ResultModel):
    accelerator: str
    dtype: str
    peak_flop_per_s: float
    memory_bandwidth_bytes_per_s: float
    ridge_flop_per_byte: float
    prefill: RooflinePoint
    decode: RooflinePoint
    concurrency_per_replica: float


def roofline(ev: Evaluation, deployment: Deployment, catalog: Catalog | None = None) -> Roofline:
    """Roofline of the candidate ``ev`` describes; ``deployment`` must pin it (see ``pinned``)."""
    cat = catalog or load_catalog()
    c = build(cat, cat.model(deployment.model), deployment, [capacity_for(cat, deployment)], search_space(deployment))
    lay = ev.deployment
    row = next(i for i, (b, s) in enumerate(zip(c.inputs.block, c.inputs.split))
               if c.blocks[b].splits[s][:4] == (lay.tp, lay.pp, lay.ep, int(lay.dp_attention)))
    m, hw, eff, cfg = (config_row(o, row) for o in (c.inputs.m, c.inputs.hw, c.inputs.eff, c.inputs.cfg))
    wl = ev.workload
    pre = pass_time(m, hw, eff, cfg, 0.0, 0.0, min(wl.isl, float(deployment.chunk_tokens)))
    dec = pass_time(m, hw, eff, cfg, np.array([lay.concurrency_per_replica]),
                    live_context(wl.isl, wl.osl, wl.osl_cv), 0.0)
    devices = lay.tp * lay.pp

    def point(p: object) -> RooflinePoint:
        flop, byt, t = (float(np.asarray(getattr(p, k)).ravel()[0]) for k in ("flop", "bytes", "total_s"))
        return RooflinePoint(operational_intensity_flop_per_byte=flop / byt,
                             achieved_flop_per_s_per_device=flop / t / devices, time_s=t)

    hrow = hardware_row(cat.accelerator(lay.accelerator))
    peak = hrow[f"{lay.compute_dtype}_flop_per_s"]
    bw = hrow["memory_bandwidth_bytes_per_s"]
    return Roofline(accelerator=lay.accelerator, dtype=lay.compute_dtype, peak_flop_per_s=peak,
                    memory_bandwidth_bytes_per_s=bw, ridge_flop_per_byte=peak / bw, prefill=point(pre),
                    decode=point(dec), concurrency_per_replica=lay.concurrency_per_replica)
