"""Prediction intervals (accuracy/bands.py): the band table by hand on synthetic out-of-sample
records, and every estimate carrying it through performance, money and energy."""

from __future__ import annotations

import json
import math

import pytest

from tests.conftest import cli
from tokenfab import Scenario, plan
from tokenfab import evaluate as evaluate_deployment
from tokenfab.accuracy.bands import MIN_ROWS, Record, band_for, bands, coverage, make_bands, time_multiples
from tokenfab.accuracy.latency import LatencyRecord, latency_coverage, make_latency_bands, step_range_holds


def rec(i: int, ratio: float, vendor: str = "NVIDIA", stack: str = "trtllm", dtype: str = "fp8",
        scenario: str = "offline", acc: str = "h100-sxm") -> Record:
    return Record(f"R{i}", vendor, stack, dtype, scenario, acc, ratio, "synthetic")


def test_quantiles_by_hand():
    # ten rows, ratios 0.5, 0.6, ..., 1.4; numpy's default (linear) quantile at q sits at position q x (n - 1):
    # q = 0.1 -> position 0.9 -> 0.5 + 0.9 x 0.1 = 0.59; q = 0.9 -> position 8.1 -> 1.3 + 0.1 x 0.1 = 1.31
    recs = [rec(i, 0.5 + 0.1 * i) for i in range(10)]
    table = make_bands(recs, [], ["NVIDIA/trtllm"])
    b = band_for("NVIDIA", "trtllm", "fp8", "offline", table=table)
    assert b.accuracy_class == "NVIDIA/trtllm/fp8/offline" and b.validated and b.rows == 10
    assert b.ratio_low == pytest.approx(0.59) and b.ratio_high == pytest.approx(1.31)


def lat(i: int, ratio: float, metric: str = "ttft_s", scenario: str = "server", acc: str = "h100-sxm",
        step: tuple[float, float] = (0.8, 1.25)) -> LatencyRecord:
    return LatencyRecord(f"L{i}", acc, scenario, metric, ratio, *step)


def _latency_doc(recs: list[LatencyRecord]) -> dict:
    return {"quantiles": [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95], "interval": [0.1, 0.9],
            "latency": make_latency_bands(recs)}


def test_time_interval_is_the_union_of_step_range_and_measured_spread():
    # nine server runs with measured / predicted TTFT 1, 2, ..., 9 (and TPOT all 1.0): the 10th percentile sits
    # at position 0.1 x 8 = 0.8 -> 1.8, the 90th at 7.2 -> 8.2; against a step range of [0.8, 1.25] the TTFT
    # interval is [min(0.8, 1.8), max(1.25, 8.2)] = [0.8, 8.2]; TPOT's spread (1.0 .. 1.0) lies inside the step
    # range, which stays
    recs = [lat(i, float(i)) for i in range(1, 10)] + [lat(10 + i, 1.0, "tpot_s") for i in range(9)]
    doc = _latency_doc(recs)
    assert time_multiples(doc, "ttft_s", "server", 0.8, 1.25) == pytest.approx((0.8, 8.2))
    assert time_multiples(doc, "tpot_s", "server", 0.8, 1.25) == pytest.approx((0.8, 1.25))
    # a scenario with fewer than 8 runs (none here) takes all runs; a table without the section, the step range
    assert time_multiples(doc, "ttft_s", "offline", 0.8, 1.25) == pytest.approx((0.8, 8.2))
    assert time_multiples({"quantiles": doc["quantiles"], "interval": [0.1, 0.9]}, "ttft_s", "server", 0.8,
                          1.25) == (0.8, 1.25)


