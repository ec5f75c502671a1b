"""Engine throughput: configurations evaluated per second in one vectorized call.

    python benchmarks/engine_speed.py [--repeat 3]

Grid: every accelerator with published memory figures x every catalog model x
(tp, pp) in {1,2,4,8} x {1,2} x weights {bf16, fp8, fp4} x the engine's concurrency grid
(40 geometric points from 1 to 16,384, 37 distinct integers), at the calibrated TensorRT-LLM
BF16 efficiency of each chip. Each
configuration gets TTFT, TPOT, throughput, memory fit, bound, MFU and MBU. Also times
one `tokenfab estimate` end to end in a fresh process. Last line: configs_per_s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tokenfab.catalog import load_catalog  # noqa: E402
from tokenfab.catalog.assumptions import efficiency_table  # noqa: E402
from tokenfab.deployment.problem import hardware_row, model_row  # noqa: E402
from tokenfab.engine import HardwareArrays, ModelArrays, ParallelConfig, steady_state  # noqa: E402
from tokenfab.engine.dtypes import WEIGHT_BYTES_PER_PARAM  # noqa: E402
from tokenfab.engine.efficiency import efficiency_arrays  # noqa: E402
from tokenfab.engine.serving import concurrency_grid  # noqa: E402
from tokenfab.errors import run_script  # noqa: E402


def build_grid():
    cat = load_catalog()
    accs = [a for a in cat.list("accelerators") if a.memory_bytes and a.memory_bandwidth_bytes_per_s
            and (a.bf16_dense_flop_per_s or a.fp8_dense_flop_per_s)]
    models = cat.list("models")
    hw_rows = [hardware_row(a) for a in accs]
    m_all = ModelArrays.stack([model_row(s) for s in models])
    hw_all = HardwareArrays.stack(hw_rows)
    eff_all = efficiency_arrays(efficiency_table(), [a.id for a in accs], ["trtllm"] * len(accs), ["bf16"] * len(accs),
                                "calibrated")
    splits = [(t, p) for t in (1, 2, 4, 8) for p in (1, 2)]
    dtypes = ["bf16", "fp8", "fp4"]
    conc = concurrency_grid()
    ia, im, isp, idt, ic = np.meshgrid(
        np.arange(len(accs)), np.arange(len(models)), np.arange(len(splits)), np.arange(len(dtypes)),
        np.arange(len(conc)), indexing="ij",
    )
    ia, im, isp, idt, ic = (x.ravel() for x in (ia, im, isp, idt, ic))
    sp = np.array(splits, dtype=float)[isp]
    peaks = np.stack([hw_all.bf16_flop_per_s, hw_all.fp8_flop_per_s, hw_all.fp4_flop_per_s], axis=1)
    peak = peaks[ia, idt]
    peak = np.where(np.isfinite(peak), peak, hw_all.bf16_flop_per_s[ia])
    n = len(ia)
    cfg = ParallelConfig(
        tp=sp[:, 0], pp=sp[:, 1], ep=np.ones(n), replicas=np.ones(n), dp_attention=np.zeros(n),
        weight_bytes_per_param=np.array([WEIGHT_BYTES_PER_PARAM[d] for d in dtypes])[idt],
        kv_bytes_per_element=np.where(idt > 0, 1.0, 2.0), gemm_flop_per_s=peak, attention_flop_per_s=peak,
        isl=np.full(n, 2000.0), osl=np.full(n, 500.0), chunk_tokens=np.full(n, 8192.0), disaggregated=np.zeros(n),
    )
    dims = (len(accs), len(models), len(splits), len(dtypes), len(conc))
    return m_all.take(im), hw_all.take(ia), eff_all.take(ia), cfg, conc[ic], dims


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    t0 = time.perf_counter()
    m, hw, eff, cfg, conc, shape = build_grid()
    build_s = time.perf_counter() - t0
    n = len(conc)
    print(f"grid: {shape[0]} accelerators x {shape[1]} models x {shape[2]} splits x {shape[3]} dtypes x "
          f"{shape[4]} concurrencies = {n:,} configurations (built in {build_s:.2f} s)")
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        pt = steady_state(m, hw, eff, cfg, conc)
        times.append(time.perf_counter() - t)
    best = min(times)
    print(f"steady_state: best of {args.repeat}: {best:.3f} s   (runs: {', '.join(f'{x:.3f}' for x in times)})")
    print(f"fits in memory: {int(pt.fits.sum()):,} of {n:,}")
    cmd = [sys.executable, "-m", "tokenfab", "estimate", "--model", "llama-3.1-70b", "--accelerator", "h100-sxm",
           "--count", "8", "--isl", "1000", "--osl", "200", "--json"]
    # side by side: the catalog parsed from its YAML (no cache, as on a first run) and read back
    # from the parse cache (catalog.parse_cache; every later run), in alternation. Python's
    # bytecode is allowed (PYTHONDONTWRITEBYTECODE dropped) and written by the fill run: the
    # README's `pip install .` compiles it at install time, so a user's first run has it too;
    # without it every run recompiles tokenfab's sources (about 0.2 s here)
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as cache:
        runs: dict[str, list[float]] = {"parsed (first run, no cache)": [], "cached parse (later runs)": []}
        envs = {"parsed (first run, no cache)": {**base, "TOKENFAB_NO_CACHE": "1"},
                "cached parse (later runs)": {**base, "TOKENFAB_CACHE_DIR": cache}}
        subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=envs["cached parse (later runs)"])  # fill
        for _ in range(3):
            for label, env in envs.items():
                t = time.perf_counter()
                proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
                runs[label].append(time.perf_counter() - t)
                if proc.returncode:
                    raise SystemExit(f"estimate failed: {proc.stderr.strip()}")
    for label, ts in runs.items():
        print(f"one `tokenfab estimate` end to end (fresh process), {label}: best {min(ts):.2f} s "
              f"(runs: {', '.join(f'{x:.2f}' for x in ts)})")
    ratio = min(runs["cached parse (later runs)"]) / min(runs["parsed (first run, no cache)"])
    print(f"ratio cached / parsed (best of 3 each): {ratio:.2f}")
    print(f"configs_per_s: {n / best:,.0f}")


if __name__ == "__main__":
    raise SystemExit(run_script(main))
