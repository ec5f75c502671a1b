"""A what-if sweep of >= 1,000,000 (scenario x sample) evaluations, in one process and on Ray,
side by side in one run.

    python benchmarks/whatif_ray.py [--samples 90000] [--cpus N] [--address HOST:PORT]

Scenarios: models x traffic levels x shock sets (each planned once, its front rows sampled).
Both backends run the same chunks (4,096 samples, seeds spawned from one master seed), so
the results must be identical; the script checks it. Ray starts a local instance with
``--cpus`` (default: every core) unless ``--address`` names a cluster. On a machine with two
cores the speed-up is bounded by 2 and eaten partly by Ray's start and serialization; the
design pays off on a cluster. Last line: speedup.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import tokenfab  # noqa: E402
from tokenfab.catalog.uncertainty import load_uncertainty  # noqa: E402
from tokenfab.errors import run_script  # noqa: E402
from tokenfab.planner.search import prepare, solve  # noqa: E402
from tokenfab.whatif.rows import gather  # noqa: E402
from tokenfab.whatif.run import sample  # noqa: E402
from tokenfab.whatif.shocks import apply_shocks, parse_shock  # noqa: E402

MODELS = ("llama-3.1-8b", "llama-3.1-70b", "qwen3-30b-a3b")
TRAFFIC_RPS = (1.0, 5.0)
SHOCKS = ((), ("tariff:25%", "power-price:+80%"))


def row_sets() -> list:
    import datetime as dt

    from tokenfab.deployment.candidates import reprice

    out = []
    unc = load_uncertainty()
    for model, rps, shocks in itertools.product(MODELS, TRAFFIC_RPS, SHOCKS):
        s, cat, c = prepare(dict(model=model, rate_rps=rps, isl=1000, osl=200, own=True, own_grid="de"))
        extra = {}
        if shocks:
            ap = apply_shocks([parse_shock(x) for x in shocks], cat, c.capacities, None, dt.date.today(), unc)
            c, extra = reprice(c, ap.capacities), ap.keep
        _, where = solve(s, cat, c, 0.0, extra=extra)
        out.append(gather(c, where, [str(i) for i in range(len(where))], None, None))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=90_000)
    ap.add_argument("--cpus", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--address", default=None)
    a = ap.parse_args()
    tokenfab.load_catalog()
    t = time.perf_counter()
    rows = row_sets()
    n_eval = len(rows) * a.samples
    print(f"{len(rows)} scenarios ({len(MODELS)} models x {len(TRAFFIC_RPS)} traffic levels x {len(SHOCKS)} shock sets), "
          f"planned in {time.perf_counter() - t:.2f} s; {a.samples:,} samples each = {n_eval:,} scenario x sample "
          f"evaluations ({sum(len(r) for r in rows) * a.samples:,} front-row evaluations)")
    inputs = load_uncertainty().inputs
    t = time.perf_counter()
    local = sample(rows, inputs, a.samples, seed=1)
    t_local = time.perf_counter() - t
    import ray

    t = time.perf_counter()
    if a.address:
        ray.init(address=a.address, include_dashboard=False, log_to_driver=False)
    else:
        ray.init(num_cpus=a.cpus, include_dashboard=False, log_to_driver=False)
    t_start = time.perf_counter() - t
    t = time.perf_counter()
    remote = sample(rows, inputs, a.samples, seed=1, backend="ray")
    t_ray = time.perf_counter() - t
    same = all(np.array_equal(x[k], y[k], equal_nan=x[k].dtype.kind == "f") for x, y in zip(local, remote) for k in x)
    ray.shutdown()
    print(f"machine: {os.cpu_count()} cores; Ray: {'cluster ' + a.address if a.address else f'local, num_cpus={a.cpus}'}")
    print(f"{'backend':<8} {'seconds':>9} {'evaluations/s':>15}")
    print(f"{'local':<8} {t_local:>9.2f} {n_eval / t_local:>15,.0f}")
    print(f"{'ray':<8} {t_ray:>9.2f} {n_eval / t_ray:>15,.0f}   (+ {t_start:.1f} s to start Ray, not included)")
    print(f"identical results: {same}")
    print(f"speedup: {t_local / t_ray:.2f}")


if __name__ == "__main__":
    raise SystemExit(run_script(main))
