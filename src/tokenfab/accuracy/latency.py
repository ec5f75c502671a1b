"""Mean TTFT and TPOT of measured serving runs against the engine at each run's concurrency.

A serving run (MLPerf Server or Interactive) reports its mean time to first token and time per
output token beside its throughput (``validation/latency_pairs.csv``). The engine is asked for
both at the run's own concurrency: by Little's law the requests in flight are the request rate
(output tokens/s / output length) times the mean request latency (TTFT + output length x TPOT).
The means are never a fitting target (the fit uses their p99/mean ratios and the runs'
throughput), so measured / predicted is an honest spread for the latency part of an estimate's
range (:mod:`tokenfab.accuracy.bands`).

The engine's TTFT is the time of the steps that carry the prompt plus half a step of waiting; a
loaded server also queues requests before it admits them (MLPerf's Server scenario runs at the
highest request rate whose p99 TTFT stays under the limit), so measured TTFT runs well above it
while TPOT, a step time, does not. The ranges say so rather than borrow the throughput's spread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..catalog.loader import Catalog
from ..errors import InputError
from .bands import (
    INTERVAL,
    QUANTILES,
    TARGET_COVERAGE,
    Band,
    band_for,
    quantiles_of,
    smallest_scale,
    time_multiples,
)
from .calibration import LatencyMeans
from .measured import MeasuredRow
from .score import evaluate, prepare

LATENCY_METRICS: tuple[str, ...] = ("ttft_s", "tpot_s")
LATENCY_MIN_RUNS = 8  # runs a scenario needs to have its own latency spread, else all runs pooled


@dataclass(frozen=True)
class LatencyRecord:
    """One run's mean TTFT or TPOT against the engine's at the run's concurrency."""

    row_id: str
    accelerator: str
    scenario: str  # the run's scenario (server, interactive)
    metric: str  # ttft_s or tpot_s
    ratio: float  # measured / predicted time
    step_low: float  # the run's class band for a step time, as multiples of the prediction
    step_high: float


def in_flight(row: MeasuredRow, ttft_mean_s: float, tpot_mean_s: float) -> int:
    """Requests in flight during the run (Little's law), at least 1."""
    return max(1, round(row.value / row.osl_tokens * (ttft_mean_s + row.osl_tokens * tpot_mean_s)))


def probes(rows: Sequence[MeasuredRow], means: LatencyMeans) -> list[tuple[MeasuredRow, MeasuredRow]]:
    """(run, probe) pairs: for every throughput row with latency means, one row per metric asking
    the engine for that mean at the run's concurrency (no latency limit: the run's own load)."""
    out = []
    for r in rows:
        if r.id not in means or r.metric != "output_tok_per_s":
            continue
        ttft, tpot = means[r.id][0], means[r.id][2]
        for metric, value in (("ttft_s", ttft), ("tpot_s", tpot)):
            out.append((r, r.model_copy(update=dict(
                id=f"{r.id}:{metric}", scenario="offline", ttft_limit_s=None, tpot_limit_s=None, metric=metric,
                value=value, concurrency=in_flight(r, ttft, tpot)))))
    return out


def latency_records(rows: Sequence[MeasuredRow], means: LatencyMeans, catalog: Catalog,
                    table: Mapping[str, Any] | None = None, band_table: Mapping[str, Any] | None = None
                    ) -> tuple[list[LatencyRecord], list[tuple[MeasuredRow, float]], list[tuple[MeasuredRow, str]]]:
    """Records of every run predicted (``table``: the efficiency factors, default the shipped
    ones), each with the step-time band of its class (``band_table``: default the shipped one),
    the probes with their predictions and the probes that could not be built, with why (for
    printing)."""
    pairs = probes(rows, means)
    run_of = {p.id: r for r, p in pairs}
    prep = prepare([p for _, p in pairs], catalog)
    pred = evaluate(prep, table)["predicted"]
    recs, shown = [], []
    for probe, p in zip(prep.rows, pred):
        shown.append((probe, float(p)))
        if not (np.isfinite(p) and p > 0):
            continue
        run = run_of[probe.id]
        b: Band = band_for(catalog.accelerator(run.accelerator).vendor, run.stack, run.weights_dtype, run.scenario,
                           table=band_table)
        recs.append(LatencyRecord(run.id, run.accelerator, run.scenario, probe.metric, probe.value / float(p),
                                  1.0 / b.ratio_high, 1.0 / b.ratio_low))
    return recs, shown, list(prep.skipped)


def make_latency_bands(recs: Sequence[LatencyRecord], spread_scale: Mapping[str, float] | None = None
                       ) -> dict[str, Any]:
    """The ``latency`` section of the band table: per metric, the quantiles of measured /
    predicted time over all runs and per scenario with at least :data:`LATENCY_MIN_RUNS` runs,
    and the metric's widening (``spread_scale``, :func:`choose_latency_scale`)."""
    out: dict[str, Any] = {"min_runs": LATENCY_MIN_RUNS}
    for metric in LATENCY_METRICS:
        rs = [r for r in recs if r.metric == metric]
        if len(rs) < LATENCY_MIN_RUNS:
            raise InputError(f"latency bands: {len(rs)} runs with a predicted {metric}; at least "
                             f"{LATENCY_MIN_RUNS} are needed")
        classes = {"all": {"runs": len(rs), "quantiles": quantiles_of([r.ratio for r in rs])}}
        for sc in sorted({r.scenario for r in rs}):
            sel = [r.ratio for r in rs if r.scenario == sc]
            if len(sel) >= LATENCY_MIN_RUNS:
                classes[sc] = {"runs": len(sel), "quantiles": quantiles_of(sel)}
        out[metric] = {"spread_scale": float((spread_scale or {}).get(metric, 1.0)), "classes": classes}
    return out


def step_range_holds(recs: Sequence[LatencyRecord], metric: str) -> int:
    """How many runs' measured ``metric`` (as measured / predicted) falls inside the run's class
    band for a step time (``step_low`` .. ``step_high``), before the measured latency spread
    widens it: the count both accuracy benchmarks print."""
    return sum(r.step_low <= r.ratio <= r.step_high for r in recs if r.metric == metric)


def latency_coverage(recs: Sequence[LatencyRecord], metric: str, spread_scale: float) -> tuple[float, int]:
    """Share of runs whose measured ``metric`` falls inside its interval, out of fold: each
    accelerator's runs against latency quantiles made from the other accelerators' runs only,
    the interval being the union of that spread and the run's class band for a step time
    (:func:`tokenfab.accuracy.bands.time_multiples`)."""
    rs = [r for r in recs if r.metric == metric]
    inside: list[bool] = []
    for acc in sorted({r.accelerator for r in rs}):
        train = [r for r in recs if r.accelerator != acc]
        try:
            doc = {"quantiles": list(QUANTILES), "interval": list(INTERVAL),
                   "latency": make_latency_bands(train, {metric: spread_scale})}
        except InputError:
            continue
        for r in (r for r in rs if r.accelerator == acc):
            lo, hi = time_multiples(doc, metric, r.scenario, r.step_low, r.step_high)
            inside.append(lo <= r.ratio <= hi)
    return (float(np.mean(inside)) if inside else float("nan")), len(inside)


def choose_latency_scale(recs: Sequence[LatencyRecord], metric: str, target: float = TARGET_COVERAGE
                         ) -> tuple[float, float]:
    """The smallest widening of :data:`SCALES` whose out-of-fold coverage reaches ``target``."""
    return smallest_scale(lambda k: latency_coverage(recs, metric, k)[0], target)
