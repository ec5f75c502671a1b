"""Decode attention's achieved share of HBM bandwidth in NVIDIA aiconfigurator's measured kernel tables.

    python benchmarks/attention_kernels.py        # needs the optional extra: pip install 'tokenfab[measured]'

aiconfigurator-core (Apache-2.0) ships, per GPU system x serving backend x version, the latency of one
decode ("generation") attention call of one layer on one GPU:
``attention/<backend>/<version>/generation_attention_perf.parquet`` with columns ``batch_size, step``
(the context each sequence attends to), ``num_heads, num_key_value_heads, head_dim, window_size,
kv_cache_dtype, latency`` [ms]. A call reads ``batch_size x (step + 1) x num_key_value_heads x head_dim
x 2`` KV elements; divided by the latency and the chip's datasheet HBM bandwidth (the catalog's
``memory_bandwidth_bytes_per_s``) that is the share of the bandwidth the kernel reaches.

For each system x backend (newest version) this prints that share, median over the measured head
shapes (global attention, ``window_size`` 0), at growing sizes (tokens read per call =
``batch_size x (step + 1)``), per KV dtype, and in the last column (``large``) the median over the
head shapes and both KV dtypes of the calls that read at least ``LARGE_TOKENS`` tokens, where the
share has stopped growing with size (a smaller call is dominated by its fixed cost, which the
engine's per-layer overhead carries).

The engine does not use these figures: it streams the KV cache at the stack's fitted memory
efficiency, like the weights. Reading it at the ``large`` share instead (trial x19) was refitted and
failed its rule (docs/engine.md section 6, thirty-third session).

A second table: the cost of a call that does not depend on the context, per sequence and KV head
[ns] (calls of at least ``FIXED_MIN_BATCH`` sequences at steps up to ``FIXED_MAX_STEP``, where the KV
read is negligible; median over the grouped-query shapes with 2-16 query heads per KV head and head
size 64 or 128, the models the catalog serves). On TensorRT-LLM it is about 39 ns on Hopper with a
BF16 KV cache and 13-14 ns with FP8, 15-16 ns on Blackwell either way. Charging it per decode step
(trial x24) was refitted and failed its rule too (thirty-fourth session).

A third table: the same for multi-head latent attention (DeepSeek-R1's MLA decode kernels,
``mla/<backend>/<version>/generation_mla_perf.parquet``, columns ``batch_size, step, num_heads,
tp_size, kv_cache_dtype, latency``), per sequence and query head [ns]: calls of one GPU
(``tp_size`` 1) with at least 16 query heads, same batch and step limits, median per head count, then
over the head counts. On TensorRT-LLM about 2.4 ns on H200 with an FP8 cache (some 300 ns per
sequence and layer at DeepSeek-R1's 128 heads) and 1.2 ns on Blackwell. Charged per decode step
together with the grouped-query figures (trial x50, thirty-ninth session) it was refitted and
failed its rule as well.

A fourth table: prompt (context) attention, ``attention/<backend>/<version>/context_attention_perf.parquet``
(columns ``batch_size, isl, num_heads, head_dim, window_size, attn_dtype, kv_cache_dtype, latency``):
per KV dtype and head size, the law ``latency = heads x batch x (isl^2 / 2 + tokens x isl) x 4 x
head_dim / (fraction x BF16 dense peak)`` fitted by least squares (:func:`context_law`). These are
the figures of efficiency.yaml ``context_attention``, which the measured fidelity reads (fortieth
session); at the derated and calibrated fidelities the same law was refitted as trial x52 and
failed its rule.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tokenfab.catalog import load_catalog  # noqa: E402
from tokenfab.engine.measured_kernels import SYSTEMS, database_root, read_columns, table_versions  # noqa: E402
from tokenfab.errors import run_script  # noqa: E402

TABLE = "generation_attention_perf.parquet"
MLA_TABLE = "generation_mla_perf.parquet"
MLA_MIN_HEADS = 16  # query heads of a call, so a call's own cost is spread thin
BACKENDS = ("trtllm", "vllm", "sglang")
BYTES = {"bfloat16": 2.0, "float16": 2.0, "fp8": 1.0}
SIZES = (2**14, 2**16, 2**18, 2**20, 2**22)  # tokens read per call, lower edges of the columns
LARGE_TOKENS = 2**20
FIXED_MIN_BATCH = 256  # sequences per call, so a call's own launch cost is spread thin
FIXED_MAX_STEP = 63  # context per sequence at most, so the KV read is negligible
CONTEXT_TABLE = "context_attention_perf.parquet"
CONTEXT_KV = {"bfloat16": "bf16", "fp8": "fp8"}  # the tables' KV dtypes, as tokenfab names them
CONTEXT_MIN_ISL = 512  # prompt tokens of a call at least
CONTEXT_MIN_TOKENS = 8192  # tokens of a call at least (batch x prompt), so launch costs are spread thin


def newest(folder: Path) -> Path | None:
    return newest_of(folder, TABLE)


def newest_of(folder: Path, table: str) -> Path | None:
    versions = table_versions(folder, table)
    return versions[0] if versions else None


def shares(path: Path, bandwidth: float) -> dict[str, np.ndarray]:
    """Per call: tokens read, achieved share of ``bandwidth``, KV dtype and head shape."""
    t = read_columns(path)
    kv = np.array([str(x) for x in t["kv_cache_dtype"]])
    window = t.get("window_size", np.zeros(len(t["latency"])))
    keep = (window == 0) & np.isin(kv, list(BYTES)) & (t["latency"] > 0)
    tokens = t["batch_size"] * (t["step"] + 1.0)
    bytes_read = tokens * t["num_key_value_heads"] * t["head_dim"] * 2.0 * np.array([BYTES.get(k, np.nan) for k in kv])
    share = bytes_read / (t["latency"] * 1e-3) / bandwidth
    shape = np.array([f"{h}/{g}/{d}" for h, g, d in zip(t["num_heads"], t["num_key_value_heads"], t["head_dim"])])
    return {"tokens": tokens[keep], "share": share[keep], "kv": kv[keep], "shape": shape[keep]}


def fixed_cost_ns(t: dict[str, np.ndarray]) -> dict[str, float]:
    """Per KV dtype, the context-independent cost of one decode-attention call per sequence and KV
    head [ns]: ``latency / (batch x KV heads)`` of calls with at least ``FIXED_MIN_BATCH`` sequences at
    steps up to ``FIXED_MAX_STEP``, median per grouped-query head shape (2-16 query heads per KV head,
    head size 64 or 128, any window), then median over the shapes."""
    heads, kv_heads, head_dim = t["num_heads"], t["num_key_value_heads"], t["head_dim"]
    window = t.get("window_size", np.zeros(len(t["latency"])))
    kv = np.array([str(x) for x in t["kv_cache_dtype"]])
    per = t["latency"] * 1e-3 / (t["batch_size"] * kv_heads) * 1e9
    keep = ((t["batch_size"] >= FIXED_MIN_BATCH) & (t["step"] <= FIXED_MAX_STEP) & (t["latency"] > 0)
            & (heads >= 2 * kv_heads) & (heads <= 16 * kv_heads) & np.isin(head_dim, (64, 128)))
    out = {}
    for k in sorted(set(kv[keep])):
        m = keep & (kv == k)
        shapes = sorted(set(zip(heads[m], kv_heads[m], head_dim[m], window[m])))
        medians = [float(np.median(per[m & (heads == h) & (kv_heads == g) & (head_dim == d) & (window == w)]))
                   for h, g, d, w in shapes]
        out[k] = float(np.median(medians))
    return out


def mla_fixed_cost_ns(t: dict[str, np.ndarray]) -> dict[str, float]:
    """Per KV dtype, the context-independent cost of one MLA decode call per sequence and query head
    [ns]: ``latency / (batch x heads)`` of one-GPU calls (``tp_size`` 1) with at least
    ``MLA_MIN_HEADS`` heads and ``FIXED_MIN_BATCH`` sequences at steps up to ``FIXED_MAX_STEP``,
    median per head count, then median over the head counts."""
    heads = t["num_heads"]
    kv = np.array([str(x) for x in t["kv_cache_dtype"]])
    per = t["latency"] * 1e-3 / (t["batch_size"] * heads) * 1e9
    keep = ((t["batch_size"] >= FIXED_MIN_BATCH) & (t["step"] <= FIXED_MAX_STEP) & (t["latency"] > 0)
            & (heads >= MLA_MIN_HEADS) & (t["tp_size"] == 1))
    out = {}
    for k in sorted(set(kv[keep])):
        m = keep & (kv == k)
        out[k] = float(np.median([float(np.median(per[m & (heads == h)])) for h in sorted(set(heads[m]))]))
    return out


def context_law(t: dict[str, np.ndarray], peak_flop_per_s: float) -> dict[str, dict[int, tuple[float, float]]]:
    """Per KV dtype and head size, the prompt-attention law of a chip x backend's measured
    ``context_attention_perf`` calls: ``latency = heads x batch x (isl^2 / 2 + tokens x isl) x 4 x
    head_dim / (fraction x peak)``, i.e. the causal pairs plus ``tokens`` pairs' worth of work per
    query token (the diagonal tiles, softmax and epilogue that do not shrink with the context), at
    ``fraction`` of the BF16 dense peak. Least squares of ``latency x peak / (heads x batch x 2 x
    head_dim x isl^2) = 1 / fraction + (2 tokens / fraction) / isl`` over the global-attention calls
    (``window_size`` 0) with prompts of at least ``CONTEXT_MIN_ISL`` tokens and at least
    ``CONTEXT_MIN_TOKENS`` tokens per call, pooled over head counts and attention dtypes."""
    kv = np.array([str(x) for x in t["kv_cache_dtype"]])
    window = t.get("window_size", np.zeros(len(t["latency"])))
    b, h, isl, hd, lat = t["batch_size"], t["num_heads"], t["isl"], t["head_dim"], t["latency"] * 1e-3
    keep = ((window == 0) & (isl >= CONTEXT_MIN_ISL) & (b * isl >= CONTEXT_MIN_TOKENS) & (lat > 0)
            & np.isin(kv, list(CONTEXT_KV)))
    out: dict[str, dict[int, tuple[float, float]]] = {}
    for k in sorted(set(kv[keep])):
        for d in sorted(set(hd[keep & (kv == k)])):
            m = keep & (kv == k) & (hd == d)
            if m.sum() < 10:
                continue
            y = lat[m] * peak_flop_per_s / (h[m] * b[m] * 2.0 * d * isl[m] ** 2)
            (a, c), *_ = np.linalg.lstsq(np.c_[np.ones(m.sum()), 1.0 / isl[m]], y, rcond=None)
            if a > 0 and c >= 0:
                out.setdefault(CONTEXT_KV[k], {})[int(d)] = (float(1.0 / a), float(c / a / 2.0))
    return out


def median_over_shapes(s: dict[str, np.ndarray], mask: np.ndarray) -> float:
    """Median over head shapes of each shape's median share in ``mask`` (NaN when empty)."""
    per_shape = [float(np.median(s["share"][mask & (s["shape"] == k)])) for k in np.unique(s["shape"][mask])]
    return float(np.median(per_shape)) if per_shape else float("nan")


