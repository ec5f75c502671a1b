"""Data integrity of the bundled catalog: schema, provenance, ranges, orderings, references."""

from __future__ import annotations

import datetime as dt

import pytest

from tokenfab.catalog import KINDS, load_catalog, validate_catalog
from tokenfab.catalog.records import KINDS as PROVENANCE_KINDS
from tokenfab.deployment.problem import param_counts as spec_param_counts
from tokenfab.policy.jurisdiction import EU27

REQUIRED_ACCELERATORS = (
    "a100-sxm h100-sxm h100-pcie h200 gh200 b200 b300 gb200 gb300 rubin l40s mi300x mi325x mi355x "
    "tpu-v5e tpu-v5p tpu-v6e tpu-v7 trainium2 trainium3 gaudi3 ascend-910b ascend-910c wse-3 groq-lpu "
    "tt-wormhole tt-blackhole maia-100 maia-200 mtia-v2 dmatrix-corsair etched-sohu matx-one "
    "axelera-metis axelera-europa qualcomm-ai100-ultra qualcomm-ai200"
).split()
REQUIRED_MODELS = (
    "llama-2-7b llama-2-70b llama-3.1-8b llama-3.1-70b llama-3.3-70b llama-3.1-405b llama-4-scout "
    "llama-4-maverick mixtral-8x7b mixtral-8x22b mistral-large-2 mistral-small-3.1 deepseek-v3 deepseek-r1 "
    "qwen3-235b-a22b qwen3-30b-a3b qwen2.5-72b gpt-oss-120b gpt-oss-20b kimi-k2 gemma-3-27b"
).split()
REQUIRED_PROVIDERS = (
    "aws azure gcp oracle nvidia-dgx-cloud coreweave lambda nebius crusoe together runpod hyperstack "
    "digitalocean ovhcloud scaleway outscale cloud-temple numspot s3ns bleu ionos hetzner"
).split()
REQUIRED_GRIDS = "fr de se no fi pl ie nl es it gb is us us-va us-tx us-ca ca-qc tw cn jp sg".split()
REQUIRED_FACILITIES = (
    "stargate-abilene xai-colossus-1 xai-colossus-2 project-rainier aion-france softbank-france".split()
)
REQUIRED_STACKS = "trtllm vllm sglang vllm-rocm jax-xla neuron cann".split()
REQUIRED_SYSTEMS = (
    "hgx-h100 hgx-h200 dgx-b200 hgx-b300 gb200-nvl72 gb300-nvl72 vera-rubin-nvl72 mi300x-platform "
    "mi325x-platform mi355x-platform tpu-v5e-pod tpu-v5p-pod tpu-v6e-pod tpu-v7-pod trn2-ultraserver cs-3 groqrack"
).split()


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


def test_bundled_catalog_validates_without_errors():
    _, errors = validate_catalog()
    assert errors == []


@pytest.mark.parametrize(
    "kind,required",
    [
        ("accelerators", REQUIRED_ACCELERATORS),
        ("models", REQUIRED_MODELS),
        ("providers", REQUIRED_PROVIDERS),
        ("grids", REQUIRED_GRIDS),
        ("facilities", REQUIRED_FACILITIES),
        ("stacks", REQUIRED_STACKS),
        ("systems", REQUIRED_SYSTEMS),
    ],
)
def test_required_ids_present(cat, kind, required):
    missing = [i for i in required if i not in cat.rows[kind]]
    assert missing == []


def test_counts_meet_the_issue(cat):
    assert len(cat.rows["offers"]) >= 40
    assert len(cat.rows["grids"]) >= 20
    priced = [g for g in cat.list("grids") if g.electricity_price_per_kwh is not None]
    assert len(priced) >= 20, [g.id for g in priced]
    for g in priced:  # a price without its basis and year cannot be compared with another
        assert g.price_basis and len(g.price_basis) > 20 and g.price_year, g.id


