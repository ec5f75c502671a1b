"""How far the chosen concurrency's throughput is from the best integer concurrency.

    python benchmarks/concurrency_refinement.py

Every answer runs at the concurrency with the highest throughput that fits in memory and meets
the p99 latency limits. The engine searches a geometric grid (``serving.concurrency_grid``, 40
points from 1 to 16,384, ~1.28x apart) and then the gap above the best grid point
(``serving.refined_point``). This prints, over a sweep of chips x models x splits x workloads
x TPOT limits, the throughput of the grid's best point alone and of the refined choice as a
fraction of the best over every integer concurrency from 1 to 16,384 (brute force, same
engine), side by side in one run.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tokenfab.catalog import load_catalog  # noqa: E402
from tokenfab.catalog.assumptions import efficiency_table  # noqa: E402
from tokenfab.deployment.problem import hardware_row, model_row  # noqa: E402
from tokenfab.engine import HardwareArrays, ModelArrays, ParallelConfig, best_point, steady_state  # noqa: E402
from tokenfab.engine.dtypes import WEIGHT_BYTES_PER_PARAM  # noqa: E402
from tokenfab.engine.efficiency import efficiency_arrays  # noqa: E402
from tokenfab.engine.serving import concurrency_grid, meets_limits  # noqa: E402
from tokenfab.errors import run_script  # noqa: E402

ACCELERATORS = ("h100-sxm", "h200", "b200", "mi300x")
MODELS = (("llama-3.1-8b", 1), ("llama-3.1-70b", 2), ("llama-3.1-70b", 4), ("mixtral-8x7b", 2), ("qwen3-30b-a3b", 1))
WORKLOADS = ((1000, 200), (2000, 500), (8000, 1000))
TPOT_LIMITS_S = (np.inf, 0.1, 0.05, 0.03, 0.02, 0.015)


def configs():
    cat = load_catalog()
    rows, labels = [], []
    for a in ACCELERATORS:
        acc = cat.accelerator(a)
        for model, tp in MODELS:
            for isl, osl in WORKLOADS:
                for lim in TPOT_LIMITS_S:
                    rows.append((model_row(cat.model(model)), hardware_row(acc), a, dict(
                        tp=tp, pp=1, ep=1, replicas=1, dp_attention=0, weight_bytes_per_param=WEIGHT_BYTES_PER_PARAM["fp8"],
                        kv_bytes_per_element=1.0, gemm_flop_per_s=acc.fp8_dense_flop_per_s,
                        attention_flop_per_s=acc.fp8_dense_flop_per_s, isl=isl, osl=osl, chunk_tokens=8192,
                        disaggregated=0)))
                    labels.append(lim)
    m = ModelArrays.stack([r[0] for r in rows])
    hw = HardwareArrays.stack([r[1] for r in rows])
    eff = efficiency_arrays(efficiency_table(), [r[2] for r in rows], ["trtllm"] * len(rows), ["fp8"] * len(rows),
                            "calibrated")
    cfg = ParallelConfig.stack([r[3] for r in rows])
    return m, hw, eff, cfg, np.array(labels, float)


def _ex(o):
    return type(o)(**{k: np.asarray(v)[..., None] for k, v in o.__dict__.items()})


def best_over(m, hw, eff, cfg, lim, grid):
    pt = steady_state(_ex(m), _ex(hw), _ex(eff), _ex(cfg), grid)
    return np.where(meets_limits(pt, np.inf, lim), pt.throughput_output_tok_per_s, -1.0).max(axis=-1)


def main() -> None:
    m, hw, eff, cfg, lim = configs()
    t0 = time.perf_counter()
    brute = np.concatenate([best_over(m.take(i), hw.take(i), eff.take(i), cfg.take(i), lim[i],
                                      np.arange(1.0, 16385.0)) for i in np.array_split(np.arange(len(lim)), 40)])
    t_brute = time.perf_counter() - t0
    t_grid = t_refined = np.inf
    for _ in range(3):  # alternating, best of three each
        t0 = time.perf_counter()
        grid_only = best_over(m, hw, eff, cfg, lim, concurrency_grid())
        t_grid = min(t_grid, time.perf_counter() - t0)
        t0 = time.perf_counter()
        pt, ok = best_point(m, hw, eff, cfg, np.inf, lim)
        t_refined = min(t_refined, time.perf_counter() - t0)
    refined = np.where(ok, pt.throughput_output_tok_per_s, -1.0)
    has = brute > 0
    assert np.array_equal(has, refined > 0) and np.array_equal(has, grid_only > 0)
    print(f"{int(has.sum())} of {len(lim)} configurations meet their limit at some concurrency "
          f"({len(ACCELERATORS)} chips x {len(MODELS)} model splits x {len(WORKLOADS)} workloads x "
          f"{len(TPOT_LIMITS_S)} TPOT limits, fp8, TensorRT-LLM factors)")
    print(f"throughput / best over every integer concurrency 1..16,384 (brute force {t_brute:.2f} s; "
          f"grid {t_grid * 1e3:.1f} ms, grid + refinement {t_refined * 1e3:.1f} ms, best of 3)")
    print(f"{'TPOT limit':>10} {'rows':>5} | {'grid: median':>12} {'worst':>6} {'< 0.9':>6} | "
          f"{'refined: median':>15} {'worst':>6} {'< 0.97':>6}")
    for lv in TPOT_LIMITS_S:
        sel = has & (lim == lv)
        g, r = grid_only[sel] / brute[sel], refined[sel] / brute[sel]
        name = "none" if not np.isfinite(lv) else f"{lv * 1e3:.0f} ms"
        print(f"{name:>10} {int(sel.sum()):>5} | {np.median(g):>12.3f} {g.min():>6.3f} {int((g < 0.9).sum()):>6} | "
              f"{np.median(r):>15.3f} {r.min():>6.3f} {int((r < 0.97).sum()):>6}")
    g, r = grid_only[has] / brute[has], refined[has] / brute[has]
    print(f"{'all':>10} {int(has.sum()):>5} | {np.median(g):>12.3f} {g.min():>6.3f} {int((g < 0.9).sum()):>6} | "
          f"{np.median(r):>15.3f} {r.min():>6.3f} {int((r < 0.97).sum()):>6}")
    if np.any(r > 1 + 1e-9):
        raise SystemExit("refined throughput above the brute-force best: a bug")


if __name__ == "__main__":
    raise SystemExit(run_script(main))
