"""Staleness, dated exchange rates, discounts and the catalog's version (issue 12), checked by hand."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import cli
from tokenfab import cost, plan
from tokenfab.catalog import load_catalog
from tokenfab.catalog.diff import diff_catalogs
from tokenfab.catalog.freshness import figures_by_age, fx_warning, parse_age, price_warning
from tokenfab.errors import InputError

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "catalogs"
SCW = dict(model="llama-3.1-70b", offer="scaleway-h100-sxm-8-80g", isl=1000, osl=200, rate_rps=3)
SCW_LIST_EUR = 3.16635  # offers.csv: EUR 25.3308 per 8-GPU instance-hour / 8


@pytest.mark.parametrize(("text", "days"), [("180d", 180), ("180", 180), ("26w", 182), ("6m", 180), ("1y", 365), ("2Y", 730)])
def test_parse_age(text: str, days: int) -> None:
    assert parse_age(text) == days


@pytest.mark.parametrize("text", ["1q", "-5d", "", "1.5y", "d"])
def test_parse_age_refuses(text: str) -> None:
    with pytest.raises(InputError, match="180d"):
        parse_age(text)


def test_price_warning_threshold() -> None:
    today = dt.date(2026, 12, 1)
    # stale_after_days is 365: 2025-12-01 is exactly 365 days before, 2025-11-30 is 366
    assert price_warning("price of offer x", "2025-12-01", "offers.csv", today) is None
    w = price_warning("price of offer x", "2025-11-30", "offers.csv", today)
    assert w is not None and "366 days old" in w and "offers.csv" in w and "--catalog" in w


def test_fx_warning_gap() -> None:
    assert fx_warning("EUR", "2026-09-30", "2026-09-26") is None  # 4 days apart
    w = fx_warning("EUR", "2025-02-28", "2026-09-26")  # 2025-02-28 -> 2026-02-28 = 365, + 210 to 2026-09-26
    assert w is not None and "575 days apart" in w


def test_figures_by_age_by_hand() -> None:
    cat = load_catalog(FIX / "old_rate")
    found = figures_by_age(cat, dt.date(2026, 12, 1), older_than_days=365, kinds=("fx_rates",))
    ages = {f.id: f.age_days for f in found}
    # 2020-01-02 -> 2026-01-02 = 6 * 365 + 2 leap days (2020, 2024) = 2,192; + 333 days to 2026-12-01
    assert ages["isk-2020-01-02"] == 2192 + 333  # ISK's newest (only) fixing
    # a rate series is history: only each currency's newest fixing can be stale
    assert "eur-2024-01-02" not in ages and "eur-2025-02-28" not in ages
    assert "eur-2026-09-30" not in ages  # EUR's newest, 62 days old
    assert not any(f.id.startswith("eur-") for f in found)
    assert [f.age_days for f in found] == sorted((f.age_days for f in found), reverse=True)


def test_price_converted_at_rate_nearest_its_date() -> None:
    """The Scaleway price is dated 2026-09-26: of 1.17 (2026-09-30) and 1.09 (2024-01-02), 1.17 is used."""
    r = cost(SCW, catalog=load_catalog(FIX / "old_rate"))
    assert r.evaluation.money.price is not None
    assert r.evaluation.money.price.usd_per_accel_hour == pytest.approx(SCW_LIST_EUR * 1.17, rel=1e-12)
    fx = next(a for a in r.evaluation.assumptions if a.name == "fx EUR->USD")
    assert fx.value == 1.17 and fx.as_of == "2026-09-30" and "4 days apart" in (fx.notes or "")
    assert not any("EUR->USD rate" in w for w in r.evaluation.warnings)


def test_discount_from_overlay_and_flag() -> None:
    base = cost(SCW).evaluation.money
    over = cost(SCW, catalog=load_catalog(FIX / "discount")).evaluation.money  # scw-all: 10 % (no reserved price used)
    flag = cost({**SCW, "discounts": ("scaleway=0.3",)}, catalog=load_catalog(FIX / "discount")).evaluation.money
    assert base.price and over.price and flag.price
    assert over.price.usd_per_accel_hour == pytest.approx(base.price.usd_per_accel_hour * 0.9, rel=1e-12)
    assert flag.price.usd_per_accel_hour == pytest.approx(base.price.usd_per_accel_hour * 0.7, rel=1e-12)
    assert over.price.discount_basis and "scw-all" in over.price.discount_basis and flag.price.discount_basis == "given"
    # same deployment (the discount scales every candidate of the offer alike), so $/Mtok scales with the price
    assert over.usd_per_mtok_output == pytest.approx(base.usd_per_mtok_output * 0.9, rel=1e-9)


def test_discount_refusals() -> None:
    for bad in ("scaleway=1", "scaleway=-0.1", "scaleway", "=0.2", "scaleway=abc"):
        proc = cli("cost", "--model", "llama-3.1-70b", "--offer", "scaleway-h100-sxm-8-80g", "--isl", "1000", "--osl", "200",
                   "--discount", bad)
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "PROVIDER=FRACTION" in proc.stderr, bad
    proc = cli("cost", "--model", "llama-3.1-70b", "--offer", "scaleway-h100-sxm-8-80g", "--isl", "1000", "--osl", "200",
               "--discount", "scalewy=0.2")
    assert proc.returncode == 2 and "discounts" in proc.stderr and "scaleway" in proc.stderr


def test_max_spot_price_rules_spot_out() -> None:
    s = dict(model="llama-3.1-8b", rate_rps=2, isl=1000, osl=200, pricing=("spot",))
    free = plan(s)
    spot_prices = [ev.money.price.usd_per_accel_hour for ev in free.front if ev.money.price]
    cap = min(spot_prices) * 1.001  # only the cheapest spot price stays under the cap
    capped = plan({**s, "max_spot_usd_per_accel_hour": cap})
    assert capped.front and all(ev.money.price and ev.money.price.usd_per_accel_hour <= cap for ev in capped.front)
    assert max(spot_prices) > cap  # the cap did rule something out
    assert capped.rejected.get("spot price cap", 0) > 0


def test_version_shows_catalog_release() -> None:
    meta = yaml.safe_load((Path(__file__).resolve().parents[2] / "src" / "tokenfab" / "data" / "catalog.yaml").read_text())
    proc = cli("--version")
    assert proc.returncode == 0 and f"catalog {meta['version']}, {meta['date']}" in proc.stdout


def test_diff_by_construction() -> None:
    d = diff_catalogs(FIX / "diff_old", FIX / "diff_new")
    got = {(c.kind, c.id, c.change, c.field, c.old, c.new) for c in d.changes}
    assert ("offers", "x-b200-8", "added", None, None, None) in got
    assert ("offers", "x-a100-8", "removed", None, None, None) in got
    assert ("offers", "x-h100-8", "changed", "on_demand_price_per_accel_hour", 2.99, 2.49) in got
    assert ("offers", "x-h100-8", "changed", "as_of", "2026-01-05", "2026-06-01") in got
    assert len(got) == 4 and d.skipped == ()  # neither side has accelerators.yaml: not compared


def test_diff_and_stale_cli() -> None:
    proc = cli("catalog", "diff", str(FIX / "diff_old"), str(FIX / "diff_new"), "--json")
    assert proc.returncode == 0 and len(json.loads(proc.stdout)["changes"]) == 4
    proc = cli("catalog", "diff", str(FIX / "diff_old"), str(FIX / "nope"))
    assert proc.returncode == 2 and proc.stderr.startswith("error: catalog = ") and proc.stderr.count("\n") == 1
    proc = cli("catalog", "stale", "--catalog", str(FIX / "old_rate"), "--older-than", "5y", "--kind", "fx_rates", "--json")
    assert proc.returncode == 0
    assert [r["id"] for r in json.loads(proc.stdout)] == ["isk-2020-01-02"]
    assert cli("catalog", "stale", "--older-than", "soon").returncode == 2


def test_old_figures_warn_once_in_outputs() -> None:
    """The bundled EUR rate is dated 2025-02-28, the Scaleway price 2026-09-26: the gap is flagged, once."""
    proc = cli("cost", "--model", "llama-3.1-70b", "--offer", "scaleway-h100-sxm-8-80g", "--isl", "1000", "--osl", "200",
               "--json")
    assert proc.returncode == 0
    warnings = json.loads(proc.stdout)["evaluation"]["warnings"]
    bundled_eur = [r for r in load_catalog().list("fx_rates") if r.currency == "EUR"]
    nearest = min(bundled_eur, key=lambda r: abs((r.rate_date - dt.date(2026, 9, 26)).days))
    if abs((nearest.rate_date - dt.date(2026, 9, 26)).days) > 45:
        assert any("EUR->USD rate" in w for w in warnings)
        assert proc.stderr.count("EUR->USD rate") == 1
    else:
        assert not any("EUR->USD rate" in w for w in warnings)


def test_operational_fallback_is_flagged() -> None:
    """Quebec has only an operational carbon figure: the output says so instead of mixing it in silently."""
    r = cost(dict(model="llama-3.1-8b", own=True, accelerator="h100-sxm", count=1, grid="ca-qc", isl=100, osl=100))
    e = r.evaluation.energy
    assert e.grid_carbon_basis is not None and e.grid_carbon_basis.startswith("operational")
    assert e.grid_gco2e_per_kwh == 5.48
    assert any("no life-cycle carbon figure" in w for w in r.evaluation.warnings)
    fr = cost(dict(model="llama-3.1-8b", own=True, accelerator="h100-sxm", count=1, grid="fr", isl=100, osl=100))
    assert fr.evaluation.energy.grid_carbon_basis == "life-cycle"
    assert not any("life-cycle carbon" in w for w in fr.evaluation.warnings)
