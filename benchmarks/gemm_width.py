"""Dense GEMM throughput against the GEMM's width in NVIDIA aiconfigurator's measured kernel tables.

    python benchmarks/gemm_width.py        # needs the optional extra: pip install 'tokenfab[measured]'

The engine's dense GEMM rate falls with few rows (``gemm_half_tokens``: ``m / (m + m_half)``). The
same tables the ``measured`` fidelity reads show a second dependence, on the GEMM's output columns
``n`` and reduction depth ``k``: at ``m = 8,192`` rows NVFP4 on B200 runs ``n x k = 512 x 4,096`` at
0.8 PF/s, ``4,096 x 4,096`` at 2.8 and ``8,192 x 8,192`` at 3.9. A low-precision GEMM pays per row for quantizing its input
(a pass over ``m x k`` activations whatever ``n`` is) and per column for its output scaling, so
narrow GEMMs reach a smaller share of the peak; BF16 has neither pass. For every chip and dtype
this fits, at fixed ``m``,

    FLOP/s(n, k) = A x n / (n + n_half) x k / (k + k_half)

over the measured shapes with ``512 <= n, k <= 32,768`` (least squares in log FLOP/s on a
geometric grid of ``n_half, k_half``; the fastest kernel per shape), and prints ``n_half``,
``k_half``, the rms log error of the law, then the median over the chips of one tensor-core
architecture at ``m = 8,192``. The engine does not apply this law: a trial that did (measured
figures, one refit, no new fitted factor) is recorded with its result in docs/engine.md, section 6
(twenty-eighth session), and its code is on the ``x5`` branch.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tokenfab.catalog import assumptions as A  # noqa: E402
from tokenfab.engine.measured_kernels import SYSTEMS, database_root, read_columns, table_versions  # noqa: E402
from tokenfab.errors import run_script  # noqa: E402

BACKEND = "trtllm"
DTYPES = {"bf16": "bfloat16", "fp8": "fp8", "fp4": "nvfp4"}
M_ROWS = (4096, 8192, 16384)
SHIPPED_M = 8192
LO, HI = 512, 32768
GRID = np.geomspace(16, 16384, 97)


def newest(folder: Path) -> tuple[str, dict[str, np.ndarray]] | None:
    versions = table_versions(folder, "gemm_perf.parquet")
    if not versions:
        return None
    return versions[0].name, read_columns(versions[0] / "gemm_perf.parquet")


def fastest(cols: dict[str, np.ndarray], dtype: str, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n, k, FLOP/s) of the fastest kernel per shape at ``m`` rows."""
    keep = ((cols["gemm_dtype"] == dtype) & (cols["m"] == m) & (cols["n"] >= LO) & (cols["n"] <= HI)
            & (cols["k"] >= LO) & (cols["k"] <= HI) & (cols["latency"] > 0))
    best: dict[tuple[int, int], float] = {}
    for n, k, lat in zip(cols["n"][keep], cols["k"][keep], cols["latency"][keep]):
        key = (int(n), int(k))
        best[key] = min(best.get(key, np.inf), float(lat))
    if not best:
        return np.empty(0), np.empty(0), np.empty(0)
    nk = np.array(list(best), dtype=float)
    lat_s = np.array(list(best.values())) * 1e-3  # the tables' latency is in milliseconds
    return nk[:, 0], nk[:, 1], 2.0 * m * nk[:, 0] * nk[:, 1] / lat_s


def fit_width(n: np.ndarray, k: np.ndarray, rate: np.ndarray) -> tuple[float, float, float]:
    """(n_half, k_half, rms log error) of ``rate = A n/(n+n_half) k/(k+k_half)`` on the grid."""
    y = np.log(rate)
    ln = np.log(n[None, :] / (n[None, :] + GRID[:, None]))  # (grid, shapes)
    lk = np.log(k[None, :] / (k[None, :] + GRID[:, None]))
    pred = ln[:, None, :] + lk[None, :, :]  # (n_half, k_half, shapes)
    resid = y - pred
    resid = resid - resid.mean(axis=-1, keepdims=True)  # the best log A for each pair
    rms = np.sqrt((resid**2).mean(axis=-1))
    i, j = np.unravel_index(np.argmin(rms), rms.shape)
    return float(GRID[i]), float(GRID[j]), float(rms[i, j])


def main() -> int:
    root = database_root()
    arch = A.efficiency_table()["derated"].get("architecture", {})
    per_arch: dict[tuple[str, str], list[tuple[float, float]]] = {}
    print(f"{'chip (aiconfigurator system, version)':40} {'dtype':5} {'m':>6} {'shapes':>6} {'n_half':>7} {'k_half':>7} "
          f"{'rms log':>8}")
    for chip, system in SYSTEMS.items():
        got = newest(root / system / "gemm" / BACKEND)
        if got is None:
            continue
        version, cols = got
        for ours, theirs in DTYPES.items():
            for m in M_ROWS:
                n, k, rate = fastest(cols, theirs, m)
                if len(n) < 20:
                    continue
                nh, kh, rms = fit_width(n, k, rate)
                if m == SHIPPED_M:
                    per_arch.setdefault((arch.get(chip, chip), ours), []).append((nh, kh))
                print(f"{chip + ' (' + system + ', ' + version + ')':40} {ours:5} {m:6d} {len(n):6d} {nh:7.0f} {kh:7.0f} "
                      f"{rms:8.3f}")
    print()
    print(f"per tensor-core architecture at m = {SHIPPED_M} (median over its chips)")
    for (a, d), vals in sorted(per_arch.items()):
        nh, kh = (float(np.median([v[i] for v in vals])) for i in (0, 1))
        print(f"  {a:20} {d:5} n_half {nh:7.0f}  k_half {kh:7.0f}  ({len(vals)} chips)")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_script(main))
