"""tokenfab beside public peers on the measured rows they can express.

    python benchmarks/peers.py [--genz-python PY] [--llm-analysis-python PY]

Peers are optional: each runs in the interpreter given (default: this one) and is skipped
when it is not installed there. Install them (network needed once):

    python3 -m venv /tmp/peer-genz && /tmp/peer-genz/bin/pip install genz-llm==0.0.16 -e .
    python3 -m venv /tmp/peer-llma && /tmp/peer-llma/bin/pip install llm-analysis==0.2.2 -e .

Rows: offline rows of validation/measured.csv and validation/holdout.csv whose model the
peer can express (dense Llama-family GQA models; GenZ also Mixtral). Every tool gets the
same hardware figures (from tokenfab's catalog: dense BF16 peak, memory, bandwidth,
scale-up bandwidth) and the same parallel layout (the one tokenfab's search picked);
static-batch peers get the batch size that maximises their own throughput. Peers run at
their default 100 % efficiency. Prints MAPE and wall time per row per tool (a row includes the tool's search over
splits and batch sizes; tokenfab's time is its one vectorized call over all rows, peers'
times include their interpreter start).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENZ_MODELS = {
    "llama-2-7b": "meta-llama/Llama-2-7B",
    "llama-3.1-8b": "meta-llama/meta-llama-3.1-8b",
    "llama-3.3-70b": "meta-llama/Llama-3.1-70B",  # same architecture as 3.1-70B
    "llama-3.1-405b": "meta-llama/meta-llama-3.1-405b",
    "mixtral-8x7b": "mistralai/Mixtral-8x7B",
}
LLMA_MODELS = {"llama-2-7b", "llama-2-70b", "llama-3.1-8b", "llama-3.3-70b", "llama-3.1-405b"}
BATCHES = (1, 8, 32, 64, 128, 256, 512, 1024)


# ------------------------------------------------------------------ workers (run inside a peer's venv)

def worker_genz(rows: list[dict]) -> dict:
    from GenZ import decode_moddeling, prefill_moddeling

    out = {}
    for r in rows:
        name = GENZ_MODELS.get(r["model"])
        if name is None:
            continue
        system = {"Flops": r["bf16_tflops"], "Memory_size": r["memory_gb"], "Memory_BW": r["bw_gbs"],
                  "ICN": r["icn_gbs"], "real_values": True}
        bits = {"bf16": "bf16", "fp8": "fp8", "fp4": "fp4"}.get(r["weights"], "bf16")
        best = 0.0
        for b in BATCHES:
            try:
                p = prefill_moddeling(model=name, batch_size=b, input_tokens=int(r["isl"]), system_name=system,
                                      bits=bits, tensor_parallel=r["tp"], pipeline_parallel=r["pp"])
                d = decode_moddeling(model=name, batch_size=b, input_tokens=int(r["isl"] + r["osl"] / 2),
                                     output_tokens=int(r["osl"]), Bb=1, system_name=system, bits=bits,
                                     tensor_parallel=r["tp"], pipeline_parallel=r["pp"])
            except Exception:
                break
            e2e_s = (float(p["Latency"]) + r["osl"] * float(d["Latency"])) / 1000.0
            best = max(best, b * r["osl"] / e2e_s)
        if best > 0:
            out[r["id"]] = best * r["replicas"]
    return out


def worker_llma(rows: list[dict]) -> dict:
    import logging

    from llm_analysis import analysis as A
    from llm_analysis import config as C

    logging.disable(logging.CRITICAL)
    out = {}
    tmp = Path(tempfile.mkdtemp())
    for r in rows:
        if r["model"] not in LLMA_MODELS:
            continue
        gname = f"tf-{r['accelerator']}"
        C.gpu_configs[gname] = C.GPUConfig(
            name=gname, mem_per_GPU_in_GB=r["memory_gb"], hbm_bandwidth_in_GB_per_sec=r["bw_gbs"],
            intra_node_bandwidth_in_GB_per_sec=r["icn_gbs"], intra_node_min_message_latency=8e-6,
            peak_fp16_TFLOPS=r["bf16_tflops"], peak_i8_TFLOPS=r["fp8_tflops"] or 2 * r["bf16_tflops"],
            peak_i4_TFLOPS=r["fp4_tflops"] or 4 * r["bf16_tflops"],
        )
        m = r["arch"]
        path = tmp / f"{r['model']}.json"
        # SwiGLU has 3 matrices; llm-analysis models 2, so the iso-parameter width is 1.5 x intermediate
        path.write_text(json.dumps({
            "name": r["model"], "num_layers": m["num_layers"], "n_head": m["num_attention_heads"],
            "hidden_dim": m["hidden_size"], "vocab_size": m["vocab_size"], "max_seq_len": 131072,
            "num_key_value_heads": m["num_kv_heads"], "expansion_ratio": 1.5 * m["intermediate_size"] / m["hidden_size"],
            "model_type": "llama",
        }))
        dtype = {"bf16": "w16a16e16", "fp8": "w8a8e16", "fp4": "w4a4e16"}.get(r["weights"], "w16a16e16")
        kw = dict(model_name=str(path), gpu_name=gname, dtype_name=dtype, tp_size=r["tp"], pp_size=r["pp"],
                  seq_len=int(r["isl"]), num_tokens_to_generate=int(r["osl"]), log_level="ERROR")
        try:
            first = A.infer(batch_size_per_gpu=1, **kw)
            bmax = int(max(1, min(first["decode_max_batch_size_per_gpu"], first["prefill_max_batch_size_per_gpu"], 1024)))
            res = A.infer(batch_size_per_gpu=bmax, **kw)
        except Exception:
            continue
        out[r["id"]] = bmax * r["osl"] / res["total_latency"] * r["replicas"]
    return out


# ------------------------------------------------------------------ driver (tokenfab's venv)

def build_rows() -> tuple[list[dict], dict]:
    sys.path.insert(0, str(ROOT / "src"))
    from tokenfab.accuracy.measured import read_measured
    from tokenfab.accuracy.score import evaluate, prepare
    from tokenfab.catalog import load_catalog
    from tokenfab.catalog.assumptions import efficiency_table

    cat = load_catalog()
    table = efficiency_table()
    rows = []
    for f in ("measured.csv", "holdout.csv"):
        rows += [r for r in read_measured(ROOT / "validation" / f)
                 if r.scenario == "offline" and (r.model in GENZ_MODELS or r.model in LLMA_MODELS)]
    prep = prepare(rows, cat)
    t = time.perf_counter()
    out = evaluate(prep, table, "calibrated")
    ours_s = time.perf_counter() - t
    payload = []
    for row, pred, b in zip(prep.rows, out["predicted"], out["best"]):
        if b < 0:  # no deployment of this row fits in memory: nothing to hand the peers
            continue
        acc, spec = cat.accelerator(row.accelerator), cat.model(row.model)
        tp, pp, ep, dpa, rep = prep.split_of(int(b))
        payload.append(dict(
            id=row.id, model=row.model, accelerator=row.accelerator, weights=row.weights_dtype,
            isl=float(prep.isl[prep.row_index[b]]), osl=row.osl_tokens, measured=row.value,
            tokenfab=float(pred), tp=tp, pp=pp, replicas=rep,
            bf16_tflops=(acc.bf16_dense_flop_per_s or 0) / 1e12, fp8_tflops=(acc.fp8_dense_flop_per_s or 0) / 1e12,
            fp4_tflops=(acc.fp4_dense_flop_per_s or 0) / 1e12, memory_gb=acc.memory_bytes / 1e9,
            bw_gbs=acc.memory_bandwidth_bytes_per_s / 1e9,
            icn_gbs=(acc.scale_up_bandwidth_bytes_per_s_per_direction or 32e9) / 1e9,
            arch=dict(num_layers=spec.num_layers, num_attention_heads=spec.num_attention_heads,
                      num_kv_heads=spec.num_kv_heads, hidden_size=spec.hidden_size,
                      intermediate_size=spec.intermediate_size or spec.moe_intermediate_size,
                      vocab_size=spec.vocab_size),
        ))
    return payload, {"tokenfab_s": ours_s, "tokenfab_configs": len(prep.row_index)}


def run_worker(python: str, which: str, rows: list[dict]) -> tuple[dict | None, float, str]:
    t = time.perf_counter()
    env = dict(os.environ, PYTHONWARNINGS="ignore", TRANSFORMERS_VERBOSITY="error", HF_HUB_OFFLINE="1")
    proc = subprocess.run([python, __file__, "--worker", which], input=json.dumps(rows), capture_output=True,
                          text=True, cwd=tempfile.gettempdir(), env=env, timeout=3600)
    dt = time.perf_counter() - t
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return None, dt, last
    return json.loads(proc.stdout.strip().splitlines()[-1]), dt, ""


def stats(pairs: list[tuple[float, float]]) -> str:
    import statistics

    apes = [abs(p - m) / m for p, m in pairs]
    worst = max(max(p / m, m / p) for p, m in pairs)
    return f"{100 * sum(apes) / len(apes):6.1f}% {100 * statistics.median(apes):7.1f}% {worst:6.2f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", choices=["genz", "llm-analysis"])
    ap.add_argument("--genz-python", default=sys.executable)
    ap.add_argument("--llm-analysis-python", default=sys.executable)
    args = ap.parse_args()
    if args.worker:
        rows = json.loads(sys.stdin.read())
        with open(os.devnull, "w") as devnull:  # peers print progress; keep stdout for the JSON line
            real, sys.stdout = sys.stdout, devnull
            try:
                res = worker_genz(rows) if args.worker == "genz" else worker_llma(rows)
            finally:
                sys.stdout = real
        print(json.dumps(res))
        return
    rows, ours = build_rows()
    print(f"{len(rows)} offline rows with a peer-expressible model (measured.csv + holdout.csv)")
    results = {"tokenfab": ({r["id"]: r["tokenfab"] for r in rows}, ours["tokenfab_s"], "")}
    for name, py in (("genz-llm 0.0.16", args.genz_python), ("llm-analysis 0.2.2", args.llm_analysis_python)):
        which = "genz" if name.startswith("genz") else "llm-analysis"
        res, dt, err = run_worker(py, which, rows)
        results[name] = (res, dt, err)
    meas = {r["id"]: r["measured"] for r in rows}
    print(f"\n{'tool':<20} {'rows':>4} {'MAPE':>7} {'median':>8} {'worst':>6} {'s/row':>10}   tokenfab on the same rows")
    for name, (res, dt, err) in results.items():
        if res is None:
            print(f"{name:<20} skipped ({err})")
            continue
        pairs = [(res[i], meas[i]) for i in res]
        ours_same = [(results["tokenfab"][0][i], meas[i]) for i in res]
        per = dt / max(len(res), 1)  # a row = its whole search (splits x batch sizes)
        print(f"{name:<20} {len(pairs):>4} {stats(pairs)} {per:10.2e}   {stats(ours_same)}")
    print("\nper row (output tok/s):")
    print(f"{'id':<7} {'model':<15} {'accel':<9} {'measured':>10} " + " ".join(f"{n.split()[0]:>12}" for n in results))
    for r in rows:
        vals = []
        for res, _, _ in results.values():
            v = (res or {}).get(r["id"])
            vals.append(f"{v:12.0f}" if v else f"{'-':>12}")
        print(f"{r['id']:<7} {r['model']:<15} {r['accelerator']:<9} {r['measured']:10.0f} " + " ".join(vals))


if __name__ == "__main__":
    main()