def test_latency_coverage_is_out_of_fold_by_accelerator():
    # eight H100 runs at TTFT ratio 1.0 and eight B200 runs at 4.0, step range [0.8, 1.25]: scored against the
    # other chip's runs only, no B200 run is inside [0.8, 1.25] and every H100 run is ([min(0.8, 4.0),
    # max(1.25, 4.0)] = [0.8, 4.0]): half; a table made from all sixteen would have covered both
    recs = [lat(i, 1.0) for i in range(8)] + [lat(100 + i, 4.0, acc="b200") for i in range(8)]
    recs += [lat(200 + i, 1.0, "tpot_s") for i in range(8)] + [lat(300 + i, 1.0, "tpot_s", acc="b200") for i in range(8)]
    share, n = latency_coverage(recs, "ttft_s", 1.0)
    assert (share, n) == (0.5, 16)


def test_step_range_holds_counts_one_metric_inside_its_step_band():
    # step band [0.8, 1.25] (lat's): TTFT ratios 0.79 (out), 0.8 and 1.25 (in, ends included), 1.3 (out);
    # the TPOT run at 1.0 is another metric
    recs = [lat(1, 0.79), lat(2, 0.8), lat(3, 1.25), lat(4, 1.3), lat(5, 1.0, "tpot_s")]
    assert step_range_holds(recs, "ttft_s") == 2
    assert step_range_holds(recs, "tpot_s") == 1


def test_thin_class_uses_the_coarser_level():
    # 10 offline rows at ratio 1.0 and MIN_ROWS - 1 server rows at 2.0: the server class is too thin, so a
    # server estimate takes the vendor x stack spread of all 10 + 7 rows (q10 = 1.0, q90 = 2.0: position 14.4 of 16)
    recs = [rec(i, 1.0) for i in range(10)] + [rec(100 + i, 2.0, scenario="server") for i in range(MIN_ROWS - 1)]
    table = make_bands(recs, [], ["NVIDIA/trtllm"])
    b = band_for("NVIDIA", "trtllm", "fp8", "server", table=table)
    assert b.accuracy_class == "NVIDIA/trtllm" and b.rows == 10 + MIN_ROWS - 1
    assert (b.ratio_low, b.ratio_high) == (1.0, 2.0)
    assert band_for("NVIDIA", "trtllm", "fp8", "offline", table=table).ratio_high == 1.0


def test_unvalidated_is_widest_and_flagged():
    recs = [rec(i, 0.9 + 0.02 * i) for i in range(10)]  # 0.90 .. 1.08
    borrowed = [rec(200 + i, r) for i, r in enumerate((0.3, 0.5, 1.0, 2.0, 3.0))]
    table = make_bands(recs, borrowed, ["NVIDIA/trtllm"])
    b = band_for("Google", "jax-xla", "bf16", "offline", table=table)
    assert not b.validated and b.accuracy_class == "unvalidated" and b.rows == 0
    # borrowed q10: position 0.4 -> 0.3 + 0.4 x 0.2 = 0.38; q90: position 3.6 -> 2.0 + 0.6 x 1.0 = 2.6
    assert b.ratio_low == pytest.approx(0.38) and b.ratio_high == pytest.approx(2.6)
    # a user's calibration of that chip x stack makes it validated (the shipped class spread then applies)
    assert band_for("Google", "jax-xla", "bf16", "offline", user_calibrated=True, table=table).validated


def test_coverage_is_out_of_fold():
    # two chips with identical spreads: each chip's rows against bands made from the other chip's rows.
    # ratios 0.5..1.4 on both; the other chip's 80 % band is [0.59, 1.31], which holds 0.6..1.3 = 8 of 10 rows
    recs = [rec(i, 0.5 + 0.1 * i, acc="a") for i in range(10)] + [rec(10 + i, 0.5 + 0.1 * i, acc="b")
                                                                  for i in range(10)]
    share, n, per = coverage(recs, [], ["NVIDIA/trtllm"])
    assert n == 20 and share == pytest.approx(0.8) and per == {"a": (10, 0.8), "b": (10, 0.8)}


