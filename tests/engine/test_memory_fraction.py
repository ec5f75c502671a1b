"""A run's own memory budget (vLLM --gpu-memory-utilization, SGLang --mem-fraction-static,
TensorRT-LLM --kv_cache_free_gpu_memory_fraction): `estimate --memory-fraction`, the planner,
`validate`'s memory_fraction column and `calibrate --memory-fraction` replace the stack's
fraction and keep its rule (of the whole memory, or of what the weights leave free). Checked
against the hand budget on Llama-3.1-70B in FP8 on one H100 (80 GiB): 0.9 leaves vLLM almost
nothing, 0.96 about 5 GB more."""

from __future__ import annotations

import json

import pytest

import tokenfab
from tokenfab.accuracy.measured import OPTIONAL_COLUMNS, VALIDATION_HEADER, read_measured
from tokenfab.deployment.evaluate import pinned
from tokenfab.engine.memory import RUNTIME_RESERVE_BYTES
from tokenfab.errors import DoesNotFitError, InputError

CAP = 80 * 2**30  # an H100 "80GB" holds 80 GiB
KW = dict(model="llama-3.1-70b", accelerator="h100-sxm", count=1, weights="fp8", kv="fp8", isl=1000, osl=200,
          tp=1, pp=1, ep=1, scenario="offline")


def _kv_room(perf, fraction: float, of_free: bool) -> float:
    """Bytes the stack's rule leaves the KV cache, activations aside (they are the same in both)."""
    loaded = RUNTIME_RESERVE_BYTES + perf.weights_per_device_bytes
    return fraction * (CAP - loaded) if of_free else fraction * CAP - loaded


@pytest.mark.parametrize(("stack", "of_free", "low", "high"), [("vllm", False, 0.95, 0.97),
                                                              ("trtllm", True, 0.9, 0.95)])
def test_the_budget_scales_the_sequences_by_hand(stack, of_free, low, high):
    a = tokenfab.estimate(stack=stack, memory_fraction=low, **KW)
    b = tokenfab.estimate(stack=stack, memory_fraction=high, **KW)
    assert a.deployment.memory_fraction == low and b.deployment.memory_fraction == high
    assert a.deployment.memory_fraction_of == ("free" if of_free else "total")
    w = a.performance.weights_per_device_bytes
    assert 69e9 < w < 76e9 and b.performance.weights_per_device_bytes == w
    # activations take the same bytes from both budgets: the difference is the hand difference
    per_seq = 80 * 2 * 8 * 128 * 1.0  # bytes per token: 80 layers x K,V x 8 heads x 128 x 1 B (FP8)
    ctx = 1000 + 200 / 2  # mean live context, fixed lengths
    extra = (_kv_room(a.performance, high, of_free) - _kv_room(a.performance, low, of_free)) / (per_seq * ctx)
    got = b.performance.max_concurrency_per_replica - a.performance.max_concurrency_per_replica
    assert got == pytest.approx(extra, abs=1.5)
    # the searched concurrency is a grid point: more room never lowers it
    assert b.performance.throughput_output_tok_per_s >= a.performance.throughput_output_tok_per_s


def test_the_default_is_the_stacks_and_a_small_budget_is_one_line():
    d = tokenfab.estimate(stack="vllm", memory_fraction=0.96, **KW).deployment
    assert (d.memory_fraction, d.memory_fraction_of) == (0.96, "total")
    with pytest.raises(DoesNotFitError, match=r"memory_fraction 0\.9 of the whole memory.*--memory-fraction"):
        tokenfab.estimate(stack="vllm", **KW)  # 0.9 x 80 GiB minus 70+ GB of weights holds no sequence
    with pytest.raises(InputError, match="memory_fraction"):
        tokenfab.estimate(stack="vllm", memory_fraction=1.5, **KW)


def test_the_recipe_writes_the_budget_the_estimate_used():
    ev = tokenfab.estimate(stack="vllm", memory_fraction=0.96, **KW)
    from tokenfab.catalog import load_catalog
    from tokenfab.recipes import recipe

    assert "--gpu-memory-utilization 0.96" in recipe(ev, "vllm", load_catalog()).launch
    trt = tokenfab.estimate(stack="trtllm", memory_fraction=0.95, **KW)
    assert "--kv_cache_free_gpu_memory_fraction 0.95" in recipe(trt, "trtllm", load_catalog()).launch


def test_a_fixed_concurrency_beyond_the_memory_names_the_most_that_fits():
    with pytest.raises(DoesNotFitError, match=r"concurrency = 100,000: .* can hold at most [\d,]+ sequences.*"
                                         r"Fix: concurrency <= "):
        tokenfab.estimate(stack="trtllm", concurrency=100_000, **KW)


COLS = ",".join(VALIDATION_HEADER + list(OPTIONAL_COLUMNS[:OPTIONAL_COLUMNS.index("memory_fraction") + 1])) + "\n"
ROW = "m1,llama-3.1-70b,h100-sxm,1,fp8,offline,1000,200,,,vllm,output_tok_per_s,500,my run,,,fp8,,tp1,,"


def test_validate_rows_state_their_budget(tmp_path):
    f = tmp_path / "m.csv"
    f.write_text(COLS + ROW + "0.96\n", encoding="utf-8")
    assert read_measured(f)[0].memory_fraction == 0.96
    rep = tokenfab.measure_accuracy(f)
    at = tokenfab.estimate(stack="vllm", memory_fraction=0.96, **KW).performance.throughput_output_tok_per_s
    assert rep.rows[0].predicted == pytest.approx(at, rel=1e-9)  # the same evaluation as estimate
    f.write_text(COLS + ROW + "\n", encoding="utf-8")  # at the stack's 0.9 nothing fits: skipped, said why
    with pytest.raises(InputError, match="no deployment of this workload fits in memory"):
        tokenfab.measure_accuracy(f)


@pytest.mark.parametrize("cell", ["0", "1.2", "-0.5", "most"])
def test_a_bad_budget_cell_names_the_column(tmp_path, cell):
    f = tmp_path / "bad.csv"
    f.write_text(COLS + ROW + cell + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.csv:2.*memory_fraction"):
        read_measured(f)


def test_the_plan_takes_the_budget():
    """The planner searches with the given budget: an H100 holds 70B FP8 alone only with more
    than vLLM's default 0.9, so one-GPU offers join the front at 0.96 and are absent at 0.9."""
    q = dict(model="llama-3.1-70b", isl=1000, osl=200, scenario="offline", rate_rps=1.0, accelerators=("h100-sxm",),
             weights=("fp8",), stack="vllm")

    def one_gpu(front):
        return [r for r in front if r.deployment.accelerators_per_instance == 1]

    assert not one_gpu(tokenfab.plan(q).front)
    front = tokenfab.plan(dict(q, memory_fraction=0.96)).front
    assert one_gpu(front) and all(r.deployment.memory_fraction == 0.96 for r in front)
    assert json.loads(front[0].model_dump_json())["deployment"]["memory_fraction"] == 0.96
    # the row asked again (plan --explain, cost, the web's detail) keeps its budget: at vLLM's
    # default 0.9 the one-GPU row would not fit at all
    again = tokenfab.evaluate(pinned(one_gpu(front)[0]))
    assert again.deployment.memory_fraction == 0.96
    assert again.performance.throughput_output_tok_per_s == one_gpu(front)[0].performance.throughput_output_tok_per_s
