"""Honest validation: every fit starts from the same fixed start and sees only its own rows.

The strongest check of "no leakage": a left-out row's prediction must not change when its
measured value changes (the fold that predicts it never saw it)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import ROOT
from tokenfab.accuracy.calibration import (
    MEMORY_STARTS,
    NEUTRAL_GLOBAL,
    STARTS,
    fit,
    fit_neutral,
    loss,
    neutral_start,
    p99_factors,
    predict,
    read_latency_pairs,
)
from tokenfab.accuracy.crossval import cross_validate
from tokenfab.accuracy.measured import read_measured
from tokenfab.accuracy.score import prepare
from tokenfab.catalog.assumptions import efficiency_table
from tokenfab.errors import InputError

PAIRS = read_latency_pairs(ROOT / "validation" / "latency_pairs.csv")


def _rows(values: dict[str, float] | None = None):
    """Six measured rows, three per stack (vLLM on MI300X / H100, TensorRT-LLM on H100 / H200),
    optionally with other measured values (inputs to a fit, never expected values)."""
    keep = [r for r in read_measured(ROOT / "validation" / "measured.csv")
            if r.model in ("llama-3.1-8b", "llama-2-70b") and r.accelerator in ("mi300x", "h100-sxm", "h200")]
    vllm = [r for r in keep if r.stack == "vllm"][:3]
    trt = [r for r in keep if r.stack == "trtllm"][:3]
    rows = vllm + trt
    return [r.model_copy(update={"value": values[r.id]}) if values and r.id in values else r for r in rows]


def test_neutral_start_holds_no_fitted_value():
    table = efficiency_table()
    s = neutral_start(table, ["vllm"], "trtllm")
    assert set(s["stacks"]) == {"vllm", "trtllm"}
    for st in s["stacks"].values():  # GEMMs at the measured hardware efficiency, derated bandwidth, no overhead
        assert st == {"compute_scale": 1.0, "overhead_s": 0.0, "seq_overhead_s": 0.0,
                      "memory_eff": table["derated"]["memory_eff"]}
    # every GEMM at full efficiency whatever its rows or width (half-efficiency points 0), prompt
    # attention at the same efficiency as the stack's GEMMs (scale 1), experts routed evenly over
    # the expert-parallel ranks (dispersion 0), a server under limits at its whole capacity (share 1)
    assert {k: s[k] for k in NEUTRAL_GLOBAL} == {"layer_overhead_s": 0.0, "collective_latency_s": 2e-6,
                                                "alltoall_latency_s": 2e-6,
                                                "moe_half_tokens": 0.0, "moe_half_width": 0.0,
                                                "gemm_half_tokens": 0.0, "prefill_attention_scale": 1.0,
                                                "expert_load_dispersion": 0.0, "server_utilization": 1.0}
    assert s["dtype_compute_scale"] == {} and (s["p99_ttft_factor"], s["p99_tpot_factor"]) == (2.5, 1.2)


def test_the_shipped_starts_differ_from_the_neutral_one_in_bandwidth_and_per_pass_cost_only():
    table = efficiency_table()
    derated = neutral_start(table, ["vllm"], "trtllm")
    assert MEMORY_STARTS == ("derated", "datasheet")
    assert STARTS == (("derated", 0.0), ("datasheet", 0.0), ("datasheet", 1e-3))
    assert neutral_start(table, ["vllm"], "trtllm", *STARTS[0]) == derated
    for memory, overhead_s in STARTS[1:]:
        start = neutral_start(table, ["vllm"], "trtllm", memory, overhead_s)
        assert {s: (st["memory_eff"], st["overhead_s"]) for s, st in start["stacks"].items()} == {
            "vllm": (1.0, overhead_s), "trtllm": (1.0, overhead_s)}
        for st in start["stacks"].values():
            st.update(memory_eff=table["derated"]["memory_eff"], overhead_s=0.0)
        assert start == derated
    with pytest.raises(ValueError, match="memory = 'fitted'"):
        neutral_start(table, ["vllm"], "trtllm", "fitted")
    with pytest.raises(ValueError, match="overhead_s = 0.5"):
        neutral_start(table, ["vllm"], "trtllm", "datasheet", 0.5)


def test_the_shipped_fit_keeps_the_best_coordinate_descent_of_the_three_starts():
    base = prepare(_rows())
    held = np.array([r.stack == "vllm" for r in base.rows])
    fits = []
    for memory, overhead_s in STARTS:
        start = neutral_start(efficiency_table(), ["trtllm"], "trtllm", memory, overhead_s)
        start.update(p99_factors(PAIRS, [r.id for r, h in zip(base.rows, held) if not h]))
        got = fit(base, start, mask=~held, rounds=40)
        fits.append((loss(base, got, ~held), got))
    best = min(fits, key=lambda f: f[0])  # the first on a tie, as fit_neutral
    assert fit_neutral(base, PAIRS, mask=~held) == best[1]


@pytest.mark.parametrize("scale,winner", [(0.7, "derated"), (1.4, "datasheet")])
def test_with_several_starts_the_fit_keeps_the_one_whose_result_fits_its_rows_best(scale, winner):
    # the six rows measured 1.4x and 0.5x as high (inputs to the fit): on these TensorRT-LLM rows
    # each start ends in its own basin and a different one fits better (with the wider trial steps
    # of the twentieth session the rows as measured no longer separate them; with the pattern move
    # of the thirty-fifth session the two starts end at the same fit at 0.6x, once this test's case;
    # with the server share of the thirty-seventh session, which two of the three TensorRT-LLM rows
    # (Server) pay, they end within 3e-4 of each other at the earlier 1.3x and 0.8x; with the measured
    # prompt-attention law and whole-context sliding-window KV of the fortieth session 1.4x and 0.5x
    # no longer give one winner each, 0.7x and 1.4x do)
    plain = prepare(_rows())
    base = prepare(_rows({r.id: r.value * scale for r in plain.rows}))
    held = np.array([r.stack == "vllm" for r in base.rows])
    got = fit_neutral(base, PAIRS, mask=~held, starts=(("derated", 0.0), ("datasheet", 0.0)))
    # each start fitted on its own, by hand: the same start fit_neutral builds, then coordinate descent
    table = efficiency_table()
    results = {}
    for memory in MEMORY_STARTS:
        start = neutral_start(table, ["trtllm"], "trtllm", memory, 0.0)
        start.update(p99_factors(PAIRS, [r.id for r, h in zip(base.rows, held) if not h]))
        start["dtype_compute_scale"] = {}
        results[memory] = fit(base, start, mask=~held, rounds=40)
    objectives = {m: loss(base, p, ~held) for m, p in results.items()}
    assert abs(objectives["derated"] - objectives["datasheet"]) > 5e-4  # the choice matters here
    assert min(objectives, key=objectives.__getitem__) == winner
    assert got == results[winner]


def test_p99_factors_are_medians_of_the_rows_used():
    pairs = {"a": (2.0, 1.1), "b": (3.0, 1.3), "c": (2.5, 1.2), "d": (9.0, 9.0)}
    # median of 2.0, 3.0, 2.5 = 2.5; of 1.1, 1.3, 1.2 = 1.2 ("d" is not among the rows used)
    assert p99_factors(pairs, ["a", "b", "c", "x"]) == {"p99_ttft_factor": 2.5, "p99_tpot_factor": 1.2}
    assert p99_factors(pairs, ["x"]) == {"p99_ttft_factor": 2.5, "p99_tpot_factor": 1.2}  # none: the defaults
    # GT003 (MLPerf v5.1 8xB200 Interactive log): TTFT 140.4 / 69.0 ms, TPOT 38.1 / 34.2 ms
    assert PAIRS["GT003"] == pytest.approx((140.4 / 69.0, 38.1 / 34.2))


def test_latency_pairs_reader_refuses_bad_figures(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("id,ttft_mean_s,ttft_p99_s,tpot_mean_s,tpot_p99_s,source\nX,0.2,0.1,0.03,0.04,s\n")
    with pytest.raises(InputError, match="p99 >= mean"):
        read_latency_pairs(p)
    p.write_text("id,ttft_mean_s,ttft_p99_s,tpot_mean_s,tpot_p99_s,source\nX,a,0.1,0.03,0.04,s\n")
    with pytest.raises(InputError, match="must be numbers"):
        read_latency_pairs(p)


def test_fit_is_deterministic_and_blind_to_rows_it_does_not_see():
    base = prepare(_rows())
    held = np.array([r.stack == "vllm" for r in base.rows])
    first = fit_neutral(base, PAIRS, mask=~held)
    assert fit_neutral(base, PAIRS, mask=~held) == first  # same rows, same start: same factors
    # the left-out rows measured 10x higher: a fit that does not see them is unchanged
    moved = prepare(_rows({r.id: r.value * 10 for r in base.rows if r.stack == "vllm"}))
    assert fit_neutral(moved, PAIRS, mask=~held) == first
    # ...while a fit on every row does move
    assert fit_neutral(moved, PAIRS) != fit_neutral(base, PAIRS)


def test_cross_validation_predicts_each_group_without_it():
    base = prepare(_rows())
    cv = cross_validate(base, PAIRS, "stack")
    assert set(cv.folds) == {"trtllm", "vllm"} and np.isfinite(cv.predicted).all()
    # out of fold: the vLLM rows, measured 3x higher, get the same predictions (their fold never saw them)
    moved = prepare(_rows({r.id: r.value * 3 for r in base.rows if r.stack == "vllm"}))
    cv2 = cross_validate(moved, PAIRS, "stack")
    vllm = cv.groups == "vllm"
    assert np.array_equal(cv2.predicted[vllm], cv.predicted[vllm])
    # the vLLM fold fitted no vLLM factor: its rows borrow the default stack's (trtllm), as an unseen stack does
    assert set(cv.folds["vllm"]["stacks"]) == {"trtllm"} and cv.folds["vllm"]["default_stack"] == "trtllm"
    # and the pooled figure is each row's out-of-fold error
    assert cv.per_group()["vllm"][1] == pytest.approx(float(np.mean(cv.ape()[vllm])))
    assert np.array_equal(cv.predicted[vllm], predict(base, cv.folds["vllm"])[vllm])
    # the folds in two processes (benchmarks/accuracy.py --jobs): the same fits, the same predictions
    par = cross_validate(base, PAIRS, "stack", jobs=2)
    assert np.array_equal(par.predicted, cv.predicted) and par.folds == cv.folds


def test_fit_does_not_start_from_the_shipped_factors():
    """The shipped calibrated section (the previous fit's output) plays no part in a new fit:
    scrambling it leaves the fitted factors unchanged."""
    import copy
    import dataclasses

    base = prepare(_rows())
    table = copy.deepcopy(base.efficiency)
    assert table is not None
    for st in table["calibrated"]["stacks"].values():
        st.update(compute_scale=0.21, memory_eff=0.31, overhead_s=0.049)
    table["calibrated"].update(layer_overhead_s=4.9e-4, moe_half_tokens=2000.0)
    scrambled = dataclasses.replace(base, efficiency=table)
    assert fit_neutral(scrambled, PAIRS) == fit_neutral(base, PAIRS)


# NVIDIA's measured floors of one expert all-to-all call, TensorRT-LLM 1.3.0rc11 DeepEP low-latency
# kernels, EP 8, hidden 7,168, top 8, 256 experts, 1-16 tokens per rank (aiconfigurator-core 0.12.0
# systems/data/{b200_sxm,h200_sxm,h100_sxm}/comm/trtllm/1.3.0rc11/moe_a2a_perf.parquet, collected
# 2026-08-31; medians over those token counts, FP8/BF16 payloads) [us]
MEASURED_A2A_FLOOR_US = {
    "b200": {"dispatch": (68.0, 69.2), "combine": (44.8, 46.7)},
    "h200": {"dispatch": (78.6, 70.2), "combine": (34.1, 35.7)},
    "h100": {"dispatch": (72.5, 71.9), "combine": (30.6, 31.4)},
}


def test_the_fitted_expert_all_to_all_latency_lies_in_the_measured_band():
    """The shipped fit never saw these kernel timings: it infers the per-call latency from
    end-to-end throughput alone. It must land between the fastest measured call (an H100 combine,
    30.6 us) and the slowest (an H200 dispatch, 78.6 us), and far above the all-reduce latency."""
    c = efficiency_table()["calibrated"]
    calls = [v for chip in MEASURED_A2A_FLOOR_US.values() for pair in chip.values() for v in pair]
    assert min(calls) * 1e-6 <= c["alltoall_latency_s"] <= max(calls) * 1e-6
    assert c["alltoall_latency_s"] > 2 * c["collective_latency_s"]
