"""Prediction intervals: how far a measured result may fall from the engine's estimate.

An estimate belongs to a class (accelerator vendor x serving stack x weight format x scenario).
Its range is the spread of measured / predicted output throughput of published results of
that class, each predicted **out of sample** (a cross-validation fold that never saw the row,
or the shipped factors on a holdout row they were never fitted on): the 10th and 90th
percentile, widened around the median by one factor chosen so that the interval covers 80 %
of rows out of fold (:func:`choose_spread_scale`), give the 80 % interval. A class with fewer than :data:`MIN_ROWS` measured rows
uses the next coarser one (vendor x stack x scenario, then vendor x stack, then every row),
so thin data gets the wider, pooled spread. A vendor x stack without any measured row is
``unvalidated``: its factors are borrowed, and its range is the widest one, the spread of
leave-one-stack-out and leave-one-accelerator-out errors or of the widest class, whichever is
wider.

The table (``data/accuracy_bands.yaml``) is made by ``benchmarks/accuracy_bands.py --write``
with :func:`make_bands`; :func:`coverage` checks it honestly (each accelerator's rows scored
against bands made without them).

Times scale inversely: if an engine delivers ``r`` times the predicted throughput at the same
concurrency, each step took ``1/r`` the time, so a step time's range is ``[t/r_high, t/r_low]``
and money and energy per token are re-sized at the two throughputs. TTFT and TPOT are also
measured directly: the mean TTFT and TPOT of serving runs against the engine's at the run's
concurrency (``accuracy.latency``; the table's ``latency`` section, per scenario) give their own
spread, and a time's interval is the union of the two (:func:`time_multiples`): a loaded
server queues requests before their first token, which no step time shows.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..catalog.files import read_bundled_yaml
from ..errors import InputError
from ..inputs import ResultModel

QUANTILES: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
INTERVAL = (0.1, 0.9)  # the 80 % prediction interval
MIN_ROWS = 8  # measured rows a class needs to have its own spread
TARGET_COVERAGE = 0.8
SCALES: tuple[float, ...] = tuple(round(1.0 + 0.05 * i, 2) for i in range(41))  # 1.0 .. 3.0
LEVELS: tuple[tuple[str, ...], ...] = (("vendor", "stack", "dtype", "scenario"), ("vendor", "stack", "scenario"),
                                       ("vendor", "stack"), ())
# --risk pXX: the cost (or time) at the XXth percentile = throughput at its (100 - XX)th
RISK_LEVELS: dict[str, float] = {"p50": 0.5, "p75": 0.25, "p90": 0.1, "p95": 0.05}


@dataclass(frozen=True)
class Record:
    """One measured row predicted out of sample: measured / predicted output throughput."""

    row_id: str
    vendor: str
    stack: str
    dtype: str
    scenario: str
    accelerator: str
    ratio: float
    origin: str  # which fold or set predicted it (e.g. "leave-one-accelerator-out", "holdout")

    def key(self, level: Sequence[str]) -> str:
        return class_key(level, self.vendor, self.stack, self.dtype, self.scenario)


def class_key(level: Sequence[str], vendor: str, stack: str, dtype: str, scenario: str) -> str:
    values = dict(vendor=vendor, stack=stack, dtype=dtype, scenario=scenario)
    return "/".join(values[f] for f in level) or "all"


def quantiles_of(ratios: Iterable[float]) -> list[float]:
    """:data:`QUANTILES` of measured / predicted ratios, rounded as the table stores them."""
    return [round(float(q), 4) for q in np.quantile(np.asarray(list(ratios), float), QUANTILES)]


def make_bands(records: Sequence[Record], borrowed: Sequence[Record], validated: Iterable[str],
               spread_scale: float = 1.0) -> dict[str, Any]:
    """The band table from out-of-sample ``records`` of validated classes, and ``borrowed``
    records (rows predicted by factors fitted on other stacks or chips: leave-one-stack-out,
    leave-one-accelerator-out) for the unvalidated band; ``validated`` lists "vendor/stack"."""
    classes: dict[str, dict[str, Any]] = {}
    for level in LEVELS:
        groups: dict[str, list[Record]] = defaultdict(list)
        for r in records:
            groups[r.key(level)].append(r)
        for key, recs in sorted(groups.items()):
            rows = len({r.row_id for r in recs})
            if rows >= MIN_ROWS:
                classes[key] = {"rows": rows, "ratios": len(recs), "quantiles": quantiles_of(r.ratio for r in recs)}
    if "all" not in classes:
        raise InputError(f"accuracy bands: {len({r.row_id for r in records})} measured rows; at least {MIN_ROWS} "
                         "are needed for the pooled band")
    pooled = quantiles_of(r.ratio for r in borrowed) if borrowed else classes["all"]["quantiles"]
    half = len(QUANTILES) // 2
    widest = [min([pooled[i], *(c["quantiles"][i] for c in classes.values())]) if i < half
              else max([pooled[i], *(c["quantiles"][i] for c in classes.values())]) if i > half
              else pooled[i] for i in range(len(QUANTILES))]
    return {"quantiles": list(QUANTILES), "interval": list(INTERVAL), "spread_scale": spread_scale,
            "min_rows": MIN_ROWS,
            "levels": ["/".join(lv) or "all" for lv in LEVELS], "validated": sorted(set(validated)),
            "classes": classes,
            "unvalidated": {"ratios": len(borrowed), "quantiles": widest}}


def _scaled(q: Sequence[float], doc: Mapping[str, Any]) -> list[float]:
    """Quantiles widened around the median in log space by the table's ``spread_scale``."""
    k = float(doc.get("spread_scale", 1.0))
    med = math.log(q[list(doc["quantiles"]).index(0.5)])
    return [math.exp(med + k * (math.log(x) - med)) for x in q]


