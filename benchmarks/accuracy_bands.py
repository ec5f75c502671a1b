"""Write src/tokenfab/data/accuracy_bands.yaml: the out-of-sample spread of measured / predicted
output throughput per accuracy class (vendor x stack x weights x scenario, coarser where data is
thin), the 80 % prediction interval every estimate carries (accuracy/bands.py).

    python benchmarks/accuracy_bands.py           # cross-validate, print the table and its coverage
    python benchmarks/accuracy_bands.py --write   # also write the data file
    python benchmarks/accuracy_bands.py --records R.json --holdout --write
        # R.json's out-of-fold ratios, the held-out ones predicted anew from validation/holdout.csv
        # (rows added there need no cross-validation: no fold reads that file)

Out of sample only: the fitted rows (validation/measured.csv) are predicted by the
leave-one-accelerator-out and leave-one-model-out folds that never saw them (each fitted from
the fixed starts, accuracy/crossval.py); the holdout rows by the shipped factors. The coverage
printed is itself out of fold: each accelerator's rows against bands made without them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tokenfab.accuracy.bands import (  # noqa: E402
    band_inputs,
    choose_spread_scale,
    interval_check,
    load_records,
    make_bands,
    records,
    save_records,
)
from tokenfab.accuracy.calibration import read_latency_means, read_latency_pairs  # noqa: E402
from tokenfab.accuracy.crossval import KEYS, cross_validate_all  # noqa: E402
from tokenfab.accuracy.latency import (  # noqa: E402
    LATENCY_METRICS,
    choose_latency_scale,
    latency_coverage,
    latency_records,
    make_latency_bands,
    step_range_holds,
)
from tokenfab.accuracy.measured import MeasuredRow, read_measured  # noqa: E402
from tokenfab.accuracy.score import evaluate, prepare  # noqa: E402
from tokenfab.catalog import Catalog, load_catalog  # noqa: E402
from tokenfab.errors import run_script  # noqa: E402

FITTED = ROOT / "validation" / "measured.csv"
HOLDOUT = ROOT / "validation" / "holdout.csv"
PAIRS = ROOT / "validation" / "latency_pairs.csv"
OUT = ROOT / "src" / "tokenfab" / "data" / "accuracy_bands.yaml"


def holdout_predicted(cat: Catalog) -> tuple[list[MeasuredRow], np.ndarray]:
    """The rows of validation/holdout.csv and their predictions at the shipped factors (NaN where
    no candidate meets the row's latency limits). No cross-validation fold reads that file, so
    these are the same whether or not the folds are run."""
    hold = prepare(read_measured(HOLDOUT), cat)
    hout = evaluate(hold, cat.efficiency)
    return hold.rows, np.where(hout["feasible"], hout["predicted"], np.nan)


def vendors(cat: Catalog, rows: Sequence[MeasuredRow]) -> dict[str, str]:
    return {r.accelerator: cat.accelerator(r.accelerator).vendor for r in rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--records", type=Path, help="JSON cache of the out-of-sample ratios: read when it exists "
                    "(no refits), else written after the cross-validation")
    ap.add_argument("--holdout", action="store_true", help="with --records: predict the held-out rows anew "
                    "from validation/holdout.csv at the shipped factors and write them back into the records")
    args = ap.parse_args()
    if args.holdout and not (args.records and args.records.exists()):
        ap.error(f"--holdout = on: it refreshes the held-out ratios of an existing records file, and --records = "
                 f"{args.records} {'does not exist' if args.records else 'is not given'}; fix: pass --records R.json "
                 "written by benchmarks/accuracy.py --records")
    t0 = time.perf_counter()
    if args.records and args.records.exists():
        recs, borrowed, validated = load_records(args.records)
        if args.holdout:
            cat = load_catalog()
            hold_rows, hpred = holdout_predicted(cat)
            recs = [*[r for r in recs if r.origin != "holdout"],
                    *records(hold_rows, hpred, vendors(cat, hold_rows), "holdout")]
            save_records(args.records, recs, borrowed, validated)
    else:
        print(f"no records{' at ' + str(args.records) if args.records else ''} (--records): running the whole "
              "cross-validation (an hour or more on two cores)", flush=True)
        cat = load_catalog()
        prep = prepare(read_measured(FITTED), cat)
        hold_rows, hpred = holdout_predicted(cat)
        pairs = read_latency_pairs(PAIRS)
        # estimates a user gets: predictions within the row's latency limits (accuracy.py prints the others)
        oof = {key: cv.within_limits() for key, cv in cross_validate_all(prep, pairs, KEYS, os.cpu_count() or 1).items()}
        recs, borrowed, validated = band_inputs(prep.rows, oof, hold_rows, hpred, vendors(cat, [*prep.rows, *hold_rows]))
        if args.records:
            save_records(args.records, recs, borrowed, validated)
    scale, _ = choose_spread_scale(recs, borrowed, validated)
    doc = make_bands(recs, borrowed, validated, scale)
    doc = {"schema_version": 2, "metric": "output_tok_per_s", "made_at": dt.date.today().isoformat(),
           "made_from": [str(FITTED.relative_to(ROOT)) + " (out of fold: leave-one-accelerator-out, "
                         "leave-one-model-out; unvalidated: also leave-one-stack-out)",
                         str(HOLDOUT.relative_to(ROOT)) + " (shipped factors, never fitted on it)"],
           "method": "quantiles of measured / predicted output throughput per class; 'interval' names the 80 % "
                     "prediction interval; a class needs min_rows measured rows, else the next coarser level",
           **doc}
    # TTFT and TPOT: the serving runs' measured means against the engine at their concurrency
    cat = load_catalog()
    lat, _, _ = latency_records(read_measured(FITTED), read_latency_means(PAIRS), cat, band_table=doc)
    scales = {m: choose_latency_scale(lat, m)[0] for m in LATENCY_METRICS}
    doc["latency"] = {
        "basis": "measured / predicted mean TTFT and TPOT of the serving runs of validation/latency_pairs.csv "
                 "(MLPerf Server and Interactive), predicted at each run's concurrency (Little's law) with the "
                 "shipped factors, which were fitted on the runs' throughput, never on these means; a time's "
                 "interval is the union of this spread (10th-90th percentile, widened x spread_scale) and its "
                 "class's step-time range",
        **make_latency_bands(lat, scales)}
    text = yaml.safe_dump(doc, sort_keys=False, width=120)
    print(text)
    print("\n".join(interval_check(recs, borrowed, validated)))
    for m in LATENCY_METRICS:
        raw, n = latency_coverage(lat, m, 1.0)
        share, _ = latency_coverage(lat, m, scales[m])
        step = step_range_holds(lat, m)
        print(f"{m}: the step-time range alone holds {step} of {n} runs' measured means; with the measured spread, "
              f"out of fold by accelerator: raw {raw:.1%}, widened x{scales[m]:g} {share:.1%}")
    print(f"elapsed {time.perf_counter() - t0:.1f} s")
    if args.write:
        OUT.write_text("# Made by benchmarks/accuracy_bands.py --write; do not edit by hand.\n" + text,
                       encoding="utf-8")
        print(f"wrote {OUT}")


if __name__ == "__main__":
    raise SystemExit(run_script(main))
