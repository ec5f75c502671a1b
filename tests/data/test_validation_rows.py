"""The published measurements in validation/: every row parses, resolves against the catalog and
is predicted; ids are unique; the arithmetic a source states is right; every vendor family the
issue asks for has rows, and every stack with fitted rows has its own factors in the shipped table.

Expected values here are the publications' own figures (quoted in each row's source) and hand
arithmetic on them, never the engine's output.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from tokenfab.accuracy.measured import read_measured
from tokenfab.accuracy.score import evaluate, prepare
from tokenfab.catalog import load_catalog
from tokenfab.catalog.assumptions import efficiency_table

ROOT = Path(__file__).resolve().parents[2]
FILES = {"measured.csv": "GT", "holdout.csv": "HO"}


@pytest.fixture(scope="module")
def rows():
    return {name: read_measured(ROOT / "validation" / name) for name in FILES}


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_row_parses_resolves_and_is_predicted(rows, cat, name):
    prep = prepare(rows[name], cat)
    assert [(r.id, why) for r, why in prep.skipped] == []
    pred = evaluate(prep)["predicted"]
    bad = [r.id for r, p in zip(prep.rows, pred) if not (np.isfinite(p) and p > 0)]
    assert bad == []


def test_ids_are_unique_and_prefixed_by_file(rows):
    ids = [r.id for name in FILES for r in rows[name]]
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    for name, prefix in FILES.items():
        assert all(r.id.startswith(prefix) for r in rows[name]), name


def test_rows_name_catalog_stacks_and_sources(rows, cat):
    stacks = {s.id for s in cat.list("stacks")}
    for name in FILES:
        for r in rows[name]:
            assert r.stack in stacks, (r.id, r.stack)
            assert re.search(r"https?://", r.source), r.id


def test_stated_output_length_is_tokens_over_samples(rows):
    """Rows whose source says 'tokens/s X, samples/s Y -> osl ...' (MLPerf logs): the row's value is
    X and its osl_tokens is X / Y to the 0.1 token it is rounded to."""
    pat = re.compile(r"tokens/s ([\d.]+), samples/s ([\d.]+) -> osl")
    checked = 0
    for name in FILES:
        for r in rows[name]:
            m = pat.search(r.source)
            if m:
                tok, samples = float(m.group(1)), float(m.group(2))
                assert r.value == pytest.approx(tok, rel=1e-5), r.id
                assert r.osl_tokens == pytest.approx(tok / samples, abs=0.051), r.id
                checked += 1
    assert checked >= 15


def test_published_figures_of_the_issue16_rows(rows):
    """A few rows against the publications, copied by hand from the sources."""
    by_id = {r.id: r for name in FILES for r in rows[name]}
    # MLPerf Inference v4.0, Intel-HabanaLabs HLS-Gaudi2-PT, llama2-70b-99.9 Offline: 8034.85 tok/s,
    # 27.5567 samples/s -> 8034.85 / 27.5567 = 291.57 output tokens per sample
    g = by_id["GT159"]
    assert (g.accelerator, g.n_accel, g.weights_dtype, g.stack, g.value) == ("gaudi2", 8, "fp8", "synapseai", 8034.85)
    assert g.osl_tokens == pytest.approx(8034.85 / 27.5567, abs=0.05)
    # the same submission's code: run_tgi_server.sh shards Llama-2-70B with --num-shard 8 (one tp 8
    # server), batch bucket = scenarios.yaml --bs: 1024 Offline, 768 Server
    assert (g.parallelism, g.max_seqs) == ("tp8", 1024)
    assert (by_id["GT160"].parallelism, by_id["GT160"].max_seqs) == ("tp8", 768)
    # Krai's MLPerf v5.1 open vLLM/SGLang commands name no KV cache dtype: the default 'auto' keeps BF16
    krai = [r for name in FILES for r in rows[name] if "open/Krai/" in r.source]
    assert len(krai) == 12 and {r.kv_dtype for r in krai} == {"bf16"}
    # Intel Gaudi 3 model-performance table: Llama 3.1 70B, 8 HPU, fp8, 2,048 / 2,048, batch 600: 8,946 tok/s
    g3 = by_id["GT253"]  # was HO053 before the odd-numbered holdout rows joined the fitting set
    assert (g3.accelerator, g3.n_accel, g3.isl_tokens, g3.osl_tokens, g3.concurrency, g3.value) == (
        "gaudi3", 8, 2048, 2048, 600, 8946)
    # Neuron trn2 Llama-3.3-70B tutorial (bf16, batch 1): overall output throughput 47.48 tok/s,
    # inter-token latency mean 19.86 ms; 16 Trainium2 = 128 NeuronCores / 8 per chip
    t = by_id["GT166"]
    assert (t.accelerator, t.n_accel, t.concurrency, t.value) == ("trainium2", 128 // 8, 1, 47.48)
    assert by_id["GT167"].metric == "tpot_s" and by_id["GT167"].value == pytest.approx(0.019861, abs=1e-5)
    # MLPerf Inference v5.0, NVIDIA DGX H100 (8x H100-SXM-80GB, TRT), llama2-70b-99 Offline summary:
    # "Samples per second: 107.256", "Tokens per second: 31306.8" -> 291.9 output tokens per sample
    h = by_id["HO070"]
    assert (h.accelerator, h.n_accel, h.weights_dtype, h.scenario, h.value) == ("h100-sxm", 8, "fp8", "offline", 31306.8)
    assert h.osl_tokens == pytest.approx(31306.8 / 107.256, abs=0.05)
    # NVIDIA's submission configs (closed/NVIDIA/configs/llama2-70b/<Scenario>/__init__.py), per engine:
    # v4.1 H100_SXM_80GB_TP2x4 tensor_parallelism 2, gpu_batch_size 896 Offline / 1024 Server; v4.1
    # H200_SXM_141GBx8 tensor_parallelism 1, 806 / 896; v5.0 H100_SXM_80GB_PP2x4 pipeline_parallelism 2,
    # 1024, kvcache_free_gpu_mem_frac 0.95
    stated = {i: (by_id[i].parallelism, by_id[i].max_seqs) for i in ("GT055", "GT056", "GT057", "GT058", "HO070")}
    assert stated == {"GT055": ("tp2", 896), "GT056": ("tp2", 1024), "GT057": ("tp1", 806), "GT058": ("tp1", 896),
                      "HO070": ("tp1 pp2", 1024)}
    assert h.memory_fraction == 0.95 and h.fixed_split == {"tp": 1, "pp": 2, "ep": 1, "dp_attention": False}


def test_mlperf_v51_rows_state_their_submission_configs(rows):
    """MLPerf Inference v5.1 configs (mlcommons/inference_results_v5.1 @965182b0,
    closed/<submitter>/configs/<system>/<Scenario>/<benchmark>.py), as published:
    NVIDIA B200-SXM-180GBx8 Offline llama2-70b: tensor_parallelism 1, gpu_batch_size 2048,
    kv_cache_dtype fp8, kvcache_free_gpu_mem_frac 0.95; Server llama3_1-405b: tensor_parallelism 4,
    256, 0.95; Offline deepseek-r1: tensor 8 x moe_expert 8 with enable_attention_dp, 0.9 (its
    gpu_batch_size is per attention rank, not stated as max_seqs); Nebius H200 Interactive
    llama3_1-405b: tensor_parallelism 8, runtime max_batch_size 64, 0.9. Every config sets
    'batch_scheduler_policy': 'max_util' (TensorRT-LLM MAX_UTILIZATION: kv_reserve live)."""
    by_id = {r.id: r for name in FILES for r in rows[name]}
    got = {i: (by_id[i].parallelism, by_id[i].kv_dtype, by_id[i].memory_fraction, by_id[i].max_seqs)
           for i in ("GT001", "GT020", "GT033", "GT029")}
    assert got == {"GT001": ("tp1", "fp8", 0.95, 2048), "GT020": ("tp4", "fp8", 0.95, 256),
                   "GT033": ("dep8", "fp8", 0.9, None), "GT029": ("tp8", "fp8", 0.9, 64)}
    mlperf_trt = [r for r in by_id.values() if "mlcommons/inference_results_v" in r.source and r.stack == "trtllm"]
    assert len(mlperf_trt) >= 49
    for r in mlperf_trt:  # v4.1 and v5.1 run MAX_UTILIZATION; v5.0's harness was not read
        assert r.kv_reserve == ("live" if "inference_results_v5.0" not in r.source else None), r.id
    # TensorRT-LLM's performance table (trtllm-bench, the LLM API's GUARANTEED_NO_EVICT) keeps the stack's rule
    table = [r for r in by_id.values() if "perf-overview.md" in r.source]
    assert table and all(r.kv_reserve is None for r in table)


def test_every_family_of_the_issue_has_rows(rows, cat):
    """Issue 16 item 3: at least three measured rows for Trainium and Gaudi (TPU: none could be
    verified, see docs/engine.md 'Validation data'), and vLLM / SGLang rows on NVIDIA and AMD."""
    all_rows = [r for name in FILES for r in rows[name]]
    vendor = {r.id: cat.accelerator(r.accelerator).vendor for r in all_rows}
    count = Counter(vendor[r.id] for r in all_rows)
    assert count["Intel"] >= 3 and count["AWS"] >= 3
    pairs = Counter((vendor[r.id], r.stack) for r in all_rows)
    assert pairs[("NVIDIA", "vllm")] >= 3 and pairs[("NVIDIA", "sglang")] >= 3 and pairs[("AMD", "vllm")] >= 3


def test_every_fitted_stack_has_its_own_factors(rows):
    """A stack with rows in measured.csv is fitted (benchmarks/calibrate.py --write); it must not
    silently borrow the default stack's factors in the shipped table."""
    fitted = efficiency_table()["calibrated"]["stacks"]
    stacks = {r.stack for r in rows["measured.csv"]}
    assert stacks <= set(fitted), stacks - set(fitted)
    assert {"synapseai", "neuron", "sglang"} <= stacks