class Band(ResultModel):
    """The accuracy class of one estimate and its out-of-sample spread."""

    accuracy_class: str  # e.g. NVIDIA/trtllm/fp8/offline, NVIDIA/trtllm, all or unvalidated
    validated: bool  # a measured result of this vendor x stack was fitted (or the user calibrated it)
    rows: int  # measured rows the spread comes from (0 for unvalidated)
    ratio_low: float  # measured / predicted throughput, 10th percentile
    ratio_high: float  # 90th percentile
    basis: str
    # the 80 % interval of TTFT and TPOT as multiples of the estimated time (time_multiples)
    ttft_factor_low: float = 1.0
    ttft_factor_high: float = 1.0
    tpot_factor_low: float = 1.0
    tpot_factor_high: float = 1.0

    def ratio_at(self, quantile: float, table: Mapping[str, Any] | None = None) -> float:
        """measured / predicted throughput at one of :data:`QUANTILES` for this class."""
        doc = table or bands()
        entry = doc["unvalidated"] if not self.validated else doc["classes"][self.accuracy_class]
        return float(_scaled(entry["quantiles"], doc)[list(doc["quantiles"]).index(quantile)])


@lru_cache(maxsize=1)
def bands() -> dict[str, Any]:
    """The shipped band table (``data/accuracy_bands.yaml``)."""
    doc: dict[str, Any] = read_bundled_yaml("accuracy_bands.yaml")
    return doc


def time_multiples(doc: Mapping[str, Any], metric: str, scenario: str, step_low: float, step_high: float
                   ) -> tuple[float, float]:
    """The 80 % interval of a time (``ttft_s`` or ``tpot_s``) as multiples of its estimate: the
    union of the step-time range ``[step_low, step_high]`` (the throughput band inverted) and
    the measured / predicted spread of that time over serving runs of the scenario (all runs
    where the scenario has too few), widened like the throughput bands; the step range alone
    where the table has no ``latency`` section."""
    section = (doc.get("latency") or {}).get(metric)
    if not section:
        return step_low, step_high
    entry = section["classes"].get(scenario) or section["classes"]["all"]
    q = _scaled(entry["quantiles"], {"quantiles": doc["quantiles"], "spread_scale": section.get("spread_scale", 1.0)})
    lo, hi = (list(doc["quantiles"]).index(x) for x in doc["interval"])
    return min(step_low, q[lo]), max(step_high, q[hi])


def _with_times(band: Band, doc: Mapping[str, Any], scenario: str) -> Band:
    step = (1.0 / band.ratio_high, 1.0 / band.ratio_low)
    (tl, th), (pl, ph) = (time_multiples(doc, m, scenario, *step) for m in ("ttft_s", "tpot_s"))
    return band.model_copy(update=dict(ttft_factor_low=tl, ttft_factor_high=th, tpot_factor_low=pl,
                                       tpot_factor_high=ph))


