"""The per-sequence step cost each measured throughput row implies, all else at the shipped factors.

    python benchmarks/sequence_cost.py                 # TensorRT-LLM rows of measured.csv and holdout.csv
    python benchmarks/sequence_cost.py --stack vllm    # another stack's rows

The calibrated engine charges every step ``seq_overhead_s`` per sequence it carries (one figure per
stack, fitted). A step's time is linear in that figure: ``t = t0 + S x seq_overhead_s`` with ``S``
the sequences of the step, and a throughput row's prediction is ``B / t`` for the ``B`` sequences the
engine chose. So from the prediction at the shipped figure and at that figure plus ``DELTA_S``, with
the engine's own choice of split and concurrency, the figure that would make the row's prediction
equal its measurement is

    implied = seq_overhead_s + DELTA_S x (1 / measured - 1 / predicted) / (1 / predicted' - 1 / predicted)

(``B`` cancels). A row whose choice of concurrency changes between the two evaluations (a latency
limit binding at another point) is marked; its figure is a local estimate. Rows are grouped by chip
and listed with their ratio (predicted / measured) and the implied figure in microseconds. It is a
diagnostic of where one per-stack figure cannot fit every row (docs/engine.md section 6,
thirty-third session), not a fit: a negative figure means the row's step is too long even with no
per-sequence cost.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tokenfab.accuracy.measured import read_measured  # noqa: E402
from tokenfab.accuracy.score import evaluate, prepare  # noqa: E402
from tokenfab.catalog import assumptions as A  # noqa: E402
from tokenfab.catalog import load_catalog  # noqa: E402
from tokenfab.engine.efficiency import stack_extra, stack_factors  # noqa: E402
from tokenfab.errors import run_script  # noqa: E402

FILES = (ROOT / "validation" / "measured.csv", ROOT / "validation" / "holdout.csv")
DELTA_S = 1e-7  # 0.1 us per sequence per step


def implied(predicted: np.ndarray, shifted: np.ndarray, measured: np.ndarray, seq_s: float) -> np.ndarray:
    """Per row the per-sequence cost [s] at which the prediction equals the measurement (formula above)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return seq_s + DELTA_S * (1.0 / measured - 1.0 / predicted) / (1.0 / shifted - 1.0 / predicted)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stack", default="trtllm")
    args = ap.parse_args()
    rows = [r for f in FILES for r in read_measured(f) if r.stack == args.stack and r.metric == "output_tok_per_s"]
    if not rows:
        print(f"no output_tok_per_s rows of stack {args.stack!r}")
        return 1
    prep = prepare(rows, load_catalog())
    table = A.efficiency_table()
    calibrated = table["calibrated"]
    own = stack_factors(calibrated, "", args.stack)  # the stack's shipped factors (no chip's own calibration)
    seq_s = stack_extra(calibrated, own, args.stack, "seq_overhead_s", 0.0)
    shifted_table = copy.deepcopy(table)
    shifted_table["calibrated"]["stacks"].setdefault(args.stack, copy.deepcopy(own))
    shifted_table["calibrated"]["stacks"][args.stack]["seq_overhead_s"] = seq_s + DELTA_S
    base, shifted = evaluate(prep, table), evaluate(prep, shifted_table)
    measured = np.array([r.value for r in prep.rows])
    got = implied(base["predicted"], shifted["predicted"], measured, seq_s)
    moved = base["best"] != shifted["best"]
    print(f"stack {args.stack}: shipped seq_overhead_s = {seq_s * 1e6:.2f} us per sequence per step")
    print(f"{'chip':13} {'id':6} {'model':18} {'isl/osl':>15} {'scenario':11} {'ratio':>6} {'implied us':>10}")
    order = sorted(range(len(prep.rows)), key=lambda i: (prep.rows[i].accelerator, prep.rows[i].model, prep.rows[i].id))
    for i in order:
        r = prep.rows[i]
        if not np.isfinite(base["predicted"][i]):
            continue
        mark = " (choice moved)" if moved[i] else ""
        print(f"{r.accelerator:13} {r.id:6} {r.model[:18]:18} {f'{r.isl_tokens:g}/{r.osl_tokens:g}':>15} "
              f"{r.scenario:11} {base['predicted'][i] / r.value:6.2f} {got[i] * 1e6:10.1f}{mark}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_script(main))
