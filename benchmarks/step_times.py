"""Step time at a run's own concurrency: mean TPOT of MLPerf Server and Interactive runs.

    python benchmarks/step_times.py                  # score validation/step_times.csv
    python benchmarks/step_times.py --build DIR      # remake it from a checkout of mlcommons/inference_results_v5.1

A Server or Interactive throughput row (validation/measured.csv, validation/holdout.csv) is predicted
at the best concurrency whose p99 latencies meet the limits, so its error mixes the step-time
physics with the p99 factors and the latency search. The same runs' ``mlperf_log_summary.txt``
also give the mean time per output token at the load the run actually carried: by Little's law
the sequences in decode are ``completed tokens/s x mean TPOT`` (on DeepSeek-R1 B200 Server,
18,592 tok/s x 66.5 ms = 1,236, and completed samples/s x mean latency = 4.96 x 248.9 s = 1,235).
``validation/step_times.csv`` holds one ``tpot_s`` row per such run at that fixed concurrency (the
``concurrency`` column of the validate format), so ``tokenfab validate`` predicts the step at the
measured batch: the physics alone. These rows are not fitted (calibration reads measured.csv);
rows whose throughput row is fitted (ids ``ST-GT...``) and rows of held-out runs (``ST-HO...``)
are summarised apart. A row the engine finds cannot fit in memory at that concurrency is listed
as such: the engine's memory model is then tighter than the run was.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tokenfab.accuracy.measured import OPTIONAL_COLUMNS, VALIDATION_HEADER, read_measured  # noqa: E402
from tokenfab.accuracy.score import measure_accuracy  # noqa: E402
from tokenfab.errors import run_script  # noqa: E402

OUT = ROOT / "validation" / "step_times.csv"
SOURCES = (ROOT / "validation" / "measured.csv", ROOT / "validation" / "holdout.csv")
RESULTS = re.compile(r"mlcommons/inference_results_v5\.1/tree/[^/\s]+/(\S+?)(?=[\s)]|$)")
MLPERF_SUMMARY = "performance/run_1/mlperf_log_summary.txt"


def summary_value(text: str, key: str) -> float:
    m = re.search(re.escape(key) + r"\s*:\s*([0-9.]+)", text)
    if m is None:
        raise SystemExit(f"error: '{key}' not in the summary. Fix: point --build at the results checkout")
    return float(m.group(1))


def build(checkout: Path) -> int:
    rows = []
    for path in SOURCES:
        for r in csv.DictReader(path.open(encoding="utf-8")):
            if r["scenario"] not in ("server", "interactive") or r["metric"] != "output_tok_per_s":
                continue
            m = RESULTS.search(r["source"])
            if m is None:
                continue
            rel = m.group(1).rstrip("/")
            rel = rel if rel.endswith("mlperf_log_summary.txt") else f"{rel}/{MLPERF_SUMMARY}"
            summary = checkout / rel
            if not summary.is_file():
                raise SystemExit(f"error: --build {checkout}: no {rel} (row {r['id']}). "
                                 "Fix: point --build at a checkout of mlcommons/inference_results_v5.1")
            text = summary.read_text(encoding="utf-8")
            tok_s = summary_value(text, "Completed tokens per second")
            tpot_s = summary_value(text, "Mean Time to Output Token (ns)") * 1e-9
            out = dict(r)
            out.update(id=f"ST-{r['id']}", metric="tpot_s", value=f"{tpot_s:.6g}", concurrency=str(max(1, round(tok_s * tpot_s))),
                       source=(f"https://github.com/mlcommons/inference_results_v5.1/tree/main/{rel} | mean time to output "
                               f"token {tpot_s * 1e3:.2f} ms at {tok_s:,.2f} completed tok/s: concurrency = tok/s x mean "
                               f"TPOT (Little's law over the decoding sequences); the run's other settings as row {r['id']}"))
            rows.append(out)
    with OUT.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=[*VALIDATION_HEADER, *OPTIONAL_COLUMNS], extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} rows to {OUT.relative_to(ROOT)}")
    return 0


def score() -> int:
    """The rows through ``tokenfab validate``'s own scoring (``measure_accuracy``), summarised by
    the origin of their run and by stack."""
    rep = measure_accuracy(OUT)
    given = {r.id: r for r in read_measured(OUT)}  # stack and concurrency, which the report leaves out
    print(f"{'row':10} {'model':16} {'accelerator':13} {'scenario':11} {'stack':7} {'concurrency':>11} "
          f"{'TPOT meas ms':>12} {'pred ms':>8} {'pred/meas':>9}")
    for r in rep.rows:
        g = given[r.id]
        print(f"{r.id:10} {r.model:16} {r.accelerator:13} {r.scenario:11} {g.stack:7} {g.concurrency:11d} "
              f"{r.measured * 1e3:12.1f} {r.predicted * 1e3:8.1f} {r.ratio:9.2f}")
    for s in rep.skipped:
        g = given[s.id]
        print(f"{s.id:10} {g.model:16} {g.accelerator:13} {g.scenario:11} {g.stack:7} {g.concurrency:11d} "
              f"{g.value * 1e3:12.1f}    not scored: {s.reason}")
    print()
    print(f"{len(rep.skipped)} of {len(given)} runs carried more sequences than the engine's memory model lets fit")

    def summary(label: str, rows: list[Any]) -> None:
        ratio = np.array([r.ratio for r in rows])
        ape = np.abs(ratio - 1)
        print(f"{label} {len(rows):3d} rows: MAPE {ape.mean():.1%}, median {np.median(ape):.1%}, "
              f"mean pred/meas {np.exp(np.log(ratio).mean()):.2f}, worst {np.max(np.maximum(ratio, 1 / ratio)):.2f}x")

    for label, prefix in (("runs whose throughput row is fitted", "ST-GT"), ("held-out runs", "ST-HO")):
        if chosen := [r for r in rep.rows if r.id.startswith(prefix)]:
            summary(f"{label:36}", chosen)
    for stack in sorted({given[r.id].stack for r in rep.rows}):
        summary(f"  stack {stack:10}", [r for r in rep.rows if given[r.id].stack == stack])
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=Path, metavar="DIR", help="a checkout of mlcommons/inference_results_v5.1")
    args = ap.parse_args()
    return build(args.build) if args.build else score()


if __name__ == "__main__":
    raise SystemExit(run_script(main))
