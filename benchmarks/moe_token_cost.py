"""The part of an MoE layer's time that expert parallelism does not divide, from NVIDIA
aiconfigurator's measured kernel tables.

    python benchmarks/moe_token_cost.py        # needs the optional extra: pip install 'tokenfab[measured]'

An MoE layer on one rank routes every token it is given (routing, permutation into the experts'
order, the finalize that sums each token's ``top-k`` expert outputs back into its hidden state)
and runs the grouped GEMMs of its own experts. Splitting the experts over ``ep`` ranks divides the
GEMMs, not the per-token work: each rank still routes the micro-batch's tokens (TensorRT-LLM's
attention data parallelism gathers every rank's tokens before the MoE layer). aiconfigurator-core's
``moe_perf.parquet`` times one layer at ``num_tokens`` tokens for ``moe_ep_size`` 1, 2, 4 ... on the
same chip, backend and version, so at a fixed token count

    latency(ep) = c + G / ep

separates the two: ``G`` the expert GEMMs, ``c`` what every rank pays whatever its share. This
script fits that line by least squares at ``TOKENS`` tokens (balanced routing, expert tensor
parallelism 1, ``ep`` from 1 to ``min(32, experts)``; where a table has several kernel sources for
one point, the fastest; min-latency rows left out) for every MoE shape of TensorRT-LLM's newest
table per chip, and prints ``c`` per token and per element of the tokens' routed hidden states
(``c / (tokens x hidden x top-k)``), the median over shapes per chip x MoE dtype, and the median
over the chips of one tensor-core architecture (negative medians, noise around 0, printed as 0).
The W4A16 MXFP4 lines are the figures of efficiency.yaml ``moe_token_cost``; every other family
stays within 0.2-0.8 ps per element on Hopper and Blackwell (1.0 on the L40S), with shapes on
both sides of 0, and is left to the fitted laws (docs/engine.md section 5).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tokenfab.catalog import assumptions as A  # noqa: E402
from tokenfab.engine.measured_kernels import MIN_LATENCY_SOURCE, SYSTEMS, database_root, moe_tables  # noqa: E402
from tokenfab.errors import run_script  # noqa: E402

BACKEND = "trtllm"
TOKENS = 16384
MAX_EP = 32
MIN_SPLITS = 3
# aiconfigurator moe_dtype -> the engine's efficiency dtype (deployment/problem.py efficiency_key)
EFFICIENCY_DTYPE = {"bfloat16": "bf16", "fp8": "fp8", "fp8_block": "fp8_block", "nvfp4": "fp4",
                    "w4a16_mxfp4": "w4a16", "w4a8_mxfp4_mxfp8": "w4a8"}


def intercepts(cols: dict[str, np.ndarray], tokens: int = TOKENS) -> dict[str, list[tuple[tuple[int, ...], float]]]:
    """Per moe_dtype: (shape, ``c`` [s]) of every shape with at least ``MIN_SPLITS`` expert splits at ``tokens``."""
    keep = ((cols["distribution"] == "balanced") & (cols["kernel_source"] != MIN_LATENCY_SOURCE)
            & (cols["moe_tp_size"] == 1) & (cols["num_tokens"] == tokens) & (cols["latency"] > 0))
    fastest: dict[tuple[str, tuple[int, ...]], dict[int, float]] = {}
    for i in np.flatnonzero(keep):
        shape = tuple(int(cols[k][i]) for k in ("hidden_size", "inter_size", "num_experts", "topk"))
        ep = int(cols["moe_ep_size"][i])
        if ep > min(MAX_EP, shape[2]):
            continue
        point = fastest.setdefault((str(cols["moe_dtype"][i]), shape), {})
        point[ep] = min(point.get(ep, np.inf), float(cols["latency"][i]) * 1e-3)  # ms -> s
    out: dict[str, list[tuple[tuple[int, ...], float]]] = {}
    for (dtype, shape), point in sorted(fastest.items()):
        if len(point) < MIN_SPLITS:
            continue
        inv_ep = np.array([1.0 / e for e in point])
        design = np.vstack([np.ones_like(inv_ep), inv_ep]).T
        (c, _g), *_ = np.linalg.lstsq(design, np.array(list(point.values())), rcond=None)
        out.setdefault(dtype, []).append((shape, float(c)))
    return out


def main() -> int:
    root = database_root()
    arch = A.efficiency_table()["derated"].get("architecture", {})
    by_arch: dict[tuple[str, str], list[float]] = {}
    print(f"TensorRT-LLM MoE layer, {TOKENS:,} tokens, balanced routing: latency(ep) = c + G / ep, c per token and per "
          "element (token x hidden x top-k), median over shapes")
    print(f"{'chip (system, version)':34} {'moe dtype':18} {'shapes':>6} {'ns / token':>22} {'ps / element':>22}")
    for chip, system in SYSTEMS.items():
        seen: set[str] = set()
        for version, cols in moe_tables(root, system, BACKEND):  # newest first: each dtype from the newest table that has it
            found = intercepts(cols)
            for dtype, fits in sorted(found.items()):
                if dtype in seen or dtype not in EFFICIENCY_DTYPE:
                    continue
                seen.add(dtype)
                per_tok = np.array([c / TOKENS for _, c in fits])
                per_el = np.array([c / (TOKENS * s[0] * s[3]) for s, c in fits])
                med = float(np.median(per_el))
                by_arch.setdefault((arch.get(chip, chip), EFFICIENCY_DTYPE[dtype]), []).append(med)
                print(f"{chip + ' (' + system + ', ' + version + ')':34} {dtype:18} {len(fits):6d} "
                      f"{1e9 * np.median(per_tok):8.1f} [{1e9 * per_tok.min():5.1f}, {1e9 * per_tok.max():5.1f}] "
                      f"{1e12 * med:8.3f} [{1e12 * per_el.min():6.3f}, {1e12 * per_el.max():6.3f}]")
    print()
    print("per tensor-core architecture x efficiency dtype (median over its chips; negative -> 0), s per element:")
    for (a, dtype), vals in sorted(by_arch.items()):
        v = max(float(np.median(vals)), 0.0)
        print(f"  {a:20} {dtype:10} {v:.3g}   ({len(vals)} chips: " + ", ".join(f"{1e12 * x:.3f}" for x in vals) + " ps)")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_script(main))
