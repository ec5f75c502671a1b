"""Two step-physics choices against hand calculations: a mixed batch's decode attention and prompt
attention are separate kernels, each on its own roofline (their times add); and a server under
latency limits carries ``server_utilization`` of the limit-bound steady state's throughput, in
validate and in estimate alike, never offline nor at a stated concurrency (a closed loop, as a
benchmark at a fixed concurrency) unless the deployment states a share."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import tokenfab
from tests.conftest import assert_one_line_error, run_cli
from tokenfab.accuracy.calibration import BOUNDS, NEUTRAL_GLOBAL
from tokenfab.accuracy.measured import read_measured
from tokenfab.accuracy.score import evaluate, prepare
from tokenfab.catalog import load_catalog
from tokenfab.catalog.assumptions import efficiency_table
from tokenfab.deployment.evaluate import pinned
from tokenfab.deployment.problem import model_row
from tokenfab.engine import Efficiency, HardwareArrays, ModelArrays, ParallelConfig
from tokenfab.engine.arrays import ROOFLINE
from tokenfab.engine.efficiency import efficiency_arrays
from tokenfab.engine.serving import pass_time, steady_state, sustained

# a made-up device: linear layers compute instantly (1e21 FLOP/s), attention at 1 PFLOP/s, 1 TB/s of memory
HW = HardwareArrays.stack([dict(bf16_flop_per_s=1e15, fp8_flop_per_s=2e15, fp4_flop_per_s=4e15, memory_bytes=1e12,
                                memory_bandwidth_bytes_per_s=1e12, scale_up_bytes_per_s=1e21, scale_up_domain=8,
                                scale_out_bytes_per_s=1e21)])


def _llama() -> ModelArrays:
    return ModelArrays.stack([model_row(load_catalog().model("llama-3.1-8b"))])


def _cfg(isl: int = 4096) -> ParallelConfig:
    return ParallelConfig.stack([dict(
        tp=1, pp=1, ep=1, replicas=1, dp_attention=0, weight_bytes_per_param=2.0, kv_bytes_per_element=2.0,
        gemm_flop_per_s=1e21, attention_flop_per_s=1e15, isl=isl, osl=1000, chunk_tokens=8192, disaggregated=0)])


def _eff(**factors: float) -> Efficiency:
    return Efficiency.stack([{**ROOFLINE, **factors}])


def test_decode_and_prompt_attention_add_as_two_kernels():
    """Llama-3.1-8B (32 layers, 8 KV heads of 128, 32 query heads). The linear layers stream the
    same weights in every pass (memory-bound at 1 TB/s, compute instant), so pass differences are
    attention alone.
    Decode: 256 sequences at context 3,000 read 256 * (2 * 8 * 128) * 3,000 * 32 layers * 2 B =
    100,663,296,000 B = 100.663296 ms at 1 TB/s; their attention FLOPs 256 * 4 * 32 * 128 * 3,000 * 32
    = 4.03e11 = 0.40 ms at 1 PFLOP/s: memory-bound.
    Prompt: one 4,096-token prompt, 4096^2 / 2 pairs * 4 * 32 * 128 FLOP * 32 layers = 4.398e12 FLOP =
    4.398 ms; it writes 4,096 * 2,048 * 32 * 2 B = 0.537 ms of KV: compute-bound.
    One roofline over both would take max(0.40 + 4.398, 100.663 + 0.537) = 101.2 ms; two kernels
    take 100.663 + 4.398 = 105.06 ms, so the prompt adds its whole compute time to the decode step."""
    m, e, c = _llama(), _eff(), _cfg()
    none = pass_time(m, HW, e, c, n_decode=0, context=0, n_prefill=0)
    dec = pass_time(m, HW, e, c, n_decode=256, context=3000, n_prefill=0)
    pre = pass_time(m, HW, e, c, n_decode=0, context=0, n_prefill=4096)
    mixed = pass_time(m, HW, e, c, n_decode=256, context=3000, n_prefill=4096)
    decode_s = 256 * 2 * 8 * 128 * 3000 * 32 * 2 / 1e12
    prompt_s = 4096 ** 2 / 2 * 4 * 32 * 128 * 32 / 1e15
    assert dec.total_s[0] - none.total_s[0] == pytest.approx(decode_s, rel=1e-9)
    assert pre.total_s[0] - none.total_s[0] == pytest.approx(prompt_s, rel=1e-9)
    assert mixed.total_s[0] - dec.total_s[0] == pytest.approx(prompt_s, rel=1e-9)
    # the split of the step: the prompt's attention is compute, the decode's is memory
    assert mixed.compute_s[0] - dec.compute_s[0] == pytest.approx(prompt_s, rel=1e-9)
    assert mixed.memory_s[0] == pytest.approx(dec.memory_s[0], rel=1e-12)


def test_sustained_scales_the_throughput_only():
    m, c = _llama(), _cfg(isl=1000)
    pt = steady_state(m, HW, _eff(), c, 64)
    got = sustained(pt, [0.8])
    assert got.throughput_output_tok_per_s[0] == pytest.approx(0.8 * pt.throughput_output_tok_per_s[0], rel=1e-12)
    assert got.throughput_per_device_tok_per_s[0] == pytest.approx(0.8 * pt.throughput_per_device_tok_per_s[0],
                                                                    rel=1e-12)
    # what the limits were checked at stays: the concurrency and the latencies
    assert got.concurrency[0] == pt.concurrency[0] and got.tpot_s[0] == pt.tpot_s[0]
    assert got.ttft_p99_s[0] == pt.ttft_p99_s[0]
    # a grid of concurrencies per configuration (the planner's shape): the share applies along the row
    ex = [type(o)(**{k: np.asarray(v)[..., None] for k, v in o.__dict__.items()}) for o in (m, HW, _eff(), c)]
    grid = steady_state(*ex, np.array([[8.0, 64.0]]))
    assert np.allclose(sustained(grid, [0.8]).throughput_output_tok_per_s, 0.8 * grid.throughput_output_tok_per_s,
                       rtol=1e-12)


def test_the_factor_is_fitted_within_bounds_and_only_where_calibrated():
    assert BOUNDS["server_utilization"] == (0.5, 1.0) and NEUTRAL_GLOBAL["server_utilization"] == 1.0
    table = efficiency_table()
    u = table["calibrated"]["server_utilization"]
    assert 0.5 <= u <= 1.0
    assert efficiency_arrays(table, ["h100-sxm"], ["trtllm"], ["fp8"], "calibrated").server_utilization[0] == u
    for fidelity in ("derated", "roofline"):
        assert efficiency_arrays(table, ["h100-sxm"], ["trtllm"], ["fp8"], fidelity).server_utilization[0] == 1.0


def _with_utilization(u: float) -> dict:
    t = copy.deepcopy(efficiency_table())
    t["calibrated"]["server_utilization"] = u
    return t


def test_validate_applies_the_share_to_server_rows_only(tmp_path):
    """DeepSeek-R1 on 8x B200, MLPerf v5.1 Server (GT034: TTFT 2 s, TPOT 80 ms limits) and Offline
    (GT033) from validation/measured.csv, and the Server row again at a fixed concurrency (a closed
    loop, no arrivals): a share of 0.8 against 1.0 scales the Server row by exactly 0.8, nothing else."""
    rows = [r for r in read_measured("validation/measured.csv") if r.id in ("GT033", "GT034")]
    server = next(r for r in rows if r.id == "GT034")
    fixed = server.model_copy(update={"id": "fixed", "concurrency": 1024.0})
    prep = prepare([*rows, fixed], load_catalog())
    ids = [r.id for r in prep.rows]
    full = dict(zip(ids, evaluate(prep, _with_utilization(1.0))["predicted"]))
    share = dict(zip(ids, evaluate(prep, _with_utilization(0.8))["predicted"]))
    assert share["GT034"] == pytest.approx(0.8 * full["GT034"], rel=1e-12)
    assert share["GT033"] == full["GT033"]
    assert share["fixed"] == full["fixed"]


KW = dict(model="llama-3.1-8b", accelerator="h100-sxm", count=1, weights="bf16", stack="vllm", isl=1024, osl=256,
          tp=1, pp=1, ep=1)


def test_estimate_carries_the_share_under_a_limit_and_says_so():
    """Server limits of 60 s (the largest accepted) bind nothing, so the search picks the offline
    point; the figure is then the shipped share of the offline throughput, and the result lists the
    assumption and the layout the share."""
    u = efficiency_table()["calibrated"]["server_utilization"]
    offline = tokenfab.estimate(scenario="offline", **KW)
    limited = tokenfab.estimate(scenario="server", ttft_max_s=60.0, tpot_max_s=60.0, **KW)
    assert limited.deployment.concurrency_per_replica == offline.deployment.concurrency_per_replica
    assert limited.performance.throughput_output_tok_per_s == pytest.approx(
        u * offline.performance.throughput_output_tok_per_s, rel=1e-9)
    names = {a.name: a for a in limited.assumptions}
    assert names["server_utilization"].value == u and names["server_utilization"].kind == "derived"
    assert limited.deployment.server_utilization == u and offline.deployment.server_utilization == 1.0
    assert "server_utilization" not in {a.name for a in offline.assumptions}


def test_a_stated_concurrency_is_a_closed_loop_unless_a_share_is_given():
    """At a stated concurrency (what a benchmark at --max-concurrency runs, and what `calibrate`
    fits) the limits are checked but nothing is taken off; a share the deployment states applies
    (a plan row asked again states the one its search applied: `pinned`)."""
    plain = tokenfab.estimate(scenario="offline", concurrency=64, **KW).performance.throughput_output_tok_per_s
    at = tokenfab.estimate(scenario="server", concurrency=64, ttft_max_s=60.0, tpot_max_s=60.0, **KW)
    assert at.performance.throughput_output_tok_per_s == plain
    assert at.deployment.server_utilization == 1.0 and "server_utilization" not in {a.name for a in at.assumptions}
    given = tokenfab.estimate(scenario="server", concurrency=64, ttft_max_s=60.0, tpot_max_s=60.0,
                              server_utilization=0.7, **KW)
    assert given.performance.throughput_output_tok_per_s == pytest.approx(0.7 * plain, rel=1e-12)
    assert {a.name: a.kind for a in given.assumptions}["server_utilization"] == "estimate"
    # offline: a given share has no limit to apply under
    off = tokenfab.estimate(scenario="offline", concurrency=64, server_utilization=0.7, **KW)
    assert off.performance.throughput_output_tok_per_s == plain
    searched = tokenfab.estimate(scenario="server", ttft_max_s=60.0, tpot_max_s=60.0, **KW)
    again = tokenfab.estimate(pinned(searched))
    assert again.performance.throughput_output_tok_per_s == searched.performance.throughput_output_tok_per_s


@pytest.mark.parametrize("value,needles", [("0", ("server_utilization = 0.0", "greater than 0")),
                                           ("1.5", ("server_utilization = 1.5", "less than or equal to 1")),
                                           ("often", ("--server-utilization", "valid number"))])
def test_the_installed_script_refuses_a_bad_share_in_one_line(value, needles):
    proc = run_cli("estimate", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--isl", "1000", "--osl", "200",
                   "--server-utilization", value)
    assert_one_line_error(proc, *needles, code=2)
