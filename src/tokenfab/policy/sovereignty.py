"""Sovereignty as facts and readable rules, per offer, per provider or per owned site.

Facts: controlling jurisdiction (country of the ultimate parent), US CLOUD Act exposure,
data location (the region's country; EU or not), certifications valid on a date,
export-control status of the chip for a buyer country, and the chip's supply chain.

Presets (every rejection carries its reason):

* ``none``: everything passes.
* ``eu-residency``: the data stays in an EU member state (the region's country is in the EU-27).
* ``eu-jurisdiction``: eu-residency, and the controlling entity is EU-based, so the US CLOUD
  Act does not apply through a parent.
* ``secnumcloud``: eu-jurisdiction, and an ANSSI SecNumCloud qualification valid on the
  evaluation date covers the offer (for a provider: any of its offers). Owned infrastructure
  holds none.

A buyer country whose export status for the chip is ``denied`` fails every preset.
"""

from __future__ import annotations

import datetime as dt

from ..catalog.hardware import Accelerator
from ..catalog.loader import Catalog
from ..catalog.market import Certification, Offer, Provider
from ..errors import InputError, UnknownIdError
from ..inputs import ResultModel
from .eu_framework import CsfObjective, objective_estimates, seal_estimate
from .export_control import ExportStatus, export_status
from .jurisdiction import CLOUD_ACT_COUNTRIES, EU27, EU_OPERATED_SOVEREIGN_ENTITIES, UNKNOWN_COUNTRY

PRESETS: tuple[str, ...] = ("none", "eu-residency", "eu-jurisdiction", "secnumcloud")


class CertificationStatus(ResultModel):
    name: str
    offer: str | None
    status: str
    valid_from: str
    valid_to: str
    valid_on_date: bool


class SupplyChain(ResultModel):
    accelerator: str
    vendor: str
    foundry: str | None
    foundry_country: str | None
    hbm_supplier: str | None
    packaging: str | None
    process_node: str | None


class SovereigntyFacts(ResultModel):
    provider: str
    controlling_country: str
    hq_country: str | None
    us_cloud_act_exposed: bool
    data_location: tuple[str, ...]
    data_in_eu: bool
    secnumcloud_valid: tuple[str, ...]
    certifications: tuple[CertificationStatus, ...]
    export_control: ExportStatus
    eu_csf_objectives: tuple[CsfObjective, ...]
    supply_chain: SupplyChain | None = None


class SovereigntyReport(ResultModel):
    """Whether a subject passes a preset on a date, why, and the facts behind it."""

    subject: str
    preset: str
    date: str
    passes: bool
    reasons: tuple[str, ...]
    facts: SovereigntyFacts
    seal_estimate: int
    seal_rule: str

    def summary(self) -> str:
        return "; ".join(self.reasons)


def check_preset(preset: str) -> str:
    if preset not in PRESETS:
        raise InputError(f"sovereignty preset = {preset!r}: use one of {', '.join(PRESETS)}")
    return preset


def normalise_country(code: str | None, field: str = "buyer_country") -> str | None:
    if code is None:
        return None
    if len(code) != 2 or not code.isalpha():
        raise InputError(f"{field} = {code!r}: use a two-letter ISO code such as FR or CN")
    return code.upper()


def _valid_secnumcloud(provider: Provider, on: dt.date, instance_type: str | None
                       ) -> tuple[Certification | None, list[Certification]]:
    """(covering valid qualification or None, all valid SecNumCloud qualifications)."""
    valid = [c for c in provider.certifications if c.name == "SecNumCloud" and c.valid_on(on)]
    if instance_type is None:
        return (valid[0] if valid else None), valid
    covering = [c for c in valid if c.offer is None or c.offer == instance_type]
    return (covering[0] if covering else None), valid


def _location_reason(countries: list[str]) -> tuple[bool, str]:
    outside = [c for c in countries if c not in EU27]
    if not outside:
        return True, f"data location {', '.join(countries)} is in the EU"
    hint = " (ZZ = the price page fixes no country)" if UNKNOWN_COUNTRY in outside else ""
    return False, f"data location {', '.join(outside)} is outside the EU{hint}"


