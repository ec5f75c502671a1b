"""Accuracy with and without measured kernels (fidelity ``measured`` vs ``calibrated``), side by side.

    python benchmarks/measured_fidelity.py [--rows] [--no-refit]

Needs the optional extra (``pip install 'tokenfab[measured]'``). For validation/holdout.csv
(rows never used in fitting: the honest figure) and validation/measured.csv (the rows the
calibrated factors were fitted on, so both columns are in sample there and the calibrated one
is favoured), prints the MAPE of both fidelities on the rows the kernel database covers
(chip x stack x compute dtype with a measured GEMM or MoE table) and on all rows. ``--rows`` lists
every covered row with the predictions.

Columns: ``calibrated`` (shipped factors: one ``fit_neutral`` on measured.csv), ``measured``
(the same shipped factors around measured dense-GEMM times: the factors were fitted to absorb
physics GEMM inefficiency, so this mixes the two) and ``measured-refit`` (the same deterministic
``fit_neutral`` on measured.csv, run with the measured fidelity, so the calibrated factors fit
around the measured GEMMs: the like-for-like comparison; skipped with ``--no-refit``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tokenfab.accuracy.calibration import fit_neutral, read_latency_pairs  # noqa: E402
from tokenfab.accuracy.measured import read_measured  # noqa: E402
from tokenfab.accuracy.score import Prepared, efficiency_for, evaluate, prepare  # noqa: E402
from tokenfab.catalog import load_catalog  # noqa: E402
from tokenfab.engine.measured_kernels import database_version  # noqa: E402
from tokenfab.errors import run_script  # noqa: E402

FILES = (("holdout.csv", "never used in fitting: out of sample"),
         ("measured.csv", "the calibrated factors were fitted on these rows: in sample, favours 'calibrated'"))


def mape(pred: np.ndarray, meas: np.ndarray, sel: np.ndarray) -> str:
    ok = sel & np.isfinite(pred)
    if not ok.any():
        return f"{'-':>7} {'-':>7} {'-':>6}"
    ape = np.abs(pred[ok] - meas[ok]) / meas[ok]
    ratio = np.maximum(pred[ok] / meas[ok], meas[ok] / pred[ok])
    return f"{ape.mean():7.1%} {np.median(ape):7.1%} {ratio.max():6.2f}"


def covered(prep: Prepared, table: dict) -> np.ndarray:
    """Per kept row: True when its chip x stack x compute dtype has a measured GEMM or MoE table."""
    eff = efficiency_for(prep, table, "measured")
    ids = np.maximum(np.asarray(eff.measured_gemm), np.asarray(eff.measured_moe))
    out = np.zeros(len(prep.rows), dtype=bool)
    out[prep.row_index] = ids[prep.table_index] > 0
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", action="store_true", help="list every covered row")
    ap.add_argument("--no-refit", action="store_true", help="skip the fit with the measured fidelity (minutes)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    cat = load_catalog()
    table = cat.efficiency
    print(f"# measured kernels: {database_version()} (dense GEMMs, MoE layers, prompt attention; decode attention, "
          "communication, overheads: physics)")
    runs = {"calibrated": (table, "calibrated"), "measured": (table, "measured")}
    if not args.no_refit:
        fitted = prepare(read_measured(ROOT / "validation" / "measured.csv"), cat)
        params = fit_neutral(fitted, read_latency_pairs(ROOT / "validation" / "latency_pairs.csv"), fidelity="measured")
        runs["measured-refit"] = ({**table, "calibrated": params}, "measured")
        print(f"# measured-refit: fit_neutral on measured.csv with the measured fidelity ({time.perf_counter() - t0:.0f} s)")
    head = "  ".join(f"{n + ': MAPE median maxr':>27}" for n in runs)
    for name, what in FILES:
        prep = prepare(read_measured(ROOT / "validation" / name), cat)
        meas = np.array([r.value for r in prep.rows])
        pred = {n: evaluate(prep, t, f)["predicted"] for n, (t, f) in runs.items()}
        cov = covered(prep, table)
        print(f"\n## {name}: {what}")
        print(f"{'rows':<20} {'n':>3}  {head}")
        for label, sel in (("covered by database", cov), ("not covered", ~cov), ("all", np.ones_like(cov))):
            print(f"{label:<20} {sel.sum():>3}  " + "  ".join(f"{mape(p, meas, sel):>27}" for p in pred.values()))
        if args.rows:
            for i in np.flatnonzero(cov):
                r = prep.rows[i]
                print(f"  {r.id:<7} {r.model:<16} {r.accelerator:<8} x{r.n_accel:<3} {r.weights_dtype:<6} {r.stack:<7}"
                      f" meas {r.value:>10.4g}  " + "  ".join(f"{n} {p[i] / r.value:5.2f}x" for n, p in pred.items()))
    print(f"\nelapsed {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    raise SystemExit(run_script(main))