def test_every_price_currency_converts_to_usd(cat):
    used = {g.price_currency for g in cat.list("grids") if g.price_currency}
    used |= {o.currency for o in cat.list("offers")} | {a.currency for a in cat.list("api_prices")}
    for cur in sorted(used - {"USD"}):
        rate = cat.usd_per_unit(cur)
        assert rate.rate_date.year >= 2026 and rate.source, cur


def test_cross_rates_follow_the_ecb_fixing(cat):
    # ECB reference rates of 2025-02-28 (per euro): USD 1.0411, GBP 0.82608, CAD 1.5019, NOK 11.7245
    # (the same fixing as tabulated at eurodripusa.net/?p=3470, an independent copy)
    on = dt.date(2025, 2, 28)
    assert cat.usd_per_unit("EUR", on).usd_per_unit == 1.0411
    for cur, per_eur in (("GBP", 0.82608), ("CAD", 1.5019), ("NOK", 11.7245)):
        assert cat.usd_per_unit(cur, on).usd_per_unit == pytest.approx(1.0411 / per_eur, rel=1e-5)
    # a date between two month-end fixings takes the nearer one: 2025-03-10 is 10 days from 2025-02-28
    assert cat.usd_per_unit("EUR", dt.date(2025, 3, 10)).rate_date == on


def test_each_rate_series_is_monthly_without_gaps(cat):
    """A dated series: one fixing per month from 2024-01 for every currency offers are priced in."""
    for cur in ("EUR", "GBP", "CAD", "NOK", "CHF"):
        months = sorted({(r.rate_date.year, r.rate_date.month) for r in cat.list("fx_rates") if r.currency == cur})
        assert months[0] == (2024, 1)
        assert len(months) == (months[-1][0] - 2024) * 12 + months[-1][1], cur


def test_industrial_prices_are_ordered_as_published(cat):
    """Orderings that the sources state in words: Quebec is the cheapest large-power price in North America,
    Ireland the dearest and Finland the cheapest non-household price in the EU in 2024-S1."""
    def usd(gid):
        g = cat.rows["grids"][gid]
        return cat.to_usd(g.electricity_price_per_kwh, g.price_currency)
    assert usd("ca-qc") < min(usd(g) for g in ("us", "us-va", "us-tx", "us-ca", "us-oh", "us-ia", "us-or"))
    eu = [g.id for g in cat.list("grids")  # same basis only: Eurostat non-household 2024
          if g.price_year == 2024 and g.price_basis and g.price_basis.startswith("Eurostat")]
    assert len(eu) >= 4, eu
    assert max(eu, key=usd) == "ie" and min(eu, key=usd) == "fi"


def test_every_row_has_provenance(cat):
    today = dt.date.today()
    for kind in KINDS:
        for rec in cat.list(kind):
            assert len(rec.source.strip()) >= 10, (kind, rec.id)
            assert rec.kind in PROVENANCE_KINDS
            assert dt.date(2015, 1, 1) <= rec.as_of <= today, (kind, rec.id, rec.as_of)
            if rec.kind == "estimate" or "estimate" in rec.field_kinds.values():
                assert rec.notes, (kind, rec.id)


def test_nested_provenance(cat):
    for prov in cat.list("providers"):
        for cert in prov.certifications:
            assert cert.source and cert.as_of
        if prov.egress:
            assert prov.egress.source and prov.egress.as_of


def test_announced_hardware_is_labelled_estimate(cat):
    for acc in cat.list("accelerators"):
        if acc.status in ("announced", "in-development"):
            assert acc.kind == "estimate", acc.id


