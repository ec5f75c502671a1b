"""Planner speed: the full default search for Llama-3.1-70B over the whole catalog.

    python benchmarks/plan_speed.py [--repeat 5]

A candidate is one (offer x pricing model) x weight dtype x parallel split x concurrency,
evaluated for throughput, latency, memory fit, cost, energy, carbon and every constraint.
Timed with the catalog already loaded (what a long-running process or the web app sees);
the first, cold run and a whole `tokenfab plan` process are also shown.
Last line: candidates_per_s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import tokenfab  # noqa: E402
from tokenfab.errors import run_script  # noqa: E402

SCENARIO = dict(model="llama-3.1-70b", rate_rps=5, isl=1000, osl=200)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    t = time.perf_counter()
    cat = tokenfab.load_catalog()
    load_s = time.perf_counter() - t
    s = tokenfab.Scenario(**SCENARIO)
    times, r = [], None
    for _ in range(args.repeat):
        t = time.perf_counter()
        r = tokenfab.plan(s, catalog=cat)
        times.append(time.perf_counter() - t)
    best = min(times)
    print(f"scenario {SCENARIO}: {r.candidates_evaluated:,} candidates, {r.feasible:,} feasible, front {len(r.front)}")
    print(f"catalog load {load_s:.2f} s; plan runs: {', '.join(f'{x:.3f}' for x in times)} s (first is cold)")
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "tokenfab", "plan", "--model", "llama-3.1-70b", "--rate-rps", "5",
                           "--isl", "1000", "--osl", "200", "--json"], capture_output=True, text=True, cwd=ROOT)
    print(f"whole `tokenfab plan` process: {time.perf_counter() - t:.2f} s (rc {proc.returncode})")
    print(f"candidates_per_s: {r.candidates_evaluated / best:,.0f}")


if __name__ == "__main__":
    raise SystemExit(run_script(main))