def main() -> int:
    root = database_root()
    cat = load_catalog()
    print(f"{'chip':12} {'backend':7} {'version':10} {'kv':9} "
          + " ".join(f"{'>=2^' + str(int(np.log2(x))):>7}" for x in SIZES) + f" {'large':>7}")
    for chip, system in SYSTEMS.items():
        bandwidth = cat.accelerator(chip).memory_bandwidth_bytes_per_s
        if not bandwidth:
            continue
        bw = float(bandwidth)
        for backend in BACKENDS:
            v = newest(root / system / "attention" / backend)
            if v is None:
                continue
            s = shares(v / TABLE, bw)
            large = s["tokens"] >= LARGE_TOKENS
            figure = median_over_shapes(s, large)
            for k in sorted(np.unique(s["kv"])):
                cols = []
                for lo, hi in zip(SIZES, (*SIZES[1:], np.inf)):
                    cols.append(median_over_shapes(s, (s["kv"] == k) & (s["tokens"] >= lo) & (s["tokens"] < hi)))
                print(f"{chip:12} {backend:7} {v.name:10} {k:9} " + " ".join(f"{c:7.2f}" for c in cols)
                      + f" {figure:7.2f}")
    print(f"\nfixed cost of a call per sequence and KV head [ns] (batch >= {FIXED_MIN_BATCH}, step <= {FIXED_MAX_STEP})")
    for chip, system in SYSTEMS.items():
        for backend in BACKENDS:
            v = newest(root / system / "attention" / backend)
            if v is not None:
                fixed = fixed_cost_ns(read_columns(v / TABLE))
                print(f"{chip:12} {backend:7} {v.name:10} " + "  ".join(f"{k} {c:5.1f}" for k, c in fixed.items()))
    print(f"\nMLA: fixed cost of a call per sequence and query head [ns] (one GPU, >= {MLA_MIN_HEADS} heads, "
          f"batch >= {FIXED_MIN_BATCH}, step <= {FIXED_MAX_STEP})")
    for chip, system in SYSTEMS.items():
        for backend in BACKENDS:
            v = newest_of(root / system / "mla" / backend, MLA_TABLE)
            if v is not None:
                fixed = mla_fixed_cost_ns(read_columns(v / MLA_TABLE))
                print(f"{chip:12} {backend:7} {v.name:10} " + "  ".join(f"{k} {c:5.2f}" for k, c in fixed.items()))
    print("\nprompt attention: fraction of the BF16 dense peak and pairs of work per query token, per KV dtype x head "
          f"size (global attention, prompts >= {CONTEXT_MIN_ISL}, calls >= {CONTEXT_MIN_TOKENS} tokens); "
          "efficiency.yaml context_attention")
    for chip, system in SYSTEMS.items():
        peak = cat.accelerator(chip).bf16_dense_flop_per_s
        for backend in BACKENDS:
            v = newest_of(root / system / "attention" / backend, CONTEXT_TABLE)
            if v is None or not peak:
                continue
            law = context_law(read_columns(v / CONTEXT_TABLE), float(peak))
            print(f"{chip:12} {backend:7} {v.name:10} " + "  ".join(
                f"{k}/{d} {f:.3f} {n:5.0f}" for k, by in law.items() for d, (f, n) in by.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(run_script(main))