def test_spread_scale_widens_in_log_space():
    # ratios 0.5..1.4 (median 0.95, q10 0.59, q90 1.31); widened x2: 0.95 x (0.59/0.95)^2 and 0.95 x (1.31/0.95)^2
    recs = [rec(i, 0.5 + 0.1 * i) for i in range(10)]
    b = band_for("NVIDIA", "trtllm", "fp8", "offline", table=make_bands(recs, [], ["NVIDIA/trtllm"], 2.0))
    assert b.ratio_low == pytest.approx(0.95 * (0.59 / 0.95) ** 2) and b.ratio_high == pytest.approx(0.95 * (1.31 / 0.95) ** 2)


def test_widening_is_chosen_out_of_fold():
    from tokenfab.accuracy.bands import choose_spread_scale

    # chip a: ratios 0.90..1.08; chip b the same x 1.05 (0.945..1.134). Against the other chip's raw band,
    # a's [0.918, 1.062] holds b's 0.945..1.050 (6 of 10) and b's [0.964, 1.115] holds a's 0.98..1.08 (6 of 10):
    # 60 %, so a widening is needed to reach 80 %
    a = [rec(i, 0.9 + 0.02 * i, acc="a") for i in range(10)]
    b = [rec(10 + i, 1.05 * (0.9 + 0.02 * i), acc="b") for i in range(10)]
    assert coverage(a + b, [], ["NVIDIA/trtllm"])[0] == pytest.approx(0.6)
    raw = coverage(a + b, [], ["NVIDIA/trtllm"])[0]
    k, share = choose_spread_scale(a + b, [], ["NVIDIA/trtllm"])
    assert raw < 0.8 <= share and k > 1.0
    # and the smallest such scale: one step less does not reach 80 %
    assert coverage(a + b, [], ["NVIDIA/trtllm"], spread_scale=round(k - 0.05, 2))[0] < 0.8


def test_too_few_rows_is_one_clear_error():
    from tokenfab.errors import InputError

    with pytest.raises(InputError, match="at least 8"):
        make_bands([rec(i, 1.0) for i in range(3)], [], [])


def test_shipped_table_shape():
    doc = bands()
    assert doc["interval"] == [0.1, 0.9] and "all" in doc["classes"]
    for entry in [*doc["classes"].values(), doc["unvalidated"]]:
        q = entry["quantiles"]
        assert q == sorted(q) and all(x > 0 for x in q)


# ---------------------------------------------------------------- every estimate carries it

H100 = dict(model="llama-3.1-8b", accelerator="h100-sxm", count=1, isl=1000, osl=200, scenario="offline")


def test_performance_range_is_the_band_applied():
    ev = evaluate_deployment(H100)
    p, a = ev.performance, ev.performance.accuracy
    assert a is not None and a.validated
    doc = bands()
    lo_i, hi_i = (doc["quantiles"].index(q) for q in doc["interval"])
    q = doc["classes"][a.accuracy_class]["quantiles"]
    med, k = q[doc["quantiles"].index(0.5)], doc["spread_scale"]
    # the class's 10th/90th percentile widened around its median by k in log space: m x (q / m)^k
    assert a.ratio_low == pytest.approx(med * (q[lo_i] / med) ** k)
    assert a.ratio_high == pytest.approx(med * (q[hi_i] / med) ** k)
    # throughput x the ratios; a time is divided by them (the same steps, faster or slower)
    assert p.throughput_output_tok_per_s_low == pytest.approx(p.throughput_output_tok_per_s * a.ratio_low)
    assert p.throughput_output_tok_per_s_high == pytest.approx(p.throughput_output_tok_per_s * a.ratio_high)
    # a time: the union of the step range (the throughput ratios inverted) and the serving runs' measured spread
    # of that time (the table's latency section, offline -> all runs), widened around its median the same way
    for metric, t, t_lo, t_hi in (("ttft_s", p.ttft_s, p.ttft_s_low, p.ttft_s_high),
                                  ("tpot_s", p.tpot_s, p.tpot_s_low, p.tpot_s_high)):
        sec = doc["latency"][metric]
        lq = sec["classes"]["all"]["quantiles"]
        lmed, lk = lq[doc["quantiles"].index(0.5)], sec["spread_scale"]
        low = min(1 / a.ratio_high, lmed * (lq[lo_i] / lmed) ** lk)
        high = max(1 / a.ratio_low, lmed * (lq[hi_i] / lmed) ** lk)
        assert t_lo == pytest.approx(t * low) and t_hi == pytest.approx(t * high), metric
    # measured TTFT of loaded servers runs well above the engine's (queueing before the first token): the
    # TTFT interval reaches further up than the step range
    assert p.ttft_s_high > p.ttft_s / a.ratio_low * 1.5


