"""The move (today vs the cheapest compliant plan) and the FOCUS export of a plan row."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

import tokenfab
from tests.conftest import FIXTURES, cli
from tokenfab import bill_summary, load_catalog, move_bill

F = FIXTURES / "focus"
GENAI = [F / "tokenfab_genai_focus12.csv", F / "tokenfab_genai_focus13.csv"]
DAY = dt.date(2026, 12, 1)
PER_MONTH = (365.25 / 12) / 30  # the bill covers 30 days; a month is 365.25 / 12 days


@pytest.fixture(scope="module")
def moved():
    s = bill_summary(GENAI, date=DAY)
    return s, move_bill(s, sovereignty="eu-jurisdiction", peak_to_mean=2.0, osl=300, date=DAY)


def test_token_move_names_a_compliant_plan_with_saving_and_payback(moved):
    s, m = moved
    row = next(r for r in m.rows if r.subject == "meta.llama3-1-70b-instruct-v1:0")
    # today: (10800 + 10800 + 4320) USD in 30 days -> per month
    assert row.today_usd_per_month == pytest.approx(25920 * PER_MONTH)
    # the same question asked of the planner directly: 6e9 output tokens / 30 days x peak/mean 2,
    # isl = 3e10 / 6e9 x 300 = 1500
    res = tokenfab.plan(model="llama-3.1-70b", isl=1500, osl=300, tokens_per_day=6e9 / 30 * 2,
                        sovereignty="eu-jurisdiction", date="2026-12-01")
    best = min(res.front, key=lambda e: e.money.usd_per_month)
    assert row.plan_usd_per_month == pytest.approx(best.money.usd_per_month)
    assert best.deployment.capacity in row.plan
    # compliant: the offer passes the preset on that date (the sovereignty command's own answer)
    assert tokenfab.sovereignty(best.deployment.capacity, preset="eu-jurisdiction", date="2026-12-01").passes
    assert row.saving_usd_per_month == pytest.approx(row.today_usd_per_month - row.plan_usd_per_month)
    assert row.saving_usd_per_month > 0
    # exit: AWS's Data Act exit cost of one month's egress, (5000 x 365.25/12/30 - 100 free) x 0.09
    exit_usd = (5000 * PER_MONTH - 100) * 0.09
    assert row.exit_cost_usd == pytest.approx(exit_usd)
    assert row.payback_months == pytest.approx(exit_usd / row.saving_usd_per_month)


def test_rows_without_saving_have_no_payback_and_stay_out_of_totals(moved):
    _, m = moved
    losers = [r for r in m.rows if (r.saving_usd_per_month or 0) <= 0]
    assert losers and all(r.payback_months is None and "no saving" in r.reason for r in losers)
    winners = [r for r in m.rows if (r.saving_usd_per_month or 0) > 0]
    assert m.saving_usd_per_month == pytest.approx(sum(r.saving_usd_per_month for r in winners))
    # every winner here is billed by AWS: its exit cost counts once
    assert {r.provider for r in winners} == {"AWS"}
    assert m.exit_cost_usd == pytest.approx((5000 * PER_MONTH - 100) * 0.09)


def test_accelerator_move_on_the_cheapest_compliant_offer(moved):
    _, m = moved
    row = next(r for r in m.rows if r.kind == "accelerators")
    # accelerator-hours: (720 + 720 + 100) instance-h x 8 = 12,320 in 30 days
    hours_pm = 12320 * PER_MONTH
    assert row.today_usd_per_month == pytest.approx((39628.80 + 25200.00 + 2078.40) * PER_MONTH)
    # the cheapest on-demand H100-SXM offer whose sovereignty passes, found offer by offer with the public API
    cat = load_catalog()
    passing = [o for o in cat.rows["offers"].values() if o.accelerator == "h100-sxm"
               and o.on_demand_price_per_accel_hour is not None
               and tokenfab.sovereignty(o.id, preset="eu-jurisdiction", date="2026-12-01").passes]
    cheapest = min(passing, key=lambda o: cat.to_usd(o.on_demand_price_per_accel_hour, o.currency))
    assert row.plan.startswith(cheapest.id)
    assert row.plan_usd_per_month == pytest.approx(hours_pm * cat.to_usd(cheapest.on_demand_price_per_accel_hour,
                                                                         cheapest.currency))


def test_cli_bill_move_json_equals_python(moved):
    _, m = moved
    proc = cli("bill", *map(str, GENAI), "--move", "--sovereignty", "eu-jurisdiction", "--peak-to-mean", "2",
               "--date", "2026-12-01", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["move"] == m.to_dict()
    table = cli("bill", *map(str, GENAI), "--move", "--date", "2026-12-01")
    assert table.returncode == 0 and "the move" in table.stdout and "payback" in table.stdout


def test_cli_csv_has_every_table():
    proc = cli("bill", *map(str, GENAI), "--csv", "--date", "2026-12-01")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert {"by_jurisdiction", "tokens", "accelerators", "egress", "exposure"} <= {r["table"] for r in rows}
    eu = next(r for r in rows if r["table"] == "by_jurisdiction" and r["jurisdiction"] == "EU")
    assert float(eu["effective_usd"]) == pytest.approx(90 + 18)


def test_plan_focus_out_rows_read_back_as_a_bill(tmp_path):
    out = tmp_path / "plan_focus.csv"
    proc = cli("plan", "--model", "llama-3.1-8b", "--isl", "500", "--osl", "100", "--rate-rps", "1",
               "--focus-out", str(out), "--focus-months", "2", "--json")
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    first = plan["front"][0]
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 2
    d, price = first["deployment"], first["money"]["usd_per_accel_hour"]
    for r in rows:
        start = dt.date.fromisoformat(r["ChargePeriodStart"][:10])
        end = dt.date.fromisoformat(r["ChargePeriodEnd"][:10])
        hours = (end - start).days * 24  # the calendar month's hours
        assert float(r["ConsumedQuantity"]) == pytest.approx(d["accelerators_total"] * hours)
        assert float(r["BilledCost"]) == pytest.approx(d["accelerators_total"] * hours * price, rel=1e-6)
        assert r["ServiceProviderName"] == d["provider"] and r["RegionId"] == d["region"]
    # and tokenfab reads its own export as a FOCUS bill
    s = bill_summary(out)
    assert s.billed_usd == pytest.approx(sum(float(r["BilledCost"]) for r in rows))


def test_focus_out_bad_row_is_one_line(tmp_path):
    proc = cli("plan", "--model", "llama-3.1-8b", "--isl", "500", "--osl", "100", "--rate-rps", "1",
               "--focus-out", str(tmp_path / "x.csv"), "--focus-row", "9999")
    assert proc.returncode == 2 and "focus_row = 9999" in proc.stderr and not (tmp_path / "x.csv").exists()


def test_owning_the_accelerator_hours_on_a_french_grid():
    s = bill_summary(GENAI, date=DAY)
    m = move_bill(s, sovereignty="eu-jurisdiction", own_grid="fr", date=DAY)
    own = next(r for r in m.rows if r.kind == "accelerators (own)")
    # 12,320 accelerator-hours in 30 days -> 12,320 x 365.25/12/30 = 12,499.7 per month; a month has 8760/12 = 730 h
    # -> ceil(12,499.7 / 730) = 18 H100s bought
    assert "own 18 x h100-sxm on grid fr" in own.plan
    cat = load_catalog()
    system = next(x for x in cat.rows["systems"].values() if x.accelerator == "h100-sxm"
                  and (x.list_price_usd or x.street_price_usd))
    capex = (system.list_price_usd or system.street_price_usd) / system.accelerators_per_system
    upfront = capex * (1 + 0.10) * 18  # network share assumption 0.10 (catalog assumptions.yaml)
    assert f"upfront {upfront:,.0f} USD" in own.reason
    assert own.payback_months is not None and own.payback_months > 0
    # owning is shown beside renting, never added to the totals
    rented = [r for r in m.rows if (r.saving_usd_per_month or 0) > 0 and r.kind != "accelerators (own)"]
    assert m.saving_usd_per_month == pytest.approx(sum(r.saving_usd_per_month for r in rented))


def test_unknown_own_grid_is_one_line():
    proc = cli("bill", str(GENAI[0]), "--move", "--own-grid", "atlantis")
    assert proc.returncode == 2 and "unknown grid id 'atlantis'" in proc.stderr


def test_installed_script_reads_a_gzip_bill():
    from tests.conftest import run_cli

    proc = run_cli("bill", str(F / "sample10_focus_sample.csv.gz"), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["summary"]["rows"] == 1000