def _control_reason(controller: str, control: str) -> tuple[bool, str]:
    if control in EU27:
        return True, f"controlling entity ({controller}) is in {control}, an EU state"
    act = "; the US CLOUD Act reaches its data wherever it is stored" if control in CLOUD_ACT_COUNTRIES else ""
    return False, f"controlling entity ({controller}) is in {control}, outside the EU{act}"


def _secnumcloud_reason(provider: Provider, on: dt.date, offer: Offer | None,
                        covering: Certification | None, valid: list[Certification]) -> tuple[bool, str]:
    if covering is not None:
        since = covering.valid_from or (f"since {covering.qualified_since}" if covering.qualified_since else "?")
        return True, (f"SecNumCloud qualification '{covering.offer or covering.scope or provider.name}' valid on {on} "
                      f"({since} to {covering.valid_to or 'no end date published'})")
    if valid and offer is not None:
        return False, (f"{provider.name}'s valid SecNumCloud qualifications cover "
                       f"{', '.join(repr(c.offer) for c in valid)}, not this offer ({offer.instance_type})")
    held = [c for c in provider.certifications if c.name == "SecNumCloud"]
    if held:
        return False, f"no SecNumCloud qualification valid on {on}: " + "; ".join(
            f"{c.offer or c.scope or '-'} is {c.status} ({c.valid_from or '?'} to {c.valid_to or '?'})" for c in held)
    return False, f"{provider.name} holds no SecNumCloud qualification"


def _apply_preset(preset: str, checks: list[tuple[str, tuple[bool, str]]]) -> tuple[bool, list[str]]:
    """Evaluate the preset's checks in order: ('residency' | 'control' | 'secnumcloud', result)."""
    needed = {"none": set(), "eu-residency": {"residency"}, "eu-jurisdiction": {"residency", "control"},
              "secnumcloud": {"residency", "control", "secnumcloud"}}[preset]
    if not needed:
        return True, ["no sovereignty constraint"]
    results = [r for name, r in checks if name in needed]
    return all(ok for ok, _ in results), [why for _, why in results]


def _supply_chain(acc: Accelerator | None) -> SupplyChain | None:
    if acc is None:
        return None
    return SupplyChain(accelerator=acc.id, vendor=acc.vendor, foundry=acc.foundry, foundry_country=acc.foundry_country,
                       hbm_supplier=acc.hbm_supplier, packaging=acc.packaging, process_node=acc.process_node)


def assess(provider: Provider, preset: str, on: dt.date, offer: Offer | None = None,
           accelerator: Accelerator | None = None, buyer_country: str | None = None) -> SovereigntyReport:
    """Evaluate one offer (or a provider, when ``offer`` is None) against a preset."""
    check_preset(preset)
    buyer = normalise_country(buyer_country)
    region = provider.region(offer.region) if offer else None
    countries = [region.country] if region else sorted({r.country for r in provider.regions})
    control = provider.controlling_country
    covering, valid = _valid_secnumcloud(provider, on, offer.instance_type if offer else None)
    controller = provider.parent or provider.name
    ok, reasons = _apply_preset(preset, [
        ("residency", _location_reason(countries)), ("control", _control_reason(controller, control)),
        ("secnumcloud", _secnumcloud_reason(provider, on, offer, covering, valid))])
    secnum = covering is not None or (offer is None and bool(valid))
    sovereign_entity = provider.id in EU_OPERATED_SOVEREIGN_ENTITIES
    data_in_eu = all(c in EU27 for c in countries)
    seal, rule = seal_estimate(data_in_eu, sovereign_entity, control in EU27, secnum)
    exp = export_status(accelerator, buyer)
    if exp.status == "denied":
        ok, reasons = False, [*reasons, exp.detail]
    facts = SovereigntyFacts(
        provider=provider.id, controlling_country=control, hq_country=provider.hq_country,
        us_cloud_act_exposed=control in CLOUD_ACT_COUNTRIES, data_location=tuple(countries), data_in_eu=data_in_eu,
        secnumcloud_valid=tuple(c.offer or c.scope or "-" for c in valid),
        certifications=tuple(CertificationStatus(
            name=c.name, offer=c.offer, status=c.status, valid_from=str(c.valid_from or ""),
            valid_to=str(c.valid_to or ""), valid_on_date=c.valid_on(on)) for c in provider.certifications),
        export_control=exp,
        eu_csf_objectives=tuple(objective_estimates(control in EU27, control in CLOUD_ACT_COUNTRIES, data_in_eu, secnum,
                                                    sovereign_entity, accelerator, provider.seal_assessments)),
        supply_chain=_supply_chain(accelerator),
    )
    where = f"offer {offer.id} in region {offer.region}" if offer else f"provider {provider.id}"
    return SovereigntyReport(subject=where, preset=preset, date=str(on), passes=ok, reasons=tuple(reasons), facts=facts,
                             seal_estimate=seal, seal_rule=f"estimate, not an assessment: {rule}")