def test_cost_and_energy_ranges_by_hand():
    # no traffic: one instance at a fixed utilization u, so $/M tokens = $/h / (u x T x 3600) x 1e6 and the
    # cost range is the point cost divided by the throughput ratios; energy per token follows the same
    # throughput only partly (power depends on utilization, which is fixed here): J = P(u) / (u x T)
    ev = evaluate_deployment({**{k: v for k, v in H100.items() if k not in ("accelerator", "count")},
                              "offer": _an_h100_offer()})
    m, e, a = ev.money, ev.energy, ev.performance.accuracy
    assert a is not None and m.usd_per_mtok_output is not None
    assert m.usd_per_mtok_output_low == pytest.approx(m.usd_per_mtok_output / a.ratio_high)
    assert m.usd_per_mtok_output_high == pytest.approx(m.usd_per_mtok_output / a.ratio_low)
    assert m.usd_per_month_low == pytest.approx(m.usd_per_month) == m.usd_per_month_high  # one instance either way
    assert e.j_per_output_token is not None
    assert e.j_per_output_token_low == pytest.approx(e.j_per_output_token / a.ratio_high)
    assert e.j_per_output_token_high == pytest.approx(e.j_per_output_token / a.ratio_low)


def _an_h100_offer() -> str:
    from tokenfab.catalog import load_catalog

    cat = load_catalog()
    return next(o.id for o in cat.rows["offers"].values()
                if o.accelerator == "h100-sxm" and o.accelerator_count == 8 and o.on_demand_price_per_accel_hour)


def test_with_traffic_the_range_resizes_whole_instances():
    # a traffic of D output tok/s needs ceil(D / T) instances; at the low end ceil(D / (T x r_low))
    ev = evaluate_deployment({**{k: v for k, v in H100.items() if k not in ("accelerator", "count")},
                              "offer": _an_h100_offer(), "rate_rps": 200})
    p, m, a = ev.performance, ev.money, ev.performance.accuracy
    assert a is not None and m.usd_per_month is not None
    demand = 200 * 200.0
    per_instance_month = m.usd_per_month / ev.deployment.instances
    assert ev.deployment.instances == math.ceil(demand / p.throughput_output_tok_per_s)
    assert m.usd_per_month_high == pytest.approx(
        math.ceil(demand / (p.throughput_output_tok_per_s * a.ratio_low)) * per_instance_month)
    assert m.usd_per_month_low == pytest.approx(
        math.ceil(demand / (p.throughput_output_tok_per_s * a.ratio_high)) * per_instance_month)


def test_unvalidated_chip_is_flagged_everywhere():
    ev = evaluate_deployment({**H100, "accelerator": "tpu-v6e", "count": 8})
    a = ev.performance.accuracy
    assert a is not None and not a.validated and a.accuracy_class == "unvalidated"
    assert any("unvalidated" in w for w in ev.warnings)
    out = cli("estimate", "--model", "llama-3.1-8b", "--accelerator", "tpu-v6e", "--count", "8", "--isl", "1000",
              "--osl", "200", "--scenario", "offline")
    assert out.returncode == 0 and "UNVALIDATED" in out.stdout and "unvalidated" in out.stderr


