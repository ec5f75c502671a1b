"""How much a run's finite request count costs it: closed-run waves against the engine's steady state.

    python benchmarks/closed_run.py                # offline rows of measured.csv and holdout.csv with a request count
    python benchmarks/closed_run.py --stack vllm   # another stack's rows

A throughput row of TensorRT-LLM's performance table is a closed run: ``N`` requests queued at once
(3,000 for 1,000/1,000, 1,500 for 8,192/1,024, 1,000 for 32,768/1,024: ``perf-overview.md``,
"Preparing a Dataset"), and ``trtllm-bench`` reports the output tokens over the whole run's latency.
The engine predicts the steady state at the concurrency ``B`` it finds (the run's KV capacity, its
batch cap, or ``N`` if smaller). A run whose ``N`` is not a multiple of ``B`` ends with a wave of
``r = N mod B`` requests that decode alone, each for its whole output. With ``k = floor(N / B)`` full
waves, each wave's requests served at that wave's steady state ``X`` [output tokens/s],

    closed = N / (k B / X(B) + r / X(r))     (the whole run's output tokens over its time; osl cancels)

This script prints, per row, ``B``, ``k``, ``r``, the factor ``closed / X(B)`` and both ratios
(predicted / measured) at the shipped factors. It is a diagnostic, not a fit: the engine predicts the
steady state, and trial x22 (these waves in the calibrated path, refitted) failed its rule
(docs/engine.md section 6, thirty-fourth session). The factor is a knife edge where ``r`` is a few
per cent of ``B``: a capacity a few per cent higher puts the whole run in one wave (factor 1).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tokenfab.accuracy.measured import read_measured  # noqa: E402
from tokenfab.accuracy.score import evaluate, prepare  # noqa: E402
from tokenfab.catalog import load_catalog  # noqa: E402
from tokenfab.errors import run_script  # noqa: E402

FILES = (ROOT / "validation" / "measured.csv", ROOT / "validation" / "holdout.csv")


def waves(requests: np.ndarray, concurrency: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Full waves ``k = floor(N / B)`` and the last wave's requests ``r = N - k B`` of a closed run."""
    n, b = np.asarray(requests, float), np.asarray(concurrency, float)
    k = np.floor(n / b)
    return k, n - k * b


def closed_throughput(requests: np.ndarray, concurrency: np.ndarray, at_full: np.ndarray, at_rest: np.ndarray
                      ) -> np.ndarray:
    """Output tokens/s of a closed run of ``requests`` at ``concurrency``: full waves at the steady state
    ``at_full``, the last wave at ``at_rest`` (ignored where that wave is empty)."""
    k, r = waves(requests, concurrency)
    rest = np.where(r > 0, r / np.where(r > 0, at_rest, 1.0), 0.0)
    return np.asarray(requests, float) / (k * np.asarray(concurrency, float) / at_full + rest)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stack", default="trtllm")
    args = ap.parse_args()
    # the shipped factors were fitted on measured.csv: its rows are in sample, holdout.csv's are not
    tagged = [(r, f == FILES[1]) for f in FILES for r in read_measured(f)
              if r.stack == args.stack and r.metric == "output_tok_per_s" and r.scenario == "offline"
              and r.num_requests and r.concurrency is None]
    rows = [r for r, _ in tagged]
    held_out = {r.id for r, out in tagged if out}
    if not rows:
        print(f"no offline output_tok_per_s rows with a request count for stack {args.stack!r}")
        return 1
    cat = load_catalog()
    prep = prepare(rows, cat)
    base = evaluate(prep)
    b = base["concurrency"]
    n = np.array([r.num_requests for r in prep.rows], dtype=float)
    k, r = waves(n, b)
    tail = np.isfinite(b) & (k >= 1) & (r >= 1)
    # the last wave's steady state: the same row at a fixed concurrency of r (the validate format's
    # ``concurrency`` column), so the engine evaluates exactly that batch; a row that states no split
    # gets the engine's best split at that batch, which may differ from the full waves' one
    rest = [prep.rows[i].model_copy(update={"concurrency": int(r[i]), "num_requests": None}) for i in np.flatnonzero(tail)]
    at_rest = np.full(len(prep.rows), np.nan)
    if rest:
        at_rest[tail] = evaluate(prepare(rest, cat))["predicted"]
    steady = base["predicted"]
    closed = np.where(tail, closed_throughput(n, b, steady, at_rest), steady)
    measured = np.array([r.value for r in prep.rows])
    print(f"stack {args.stack}: {len(prep.rows)} offline rows with a request count; shipped factors, not refitted")
    print(f"{'id':6} {'model':18} {'chip':10} {'isl/osl':>12} {'N':>6} {'B':>7} {'k':>3} {'r':>6} "
          f"{'factor':>6} {'steady':>6} {'closed':>6}")
    for i in sorted(range(len(prep.rows)), key=lambda i: (prep.rows[i].model, prep.rows[i].accelerator, prep.rows[i].id)):
        row = prep.rows[i]
        if not np.isfinite(steady[i]):
            continue
        print(f"{row.id:6} {row.model[:18]:18} {row.accelerator[:10]:10} {f'{row.isl_tokens:g}/{row.osl_tokens:g}':>12} "
              f"{n[i]:6.0f} {b[i]:7.0f} {k[i]:3.0f} {r[i]:6.0f} {closed[i] / steady[i]:6.2f} "
              f"{steady[i] / measured[i]:6.2f} {closed[i] / measured[i]:6.2f}")
    ok = np.isfinite(steady) & np.isfinite(closed)
    out_of_sample = np.array([r.id in held_out for r in prep.rows])
    for part, sel in (("fitted rows (in sample)", ok & ~out_of_sample), ("held-out rows", ok & out_of_sample)):
        for name, pred in (("steady state (shipped)", steady), ("closed-run waves", closed)):
            ape = np.abs(pred[sel] / measured[sel] - 1.0)
            print(f"{part:24} {name:24} MAPE {100 * ape.mean():5.1f} %  median {100 * np.median(ape):5.1f} %  "
                  f"over {sel.sum()} rows")
    small = tail & (r < 0.1 * b)
    print(f"rows whose last wave is under 10 % of B (knife edge: a capacity a few % higher removes it): {int(small.sum())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_script(main))
