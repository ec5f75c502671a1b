"""whatif: zero-width ranges give the plan exactly, shocks change what they say, same seed
same result, and the sampled figures follow the hand arithmetic of sizing and pricing."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from tokenfab import load_catalog, plan, whatif
from tokenfab.catalog.uncertainty import TARGETS, load_uncertainty
from tokenfab.planner.search import capacities, prepare, solve
from tokenfab.whatif.rows import gather
from tokenfab.whatif.run import label
from tokenfab.whatif.sampling import evaluate

README = dict(model="llama-3.1-70b", rate_rps=5, isl=1000, osl=200, tpot_max_s=0.05, sovereignty="eu-jurisdiction")
OWNED = dict(model="llama-3.1-8b", rate_rps=2, isl=1000, osl=200, own=True, own_grid="fr")


@pytest.fixture(scope="module")
def zero():
    return load_uncertainty().with_zero_width()


@pytest.mark.parametrize("scenario", [README, OWNED, dict(OWNED, rate_rps=None, tokens_per_day=None),
                                      dict(OWNED, own_grid="us-va", rent=False)],
                         ids=["readme", "owned", "no-traffic", "operational-carbon-grid"])
def test_zero_width_ranges_equal_plan_exactly(scenario, zero):
    scenario = {k: v for k, v in scenario.items() if v is not None}
    if "rate_rps" not in scenario and "tokens_per_day" not in scenario:
        scenario["tokens_per_day"] = 2e9
    p = plan(**scenario)
    w = whatif(dict(scenario, samples=300, seed=3), uncertainty=zero)
    assert len(w.rows) == len(p.front) > 0
    for row, ev in zip(w.rows, p.front):
        assert row.label == label(ev)
        for q in ("p10", "p50", "p90"):
            assert getattr(row.usd_per_mtok, q) == ev.money.usd_per_mtok_output
            assert getattr(row.j_per_token, q) == ev.energy.j_per_output_token
            assert getattr(row.gco2e_per_1k_tok, q) == ev.energy.gco2e_per_1k_tok
        assert row.slo_met_frac == 1.0
    # the cheapest plan row is best in every sample when nothing moves
    assert w.rows[0].prob_best == 1.0 and w.objective == "cost"
    assert all(b.swing_usd_per_mtok == 0.0 for b in w.tornado)


@pytest.mark.parametrize("scenario", [README, OWNED], ids=["rented", "owned"])
def test_doubling_every_price_doubles_every_usd_per_mtok(scenario, zero):
    w = whatif(dict(scenario, samples=10, shocks=("price:+100%",)), uncertainty=zero)
    assert w.after is not None and not w.dropped
    assert [label(e) for e in w.after.front] == [label(e) for e in w.before.front]
    for b, a in zip(w.before.front, w.after.front):
        # x2 is exact in binary floating point, and sizing does not depend on price
        assert a.money.usd_per_mtok_output == 2 * b.money.usd_per_mtok_output
        assert a.money.usd_per_month == 2 * b.money.usd_per_month
        assert a.energy.j_per_output_token == b.energy.j_per_output_token


def test_export_ban_removes_exactly_the_chips_the_facts_list(zero):
    from tokenfab.whatif.shocks import apply_shocks, parse_shock

    cat = load_catalog()
    s, _, c = prepare(dict(OWNED, rent=True))
    caps = c.capacities
    # the facts: ECCN 3A090 'license-required' (presumption of denial for CN) and 'case-by-case'
    forbidden = {a.id for a in cat.list("accelerators")
                 if a.export_control_class in ("license-required", "case-by-case")}
    expected = {k.id for k in caps if k.accelerator.id in forbidden}
    assert expected and len(expected) < len(caps)
    ap = apply_shocks([parse_shock("export-ban:buyer=CN")], cat, caps, None, s.date or dt.date.today(), zero)
    keep = ap.keep["export-ban:buyer=CN"]
    assert {k.id for k, kept in zip(caps, keep) if not kept} == expected
    # a buyer the facts do not restrict loses nothing
    ap_fr = apply_shocks([parse_shock("export-ban:buyer=FR")], cat, caps, None, dt.date.today(), zero)
    assert ap_fr.keep["export-ban:buyer=FR"].all()
    # end to end: no front row after the ban runs a forbidden chip, and what dropped says why
    w = whatif(dict(OWNED, samples=10, shocks=("export-ban:buyer=CN",)), uncertainty=zero)
    assert all(e.deployment.accelerator not in forbidden for e in w.after.front)
    assert w.shocks[0].capacities_removed == sum(k.accelerator.id in forbidden for k in caps)  # one per pricing
    assert all("export-ban" in d.why or "no longer on the front" in d.why for d in w.dropped)


def test_same_seed_same_result_other_seed_other_result():
    a = whatif(dict(README, samples=5000, seed=11)).to_dict()
    b = whatif(dict(README, samples=5000, seed=11)).to_dict()
    c = whatif(dict(README, samples=5000, seed=12)).to_dict()
    for d in (a, b, c):
        d.pop("elapsed_s"), d["before"].pop("elapsed_s")
    assert a == b
    assert a["rows"] != c["rows"]


def test_sampled_rows_follow_sizing_and_pricing_by_hand():
    """Row 1 of the README plan at half the predicted throughput: whole instances double
    when demand no longer fits, and $/M = instances x accelerators x $/h / (tok/s x 3600) x 1e6."""
    s, cat, c = prepare(README)
    p, where = solve(s, cat, c, 0.0)
    rows = gather(c, where, [label(e) for e in p.front], None, None)
    f = {t: np.ones((1, len(rows))) for t in TARGETS}
    f["throughput"] = np.full((1, len(rows)), 0.5)
    f["rent"] = np.full((1, len(rows)), 0.8)
    out = evaluate(rows, f)
    ev = p.front[0]
    demand = 5 * 200  # 5 requests/s x 200 output tokens
    thr = ev.performance.throughput_output_tok_per_s
    inst = math.ceil(demand / (0.5 * thr))
    price = ev.money.usd_per_accel_hour * 0.8
    usd = inst * ev.deployment.accelerators_per_instance * price / (demand * 3600) * 1e6
    assert out["usd_per_mtok"][0, 0] == pytest.approx(usd, rel=1e-12)
    # latency limits are met at the engine's figure divided by the factor
    assert bool(out["feasible"][0, 0]) == (ev.performance.tpot_p99_s / 0.5 <= 0.05
                                           and ev.performance.ttft_p99_s / 0.5 <= ev.performance.ttft_limit_s)


def test_tornado_rent_discount_moves_the_best_row_by_its_factor():
    w = whatif(dict(README, samples=100))
    best = w.rows[0]
    bar = next(b for b in w.tornado if b.input == "rent-on-demand")
    assert w.before.front[0].deployment.pricing == "on_demand"
    # triangular(0.70, 1.0, 1.0): the low end is 70 % of the price, hence of $/M tokens
    assert bar.usd_per_mtok_at_low == pytest.approx(0.70 * best.plan_usd_per_mtok, rel=1e-12)
    assert bar.usd_per_mtok_at_high == pytest.approx(best.plan_usd_per_mtok, rel=1e-12)
    swings = [b.swing_usd_per_mtok for b in w.tornado]
    assert swings == sorted(swings, reverse=True)


def test_percentiles_and_probabilities_are_consistent():
    w = whatif(dict(README, samples=4000, seed=1))
    for r in w.rows:
        assert r.usd_per_mtok.p10 <= r.usd_per_mtok.p50 <= r.usd_per_mtok.p90
        assert 0.0 <= r.prob_best <= 1.0
    assert sum(r.prob_best for r in w.rows) + w.prob_no_row_feasible == pytest.approx(1.0)
    assert w.rows[0].usd_per_mtok.p90 > w.rows[0].usd_per_mtok.p10  # the ranges do move it


def test_capacities_memo_not_mutated_by_shocks(zero):
    s, cat, _ = prepare(README)
    before = [k.rent.usd_per_accel_hour for k in capacities(cat, s) if k.rent]
    whatif(dict(README, samples=10, shocks=("price:+100%",)), uncertainty=zero)
    assert [k.rent.usd_per_accel_hour for k in capacities(cat, s) if k.rent] == before


def test_given_deployments_only(zero):
    from tokenfab import InputError

    w = whatif(dict(OWNED, samples=10, deployments=("own:hgx-h100", "scaleway-h100-sxm-8-80g")), uncertainty=zero)
    assert {e.deployment.capacity for e in w.before.front} <= {"own:hgx-h100", "scaleway-h100-sxm-8-80g"}
    assert w.before.rejected["deployment filter"] > 0
    with pytest.raises(InputError, match="deployments = 'own:hgx-h10'.*did you mean"):
        whatif(dict(OWNED, samples=10, deployments=("own:hgx-h10",)), uncertainty=zero)
