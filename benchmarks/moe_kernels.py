"""The engine's routed-expert law against measured MoE layer times, side by side.

    python benchmarks/moe_kernels.py [--rows] [--routing balanced|power_law_1.01]

Needs the optional extra (``pip install 'tokenfab[measured]'``): NVIDIA aiconfigurator-core's
measured TensorRT-LLM MoE tables (``moe_perf.parquet``: one MoE layer, token permutation, grouped
GEMMs and finalize, timed on one GPU per shape, split and token count; read through
``engine.measured_kernels``).

For each MoE model of the catalog whose shape the tables hold, on H200 (FP8 checkpoints at FP8,
MXFP4 ones as weight-only ``w4a16``) and B200 (NVFP4 at FP4, MXFP4 against MXFP8 activations),
at expert parallelism 1, 4 and 8 (expert tensor parallelism 1) and 16 to 8,192 tokens, it
compares the engine's time of one MoE layer on one GPU with the measured one. The engine's time
is its routed-expert law with the shipped calibrated factors: ``max(expert FLOPs /
serving.expert_gemm_rate, distinct experts' weight bytes / (bandwidth x memory_eff))``. The
engine takes that maximum over a stage's whole linear block rather than per MoE layer, so this
is the law the end-to-end fit chose, read one layer at a time.

Prints engine / measured per model, chip, split and token count, the mean |log(engine /
measured)| per chip, and the same figure for the law refitted to the tables themselves (half
rows, half width, a fixed time per layer, and one rate scale per chip x dtype: a diagnostic of
how far the end-to-end fit's expert law sits from the kernels, not a shipped factor).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tokenfab.catalog import assumptions, load_catalog  # noqa: E402
from tokenfab.catalog.model_spec import ModelSpec  # noqa: E402
from tokenfab.deployment.problem import blocks_for, hardware_row, model_row  # noqa: E402
from tokenfab.engine.arrays import Efficiency, ModelArrays  # noqa: E402
from tokenfab.engine.dtypes import WEIGHT_BYTES_PER_PARAM  # noqa: E402
from tokenfab.engine.efficiency import efficiency_arrays  # noqa: E402
from tokenfab.engine.measured_kernels import SYSTEMS, database_root, moe_curve, moe_dtype  # noqa: E402
from tokenfab.engine.ops import distinct_experts, expert_flops_per_token  # noqa: E402
from tokenfab.engine.serving import expert_gemm_rate  # noqa: E402
from tokenfab.errors import run_script  # noqa: E402

TOKENS = np.array([16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192], dtype=float)
SPLITS = (1, 4, 8)
# chip -> {checkpoint weights: compute dtype} as the validation rows run them (docs/engine.md section 4)
CHIPS = {"h200": {"fp8": "fp8", "mxfp4": "bf16"}, "b200": {"fp4": "fp4", "mxfp4": "fp8"}}
STACK = "trtllm"


def rows(routing: str) -> list[dict]:
    """One entry per model x chip x weights x split with measured times at TOKENS under ``routing``
    (an aiconfigurator expert-load distribution)."""
    cat, table = load_catalog(), assumptions.efficiency_table()
    out = []
    for spec in sorted((m for m in cat.typed("models", ModelSpec) if m.is_moe), key=lambda m: m.id):
        model_id = spec.id
        one_layer = ModelArrays.stack([dict(model_row(spec), num_moe_layers=1)])
        flop_per_token = float(expert_flops_per_token(one_layer)[0])  # routed-expert FLOPs of one MoE layer
        for chip, formats in CHIPS.items():
            hrow = hardware_row(cat.accelerator(chip))
            for weights, cdt in formats.items():
                if (weights == "mxfp4") != (spec.release_dtype == "mxfp4"):
                    continue  # MXFP4 checkpoints are the gpt-oss releases; the others ship FP8 / NVFP4
                wb = WEIGHT_BYTES_PER_PARAM[weights]
                # the efficiency key the engine runs this checkpoint's GEMMs under (w4a16 for MXFP4 on
                # Hopper, w4a8 on Blackwell, block-scaled FP8 where applied), not the compute dtype's
                block = blocks_for(cat, spec, cat.accelerator(chip), 1, (weights,), None, STACK, {})[0]
                eff = efficiency_arrays(table, chip, STACK, block.precision.efficiency_dtype, "calibrated")
                shape = (spec.hidden_size, spec.moe_intermediate_size, spec.experts_per_token, spec.num_experts)
                for ep in SPLITS:
                    c = moe_curve(database_root(), SYSTEMS[chip], STACK, moe_dtype(cdt, wb), shape, 1, ep, (routing,))
                    if c is None or c[1][0] > np.log2(TOKENS[0]) or c[1][-1] < np.log2(TOKENS[-1]):
                        continue  # shape, split or token range not measured
                    meas = np.interp(np.log2(TOKENS), c[1], c[2])
                    out.append(dict(model=model_id, chip=chip, cdt=cdt, ep=ep, wb=wb, meas=meas, table=c[0],
                                    flop_per_token=flop_per_token,
                                    h=float(spec.hidden_size), i=float(spec.moe_intermediate_size),
                                    k=float(spec.experts_per_token), e=float(spec.num_experts),
                                    peak=float(hrow[f"{cdt}_flop_per_s"]),
                                    bw=float(hrow["memory_bandwidth_bytes_per_s"]), eff=eff))
    return out


def layer_time(r: dict, eff: Efficiency, scale: float = 1.0, fixed_s: float = 0.0) -> np.ndarray:
    """The engine's routed-expert time of one MoE layer on one GPU at TOKENS (all of the split's tokens)."""
    n, ep = TOKENS, r["ep"]
    flop = n * r["flop_per_token"] / ep
    rate = expert_gemm_rate(r["peak"] * float(np.asarray(eff.compute_eff).ravel()[0]) * scale,
                            n * r["k"] / r["e"], r["i"], eff)
    weight = distinct_experts(r["e"], r["k"], n) / ep * 3.0 * r["h"] * r["i"] * r["wb"]
    mem = weight / (r["bw"] * float(np.asarray(eff.memory_eff).ravel()[0]))
    return np.maximum(flop / rate, mem) + fixed_s


def refit(entries: list[dict]) -> tuple[np.ndarray, float, list[tuple[str, str]]]:
    """Half rows, half width, fixed time per layer and a rate scale per chip x dtype fitted to the tables."""
    import dataclasses

    from scipy.optimize import minimize

    keys = sorted({(r["chip"], r["cdt"]) for r in entries})

    def loss(x: np.ndarray) -> float:
        ht, hw, c = np.exp(x[:3])
        errs = []
        for r in entries:
            eff = dataclasses.replace(r["eff"], moe_half_tokens=np.array([ht]), moe_half_width=np.array([hw]))
            t = layer_time(r, eff, float(np.exp(x[3 + keys.index((r["chip"], r["cdt"]))])), c)
            errs.append(np.abs(np.log(t / r["meas"])))
        return float(np.mean(np.concatenate(errs)))

    x = np.r_[np.log([40.0, 1000.0, 4e-5]), np.zeros(len(keys))]
    for _ in range(3):  # Powell from the previous optimum until it settles
        x = minimize(loss, x, method="Powell", options={"xtol": 1e-4, "ftol": 1e-7, "maxiter": 20000}).x
    return x, loss(x), keys


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", action="store_true", help="print engine/measured at every token count")
    ap.add_argument("--routing", default="balanced", choices=("balanced", "power_law_1.01"),
                    help="measured expert-load distribution to compare with (default: balanced, as the engine assumes)")
    args = ap.parse_args()
    print(f"aiconfigurator tables: {database_root()}")
    print(f"routing: {args.routing} (the engine spreads tokens evenly over the experts; power_law_1.01 is")
    print("aiconfigurator's default workload, where the most loaded expert-parallel rank sets the pace)")
    entries = rows(args.routing)
    if not entries:
        sys.exit("no catalog MoE shape is in the measured tables")
    print(f"{len(entries)} model x chip x split curves, {len(TOKENS)} token counts each (16 .. 8,192)\n")
    head = " ".join(f"{int(t):>6}" for t in TOKENS)
    if args.rows:
        print(f"{'model':<18} {'chip':<5} {'dtype':<5} {'ep':>2}  engine / measured at tokens {head}")
    by_chip: dict[str, list[np.ndarray]] = {}
    for r in entries:
        ratio = layer_time(r, r["eff"]) / r["meas"]
        by_chip.setdefault(r["chip"], []).append(np.abs(np.log(ratio)))
        if args.rows:
            cells = " ".join(f"{v:6.2f}" for v in ratio)
            print(f"{r['model']:<18} {r['chip']:<5} {r['cdt']:<5} {r['ep']:>2}  {r['table']:<27} {cells}")
    print("mean |log(engine / measured)| with the shipped calibrated factors:")
    for chip, errs in sorted(by_chip.items()):
        e = np.concatenate(errs)
        print(f"  {chip:<5} {e.mean():.3f}  (a typical factor of {np.exp(e.mean()):.2f}; {len(e)} points)")
    x, loss, keys = refit(entries)
    ht, hw, c = np.exp(x[:3])
    print(f"\nthe same law refitted to these tables (diagnostic, not shipped): mean |log| {loss:.3f}")
    print(f"  moe_half_tokens {ht:.1f} rows, moe_half_width {hw:.0f} columns, fixed {c * 1e6:.1f} us per MoE layer")
    for (chip, cdt), v in zip(keys, np.exp(x[3:])):
        print(f"  rate scale {chip} {cdt}: {v:.3f} of the shipped expert rate")


if __name__ == "__main__":
    raise SystemExit(run_script(main))
