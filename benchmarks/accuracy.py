"""Accuracy of the engine on measured results, in sample and out of sample.

    python benchmarks/accuracy.py [--csv FILE] [--quick]

Prints, labelled:
  * in sample: MAPE per fidelity on validation/measured.csv with the shipped factors (fitted
    on these very rows, so optimistic);
  * out of sample: leave-one-accelerator-out, leave-one-model-out and leave-one-stack-out
    cross-validation; every fold fits from the same fixed starts on its own training rows
    only (p99/mean factors too; accuracy/crossval.py), per group and pooled;
  * holdout: validation/holdout.csv (rows never used in fitting) with the shipped factors;
  * tables by vendor, stack, weight dtype, model family and scenario (in sample, each
    cross-validation's out-of-fold error, holdout);
  * mean TPOT and TTFT of the MLPerf Server/Interactive runs at their measured concurrency
    (validation/latency_pairs.csv means, never fitted).
``--quick`` skips the cross-validation refits (about 16 fits, minutes). ``--physics before``
scores the engine as it was before the issue-16 physics changes (docs/engine.md), by patching
them out in this process only: one FP4 compute scale shared by every chip, and MXFP4 weights
on chips without FP4 units computing at the FP8 peak. Both runs use the same honest method
(neutral-start refits), so their figures compare.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tokenfab.accuracy.bands import band_inputs, bands, interval_check, save_records, time_multiples  # noqa: E402
from tokenfab.accuracy.calibration import read_latency_means, read_latency_pairs  # noqa: E402
from tokenfab.accuracy.crossval import KEYS, CrossValidation, cross_validate_all  # noqa: E402
from tokenfab.accuracy.latency import LATENCY_METRICS, latency_records, step_range_holds  # noqa: E402
from tokenfab.accuracy.measured import MeasuredRow, read_measured  # noqa: E402
from tokenfab.accuracy.score import evaluate, prepare  # noqa: E402
from tokenfab.catalog import load_catalog  # noqa: E402
from tokenfab.engine import dtypes  # noqa: E402
from tokenfab.errors import run_script  # noqa: E402

PAIRS = ROOT / "validation" / "latency_pairs.csv"
HOLDOUT = ROOT / "validation" / "holdout.csv"


def summary(pred: np.ndarray, meas: np.ndarray) -> str:
    ok = np.isfinite(pred)
    if not ok.any():
        return "no row predicted"
    ape = np.abs(pred[ok] - meas[ok]) / meas[ok]
    ratio = np.maximum(pred[ok] / meas[ok], meas[ok] / pred[ok])
    return f"MAPE {ape.mean():6.1%}  median {np.median(ape):6.1%}  max ratio {ratio.max():5.2f}  rows {ok.sum()}"


def family(model: str) -> str:
    """Model family from the catalog id: 'llama-2-70b' -> 'llama', 'gpt-oss-120b' -> 'gpt-oss'."""
    m = re.match(r"(gpt-oss|llama-4|[a-z]+\d*)(?=-|$)", model)
    return m.group(1) if m else model


CLASSES: dict[str, Callable[[MeasuredRow, dict[str, str]], str]] = {
    "vendor": lambda r, vendor: vendor[r.accelerator],
    "stack": lambda r, _: r.stack,
    "dtype": lambda r, _: r.weights_dtype,
    "family": lambda r, _: family(r.model),
    "scenario": lambda r, _: r.scenario,
}


def _mape(ape: np.ndarray, sel: np.ndarray) -> str:
    got = ape[sel & np.isfinite(ape)]
    return f"{got.mean():7.1%}" if len(got) else f"{'-':>7}"


def class_tables(rows: Sequence[MeasuredRow], columns: dict[str, np.ndarray], vendor: dict[str, str],
                 title: str) -> None:
    """One table per class: rows and MAPE of each column (an APE array over ``rows``)."""
    for name, of in CLASSES.items():
        labels = np.array([of(r, vendor) for r in rows])
        print(f"\n### {title} by {name}")
        print(f"{name:<14} {'rows':>4}  " + "  ".join(f"{c:>9}" for c in columns))
        for lab in sorted(set(labels)):
            sel = labels == lab
            print(f"{lab:<14} {sel.sum():>4}  " + "  ".join(f"{_mape(a, sel):>9}" for a in columns.values()))


def physics_before(table: dict) -> dict:
    """The pre-issue-16 engine: MXFP4 on chips without FP4 at the FP8 peak (patched in this
    process), and one FP4 scale for all chips (every FP4 chip mapped to one architecture)."""
    dtypes.COMPUTE_PEAK_ORDER["mxfp4"] = ("fp4", "fp8", "bf16")
    d = table["derated"]
    d["architecture"] = dict.fromkeys(("b200", "gb200", "b300", "gb300", "rubin", "mi355x", "trainium3", "maia-200"),
                                      "all-fp4")
    fp4 = table["calibrated"].get("dtype_compute_scale", {}).get("fp4", {})
    table["calibrated"]["dtype_compute_scale"] = {"fp4": {"all-fp4": next(iter(fp4.values()), 1.0)}}
    return table


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", default=str(ROOT / "validation" / "measured.csv"))
    ap.add_argument("--quick", action="store_true", help="skip the cross-validation refits")
    ap.add_argument("--physics", choices=("current", "before"), default="current",
                    help="'before': the engine without the issue-16 FP4 / weight-only MXFP4 changes")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="processes for the cross-validation folds (default: every CPU; same figures)")
    ap.add_argument("--records", type=Path, help="also write the out-of-sample ratios (JSON) for "
                    "benchmarks/accuracy_bands.py --records, so the bands need no second cross-validation")
    args = ap.parse_args()
    t0 = time.perf_counter()
    cat = load_catalog()
    table = cat.efficiency
    if args.physics == "before":
        physics_before(table)  # in place: the catalog's table, which the refits start from
        print("# physics: before issue 16 (one global FP4 scale; MXFP4 weight-only at the FP8 peak)")
    prep = prepare(read_measured(args.csv), cat)
    hold = prepare(read_measured(HOLDOUT), cat)
    vendor = {r.accelerator: cat.accelerator(r.accelerator).vendor for r in [*prep.rows, *hold.rows]}
    meas = np.array([r.value for r in prep.rows])
    print(f"# {args.csv}: {len(prep.rows)} rows, {len(prep.skipped)} skipped")
    print("\n## in sample (shipped factors, fitted on these rows: optimistic)")
    for fid in ("roofline", "derated", "calibrated"):
        print(f"{fid:>10}: {summary(evaluate(prep, table, fid)['predicted'], meas)}")
    pred_in = evaluate(prep, table)["predicted"]
    columns = {"in-sample": np.abs(pred_in - meas) / meas}
    cvs: dict[str, CrossValidation] = {}
    if not args.quick:
        pairs = read_latency_pairs(PAIRS)
        cvs = cross_validate_all(prep, pairs, KEYS, max(1, args.jobs))
        for key, cv in cvs.items():
            print(f"\n## out of sample: leave-one-{key}-out (each fold fitted from the fixed starts on the "
                  "other groups' rows)")
            print(f"{'left out':<18} {'rows':>4}  {'MAPE':>7}")
            for g, (n, v) in cv.per_group().items():
                print(f"{g:<18} {n:>4}  {v:7.1%}")
            print(f"{'pooled':<18} {len(prep.rows):>4}  {summary(cv.predicted, meas)}")
            columns[f"LO-{key[:5]}-O"] = cv.ape()
    hmeas = np.array([r.value for r in hold.rows])
    hout = evaluate(hold, table)
    hpred = hout["predicted"]
    print(f"\n## holdout ({HOLDOUT.name}, never used in fitting; shipped factors): {summary(hpred, hmeas)}"
          f"  skipped {len(hold.skipped)}")
    if not args.quick:
        print("\n## summary (MAPE)")
        print(f"in-sample {summary(pred_in, meas)}")
        for key, cv in cvs.items():
            print(f"leave-one-{key}-out {summary(cv.predicted, meas)}")
        print(f"holdout {summary(hpred, hmeas)}")
        # the bands describe estimates a user gets: predictions within the row's latency limits
        # (a fold that finds no candidate within them still counts in the MAPE above)
        outside = {k: int((np.isfinite(cv.predicted) & ~cv.feasible).sum()) for k, cv in cvs.items()}
        print("out-of-fold predictions with no candidate within the row's latency limits (in the MAPE, not in the "
              "bands): " + ", ".join(f"{k} {n}" for k, n in outside.items())
              + f"; holdout {int((np.isfinite(hpred) & ~hout['feasible']).sum())}")
        recs, borrowed, validated = band_inputs(prep.rows, {k: cv.within_limits() for k, cv in cvs.items()}, hold.rows,
                                                np.where(hout["feasible"], hpred, np.nan), vendor)
        if args.records:
            save_records(args.records, recs, borrowed, validated)
        print("\n## 80 % prediction intervals (accuracy/bands.py): measured coverage out of fold")
        print("\n".join(interval_check(recs, borrowed, validated)))
    class_tables(prep.rows, columns, vendor, f"{Path(args.csv).name} (APE)")
    class_tables(hold.rows, {"holdout": np.abs(hpred - hmeas) / hmeas}, vendor, f"{HOLDOUT.name} (APE)")
    print(f"\n## {HOLDOUT.name} rows")
    for r, p in zip(hold.rows, hpred):
        print(f"  {r.id:<8} {r.model:<16} {r.accelerator:<9} x{r.n_accel:<3} {r.weights_dtype:<6} "
              f"{r.isl_tokens or 0:>6.0f}/{r.osl_tokens:<6.0f} pred {p:>10.1f} meas {r.value:>10.1f}  "
              f"ratio {p / r.value:5.2f}")
    latency_at_measured_concurrency(prep.rows, cat, table)
    print(f"\nelapsed {time.perf_counter() - t0:.1f} s")


def latency_at_measured_concurrency(rows: Sequence[MeasuredRow], cat: Any, table: Any) -> None:
    """Mean TPOT and TTFT of the MLPerf Server/Interactive runs (validation/latency_pairs.csv,
    never fitted: the fit uses only their p99/mean ratios), predicted at each run's measured
    concurrency (accuracy/latency.py: Little's law), and how many fall inside the shipped 80 %
    intervals of TTFT and TPOT (the table was made from these runs: in sample;
    benchmarks/accuracy_bands.py prints the out-of-fold coverage)."""
    recs, shown, skipped = latency_records(rows, read_latency_means(PAIRS), cat, table)
    print("\n## mean latency at the measured concurrency (MLPerf Server/Interactive runs; the means are "
          "never fitted)")
    for metric in LATENCY_METRICS:
        sel = [(r, p) for r, p in shown if r.metric == metric]
        pred, meas = np.array([p for _, p in sel]), np.array([r.value for r, _ in sel])
        rs = [r for r in recs if r.metric == metric]
        step = step_range_holds(recs, metric)
        inside = 0
        for r in rs:
            lo, hi = time_multiples(bands(), metric, r.scenario, r.step_low, r.step_high)
            inside += lo <= r.ratio <= hi
        print(f"{metric}: {summary(pred, meas)}; inside the shipped 80 % interval {inside} of {len(rs)} "
              f"(the step-time range alone: {step})")
    for r, p in shown:
        print(f"  {r.id:<14} {r.model:<16} {r.accelerator:<9} x{r.n_accel:<3} concurrency {r.concurrency:>6} "
              f"pred {p:8.4f} s meas {r.value:8.4f} s  ratio {p / r.value:5.2f}")
    for r, why in skipped:
        print(f"  {r.id:<14} skipped: {why}")


if __name__ == "__main__":
    raise SystemExit(run_script(main))
