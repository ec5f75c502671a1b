"""`tokenfab bill` summaries against totals computed by hand from the fixture files.

Every expected figure below is arithmetic on the values printed in the fixture CSVs
(tests/fixtures/focus/, sources in SOURCES.md), written out so that it can be checked
against the file with a pencil; none is copied from tokenfab's output.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip

import pytest

from tests.conftest import FIXTURES
from tokenfab import bill_summary

F = FIXTURES / "focus"
GENAI = [F / "tokenfab_genai_focus12.csv", F / "tokenfab_genai_focus13.csv"]
DAY = dt.date(2026, 12, 1)  # before 2027-01-12: the Data Act allows at-cost switching charges


def _by(summary, dim, **key):
    rows = [r for r in summary.by[dim] if all(r.key[k] == v for k, v in key.items())]
    assert len(rows) == 1, (dim, key, summary.by[dim])
    return rows[0]


# ------------------------------------------------------------------ FOCUS spec 1.2 commitment examples

def test_commitment_usage_scenario_4_spec_example():
    # two rows: Committed usage BilledCost 0.00 EffectiveCost 1.00; Standard usage 0.50 / 0.50
    s = bill_summary(F / "spec12_commitment_usage_4.csv", date=DAY)
    assert s.rows == 2
    assert s.billed_usd == pytest.approx(0.00 + 0.50)
    assert s.effective_usd == pytest.approx(1.00 + 0.50)
    assert _by(s, "pricing", pricing="committed").effective_usd == pytest.approx(1.00)
    assert _by(s, "pricing", pricing="standard").effective_usd == pytest.approx(0.50)
    # one hour: 2023-01-01T00:00Z to 01:00Z
    assert s.days == pytest.approx(1 / 24)
    # no provider column in the spec's example: all of it is 'unknown', none counted as EU
    assert s.exposure.unknown_usd == pytest.approx(1.50) and s.exposure.eu_usd == 0


def test_commitment_purchase_and_flexibility_spec_examples():
    # purchase 1: one One-Time purchase of 8760.00 billed, 0.00 effective (amortized when used)
    p1 = bill_summary(F / "spec12_commitment_purchase_1.csv", date=DAY)
    assert (p1.billed_usd, p1.effective_usd) == (pytest.approx(8760.00), pytest.approx(0.0))
    assert _by(p1, "charge", charge="Purchase").billed_usd == pytest.approx(8760.00)
    # flexibility with 2 resources: purchase row 2.00 billed / 0.00 effective, two usage rows 0.00 / 1.00 each
    fx = bill_summary(F / "spec12_commitment_flexibility_2_resources.csv", date=DAY)
    assert fx.rows == 3  # the blank lines between the rows are not charges
    assert fx.billed_usd == pytest.approx(2.00 + 0.00 + 0.00)
    assert fx.effective_usd == pytest.approx(0.00 + 1.00 + 1.00)
    assert _by(fx, "charge", charge="Usage").effective_usd == pytest.approx(2.00)
    # the three usage scenarios read together: 1.00 + 1.00 + (0.75 + 0.25) effective, 0 billed
    u = bill_summary([F / f"spec12_commitment_usage_{i}.csv" for i in (1, 2, 3)], date=DAY)
    assert u.rows == 1 + 1 + 2
    assert u.effective_usd == pytest.approx(1.00 + 1.00 + 0.75 + 0.25) and u.billed_usd == 0


# ------------------------------------------------------------------ FOCUS 1.0 sample data (1,000 real, anonymized rows)

def test_focus10_sample_totals_match_an_independent_csv_sum():
    # the 1,000-row file is summed here with the csv module (an independent reader), by provider
    with gzip.open(F / "sample10_focus_sample.csv.gz", "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    billed = {}
    for r in rows:
        billed[r["ProviderName"]] = billed.get(r["ProviderName"], 0.0) + float(r["BilledCost"])
    s = bill_summary(F / "sample10_focus_sample.csv.gz", date=DAY)
    assert s.rows == len(rows) == 1000
    assert s.billed_usd == pytest.approx(sum(billed.values()), rel=1e-12)
    for prov, total in billed.items():
        assert _by(s, "provider", service_provider=prov).billed_usd == pytest.approx(total, rel=1e-12, abs=1e-12)
    # every provider in this sample (AWS, Microsoft, Oracle) is US-controlled: all exposed to the CLOUD Act
    assert s.exposure.cloud_act_usd == pytest.approx(s.effective_usd)


# ------------------------------------------------------------------ generative-AI tokens, GPUs, egress (FOCUS 1.2 + 1.3)

def test_genai_totals_by_hand():
    s = bill_summary(GENAI, date=DAY)
    # focus12 file: tokens 10800 + 10800 + 4320 + 400 + 300 = 26620; GPUs 39628.80 + 0 + 25200 + 2078.40 = 66907.20
    # (billed: the committed usage row bills 0.00 and the Savings Plan fee row 25200.00); egress 441 + 0;
    # regional transfer 10; storage 230  -> 26620 + 66907.20 + 441 + 10 + 230 = 94208.20
    # focus13 file: 90 + 18 + 20 + 12 = 140
    assert s.rows == 13 + 4
    assert s.billed_usd == pytest.approx(94208.20 + 140.00)
    # effective: the committed usage row carries 25200.00, the fee row 0.00: same total
    assert s.effective_usd == pytest.approx(94208.20 + 140.00)
    assert s.days == pytest.approx(30.0)  # 2026-09-01 to 2026-10-01


def test_genai_jurisdiction_and_cloud_act_exposure_by_hand():
    s = bill_summary(GENAI, date=DAY)
    # AWS (US parent) rows 94208.20; Mistral AI served on Microsoft (US parent) 20 + 12 = 32 -> CLOUD Act
    # Scaleway (FR parent) in fr-par (FR) 90 + 18 = 108 -> EU
    total = 94208.20 + 140.00
    assert _by(s, "jurisdiction", jurisdiction="US (CLOUD Act)").effective_usd == pytest.approx(94208.20 + 32.00)
    assert _by(s, "jurisdiction", jurisdiction="EU").effective_usd == pytest.approx(108.00)
    assert s.exposure.cloud_act_usd == pytest.approx(94240.20)
    assert s.exposure.non_eu_share_frac == pytest.approx(94240.20 / total)
    assert _by(s, "region", service_provider="Scaleway", region="fr-par").key["country"] == "FR"
    # FOCUS 1.3 ServiceProviderName vs HostProviderName kept apart
    assert _by(s, "host", service_provider="Mistral AI", host_provider="Microsoft").effective_usd == pytest.approx(32.00)


def test_genai_token_spend_per_model_by_hand():
    s = bill_summary(GENAI, date=DAY)
    llama_aws = next(t for t in s.tokens if t.model_id == "meta.llama3-1-70b-instruct-v1:0")
    # input: 15,000 + 15,000 units of "1000000 Tokens" = 3.0e10 tokens for 10800 + 10800 USD
    assert llama_aws.input_tokens == pytest.approx(3.0e10)
    assert llama_aws.output_tokens == pytest.approx(6.0e9)
    assert llama_aws.usd_per_mtok_input == pytest.approx(21600 / 30000)  # 0.72 $/M
    assert llama_aws.usd_per_mtok_output == pytest.approx(4320 / 6000)  # 0.72 $/M
    assert llama_aws.catalog_model == "llama-3.1-70b"
    mistral = next(t for t in s.tokens if t.model_id == "mistral.mistral-large-2407-v1:0")
    assert (mistral.usd_per_mtok_input, mistral.usd_per_mtok_output) == (pytest.approx(400 / 200), pytest.approx(300 / 50))
    # FOCUS 1.3 file: ConsumedQuantity in Tokens: 100,000,000 input for 90 USD -> 0.90 $/M
    scw = next(t for t in s.tokens if t.provider == "Scaleway")
    assert scw.input_tokens == pytest.approx(1e8) and scw.usd_per_mtok_input == pytest.approx(90 / 100)


def test_genai_accelerator_hours_vs_catalog_list_by_hand():
    s = bill_summary(GENAI, date=DAY)
    rows = {(a.region, a.pricing_category): a for a in s.accelerators}
    od = rows[("us-east-1", "Standard")]
    # 720 instance-hours x 8 H100 = 5760 accelerator-hours; 39628.80 / 5760 = 6.88 $/accel-h
    assert (od.accelerator, od.accelerators_per_instance, od.accelerator_hours) == ("h100-sxm", 8, 5760)
    assert od.usd_per_accel_hour == pytest.approx(39628.80 / 5760)
    # list: offers.csv aws-p5-48xlarge-us-east-1 on-demand 6.88 USD per accelerator-hour
    assert od.list_usd_per_accel_hour == pytest.approx(6.88) and od.vs_list_frac == pytest.approx(0.0, abs=1e-12)
    com = rows[("eu-north-1", "Committed")]
    # 25200 / 5760 = 4.375 vs offers.csv aws-p5-48xlarge-eu-north-1 7.3616 -> 4.375 / 7.3616 - 1
    assert com.usd_per_accel_hour == pytest.approx(4.375)
    assert com.vs_list_frac == pytest.approx(4.375 / 7.3616 - 1)
    spot = rows[("us-east-1", "Dynamic")]
    assert spot.usd_per_accel_hour == pytest.approx(2078.40 / 800)  # 100 h x 8


def test_genai_egress_and_exit_cost_by_hand():
    s = bill_summary(GENAI, date=DAY)
    (aws,) = s.egress
    # "transfer out" rows: 4900 GB for 441.00 + 100 GB free; the regional in/out/between-AZ row is not egress
    assert aws.volume_gb == pytest.approx(5000) and aws.effective_usd == pytest.approx(441.00)
    # exit cost: one month's egress = 5000 GB x (365.25 / 12) / 30 days = 5073.0 GB, at AWS's published tiers
    # (providers.yaml: 100 GB/month free, then 0.09 $/GB up to 10,000 GB) -> (5073 - 100) x 0.09
    month_gb = 5000 * (365.25 / 12) / 30
    assert aws.exit_cost_usd == pytest.approx((month_gb - 100) * 0.09)
    after = bill_summary(GENAI, date=dt.date(2027, 2, 1))  # Data Act Art. 29(1): no switching charges from 2027-01-12
    assert after.egress[0].exit_cost_usd == 0.0


def test_by_month_and_charge_category():
    s = bill_summary(GENAI, date=DAY)
    assert [r.key["month"] for r in s.by["month"]] == ["2026-09"]
    # the only Purchase row is the Savings Plan fee: 25200.00 billed
    assert _by(s, "charge", charge="Purchase").billed_usd == pytest.approx(25200.00)
