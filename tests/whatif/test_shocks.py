"""Named shocks: parsing, and what each changes, checked by hand on catalog capacities."""

from __future__ import annotations

import datetime as dt

import pytest

from tokenfab import InputError, load_catalog
from tokenfab.catalog.uncertainty import load_uncertainty
from tokenfab.planner.search import prepare
from tokenfab.policy.sovereignty import assess
from tokenfab.whatif.shocks import FORMS, apply_shocks, parse_shock, rent_halving_factor

from ..conftest import cli

MIXED = dict(model="llama-3.1-8b", rate_rps=2, isl=1000, osl=200, own=True, own_grid="fr")
TODAY = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def caps():
    return prepare(MIXED)[2].capacities


def _apply(text, caps, buyer=None):
    return apply_shocks([parse_shock(text)], load_catalog(), caps, buyer, TODAY, load_uncertainty())


def test_tariff_raises_owned_capex_only(caps):
    out = _apply("tariff:25%", caps).capacities
    for old, new in zip(caps, out):
        if old.ownership:
            assert new.ownership.capex_usd_per_accel == pytest.approx(1.25 * old.ownership.capex_usd_per_accel)
            assert new.ownership.electricity_usd_per_kwh == old.ownership.electricity_usd_per_kwh
        else:
            assert new is old


def test_rent_halving_every_two_years_over_three_years():
    # mean of 0.5^(t/2) over t in [0, 3] = 2 / (3 ln 2) x (1 - 0.5^1.5) = 0.9617967 x 0.6464466 = 0.621750
    assert rent_halving_factor(2.0, 3.0) == pytest.approx(0.621750, abs=1e-6)
    assert rent_halving_factor(1e9, 3.0) == pytest.approx(1.0, abs=1e-6)  # never halving: no change


def test_rent_halving_applies_to_rents_not_owning(caps):
    out = _apply("rent-halving:2y", caps).capacities
    for old, new in zip(caps, out):
        if old.rent:  # lifetime_years = 3 in data/assumptions.yaml
            assert new.rent.usd_per_accel_hour == pytest.approx(0.621750 * old.rent.usd_per_accel_hour, rel=1e-6)
        else:
            assert new is old


def test_fx_shock_rescales_prices_in_that_currency(caps):
    cat = load_catalog()
    rate = cat.usd_per_unit("EUR").usd_per_unit
    out = _apply("fx:eur-usd=1.0", caps).capacities
    eur = 0
    for old, new in zip(caps, out):
        if old.rent and old.rent.currency == "EUR":
            eur += 1
            assert new.rent.usd_per_accel_hour == pytest.approx(old.rent.usd_per_accel_hour * 1.0 / rate)
        elif old.rent:
            assert new is old
        elif old.ownership:  # the French grid's price is in EUR
            assert new.ownership.electricity_usd_per_kwh == pytest.approx(old.ownership.electricity_usd_per_kwh / rate)
    assert eur > 0


def test_power_price_owned_and_rented_pass_through(caps):
    cat = load_catalog()
    out = _apply("power-price:+80%", caps).capacities
    for old, new in zip(caps, out):
        if old.ownership:
            assert new.ownership.electricity_usd_per_kwh == pytest.approx(1.8 * old.ownership.electricity_usd_per_kwh)
        elif old.rent and old.grid is not None and old.grid.electricity_price_per_kwh and old.accelerator.tdp_w:
            try:
                kwh = cat.to_usd(old.grid.electricity_price_per_kwh, old.grid.price_currency)
            except InputError:  # no rate for that currency: the rent is left unchanged
                assert new is old
                continue
            # full load: (TDP + 1200 W / 8 server share) x PUE, 80 % of its energy cost added per hour
            kw = (old.accelerator.tdp_w + 1200 / 8) / 1000 * old.pue.value
            assert new.rent.usd_per_accel_hour == pytest.approx(old.rent.usd_per_accel_hour + 0.8 * kwh * kw)


def test_hbm_price_adds_memory_times_price(caps):
    out = _apply("hbm-price:+50%", caps).capacities
    for old, new in zip(caps, out):
        if old.ownership and old.accelerator.memory_bytes:
            extra = 0.5 * old.accelerator.memory_bytes / 1e9 * 12.5  # $12.5/GB (uncertainty.yaml facts)
            assert new.ownership.capex_usd_per_accel == pytest.approx(old.ownership.capex_usd_per_accel + extra)
        elif old.rent and old.accelerator.memory_bytes:
            extra = 0.5 * old.accelerator.memory_bytes / 1e9 * 12.5 / (3 * 8760)  # over the 3-year lifetime
            assert new.rent.usd_per_accel_hour == pytest.approx(old.rent.usd_per_accel_hour + extra)


@pytest.mark.parametrize("preset", ["secnumcloud", "eu-jurisdiction"])
def test_require_keeps_only_what_passes_the_preset(caps, preset):
    """No priced GPU offer of the catalog is SecNumCloud-qualified (providers.yaml: the
    qualifications cover other offers), so secnumcloud removes everything; eu-jurisdiction some."""
    cat = load_catalog()
    on = dt.date(2027, 1, 1)
    text = f"require:{preset}@2027-01-01"
    keep = _apply(text, caps).keep[text]
    if preset == "eu-jurisdiction":
        assert 0 < keep.sum() < len(keep)
    for k, kept in zip(caps, keep):
        if k.ownership and preset == "secnumcloud":
            assert not kept  # owned infrastructure holds no SecNumCloud qualification
        elif k.rent:
            rep = assess(cat.provider(k.provider), preset, on, cat.offer(k.id), k.accelerator)
            assert kept == rep.passes


@pytest.mark.parametrize("bad", ["bogus", "tariff", "tariff:abc", "tariff:-150%", "fx:eur=1", "fx:usd-usd=1",
                                 "require:gold@2027-01-01", "require:secnumcloud@2027-13-40", "export-ban:CN",
                                 "rent-halving:0y", "power-price:80", "x" * 300])
def test_bad_shocks_are_one_line_naming_value_and_forms(bad):
    with pytest.raises(InputError) as exc:
        parse_shock(bad)
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith("shock = ") and FORMS[0] in msg
    assert len(msg) < 600


def test_bad_shock_on_the_command_line_exits_2():
    proc = cli("whatif", "--model", "llama-3.1-8b", "--rate-rps", "1", "--isl", "100", "--osl", "50",
               "--shock", "tariff:lots")
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "tariff:lots" in lines[0]