def test_gaudi2_datasheet_sanity(cat):
    """Gaudi 2: FP8 MME peak twice the BF16 one (865 vs 432 TFLOP/s); below Gaudi 3 in memory,
    bandwidth and compute (96 vs 128 GB, 2.45 vs 3.7 TB/s)."""
    g2, g3 = cat.accelerator("gaudi2"), cat.accelerator("gaudi3")
    assert g2.fp8_dense_flop_per_s == pytest.approx(2 * g2.bf16_dense_flop_per_s, rel=0.01)
    assert g2.memory_bytes < g3.memory_bytes and g2.memory_bandwidth_bytes_per_s < g3.memory_bandwidth_bytes_per_s
    assert g2.bf16_dense_flop_per_s < g3.bf16_dense_flop_per_s


def test_mlperf_rows_carry_their_datasets_output_spread(rows):
    """Every MLPerf row (its isl is the dataset mean) states the dataset's std/mean of output
    lengths; fixed-length tables (TensorRT-LLM perf overview, static batches) state none."""
    from tokenfab.accuracy.measured import BENCHMARK_DEFAULT_ISL, BENCHMARK_OSL_CV

    by_isl = {isl: BENCHMARK_OSL_CV[m] for m, isl in BENCHMARK_DEFAULT_ISL.items()}
    for r in [*rows["measured.csv"], *rows["holdout.csv"]]:
        if "mlcommons/inference_results" in r.source:
            assert r.osl_cv == by_isl[round(r.isl_tokens or 0.0, 2)], r.id
        elif "perf-overview.md" in r.source:
            assert r.osl_cv is None, r.id