def band_for(vendor: str, stack: str, dtype: str, scenario: str, user_calibrated: bool = False,
             table: Mapping[str, Any] | None = None) -> Band:
    """The band of an estimate of this class (the finest level with enough measured rows), with
    the intervals of its TTFT and TPOT (:func:`time_multiples`)."""
    doc = table or bands()
    lo, hi = (list(doc["quantiles"]).index(q) for q in doc["interval"])
    if f"{vendor}/{stack}" not in doc["validated"] and not user_calibrated:
        q = _scaled(doc["unvalidated"]["quantiles"], doc)
        return _with_times(Band(
            accuracy_class="unvalidated", validated=False, rows=0, ratio_low=q[lo], ratio_high=q[hi],
            basis=f"unvalidated: no measured result of {stack} on {vendor} accelerators was fitted, its "
                  "factors are borrowed; widest range (leave-one-stack-out and leave-one-accelerator-out "
                  "errors, or the widest class)"), doc, scenario)
    for level in LEVELS:
        key = class_key(level, vendor, stack, dtype, scenario)
        got = doc["classes"].get(key)
        if got is not None:
            q = _scaled(got["quantiles"], doc)
            extra = " (your calibration; spread of the shipped class)" if user_calibrated else ""
            return _with_times(Band(
                accuracy_class=key, validated=True, rows=int(got["rows"]), ratio_low=q[lo], ratio_high=q[hi],
                basis=f"10th-90th percentile of measured/predicted out of sample, {got['rows']} measured rows "
                      f"of class {key}{extra}, widened x{doc.get('spread_scale', 1.0):g} in log space to the "
                      "80 % coverage measured out of fold (data/accuracy_bands.yaml)"), doc, scenario)
    raise AssertionError("the band table has no 'all' class")  # make_bands guarantees it


def coverage(records: Sequence[Record], borrowed: Sequence[Record], validated: Iterable[str],
             key: str = "accelerator", spread_scale: float = 1.0) -> tuple[float, int, dict[str, tuple[int, float]]]:
    """Measured coverage of the 80 % interval, out of fold: each group's records (by ``key``)
    are scored against bands made from the other groups' records only. Returns the pooled
    share inside, the records scored and (records, share inside) per group."""
    val = set(validated)
    inside: list[bool] = []
    per: dict[str, tuple[int, float]] = {}
    for g in sorted({getattr(r, key) for r in records}):
        train = [r for r in records if getattr(r, key) != g]
        test = [r for r in records if getattr(r, key) == g]
        try:
            table = make_bands(train, [b for b in borrowed if getattr(b, key) != g], val, spread_scale)
        except InputError:
            continue
        got = []
        for r in test:
            b = band_for(r.vendor, r.stack, r.dtype, r.scenario, table=table)
            got.append(b.ratio_low <= r.ratio <= b.ratio_high)
        inside += got
        per[g] = (len(got), float(np.mean(got)))
    return (float(np.mean(inside)) if inside else float("nan")), len(inside), per


def smallest_scale(coverage_at: Callable[[float], float], target: float = TARGET_COVERAGE) -> tuple[float, float]:
    """The smallest widening of :data:`SCALES` whose coverage (``coverage_at(scale)``, out of
    fold) reaches ``target``, and that coverage; the widest scale when none does."""
    share = float("nan")
    for k in SCALES:
        share = coverage_at(k)
        if share >= target:
            return k, share
    return SCALES[-1], share


def choose_spread_scale(records: Sequence[Record], borrowed: Sequence[Record], validated: Iterable[str],
                        target: float = TARGET_COVERAGE) -> tuple[float, float]:
    """The smallest widening (of :data:`SCALES`) whose out-of-fold coverage by accelerator
    reaches ``target``, and that coverage. Pooled out-of-sample ratios are narrower than the
    spread of a new chip or model (its rows share one offset), so the raw 10th-90th
    percentiles cover less than 80 % of a new group's rows; one scale, chosen by
    cross-validation, corrects it for every class (split-conformal calibration)."""
    val = list(validated)
    return smallest_scale(lambda k: coverage(records, borrowed, val, spread_scale=k)[0], target)


