"""Speculative decoding / MTP: before (off) and after (the catalog's method) on measured rows.

    python benchmarks/speculative.py

1. Every row of validation/measured.csv and validation/holdout.csv whose model has a method in
   data/speculative.yaml, predicted with speculation off (as validate does by default) and with
   the method forced (the optional ``speculative`` column), against the measured value.
   These rows were measured without a stated speculative setting (TensorRT-LLM performance
   tables, MLPerf v5.1 Offline/Server): the 'off' column is the like-for-like one; the 'on'
   column shows how far the option moves each prediction.
2. The MLPerf Inference v6.0 DeepSeek-R1 Interactive limits (p99 TTFT 1.5 s, TPOT 15 ms;
   MLCommons v6.0 announcement) on GB200 NVL72, whose NVIDIA submission ran MTP with 3 draft
   tokens (inference_results_v6.0 closed/NVIDIA configs/GB200-NVL72_GB200-186GB_aarch64x16/
   Interactive/disagg_decode/deepseek-r1.yml: speculative_config decoding_type MTP,
   num_nextn_predict_layers 3): feasible candidates and predicted throughput off vs MTP. No
   measured value for that row is in validation/ yet, so this part shows feasibility only.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tokenfab.accuracy.measured import read_measured  # noqa: E402
from tokenfab.accuracy.score import evaluate, prepare  # noqa: E402
from tokenfab.catalog import load_catalog  # noqa: E402
from tokenfab.catalog.speculative import SpeculativeMethod  # noqa: E402
from tokenfab.deployment.evaluate import evaluate_deployment  # noqa: E402
from tokenfab.errors import TokenfabError, run_script  # noqa: E402


def rows_before_after() -> None:
    cat = load_catalog()
    method = {r.model: r.method for r in cat.typed("speculative", SpeculativeMethod)}
    rows = [r for f in ("measured.csv", "holdout.csv") for r in read_measured(ROOT / "validation" / f)
            if r.model in method and r.metric == "output_tok_per_s"]
    off = evaluate(prepare(rows, cat))["predicted"]
    on_rows = [r.model_copy(update={"speculative": method[r.model]}) for r in rows]
    on = evaluate(prepare(on_rows, cat))["predicted"]
    print(f"{'row':7} {'model':14} {'accel':9} {'n':>3} {'scen':11} {'isl/osl':>11} {'measured':>9} "
          f"{'off':>9} {'err':>6} {'on':>9} {'err':>6}")
    err_off, err_on = [], []
    for r, a, b in zip(rows, off, on):
        e_a, e_b = a / r.value - 1, b / r.value - 1
        err_off.append(abs(e_a))
        err_on.append(abs(e_b))
        print(f"{r.id:7} {r.model:14} {r.accelerator:9} {r.n_accel:>3} {r.scenario:11} "
              f"{r.isl_tokens or 0:>5.0f}/{r.osl_tokens:<5.0f} {r.value:>9.0f} {a:>9.0f} {e_a:>+6.0%} {b:>9.0f} {e_b:>+6.0%}")
    print(f"MAPE over {len(rows)} rows: off {np.nanmean(err_off):.1%}, {'/'.join(sorted(set(method.values())))} "
          f"on {np.nanmean(err_on):.1%}")


def interactive_15ms() -> None:
    print("\nMLPerf v6.0 DeepSeek-R1 Interactive limits (p99 TTFT 1.5 s, TPOT 15 ms), 72 x GB200, fp4:")
    for spec, extra in (("off", {}), ("mtp", {"draft_tokens": 3})):
        try:
            ev = evaluate_deployment(dict(model="deepseek-r1", accelerator="gb200", count=72, isl=803.79, osl=3700,
                                          scenario="interactive", ttft_max_s=1.5, tpot_max_s=0.015, weights="fp4",
                                          speculative=spec, **extra))
        except TokenfabError as exc:
            print(f"  {spec:4}: {exc}")
            continue
        p, d = ev.performance, ev.deployment
        print(f"  {spec:4}: k={d.draft_tokens} E={d.tokens_per_step:.2f} met={p.slo_met} "
              f"tpot_p99={p.tpot_p99_s * 1e3:.1f} ms thr={p.throughput_output_tok_per_s:,.0f} tok/s "
              f"conc={d.concurrency_per_instance} tp={d.tp} ep={d.ep} dpa={d.dp_attention}")


def main() -> None:
    rows_before_after()
    interactive_15ms()


if __name__ == "__main__":
    raise SystemExit(run_script(main))
