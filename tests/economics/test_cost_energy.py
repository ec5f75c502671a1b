"""Economics and energy against hand calculations and measured power."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json

import numpy as np
import pytest

from tests.conftest import ROOT, assert_one_line_error
from tests.conftest import cli as run_cli
from tokenfab import cost, energy, gigawatt
from tokenfab.catalog import load_catalog
from tokenfab.economics import cost as C
from tokenfab.economics import energy as EN
from tokenfab.economics import facility as F
from tokenfab.economics import ownership as O
from tokenfab.economics.egress import egress_cost, exit_cost
from tokenfab.errors import InputError


def test_tco_by_hand_without_financing():
    # capex 30,000 over 3 years, no residual, no interest -> 10,000/yr
    # energy 1 kW x PUE 1.5 x 8760 h x 0.10 $/kWh = 1,314/yr; colo 1 kW x 100 $/kW-month x 12 = 1,200/yr
    parts = O.ownership_usd_per_accel_hour(30_000, 3, 0.0, 1000, 1000, 0.10, 1.5, 100, 0.0, 0.0, 0.0)
    assert parts["capital"] * 8760 == pytest.approx(10_000)
    assert parts["energy"] * 8760 == pytest.approx(1_314)
    assert parts["colocation"] * 8760 == pytest.approx(1_200)
    assert parts["total"] == pytest.approx(12_514 / 8760)


def test_tco_by_hand_with_financing_residual_network_and_overhead():
    # CRF(8%, 3y) = 0.08 * 1.08^3 / (1.08^3 - 1) = 0.08 * 1.259712 / 0.259712 = 0.3880335
    assert O.capital_recovery_factor(0.08, 3) == pytest.approx(0.3880335, rel=1e-6)
    # capex 40,000 + 10 % network = 44,000; residual 30 % of 40,000 = 12,000, discounted /1.259712 = 9,525.99
    # capital/yr = (44,000 - 9,525.99) x 0.3880335 = 13,377.07
    parts = O.ownership_usd_per_accel_hour(40_000, 3, 0.30, 0, 0, 0.0, 1.2, 0, 0.10, 0.25, 0.08)
    assert parts["capital"] * 8760 == pytest.approx(13_377.07, rel=1e-5)
    assert parts["overhead"] == pytest.approx(0.25 * parts["capital"])


def test_usd_per_mtok_by_hand():
    # $32/h serving 4,000 output tok/s: 32 / (4,000 x 3,600) x 1e6 = 2.2222 $/M
    assert C.usd_per_mtok(32.0, 4000.0) == pytest.approx(2.2222, rel=1e-4)
    # half the capacity served (utilization 0.5) doubles it
    assert C.usd_per_mtok(32.0, 2000.0) == pytest.approx(4.4444, rel=1e-4)
    out, inp = C.split_by_phase(36.0, 1000.0, 10_000.0, 0.5)
    # 18 $/h on 1,000 output tok/s = 5.0 $/M; 18 $/h on 10,000 input tok/s = 0.5 $/M
    assert (float(out), float(inp)) == pytest.approx((5.0, 0.5))


def test_breakeven_and_debt_by_hand():
    # 8 GPUs x $35,625 upfront = 285,000; rent 8 x 3.99 x 730 = 23,301.6/month; running 8 x 0.5 x 730 = 2,920
    m = O.breakeven_months(285_000, 2_920, 23_301.6)
    assert m == pytest.approx(285_000 / (23_301.6 - 2_920))
    assert np.isnan(O.breakeven_months(1, 10, 5))  # never pays back: undefined, not infinite
    # debt 30,000 at 0 % over 3 years, opex 0.2 $/h, 50 % of hours sold: 10,000/8760/0.5 + 0.2/0.5
    assert O.debt_breakeven_usd_per_accel_hour(30_000, 0.0, 3, 0.2, 0.5) == pytest.approx(10_000 / 8760 / 0.5 + 0.4)


def test_obsolescence_curve():
    assert O.rental_value(4.0, 2.0, 2.0) == pytest.approx(2.0)
    assert O.rental_value(4.0, 4.0, 2.0) == pytest.approx(1.0)


def test_egress_tiers_and_units_by_hand():
    cat = load_catalog()
    aws = cat.provider("aws").egress  # 100 GB free, $0.09 to 10 TB, $0.085 to 50 TB
    assert egress_cost(1_000, aws) == pytest.approx(900 * 0.09)
    assert egress_cost(20_000, aws) == pytest.approx(9_900 * 0.09 + 10_000 * 0.085)
    gcp = cat.provider("gcp").egress  # priced per GiB: 1,000 GB = 931.32 GiB, 1 GiB free, $0.12/GiB
    assert egress_cost(1_000, gcp) == pytest.approx((1e12 / 2**30 - 1) * 0.12)


def test_data_act_switching_rule_by_date():
    aws = load_catalog().provider("aws").egress
    before, rule_b = exit_cost(50_000, aws, dt.date(2027, 1, 11))
    after, rule_a = exit_cost(50_000, aws, dt.date(2027, 1, 12))
    assert before > 0 and "at most at cost" in rule_b
    assert after == 0 and "Art. 29(1)" in rule_a


def test_currency_conversion_uses_the_catalog_rate():
    cat = load_catalog()
    r = cost(offer="scaleway-h100-sxm-8-80g", model="llama-3.1-8b", isl=1000, osl=200, catalog=cat).evaluation
    rate = cat.usd_per_unit("EUR").usd_per_unit
    assert r.money.price.usd_per_accel_hour == pytest.approx(3.16635 * rate)
    assert r.money.usd_per_hour == pytest.approx(3.16635 * rate * 8 * r.deployment.instances)
    assert any(a.name == "fx EUR->USD" and a.value == rate for a in r.assumptions)


def test_power_model_against_mlperf_wall_power():
    """System IT power = n x TDP + server share (EcoLogits/BoaviztAPI 1.2 kW per 8-GPU server).
    Tolerance 15 %: the server share is an estimate, OEM results spread about +-3 %, and the
    three H200 MaxQ runs are power-capped below TDP, which the model does not know."""
    with open(ROOT / "validation" / "power.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(ln for ln in f if not ln.startswith("#")))
    cat = load_catalog()
    for r in rows:
        acc = cat.accelerator(r["accelerator"])
        n = int(r["n_accel"])
        pred = EN.it_power_w(n, EN.accelerator_power_w(acc.tdp_w, 1.0, 0.1), 1200.0)
        meas = float(r["system_power_w"])
        assert abs(pred - meas) / meas < 0.15, (r["id"], pred, meas)
        j_meas = meas / float(r["throughput_output_tok_per_s"])
        j_pred = EN.j_per_token(pred, float(r["throughput_output_tok_per_s"]))
        assert abs(j_pred - j_meas) / j_meas < 0.15


def test_full_energy_prediction_against_mlperf_b200_llama2():
    """`energy` end to end (predicted power / predicted throughput, PUE 1) for MLPerf v5.1
    Lenovo 8xB200 Llama-2-70B Offline: measured 0.1011 J/token. Tolerance 25 %: the power
    model (+-15 %) times the engine's throughput error on this row (about 25 % low)."""
    e = energy(model="llama-2-70b", accelerator="b200", count=8, weights="fp4", isl=222.33, osl=290, grid="world", pue=1.0,
               scenario="offline", utilization=1.0).energy
    assert e.j_per_output_token == pytest.approx(0.1011, rel=0.25)
    assert e.gco2e_per_1k_tok == pytest.approx(e.j_per_output_token * 1e3 / 3.6e6 * 473.0)