def test_orderings_that_must_hold(cat):
    a = cat.accelerator
    assert a("h200").memory_bytes > a("h100-sxm").memory_bytes
    assert a("h200").memory_bandwidth_bytes_per_s > a("h100-sxm").memory_bandwidth_bytes_per_s
    b200 = a("b200")
    assert b200.fp4_dense_flop_per_s > b200.fp8_dense_flop_per_s > b200.bf16_dense_flop_per_s
    for acc in cat.list("accelerators"):
        fp4, fp8, bf16 = acc.fp4_dense_flop_per_s, acc.fp8_dense_flop_per_s, acc.bf16_dense_flop_per_s
        if fp8 and bf16:
            assert fp8 >= bf16, acc.id
        if fp4 and fp8:
            assert fp4 >= fp8, acc.id
    # same die at a higher power point is faster (GB200 vs HGX B200)
    assert a("gb200").bf16_dense_flop_per_s > a("b200").bf16_dense_flop_per_s
    assert a("mi325x").memory_bytes > a("mi300x").memory_bytes


def test_dense_flops_are_not_sparse_headlines(cat):
    # H100 SXM datasheet: BF16 1,979 TFLOPS *with sparsity*; dense is half
    h100 = cat.accelerator("h100-sxm")
    assert h100.bf16_dense_flop_per_s == pytest.approx(1979e12 / 2, rel=0.01)


def test_rtx_pro_6000_figures_follow_from_what_was_published(cat):
    """Hand calculations from the announcement (4,000 AI TOPS: FP4 with 2:4 sparsity) and the
    PCIe 5.0 signalling rate: sparsity doubles the dense rate, and each halving of the operand
    width doubles the tensor-core rate; 32 GT/s on 16 lanes with 128b/130b encoding."""
    rtx = cat.accelerator("rtx-pro-6000")
    assert rtx.fp4_dense_flop_per_s == pytest.approx(4000e12 / 2)
    assert rtx.fp8_dense_flop_per_s == pytest.approx(4000e12 / 4)
    assert rtx.bf16_dense_flop_per_s == pytest.approx(4000e12 / 8)
    assert rtx.scale_up_bandwidth_bytes_per_s_per_direction == pytest.approx(32e9 * 16 * 128 / 130 / 8, rel=0.01)
    assert rtx.scale_up_domain_size == 1  # no NVLink: a split over several cards goes over PCIe
    assert rtx.memory_bandwidth_bytes_per_s == pytest.approx(1597e9)  # the Server Edition's figure, as sourced


def test_ranges(cat):
    for acc in cat.list("accelerators"):
        # no HBM part moves more than ~30x its capacity per second... SRAM parts excepted
        if acc.memory_bytes and acc.memory_bandwidth_bytes_per_s and "SRAM" not in (acc.memory_type or ""):
            assert 1 < acc.memory_bandwidth_bytes_per_s / acc.memory_bytes < 200, acc.id
        if acc.tdp_w:
            assert 50 <= acc.tdp_w <= 2000, acc.id
    for off in cat.list("offers"):
        for m in ("on_demand", "reserved_1y", "reserved_3y", "spot"):
            p = off.price_per_accel_hour(m)
            if p is not None:
                assert 0.1 < p < 40, (off.id, m, p)
        od, r1, r3 = (off.price_per_accel_hour(m) for m in ("on_demand", "reserved_1y", "reserved_3y"))
        if od and r1:
            assert r1 < od, off.id
        if r1 and r3:
            assert r3 < r1, off.id
    for g in cat.list("grids"):
        assert 0 <= g.carbon()[0] <= 1000


def test_certifications_are_dated_and_consistent(cat):
    names = set()
    for prov in cat.list("providers"):
        for c in prov.certifications:
            names.add(c.name)
            assert c.source and c.as_of, (prov.id, c.name)
            if c.name == "Gaia-X Label Level 3":  # the label requires an EU-headquartered, EU-controlled provider
                assert prov.hq_country in EU27 and prov.controlling_country in EU27, prov.id
    assert {"SecNumCloud", "Gaia-X Label Level 3"} <= names


