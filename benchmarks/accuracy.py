"""Accuracy of the engine on measured results, in sample and out of sample.

    python benchmarks/accuracy.py [--csv FILE] [--quick]

Prints: MAPE per fidelity (roofline / derated / calibrated) on the whole file; then the
generalization estimate: for each accelerator (and each model) the calibrated factors are
refitted WITHOUT its rows and its rows are predicted (leave-one-accelerator-out and
leave-one-model-out). Also scores validation/holdout.csv (rows never used in fitting).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tokenfab.accuracy.calibration import leave_one_out  # noqa: E402
from tokenfab.accuracy.measured import read_measured  # noqa: E402
from tokenfab.accuracy.score import evaluate, measure_accuracy, prepare  # noqa: E402
from tokenfab.catalog import load_catalog  # noqa: E402
from tokenfab.catalog.assumptions import efficiency_table  # noqa: E402


def summary(pred: np.ndarray, meas: np.ndarray) -> str:
    ok = np.isfinite(pred)
    ape = np.abs(pred[ok] - meas[ok]) / meas[ok]
    ratio = np.maximum(pred[ok] / meas[ok], meas[ok] / pred[ok])
    return f"MAPE {ape.mean():6.1%}  median {np.median(ape):6.1%}  max ratio {ratio.max():5.2f}  rows {ok.sum()}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", default=str(ROOT / "validation" / "measured.csv"))
    ap.add_argument("--quick", action="store_true", help="skip leave-one-out refits")
    args = ap.parse_args()
    t0 = time.perf_counter()
    table = efficiency_table()
    prep = prepare(read_measured(args.csv), load_catalog())
    meas = np.array([r.value for r in prep.rows])
    print(f"# {args.csv}: {len(prep.rows)} rows, {len(prep.skipped)} skipped")
    for fid in ("roofline", "derated", "calibrated"):
        print(f"{fid:>10}: {summary(evaluate(prep, table, fid)['predicted'], meas)}")
    if not args.quick:
        start = table["calibrated"]
        for key in ("accelerator", "model"):
            per, pooled = leave_one_out(prep, start, key)
            print(f"\n## leave-one-{key}-out (refit without the group, predict the group)")
            print(f"{'left out':<18} {'rows':>4}  {'MAPE':>7}")
            groups = [getattr(r, key) for r in prep.rows]
            for g, v in per.items():
                print(f"{g:<18} {groups.count(g):>4}  {v:7.1%}")
            print(f"{'pooled':<18} {len(groups):>4}  {summary(pooled, meas)}")
    holdout = ROOT / "validation" / "holdout.csv"
    if holdout.exists():
        rep = measure_accuracy(holdout, "calibrated")
        print(f"\n## holdout ({holdout.name}, never used in fitting): MAPE {rep.mape:.1%}  median "
              f"{rep.median_ape:.1%}  max ratio {rep.max_ratio:.2f}  rows {len(rep.rows)} skipped {len(rep.skipped)}")
        for r in rep.rows:
            print(f"  {r.id:<8} {r.model:<16} {r.accelerator:<9} x{r.n_accel:<3} {r.scenario:<11} "
                  f"pred {r.predicted:>10.1f} meas {r.measured:>10.1f}  ape {r.ape:6.1%}")
    print(f"\nelapsed {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