def test_carbon_and_kwh_by_hand():
    # 0.36 J/token -> 0.1 kWh per M tokens; on a 500 g/kWh grid 0.05 gCO2e per 1k tokens
    assert EN.kwh_per_mtok(0.36) == pytest.approx(0.1)
    assert EN.gco2e_per_1k_tokens(0.36, 500) == pytest.approx(0.05)


def test_gigawatt_view_is_consistent_both_ways():
    site = F.site_output(1e9, True, 1.25, 1000.0, 72, 100.0, 1.0, 0.5)
    # 1 GW grid / PUE 1.25 = 800 MW IT -> 800,000 accelerators of 1 kW; racks of 72 -> 11,112
    assert site["accelerators"] == 800_000 and site["systems"] == 11_112
    assert site["tokens_per_day"] == pytest.approx(800_000 * 100 * 86_400)
    assert site["revenue_usd_per_day"] == pytest.approx(site["tokens_per_day"] / 1e6 * 0.5)
    back = F.power_for_tokens(site["tokens_per_day"] / 86_400, 100.0, 1.0, 1000.0, 1.25)
    assert back["grid_power_w"] == pytest.approx(1e9)


def test_gigawatt_from_a_catalog_facility():
    g = gigawatt(facility="mistral-bruyeres", model="llama-3.1-8b", isl=1000, osl=200)
    assert g.evaluation.deployment.accelerator == "gb300" and g.site.grid_power_w == pytest.approx(44e6)
    assert g.system == "gb300-nvl72" and g.accelerators_per_system == 72
    assert g.site.accelerators > 0 and g.site.systems == -(-g.site.accelerators // 72)


COUNTED = [f for f in load_catalog().list("facilities") if f.accelerator_count]


@pytest.mark.parametrize("facility_id", [f.id for f in COUNTED if f.accelerator_count_power_w])
def test_every_facility_with_a_paired_count_is_reproduced_within_15_percent(facility_id):
    """Accelerators from the power figure the count goes with, the catalog system's power (IT
    load per NVL72 rack; per server otherwise), the cluster's network/storage share and the
    facility's PUE (the AI-campus default where none is published)."""
    cat = load_catalog()
    fac = cat.facility(facility_id)
    g = gigawatt(model="llama-3.1-8b", isl=1000, osl=200, accelerator=fac.accelerator,
                 mw=fac.accelerator_count_power_w / 1e6, it_power=fac.accelerator_count_power_basis == "it")
    assert g.site.accelerators == pytest.approx(fac.accelerator_count, rel=0.15), (g.site.accelerators, g.it_w_per_accelerator)


def test_counts_without_a_paired_power_figure_say_why():
    """A count no published power figure goes with (Colossus 1: its grid supply excludes the
    on-site turbines) is kept as a fact but cannot be checked; its notes must say so."""
    unpaired = [f for f in COUNTED if not f.accelerator_count_power_w]
    assert len(unpaired) < len(COUNTED) / 2
    for f in unpaired:
        assert "No published power figure pairs with the count" in (f.notes or ""), f.id


def test_gigawatt_uses_the_rack_power_and_flags_the_pue_fallback():
    """Stargate Abilene, 300 MW operating: GB200 NVL72 racks of 120 kW (catalog), +14 % cluster
    network and storage (Epoch AI), PUE 1.4 for AI campuses (Epoch AI; none published, flagged):
    300e6 / (120e3 / 72 x 1.14 x 1.4) = 112,782 GB200 (the issue's 450k-per-1.2-GW ratio: ~112k)."""
    g = gigawatt(facility="stargate-abilene", model="llama-3.1-70b", isl=1000, osl=200)
    assert g.site.accelerators == int(300e6 / (120e3 / 72 * 1.14 * 1.4))
    assert g.pue == 1.4 and g.pue_is_fallback and "pue_ai_campus_default" in {a.name for a in g.assumptions}
    assert g.system == "gb200-nvl72" and g.it_w_per_accelerator == pytest.approx(120e3 / 72 * 1.14)


@pytest.mark.parametrize(
    "args,needle",
    [
        (["cost", "--offer", "lambda-h100-8", "--utilization", "1.5"], "utilization = 1.5"),
        (["cost", "--offer", "lambda-h100-8", "--utilization", "0"], "utilization = 0"),
        (["cost", "--own", "--accelerator", "h100-sxm", "--capex-usd-per-accel", "-5", "--grid", "fr"],
         "capex_usd_per_accel = -5"),
        (["cost", "--offer", "lambda-h100-8", "--pricing", "spot"], "has no such price"),
        (["cost", "--offer", "lambda-h100-9"], "did you mean 'lambda-h100-8'"),
        (["cost", "--accelerator", "h100-sxm"], "offer (--offer ID, rent) or own (--own, buy)"),
        (["cost", "--own", "--accelerator", "h100-sxm"], "owning needs an electricity price"),
        (["cost", "--own", "--accelerator", "mi325x", "--grid", "fr"], "--capex-usd-per-accel"),
        (["energy", "--accelerator", "h100-sxm", "--grid", "mars"], "unknown"),
        (["energy", "--accelerator", "h100-sxm", "--grid", "fr", "--pue", "0.5"], "pue = 0.5"),
        (["cost", "--offer", "lambda-h100-8", "--count", "3"], "rents whole instances of 8"),
        (["cost", "--offer", "lambda-h100-8", "--years", "3"], "applies to owned accelerators"),
    ],
)
def test_bad_economic_inputs_are_refused(args, needle):
    proc = run_cli(*args, "--model", "llama-3.1-8b", "--isl", "100", "--osl", "100")
    assert_one_line_error(proc, needle)


def test_unknown_currency_is_refused(tmp_path):
    header = (
        "id,provider,region,instance_type,accelerator,accelerator_count,currency,on_demand_price_per_accel_hour,"
        "reserved_1y_price_per_accel_hour,reserved_3y_price_per_accel_hour,spot_price_per_accel_hour,source,as_of,kind,notes\n"
    )
    # every currency the schema accepts has a bundled rate, so drop GBP's rate to reach the "no rate" path
    full = load_catalog()  # cached and shared: change a copy
    cat = dataclasses.replace(full, rows={**full.rows, "fx_rates": {k: v for k, v in full.rows["fx_rates"].items()
                                                                    if v.currency != "GBP"}}, memo={})
    with pytest.raises(InputError, match=r"currency = 'GBP': no exchange rate.*fx_rates.csv"):
        cat.usd_per_unit("GBP")
    (tmp_path / "offers.csv").write_text(header + "yen,lambda,us,x,h100-sxm,8,BRL,300,,,,quote,2026-10-01,datasheet,\n")
    assert_one_line_error(run_cli("catalog", "show", "yen", "--catalog", str(tmp_path)), "'currency' = 'BRL'")


def test_cost_and_energy_json_keys():
    c = json.loads(run_cli("cost", "--offer", "lambda-h100-8", "--model", "llama-3.1-70b", "--isl", "1000", "--osl", "200",
                           "--json").stdout)["evaluation"]["money"]
    assert {"usd_per_mtok_output", "usd_per_mtok_input_prefill_share", "usd_per_mtok_output_decode_share"} <= set(c)
    assert c["usd_per_mtok_input_prefill_share"] < c["usd_per_mtok_output_decode_share"] < c["usd_per_mtok_output"]
    e = json.loads(run_cli("energy", "--offer", "ovhcloud-h200-1920", "--model", "llama-3.1-70b", "--isl", "1000",
                           "--osl", "200", "--json").stdout)["energy"]
    assert e["grid"] == "fr" and e["j_per_output_token"] > 0 and e["gco2e_per_1k_tok"] > 0
    g = json.loads(run_cli("gigawatt", "--mw", "100", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--isl",
                           "1000", "--osl", "200", "--json").stdout)
    assert {"accelerators", "systems", "tokens_per_day"} <= set(g["site"])


def test_published_pue_is_used_and_the_fallback_is_flagged():
    cat = load_catalog()
    ovh = energy(offer="ovhcloud-h200-1920", model="llama-3.1-70b", isl=1000, osl=200).energy
    assert ovh.pue == cat.provider("ovhcloud").pue.value == 1.28 and not ovh.pue_is_fallback
    lam = energy(offer="lambda-h100-8", model="llama-3.1-70b", isl=1000, osl=200)
    assert lam.energy.pue == 1.54 and lam.energy.pue_is_fallback and "industry average" in lam.energy.pue_basis
    assert any(a.name == "pue_default" for a in lam.assumptions)
    # J/token scales with PUE: the same deployment at PUE 1.0 is 1.54 times lower
    one = energy(offer="lambda-h100-8", model="llama-3.1-70b", isl=1000, osl=200, pue=1.0).energy
    assert lam.energy.j_per_output_token == pytest.approx(1.54 * one.j_per_output_token)


def test_energy_without_a_grid_or_a_tdp_says_what_is_missing():
    e = energy(accelerator="h100-sxm", model="llama-3.1-8b", isl=100, osl=100).energy
    assert e.j_per_output_token > 0 and e.gco2e_per_1k_tok is None and "grid" in e.carbon_reason
    tpu = energy(accelerator="tpu-v6e", model="llama-3.1-8b", isl=100, osl=100, grid="fr").energy
    assert tpu.j_per_output_token is None and "tdp_w" in tpu.unavailable_reason


def test_own_vs_rent_breakeven_in_the_published_range():
    """GPT-TCO reference: 8xH100 at $285k vs $3.99-class rent breaks even in ~15-17 months at
    full use; at half use the same rent buys half the hours, so owning pays back later."""
    full = cost(own=True, accelerator="h100-sxm", count=8, model="llama-3.1-70b", isl=1000, osl=200, grid="fr",
                offer="lambda-h100-8", utilization=1.0).own_vs_rent
    assert 12 < full.breakeven_months < 24
    half = cost(own=True, accelerator="h100-sxm", count=8, model="llama-3.1-70b", isl=1000, osl=200, grid="fr",
                offer="lambda-h100-8", utilization=0.5).own_vs_rent
    assert half.breakeven_months > full.breakeven_months


def test_payback_that_never_happens_is_none_with_a_reason_not_infinity():
    """Issue 11 reproduction: a capex so low... no: a rent so low that owning never pays back."""
    r = cost(own=True, accelerator="h100-sxm", count=8, model="llama-3.1-70b", isl=1000, osl=200, grid="fr",
             offer="scaleway-h100-sxm-8-80g", capex_usd_per_accel=1e7)
    assert r.own_vs_rent.breakeven_months is None and "never" in r.own_vs_rent.reason
    json.dumps(r.to_dict(), allow_nan=False)
    proc = run_cli("cost", "--model", "llama-3.1-70b", "--own", "--accelerator", "h100-sxm", "--count", "8", "--grid",
                   "fr", "--offer", "scaleway-h100-sxm-8-80g", "--isl", "1000", "--osl", "200", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "Infinity" not in proc.stdout and "NaN" not in proc.stdout
    text = run_cli("cost", "--model", "llama-3.1-70b", "--own", "--accelerator", "h100-sxm", "--count", "8", "--grid",
                   "fr", "--offer", "scaleway-h100-sxm-8-80g", "--isl", "1000", "--osl", "200", "--capex-usd-per-accel",
                   "1e7")
    import re

    assert "never" in text.stdout and not re.search(r"\binf\b", text.stdout)


def test_compare_lists_self_hosting_beside_apis():
    d = json.loads(run_cli("compare", "--model", "llama-3.3-70b", "--isl", "1000", "--osl", "200", "--top", "3",
                           "--json").stdout)
    assert len(d["self_hosted"]) == 3 and d["self_hosted_evaluated"] >= 10
    blended = [r["usd_per_mtok_output"] for r in d["self_hosted"]]
    assert blended == sorted(blended)
    apis = {r["name"] for r in d["apis"]}
    assert {"groq-llama-3.3-70b", "together-llama-3.3-70b-2026", "ovhcloud-llama-3.3-70b"} <= apis
    # EUR API prices are converted at the ECB fixing nearest their date (2026-09-26): the newest the catalog
    # holds, 2026-04-13, 1 EUR = 1.1684 USD; OVHcloud EUR 0.67 in and out
    ovh = next(r for r in d["apis"] if r["name"] == "ovhcloud-llama-3.3-70b")
    eur = 1.1684
    assert ovh["usd_per_mtok_output_price"] == pytest.approx(0.67 * eur)
    # all-in per output token of this workload: output price + input price x isl/osl
    assert ovh["usd_per_mtok_output"] == pytest.approx(0.67 * eur * (1 + 1000 / 200))
    assert all(r["price_as_of"] for r in d["apis"])


def test_compare_prices_a_prefill_with_no_time_share_at_zero(monkeypatch):
    """A prompt that adds nothing measurable to a step (1,000 tokens per 1,000,000 output tokens)
    leaves the prefill a share of the time clipped to 0, and the row's input price is $0/M. That is
    a price: compare answers (it once turned the 0 into NaN and failed its own row check), and every
    self-hosted input price is a finite number >= 0. Whether the engine's step lands a hair above or
    below the decode-only step at such a length moves with the fitted factors (the share was 0 on the
    B200 rows with one fit, a few 1e-6 with the next), so the decode-only step is made slower here,
    which clips every row's share to 0 whatever the factors."""
    import tokenfab
    from tokenfab.deployment import evaluate as ev

    real = ev.step_time

    def slower(*args, **kwargs):
        step, tokens = real(*args, **kwargs)
        return dataclasses.replace(step, total_s=np.asarray(step.total_s) * 1.5), tokens

    monkeypatch.setattr(ev, "step_time", slower)
    got = tokenfab.compare(model="mixtral-8x7b", isl=1000, osl=1_000_000)
    prices = [r.usd_per_mtok_input_price for r in got.self_hosted]
    assert prices and all(np.isfinite(p) and p >= 0 for p in prices)
    assert all(p == 0.0 for p in prices)  # the case this test exists for
    assert all(np.isfinite(r.usd_per_mtok_output_price) and r.usd_per_mtok_output_price > 0 for r in got.self_hosted)


def test_compare_holds_self_hosting_to_the_api_speed():
    """Issue 10: every self-hosted row streams at least the APIs' per-user speed (50 tok/s mean,
    Artificial Analysis medians) at a stated utilization below 1. The p99 TPOT limit is the mean
    1/50 s times the engine's p99/mean TPOT factor: the median TPOT p99/mean ratio of the MLPerf
    logs in validation/latency_pairs.csv (recomputed here: about 1.196, so ~23.9 ms)."""
    with open(ROOT / "validation" / "latency_pairs.csv", encoding="utf-8") as f:
        logs = list(csv.DictReader(line for line in f if not line.startswith("#")))
    p99_over_mean = float(np.median([float(r["tpot_p99_s"]) / float(r["tpot_mean_s"]) for r in logs]))
    limit = p99_over_mean / 50
    d = json.loads(run_cli("compare", "--model", "llama-3.3-70b", "--isl", "1000", "--osl", "200", "--json").stdout)
    assert d["tpot_limit_s"] == pytest.approx(limit, rel=1e-3) and "per-user speed" in d["tpot_basis"]
    assert d["utilization"] == 0.5 and d["utilization_basis"] == "serving_utilization assumption"
    for r in d["self_hosted"]:
        ev = r["evaluation"]
        assert ev["performance"]["tpot_p99_s"] <= d["tpot_limit_s"] + 1e-12
        assert r["output_tok_per_s_per_user"] >= 50 / 1.2 * 1.2 - 1e-9 or r["output_tok_per_s_per_user"] >= 41.6
        assert r["utilization"] == 0.5 and r["usd_per_mtok_output"] == ev["money"]["usd_per_mtok_output"]
    text = run_cli("compare", "--model", "llama-3.3-70b", "--isl", "1000", "--osl", "200")
    assert "tok/s per user" in text.stdout and "utilization" in text.stdout and "price as of" in text.stdout


@pytest.mark.parametrize(
    "args,needle",
    [
        (["gigawatt", "--mw", "-5", "--accelerator", "h100-sxm"], "mw = -5"),
        (["gigawatt", "--accelerator", "h100-sxm"], "give mw (--mw P), facility (--facility ID) or a traffic"),
        (["gigawatt", "--mw", "10", "--facility", "stargate-abilene"], "give mw or facility, not both"),
        (["gigawatt", "--mw", "10", "--accelerator", "h100-sxm", "--price-usd-per-mtok", "-1"], "price_usd_per_mtok = -1"),
        (["gigawatt", "--mw", "10", "--accelerator", "h100-sxn"], "did you mean 'h100-sxm'"),
        (["gigawatt", "--mw", "10", "--accelerator", "h100-sxm", "--utilization", "2"], "utilization = 2"),
        (["compare", "--utilization", "0"], "utilization = 0"),
        (["compare", "--osl", "0"], "osl = 0"),
    ],
)
def test_bad_gigawatt_and_compare_inputs(args, needle):
    extra = ["--isl", "100"] + ([] if "--osl" in args else ["--osl", "100"])
    assert_one_line_error(run_cli(*args, "--model", "llama-3.1-8b", *extra), needle, code=2)


def test_gigawatt_without_accelerator_picks_the_most_efficient_chip():
    g = gigawatt(mw=100, model="llama-3.1-8b", isl=1000, osl=200)
    ranks = [r.output_tok_per_joule_it for r in g.ranking]
    assert ranks == sorted(ranks, reverse=True) and g.evaluation.deployment.accelerator == g.ranking[0].accelerator
    assert any(a.name == "accelerator" for a in g.assumptions)