def test_offers_reference_known_rows(cat):
    for off in cat.list("offers"):
        prov = cat.provider(off.provider)
        assert prov.region(off.region) is not None, off.id
        cat.accelerator(off.accelerator)
        assert prov.publishes_gpu_prices, off.id


def test_providers_without_prices_have_no_offers(cat):
    no_price = {p.id for p in cat.list("providers") if not p.publishes_gpu_prices}
    assert {"outscale", "cloud-temple", "numspot", "s3ns", "bleu", "ionos"} <= no_price
    assert not [o.id for o in cat.list("offers") if o.provider in no_price]


def test_ids_unique_within_each_file(cat):
    # the loader refuses duplicates; check that ids are also unique across kinds except by design
    seen: dict[str, str] = {}
    for kind in KINDS:
        for rec in cat.list(kind):
            assert rec.id not in seen or kind in ("grids", "providers", "systems"), (rec.id, kind, seen.get(rec.id))
            seen[rec.id] = kind


def test_secnumcloud_facts(cat):
    ovh = cat.provider("ovhcloud")
    assert any(c.name == "SecNumCloud" and c.valid_on(dt.date(2027, 6, 1)) for c in ovh.certifications)
    s3ns = cat.provider("s3ns")
    (cert,) = s3ns.certifications
    assert cert.valid_on(dt.date(2026, 1, 1)) and not cert.valid_on(dt.date(2025, 12, 1))
    assert not any(c.valid_on(dt.date(2026, 6, 1)) for c in cat.provider("bleu").certifications)
    for hyperscaler in ("aws", "azure", "gcp", "oracle"):
        assert cat.provider(hyperscaler).controlling_country == "US"


# Published parameter counts, each from its model card, against our count from the architecture.
# OpenAI's gpt-oss active counts exclude the input embedding; DeepSeek's 37B includes embeddings.
@pytest.mark.parametrize("model_id", REQUIRED_MODELS)
def test_parameter_count_reproduces_the_published_total(cat, model_id):
    spec = cat.model(model_id)
    total, active = spec_param_counts(spec)
    tol = 0.045  # published figures are rounded ("7B", "1T", "24B")
    assert total == pytest.approx(spec.params_total, rel=tol)
    if spec.architecture == "gpt_oss":
        active -= spec.vocab_size * spec.hidden_size  # OpenAI convention
    assert active == pytest.approx(spec.params_active, rel=tol)


def test_carbon_on_one_basis(cat):
    """Every grid's carbon_gco2e_per_kwh is life-cycle (the stated basis); operational figures live in their own
    field. The two hydro grids the audit found 15x apart now compare on one basis: Norway life-cycle 29.66 g (Ember
    2024) sits with Sweden 34.91 g, and Quebec, which only has an operational figure, is flagged, not mixed in."""
    for g in cat.list("grids"):
        if g.carbon_gco2e_per_kwh is not None:
            assert g.carbon_source and ("life-cycle" in g.carbon_source or "ecologits" in g.carbon_source.lower()), g.id
            assert g.carbon()[2] == "life-cycle"
        else:
            assert g.carbon_operational_gco2e_per_kwh is not None and g.carbon()[2].startswith("operational"), g.id
        if g.carbon_operational_gco2e_per_kwh is not None:
            assert g.carbon_operational_source, g.id
    no, se, qc = (cat.rows["grids"][k] for k in ("no", "se", "ca-qc"))
    assert no.carbon_gco2e_per_kwh == 29.66 and no.carbon_year == 2024 and se.carbon_gco2e_per_kwh == 34.91
    assert qc.carbon_gco2e_per_kwh is None and qc.carbon_operational_gco2e_per_kwh == 5.48
    # combustion-only figures sit below life-cycle ones on these grids (same year, 2024)
    for gid in ("fr", "se", "fi", "es", "it", "nl", "de"):
        g = cat.rows["grids"][gid]
        assert g.carbon_operational_gco2e_per_kwh < g.carbon_gco2e_per_kwh, gid
