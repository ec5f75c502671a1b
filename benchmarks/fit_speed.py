"""Calibration fit: re-evaluating only the rows a trial can move vs every row, side by side.

    python benchmarks/fit_speed.py [--rounds 3] [--repeat 2]

Both fits start from the fixed starts on validation/measured.csv (the shipped fit's first
``--rounds`` rounds; accuracy/calibration.py ``fit_neutral``, ``restrict`` True and False), alternating
in one process so machine noise hits both. Prints each run's seconds, whether the two fits'
factors are identical (they must be: the same objective), and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tokenfab.accuracy import calibration as cal  # noqa: E402
from tokenfab.accuracy.measured import read_measured  # noqa: E402
from tokenfab.accuracy.score import prepare  # noqa: E402
from tokenfab.catalog import load_catalog  # noqa: E402
from tokenfab.errors import run_script  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    prep = prepare(read_measured(ROOT / "validation" / "measured.csv"), load_catalog())
    pairs = cal.read_latency_pairs(ROOT / "validation" / "latency_pairs.csv")
    captured: dict[str, dict] = {}

    def run(restrict: bool) -> float:
        t = time.perf_counter()
        captured[str(restrict)] = cal.fit_neutral(prep, pairs, rounds=args.rounds, restrict=restrict)
        return time.perf_counter() - t

    times: dict[bool, list[float]] = {True: [], False: []}
    for i in range(args.repeat):
        for restrict in ((True, False) if i % 2 == 0 else (False, True)):
            times[restrict].append(run(restrict))
            print(f"run {i + 1}: {'moved rows only' if restrict else 'every row     '} {times[restrict][-1]:7.1f} s")
    same = captured["True"] == captured["False"]
    print(f"rows {len(prep.rows)}, rounds {args.rounds}; identical factors: {same}")
    ratio = float(np.median(times[False]) / np.median(times[True]))
    print(f"every row / moved rows only (median seconds): {ratio:.2f}x")
    if not same:
        raise SystemExit("the two fits differ: the restricted evaluation is wrong")


if __name__ == "__main__":
    raise SystemExit(run_script(main))
