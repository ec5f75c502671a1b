"""How far published measurements of the same configuration disagree with each other.

    python benchmarks/measurement_agreement.py

Groups the rows of validation/measured.csv and validation/holdout.csv that describe the same
run as far as the validate format can say it (model, accelerator, weights and KV dtype,
scenario, latency limits, serving stack, metric, split, workload lengths within 5 %, fixed
concurrency, request count, speculative decoding), normalises throughput per accelerator (so
8 and 16 GPUs of one chip compare), and prints every group of two or more rows: the
measurements, the spread max / min, and the engine's prediction per accelerator with the
shipped factors (calibrated fidelity). Such rows differ only in what the format does not carry:
submitter, software release, round, tuning.

The spread bounds every model that reads only these columns: when two rows of one group differ
by D, no single prediction is within sqrt(D) of both, so one of them is off by at least
sqrt(D) (a 1.47x spread means at least 1.21x on one row). Last line: the median and largest
spread over the groups.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tokenfab.accuracy.measured import MeasuredRow, read_measured  # noqa: E402
from tokenfab.accuracy.score import evaluate, prepare  # noqa: E402
from tokenfab.catalog import load_catalog  # noqa: E402
from tokenfab.errors import run_script  # noqa: E402

LENGTH_TOLERANCE = 0.05  # relative: MLPerf runs report their own mean output length (292-302 tokens on one task)


def group_key(row: MeasuredRow) -> tuple:
    """Everything the validate format says about a run except its size (throughput rows compare
    per accelerator) and its lengths (compared within LENGTH_TOLERANCE)."""
    size = None if row.metric == "output_tok_per_s" else row.n_accel
    return (row.model, row.accelerator, row.weights_dtype, row.kv_dtype, row.scenario, row.ttft_limit_s,
            row.tpot_limit_s, row.stack, row.metric, row.parallelism, row.concurrency, row.num_requests,
            row.speculative, row.max_seqs, row.memory_fraction, size)


def same_lengths(a: MeasuredRow, b: MeasuredRow) -> bool:
    def close(x: float | None, y: float | None) -> bool:
        if x is None or y is None:
            return x is y
        return abs(x - y) <= LENGTH_TOLERANCE * max(x, y)

    return close(a.isl_tokens, b.isl_tokens) and close(a.osl_tokens, b.osl_tokens)


def groups(rows: list[MeasuredRow]) -> list[list[MeasuredRow]]:
    """Rows of one key, split further into runs of matching lengths; groups of two or more."""
    by_key: dict[tuple, list[MeasuredRow]] = defaultdict(list)
    for r in rows:
        by_key[group_key(r)].append(r)
    out: list[list[MeasuredRow]] = []
    for members in by_key.values():
        clusters: list[list[MeasuredRow]] = []
        for r in members:
            for c in clusters:
                if same_lengths(c[0], r):
                    c.append(r)
                    break
            else:
                clusters.append([r])
        out += [c for c in clusters if len(c) > 1]
    return out


def per_accel(row: MeasuredRow, value: float) -> float:
    return value / row.n_accel if row.metric == "output_tok_per_s" else value


def spread(rows: list[MeasuredRow]) -> float:
    v = [per_accel(r, r.value) for r in rows]
    return max(v) / min(v)


def main() -> None:
    files = [ROOT / "validation" / "measured.csv", ROOT / "validation" / "holdout.csv"]
    rows = [r for f in files for r in read_measured(f)]
    found = groups(rows)
    prep = prepare([r for g in found for r in g], load_catalog())
    pred = dict(zip((r.id for r in prep.rows), evaluate(prep)["predicted"]))
    spreads = []
    print(f"{len(rows)} rows; {len(found)} groups of rows describing the same configuration\n")
    for g in sorted(found, key=spread, reverse=True):
        d = spread(g)
        spreads.append(d)
        r0 = g[0]
        unit = "tok/s per accelerator" if r0.metric == "output_tok_per_s" else "s"
        print(f"{r0.model} on {r0.accelerator} ({r0.weights_dtype}, {r0.stack}, {r0.scenario}, {r0.metric}): "
              f"spread {d:.2f}x, so one row is off by at least {np.sqrt(d):.2f}x for any prediction")
        for r in g:
            p = pred.get(r.id, float("nan"))
            print(f"  {r.id:6s} x{r.n_accel:<3d} measured {per_accel(r, r.value):10.1f}  predicted "
                  f"{per_accel(r, p):10.1f} {unit}  ratio {p / r.value:5.2f}   {r.source[:90]}")
        print()
    s = np.array(spreads)
    print(f"groups {len(s)}: spread median {np.median(s):.2f}x, largest {s.max():.2f}x; "
          f"above 1.3x: {int((s > 1.3).sum())}, above 1.6x: {int((s > 1.6).sum())}")


if __name__ == "__main__":
    raise SystemExit(run_script(main))