def assess_owned(site_country: str, preset: str, on: dt.date, accelerator: Accelerator | None = None,
                 buyer_country: str | None = None, subject: str = "owned system") -> SovereigntyReport:
    """Owned accelerators at a site in ``site_country``: the data stays where the site is; the
    controlling entity is the buyer (``buyer_country``; when not given, assumed to sit in the
    site's country, as the reason says); owned infrastructure holds no SecNumCloud qualification."""
    check_preset(preset)
    buyer = normalise_country(buyer_country)
    control = buyer or site_country
    controller = f"the owner, in {buyer}" if buyer else f"the owner, assumed in {site_country} (pass buyer_country)"
    ok, reasons = _apply_preset(preset, [
        ("residency", _location_reason([site_country])), ("control", _control_reason(controller, control)),
        ("secnumcloud", (False, "owned infrastructure holds no SecNumCloud qualification"))])
    data_in_eu = site_country in EU27
    seal, rule = seal_estimate(data_in_eu, False, control in EU27, False)
    exp = export_status(accelerator, buyer)
    if exp.status == "denied":
        ok, reasons = False, [*reasons, exp.detail]
    facts = SovereigntyFacts(
        provider="owned", controlling_country=control, hq_country=buyer, us_cloud_act_exposed=control in CLOUD_ACT_COUNTRIES,
        data_location=(site_country,), data_in_eu=data_in_eu, secnumcloud_valid=(), certifications=(),
        export_control=exp, eu_csf_objectives=tuple(objective_estimates(
            control in EU27, control in CLOUD_ACT_COUNTRIES, data_in_eu, False, False, accelerator)),
        supply_chain=_supply_chain(accelerator))
    return SovereigntyReport(subject=subject, preset=preset, date=str(on), passes=ok, reasons=tuple(reasons),
                             facts=facts, seal_estimate=seal, seal_rule=f"estimate, not an assessment: {rule}")


def assess_subject(catalog: Catalog, subject: str, preset: str = "eu-jurisdiction", on: dt.date | None = None,
                   buyer_country: str | None = None) -> SovereigntyReport:
    """Sovereignty of an offer id or a provider id (case-insensitive); offers add their region,
    accelerator, export control and supply chain. ``on`` defaults to today."""
    day = on or dt.date.today()
    key = subject.strip().lower()
    if key in catalog.rows["offers"]:
        off = catalog.offer(key)
        return assess(catalog.provider(off.provider), preset, day, off, catalog.accelerator(off.accelerator), buyer_country)
    if key in catalog.rows["providers"]:
        return assess(catalog.provider(key), preset, day, buyer_country=buyer_country)
    raise UnknownIdError("offers or providers", subject, [*catalog.rows["offers"], *catalog.rows["providers"]])
