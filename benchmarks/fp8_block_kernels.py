"""Block-scaled FP8 against per-tensor FP8 in NVIDIA aiconfigurator's measured kernel tables.

    python benchmarks/fp8_block_kernels.py        # needs the optional extra: pip install 'tokenfab[measured]'

DeepSeek-V3/R1 and Kimi-K2 are released in FP8 with one scale per 128 x 128 block of weights
(``quantization_config.weight_block_size``); most other FP8 checkpoints scale per tensor. The
same aiconfigurator-core tables that the ``measured`` fidelity reads time both formats on the
same chip, backend and version (``gemm_dtype`` / ``moe_dtype`` ``fp8`` and ``fp8_block``). For
every system that has both, this prints the throughput ratio ``latency(fp8) / latency(fp8_block)``
(1 = as fast as per-tensor FP8, 0.5 = half as fast):

* dense GEMMs: the median over the shapes with ``n, k >= 4096`` at each token count ``m``;
* MoE layers (TensorRT-LLM's default MoE, balanced routing, min-latency rows left out): the
  median over the model shapes and expert/tensor splits measured in both formats, per token count.

The last column of each line is the ratio at the largest size, where the GEMMs are compute-bound
(at small sizes both formats stream the same FP8 bytes and the ratio is about 1), and the summary
gives their median over the chips of one tensor-core architecture. The engine does not apply
them yet: it computes every FP8 checkpoint at the per-tensor figure. Applying them to the
block-scaled releases was tried and is documented with its refit and cross-validation in
docs/engine.md, section 6 ("Where the engine stands now", twenty-fifth session).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tokenfab.catalog import assumptions as A  # noqa: E402
from tokenfab.engine.measured_kernels import (  # noqa: E402
    MIN_LATENCY_SOURCE,
    MIN_SHAPE,
    SYSTEMS,
    database_root,
    read_columns,
    table_versions,
)
from tokenfab.errors import run_script  # noqa: E402

GEMM_M = (64, 1024, 4096, 16384, 32768)
MOE_TOKENS = (64, 1024, 4096, 8192, 16384)
BACKEND = "trtllm"


def newest_with_both(folder: Path, table: str, column: str) -> tuple[str, dict[str, np.ndarray]] | None:
    """(version, columns) of the newest version whose table holds both fp8 and fp8_block rows."""
    for v in table_versions(folder, table):
        t = read_columns(v / table)
        if {"fp8", "fp8_block"} <= set(t[column].tolist()):
            return v.name, t
    return None


def paired_ratio(cols: dict[str, np.ndarray], dtype_col: str, keys: list[str], size_col: str) -> dict[float, float]:
    """Median over matching rows of latency(fp8) / latency(fp8_block), per value of ``size_col``."""
    fast: dict[tuple, float] = {}
    block: dict[tuple, float] = {}
    for i in range(len(cols["latency"])):
        d = str(cols[dtype_col][i])
        if d not in ("fp8", "fp8_block") or not cols["latency"][i] > 0:
            continue
        key = tuple(cols[k][i].item() for k in keys)  # numpy scalars -> hashable Python values
        target = fast if d == "fp8" else block
        target[key] = min(target.get(key, np.inf), float(cols["latency"][i]))
    per_size: dict[float, list[float]] = {}
    size_at = keys.index(size_col)
    for key in fast.keys() & block.keys():
        per_size.setdefault(float(key[size_at]), []).append(fast[key] / block[key])
    return {s: float(np.median(v)) for s, v in sorted(per_size.items())}


def main() -> int:
    root = database_root()
    arch = A.efficiency_table()["derated"].get("architecture", {})
    by_arch: dict[str, dict[str, list[float]]] = {}
    print(f"{'chip (aiconfigurator system, version)':44} {'kind':7} " + " ".join(f"{'m=' + str(s):>8}" for s in GEMM_M)
          + f" {'largest':>8}")
    print(f"{'':44} {'':7} " + " ".join(f"{'t=' + str(s):>8}" for s in MOE_TOKENS) + f" {'':>8}")
    for chip, system in SYSTEMS.items():
        gemm = newest_with_both(root / system / "gemm" / BACKEND, "gemm_perf.parquet", "gemm_dtype")
        moe = newest_with_both(root / system / "moe" / BACKEND, "moe_perf.parquet", "moe_dtype")
        if gemm is None and moe is None:
            continue
        a = arch.get(chip, chip)
        if gemm is not None:
            version, cols = gemm
            keep = (cols["n"] >= MIN_SHAPE) & (cols["k"] >= MIN_SHAPE)
            r = paired_ratio({c: v[keep] for c, v in cols.items()}, "gemm_dtype", ["m", "n", "k"], "m")
            largest = r[max(r)]
            by_arch.setdefault(a, {}).setdefault("dense", []).append(largest)
            print(f"{chip + ' (' + system + ', ' + version + ')':44} {'dense':7} "
                  + " ".join(f"{r.get(float(s), np.nan):8.2f}" for s in GEMM_M) + f" {largest:8.2f}")
        if moe is not None:
            version, cols = moe
            keep = (cols["distribution"] == "balanced") & (cols["kernel_source"] != MIN_LATENCY_SOURCE)
            keys = ["hidden_size", "inter_size", "topk", "num_experts", "moe_tp_size", "moe_ep_size", "num_tokens"]
            r = paired_ratio({c: v[keep] for c, v in cols.items()}, "moe_dtype", keys, "num_tokens")
            largest = r[max(r)]
            by_arch.setdefault(a, {}).setdefault("experts", []).append(largest)
            print(f"{chip + ' (' + system + ', ' + version + ')':44} {'experts':7} "
                  + " ".join(f"{r.get(float(s), np.nan):8.2f}" for s in MOE_TOKENS) + f" {largest:8.2f}")
    print("columns: latency(fp8) / latency(fp8_block) at that size (dense rows: m tokens of the GEMM; experts rows: "
          "t tokens of the MoE layer); largest: at the largest size measured")
    print()
    print("per tensor-core architecture (median over its chips, at the largest size; -> capped at 1, where block "
          "scales cost nothing)")
    for a, parts in sorted(by_arch.items()):
        vals = {p: float(np.median(v)) for p, v in parts.items()}
        print(f"  {a:20} " + "  ".join(f"{p} {v:.2f} -> {min(v, 1.0):.2f}" for p, v in sorted(vals.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(run_script(main))
