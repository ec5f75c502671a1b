"""What-if speed: 10,000 Monte Carlo samples on the README's plan scenario, in-process.

    python benchmarks/whatif_speed.py [--samples 10000] [--repeat 3]

Times the whole ``tokenfab.whatif`` call (plan of every candidate, the front, the samples
over every input range, percentiles, P(best), the tornado) with the catalog loaded, then the
sampling alone. Target: under 2 s for 10,000 samples. Last line: samples_per_s.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import tokenfab  # noqa: E402
from tokenfab.catalog.uncertainty import load_uncertainty  # noqa: E402
from tokenfab.errors import run_script  # noqa: E402
from tokenfab.planner.search import prepare, solve  # noqa: E402
from tokenfab.whatif.rows import gather  # noqa: E402
from tokenfab.whatif.run import sample  # noqa: E402

README = dict(model="llama-3.1-70b", rate_rps=5, isl=1000, osl=200, tpot_max_s=0.05, sovereignty="eu-jurisdiction")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    tokenfab.load_catalog()
    t = time.perf_counter()
    tokenfab.whatif(README, samples=a.samples, seed=0)
    print(f"first call (catalog loaded, engine and capacities computed): {time.perf_counter() - t:.3f} s")
    best = float("inf")
    for _ in range(a.repeat):
        t = time.perf_counter()
        r = tokenfab.whatif(README, samples=a.samples, seed=0)
        best = min(best, time.perf_counter() - t)
    print(f"whatif (plan + {a.samples:,} samples x {len(r.rows)} front rows + tornado): {best:.3f} s "
          f"(target < 2 s) {'PASS' if best < 2.0 else 'FAIL'}")
    s, cat, c = prepare(README)
    _, where = solve(s, cat, c, 0.0)
    rows = gather(c, where, [str(i) for i in range(len(where))], None, None)
    inputs = load_uncertainty().inputs
    t = time.perf_counter()
    sample([rows], inputs, a.samples, 0)
    only = time.perf_counter() - t
    print(f"sampling alone: {only:.3f} s ({a.samples * len(rows) / only:,.0f} row evaluations/s)")
    print(f"samples_per_s: {a.samples / best:,.0f}")


if __name__ == "__main__":
    raise SystemExit(run_script(main))