def test_hopper_gpt_oss_rows_state_the_bf16_kv_cache_of_the_table(rows):
    """The TensorRT-LLM table's GPT-OSS options: 'kv_cache_config: dtype: fp8  # Hopper: use auto',
    and the release checkpoint has no KV quantization, so the Hopper columns ran a BF16 cache."""
    hopper = [r for r in [*rows["measured.csv"], *rows["holdout.csv"]]
              if r.model.startswith("gpt-oss") and r.accelerator in ("h100-sxm", "h200") and r.stack == "trtllm"]
    assert len(hopper) == 16
    assert {r.kv_dtype for r in hopper} == {"bf16"}


def test_step_time_rows_follow_their_runs():
    """validation/step_times.csv (benchmarks/step_times.py): one mean-TPOT row per MLPerf Server or
    Interactive run of measured.csv / holdout.csv, at the run's own concurrency. Each names its run's
    row, keeps its workload, and by Little's law its concurrency is that run's published tokens/s
    times the mean TPOT (both quoted in the sources), within the rounding of the published tok/s."""
    runs = {r.id: r for name in FILES for r in read_measured(ROOT / "validation" / name)}
    steps = read_measured(ROOT / "validation" / "step_times.csv")
    assert len(steps) >= 30
    for s in steps:
        run = runs[s.id.removeprefix("ST-")]
        assert (s.model, s.accelerator, s.n_accel, s.scenario, s.stack) == \
            (run.model, run.accelerator, run.n_accel, run.scenario, run.stack)
        assert run.scenario in ("server", "interactive") and run.metric == "output_tok_per_s"
        assert s.metric == "tpot_s" and 0.005 < s.value < 1.0
        tok_s = float(re.search(r"at ([0-9,.]+) completed tok/s", s.source).group(1).replace(",", ""))
        assert tok_s == pytest.approx(run.value, rel=1e-3)  # the same run
        assert s.concurrency == pytest.approx(tok_s * s.value, abs=1.0)