def interval_check(recs: Sequence[Record], borrowed: Sequence[Record], validated: Sequence[str]) -> list[str]:
    """Printable lines: raw and widened coverage out of fold by accelerator, per accelerator, and
    the holdout rows against bands (and a widening) made from the fitted rows' ratios only."""
    raw = coverage(recs, borrowed, validated)[0]
    scale, _ = choose_spread_scale(recs, borrowed, validated)
    share, n, per = coverage(recs, borrowed, validated, spread_scale=scale)
    lines = [f"raw 10th-90th percentiles cover {raw:.1%} out of fold by accelerator; widened x{scale:g} in log space",
             f"coverage of the 80 % interval, out of fold by accelerator: {share:.1%} of {n} out-of-sample ratios "
             "(target 70-90 %)"]
    lines += [f"  {g:<12} {k:>4} ratios  {v:6.1%} inside" for g, (k, v) in per.items()]
    train = [r for r in recs if r.origin != "holdout"]
    hold = [r for r in recs if r.origin == "holdout"]
    if hold:
        k_train, _ = choose_spread_scale(train, borrowed, validated)
        table = make_bands(train, borrowed, validated, k_train)
        got = [band_for(r.vendor, r.stack, r.dtype, r.scenario, table=table) for r in hold]
        inside = float(np.mean([b.ratio_low <= r.ratio <= b.ratio_high for b, r in zip(got, hold)]))
        lines.append(f"holdout rows against bands made from the fitted rows' out-of-fold ratios only (widening "
                     f"x{k_train:g} chosen on them): {inside:.1%} of {len(hold)} inside")
    return lines


def save_records(path: str | Path, recs: Sequence[Record], borrowed: Sequence[Record], validated: Sequence[str]) -> None:
    """Write the out-of-sample ratios (JSON) so the bands can be remade without a second
    cross-validation (benchmarks/accuracy.py --records, accuracy_bands.py --records)."""
    Path(path).write_text(json.dumps({"records": [dataclasses.asdict(r) for r in recs], "validated": list(validated),
                                      "borrowed": [dataclasses.asdict(r) for r in borrowed]}), encoding="utf-8")


def load_records(path: str | Path) -> tuple[list[Record], list[Record], list[str]]:
    """(records, borrowed, validated) as :func:`save_records` wrote them."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    return [Record(**r) for r in doc["records"]], [Record(**r) for r in doc["borrowed"]], list(doc["validated"])


def records(rows: Sequence[Any], predicted: np.ndarray, vendor: Mapping[str, str], origin: str) -> list[Record]:
    """Out-of-sample records of measured rows (``accuracy.measured.MeasuredRow``) and their
    predictions; rows not predicted (NaN) or not of throughput are left out."""
    out = []
    for r, p in zip(rows, predicted):
        if r.metric == "output_tok_per_s" and np.isfinite(p) and p > 0:
            out.append(Record(r.id, vendor[r.accelerator], r.stack, r.weights_dtype, r.scenario, r.accelerator,
                              float(r.value / p), origin))
    return out


def band_inputs(rows: Sequence[Any], oof: Mapping[str, np.ndarray], hold_rows: Sequence[Any], hold_pred: np.ndarray,
                vendor: Mapping[str, str]) -> tuple[list[Record], list[Record], list[str]]:
    """(records, borrowed, validated) for :func:`make_bands` from the out-of-fold predictions
    of the fitted rows per cross-validation key (``accelerator``, ``model``, ``stack``) and the
    holdout rows predicted by the shipped factors. Records: leave-one-accelerator-out and
    leave-one-model-out (a new chip, a new model) plus holdout; borrowed: leave-one-stack-out
    and leave-one-accelerator-out (factors from other stacks or chips)."""
    recs = [*records(rows, oof["accelerator"], vendor, "leave-one-accelerator-out"),
            *records(rows, oof["model"], vendor, "leave-one-model-out"),
            *records(hold_rows, hold_pred, vendor, "holdout")]
    borrowed = [*records(rows, oof["stack"], vendor, "leave-one-stack-out"),
                *records(rows, oof["accelerator"], vendor, "leave-one-accelerator-out")]
    validated = sorted({f"{vendor[r.accelerator]}/{r.stack}" for r in rows})
    return recs, borrowed, validated
