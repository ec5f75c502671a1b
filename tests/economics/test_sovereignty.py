"""Sovereignty presets: an accepted and a rejected case for each, with reasons."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.conftest import assert_one_line_error
from tests.conftest import cli as run_cli
from tokenfab.catalog import load_catalog
from tokenfab.policy.sovereignty import assess, assess_owned

CAT = load_catalog()
DAY = dt.date(2026, 11, 25)


def check(offer_id: str, preset: str, day=DAY, buyer=None):
    o = CAT.offer(offer_id)
    return assess(CAT.provider(o.provider), preset, day, o, CAT.accelerator(o.accelerator), buyer)


def test_none_accepts_everything():
    assert check("runpod-h100-secure", "none").passes


def test_us_hyperscaler_eu_region_passes_residency_fails_jurisdiction():
    res = check("aws-p5-48xlarge-eu-north-1", "eu-residency")
    assert res.passes and res.reasons == ("data location SE is in the EU",)
    jur = check("aws-p5-48xlarge-eu-north-1", "eu-jurisdiction")
    assert not jur.passes
    assert any("CLOUD Act" in r for r in jur.reasons)
    assert jur.facts.us_cloud_act_exposed is True and jur.seal_estimate == 1


def test_us_region_fails_residency():
    r = check("aws-p5-48xlarge-us-east-1", "eu-residency")
    assert not r.passes and "outside the EU" in r.reasons[0] and r.seal_estimate == 0


def test_unknown_country_fails_residency_with_the_reason():
    r = check("runpod-h100-secure", "eu-residency")
    assert not r.passes and "ZZ" in r.reasons[0]


def test_eu_provider_passes_jurisdiction():
    r = check("scaleway-h100-sxm-8-80g", "eu-jurisdiction")
    assert r.passes and r.facts.us_cloud_act_exposed is False and r.seal_estimate == 2


def test_secnumcloud_only_within_validity_dates():
    s3ns = CAT.provider("s3ns")  # qualified 2025-12-17 -> 2028-12-17
    assert not assess(s3ns, "secnumcloud", dt.date(2025, 12, 16)).passes
    assert assess(s3ns, "secnumcloud", dt.date(2025, 12, 17)).passes
    assert assess(s3ns, "secnumcloud", dt.date(2028, 12, 17)).passes
    late = assess(s3ns, "secnumcloud", dt.date(2028, 12, 18))
    assert not late.passes and "2028-12-17" in late.reasons[-1]
    assert not assess(CAT.provider("bleu"), "secnumcloud", DAY).passes  # in qualification only


def test_secnumcloud_must_cover_the_offer():
    r = check("ovhcloud-h100-380", "secnumcloud")
    assert not r.passes and "Bare Metal Pod" in r.reasons[-1] and "not this offer" in r.reasons[-1]


def test_export_control_for_a_buyer_country():
    denied = check("oci-bm-gpu-b200-8-us-ashburn-1", "none", buyer="CN")
    assert not denied.passes and denied.facts.export_control.status == "denied"
    review = check("oci-bm-gpu-h200-8-us-ashburn-1", "none", buyer="CN")
    assert review.passes and review.facts.export_control.status == "case-by-case"
    assert check("gcp-tpu-v6e-us-central1", "none", buyer="CN").facts.export_control.status == "cloud-only"


def test_supply_chain_facts():
    sc = check("aws-p5-48xlarge-us-east-1", "none").facts.supply_chain
    assert sc.foundry == "TSMC" and sc.foundry_country == "TW"


@pytest.mark.parametrize("bad", [["--preset", "eu-ish"], ["--date", "25/11/2026"], ["--buyer-country", "china"]])
def test_bad_sovereignty_input(bad):
    assert_one_line_error(run_cli("sovereignty", "aws-p5-48xlarge-eu-north-1", *bad))


def test_cli_json_has_passes_and_reasons():
    d = json.loads(run_cli("sovereignty", "s3ns", "--preset", "secnumcloud", "--date", "2026-06-01", "--json").stdout)
    assert d["passes"] is True and isinstance(d["reasons"], list) and d["reasons"]
    unknown = run_cli("sovereignty", "ovhclod")
    assert_one_line_error(unknown, "did you mean 'ovhcloud'")


def test_eu_framework_objectives_are_estimates_with_rules():
    us = check("aws-p5-48xlarge-eu-north-1", "none").facts.eu_csf_objectives
    eu = check("scaleway-h100-sxm-8-80g", "none").facts.eu_csf_objectives
    assert [o.id for o in us] == [f"SOV-{i}" for i in range(1, 9)]
    assert sum(o.weight for o in us) == pytest.approx(1.0)
    assert all(o.rule for o in us)
    by = lambda rows, oid: next(o.seal_estimate for o in rows if o.id == oid)
    assert by(us, "SOV-2") == 1 and by(eu, "SOV-2") == 3  # CLOUD Act exposure vs EU control
    assert by(us, "SOV-5") == by(eu, "SOV-5") == 1  # both run TSMC-made NVIDIA GPUs
    assert by(eu, "SOV-6") is None  # no facts, no guess


def test_breakeven_with_declining_rent_is_later():
    import math

    from tokenfab.economics.ownership import breakeven_months, breakeven_months_declining_rent

    flat = breakeven_months(100_000, 1_000, 11_000)
    falling = breakeven_months_declining_rent(100_000, 1_000, 11_000, 2.0)
    assert flat == pytest.approx(10.0) and falling > flat
    # rent that halves every year never repays a large upfront: undefined (NaN), never infinite
    assert math.isnan(breakeven_months_declining_rent(1e6, 1_000, 11_000, 1.0))
    assert math.isnan(breakeven_months(1, 10, 5))


def test_owned_systems_are_assessed_by_the_same_rules():
    """Owned accelerators: the data stays at the site; the owner controls it (assumed to sit in
    the site's country unless a buyer country is given); owning holds no SecNumCloud."""
    acc = CAT.accelerator("h100-sxm")
    fr = assess_owned("FR", "eu-jurisdiction", DAY, acc)
    assert fr.passes and fr.seal_estimate == 2 and any("assumed in FR" in r for r in fr.reasons)
    assert not assess_owned("US", "eu-residency", DAY, acc).passes
    us_owner = assess_owned("FR", "eu-jurisdiction", DAY, acc, buyer_country="US")
    assert not us_owner.passes and any("CLOUD Act" in r for r in us_owner.reasons)
    assert us_owner.passes is False and us_owner.seal_estimate == 1
    snc = assess_owned("FR", "secnumcloud", DAY, acc)
    assert not snc.passes and any("no SecNumCloud" in r for r in snc.reasons)
    # a chip the buyer's country may not receive fails every preset
    denied = assess_owned("FR", "none", DAY, CAT.accelerator("b200"), buyer_country="CN")
    assert not denied.passes and denied.facts.export_control.status == "denied"
