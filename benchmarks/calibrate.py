"""Fit the calibrated efficiency factors on validation/measured.csv.

    python benchmarks/calibrate.py           # fit and print, change nothing
    python benchmarks/calibrate.py --write   # also write them to src/tokenfab/data/efficiency.yaml

One deterministic fit (accuracy/calibration.py ``fit_neutral``): from each of the three fixed
starts (``STARTS``: the derated or the datasheet memory efficiency, no per-pass cost or 1 ms),
keeping the one that fits the rows best, never from the factors already shipped, so running it twice writes the same table; the
p99/mean latency factors are the medians of validation/latency_pairs.csv over the fitted rows.
After --write, run benchmarks/accuracy_bands.py --write so the bands follow.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tokenfab.accuracy.calibration import fit_neutral, loss, predict, read_latency_pairs  # noqa: E402
from tokenfab.accuracy.measured import read_measured  # noqa: E402
from tokenfab.accuracy.score import prepare  # noqa: E402
from tokenfab.catalog import load_catalog  # noqa: E402
from tokenfab.catalog.assumptions import efficiency_table  # noqa: E402
from tokenfab.errors import run_script  # noqa: E402

HEADER = """\
# tokenfab engine efficiency factors, kept apart from the datasheet peaks.
# derated: measured hardware efficiencies from independent sources (not fitted to tokenfab's validation set).
# calibrated: a few stack-level and global factors fitted on validation/measured.csv by
#   benchmarks/calibrate.py --write, one deterministic fit from the fixed starts (method in
#   docs/engine.md). Do not edit them by hand.
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--csv", default=str(ROOT / "validation" / "measured.csv"))
    ap.add_argument("--pairs", default=str(ROOT / "validation" / "latency_pairs.csv"))
    args = ap.parse_args()
    prep = prepare(read_measured(args.csv), load_catalog())
    table = efficiency_table()
    print(f"rows: {len(prep.rows)} (skipped {len(prep.skipped)}); shipped mean|log err| = "
          f"{loss(prep, table['calibrated']):.4f}")
    params = fit_neutral(prep, read_latency_pairs(args.pairs), log=print)
    pred = predict(prep, params)
    meas = np.array([r.value for r in prep.rows])
    ape = np.abs(pred - meas) / meas
    worst = np.max(np.maximum(pred / meas, meas / pred))
    print(f"fitted: MAPE {ape.mean():.1%}  median {np.median(ape):.1%}  max ratio {worst:.2f}")
    print(yaml.safe_dump({"calibrated": params}, sort_keys=False))
    if args.write:
        params["fitted_at"] = dt.date.today().isoformat()
        params["fitted_on"] = "validation/measured.csv (from the three fixed starts; p99 from validation/latency_pairs.csv)"
        rounded = _round(params)
        out = {**table, "calibrated": rounded}  # schema_version and derated kept as they are
        path = ROOT / "src" / "tokenfab" / "data" / "efficiency.yaml"
        path.write_text(HEADER + yaml.safe_dump(out, sort_keys=False, width=120), encoding="utf-8")
        print(f"wrote {path}")


def _round(d):
    if isinstance(d, dict):
        return {k: _round(v) for k, v in d.items()}
    if isinstance(d, float):
        return float(f"{d:.4g}")
    return d


if __name__ == "__main__":
    raise SystemExit(run_script(main))