def test_bounds_carry_no_range():
    ev = evaluate_deployment({**H100, "fidelity": "roofline"})
    assert ev.performance.accuracy is None and ev.performance.throughput_output_tok_per_s_low is None


def test_plan_risk_ranks_on_the_quantile():
    base = dict(model="llama-3.1-8b", rate_rps=2, isl=1000, osl=200, pricing=("on_demand",), objectives=("cost",),
                front_tolerance=0)
    plain = plan(Scenario(**base)).front[0]
    risky = plan(Scenario(**base, risk="p90")).front[0]
    assert risky.risk is not None and risky.risk.risk == "p90"
    # the p90 ranking picks the candidate whose p90 cost is lowest: never dearer at p90 than the plain pick
    plain_at_p90 = plan(Scenario(**base, risk="p90", providers=(plain.deployment.provider,),
                                 accelerators=(plain.deployment.accelerator,))).front[0]
    assert risky.risk.usd_per_mtok_output is not None and plain_at_p90.risk is not None
    assert risky.risk.usd_per_mtok_output <= plain_at_p90.risk.usd_per_mtok_output + 1e-12
    # and the p90 figure is the estimate re-sized at the class's 10th-percentile throughput
    a = risky.performance.accuracy
    assert a is not None
    assert risky.risk.throughput_ratio == pytest.approx(a.ratio_low)


def test_validate_json_rows_carry_the_interval():
    import csv

    from tests.conftest import ROOT

    path = ROOT / "validation" / "holdout.csv"
    out = cli("validate", str(path), "--json")
    assert out.returncode == 0
    rows = json.loads(out.stdout)["rows"]
    given = {r["id"]: r for r in csv.DictReader(line for line in path.open() if not line.startswith("#"))}
    vendor = {"b200": "NVIDIA", "gb200": "NVIDIA", "h100-sxm": "NVIDIA", "h200": "NVIDIA", "mi300x": "AMD",
              "mi355x": "AMD", "b300": "NVIDIA", "gb300": "NVIDIA", "mi325x": "AMD"}
    checked = 0
    for r in rows:
        if r["metric"] != "output_tok_per_s" or r["accelerator"] not in vendor:
            continue
        g = given[r["id"]]
        b = band_for(vendor[r["accelerator"]], g["stack"], g["weights_dtype"], g["scenario"])
        assert r["accuracy_class"] == b.accuracy_class and r["validated"] == b.validated
        assert r["predicted_low"] == pytest.approx(r["predicted"] * b.ratio_low)
        assert r["predicted_high"] == pytest.approx(r["predicted"] * b.ratio_high)
        checked += 1
    assert checked >= 20


def test_site_figures_carry_the_range():
    from tokenfab import gigawatt

    # a site of fixed power: tokens/day is linear in throughput, so its ends are the point x the band's ratios
    r = gigawatt(model="llama-3.1-70b", accelerator="h100-sxm", mw=100, isl=1000, osl=200)
    a, s = r.evaluation.performance.accuracy, r.site
    assert a is not None and s is not None
    assert s.tokens_per_day_low == pytest.approx(s.tokens_per_day * a.ratio_low)
    assert s.tokens_per_day_high == pytest.approx(s.tokens_per_day * a.ratio_high)
    # a traffic: accelerators = ceil(demand / tok/s per accelerator); the low throughput needs the most
    t = gigawatt(model="llama-3.1-70b", accelerator="h100-sxm", tokens_per_day=1e12, isl=1000, osl=200)
    f, a, per = t.for_traffic, t.evaluation.performance.accuracy, t.evaluation.performance.throughput_per_accelerator_tok_per_s
    assert f is not None and a is not None
    demand = 1e12 / 86400
    assert f.accelerators == math.ceil(demand / per)
    assert f.accelerators_high == math.ceil(demand / (per * a.ratio_low))
    assert f.accelerators_low == math.ceil(demand / (per * a.ratio_high))
