"""Sovereignty as facts and readable rules, per offer or per provider.

Facts: controlling jurisdiction (country of the ultimate parent), US CLOUD Act exposure,
data location (the region's country; EU or not), certifications valid on a date,
export-control status of the chip for a buyer country, and the chip's supply chain.

Presets (every rejection carries its reason):

* ``none``: everything passes.
* ``eu-residency``: the data stays in an EU member state (the region's country is in the EU-27).
* ``eu-jurisdiction``: eu-residency, and the provider's controlling entity is EU-based, so the
  US CLOUD Act (18 U.S.C. 2713, which reaches data "regardless of whether ... located within or
  outside of the United States") does not apply through the parent.
* ``secnumcloud``: eu-jurisdiction, and an ANSSI SecNumCloud qualification valid on the
  evaluation date covers the offer (for a provider: any of its offers).

SEAL (EU Cloud Sovereignty Framework assurance level, 0-4) is *estimated* with this rule,
not assessed by anyone: 0 non-EU region; 1 EU region, non-EU control; 2 EU region and EU
control, or a non-EU parent's EU-operated sovereign entity; 3 EU control, EU region and a
valid SecNumCloud qualification (on non-EU accelerators); 4 would also need an EU supply
chain for the accelerator, which no catalog chip has.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from ..catalog.hardware import Accelerator
from ..catalog.market import Offer, Provider
from ..errors import InputError

EU27: frozenset[str] = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)
PRESETS: tuple[str, ...] = ("none", "eu-residency", "eu-jurisdiction", "secnumcloud")
CLOUD_ACT_COUNTRIES: frozenset[str] = frozenset({"US"})
EXPORT_RESTRICTED_BUYERS: frozenset[str] = frozenset({"CN", "MO"})
# providers that are a non-EU parent's EU-operated sovereign entity (SEAL-2 class in analyses)
EU_OPERATED_SOVEREIGN_ENTITIES: frozenset[str] = frozenset({"aws-esc"})


# EU Cloud Sovereignty Framework v1.2.1 objectives and weights (DG DIGIT, Oct 2025; weights as
# reported by vinland.technology, May 2026 [secondary])
CSF_OBJECTIVES: tuple[tuple[str, str, float], ...] = (
    ("SOV-1", "Strategic (EU ownership, control, financing)", 0.15),
    ("SOV-2", "Legal and jurisdictional (EU law, exposure to CLOUD Act / FISA 702)", 0.10),
    ("SOV-3", "Data and AI (EU-only processing, keys)", 0.10),
    ("SOV-4", "Operational (EU staff, exit capability)", 0.15),
    ("SOV-5", "Supply chain (hardware and firmware provenance)", 0.20),
    ("SOV-6", "Technology (open standards, open source)", 0.15),
    ("SOV-7", "Security and compliance (certifications, audits)", 0.10),
    ("SOV-8", "Environmental sustainability", 0.05),
)


def _objective_estimates(eu_control, cloud_act, data_in_eu, secnum, sovereign_entity, acc) -> list[dict[str, Any]]:
    """Per-objective SEAL estimates with the rule used; None where the catalog has no facts."""
    def row(i, level, rule):
        oid, name, weight = CSF_OBJECTIVES[i]
        return dict(id=oid, objective=name, weight=weight, seal_estimate=level, rule=rule)

    foundry_eu = acc is not None and acc.foundry_country in EU27
    return [
        row(0, 3 if eu_control else (2 if sovereign_entity else 1),
            "EU-controlled provider -> 3; non-EU parent with an EU-operated entity -> 2; non-EU parent -> 1"),
        row(1, (4 if secnum else 3) if eu_control else (1 if cloud_act else 2),
            "EU control -> 3 (4 with SecNumCloud's immunity requirement); CLOUD Act exposure -> 1"),
        row(2, 2 if data_in_eu else 0, "data stored in the EU -> 2 (key custody and metadata not in the catalog); outside -> 0"),
        row(3, None if not eu_control else 2, "not assessed without staff facts; EU control -> 2"),
        row(4, (3 if foundry_eu else 1) if acc is not None else None,
            "accelerator made outside the EU (foundry country) -> 1; no accelerator -> not assessed"),
        row(5, None, "not assessed: the catalog holds no facts on open standards or source access"),
        row(6, 3 if secnum else None, "valid SecNumCloud -> 3; otherwise not assessed"),
        row(7, None, "not assessed here; see tokenfab energy for carbon per token"),
    ]


@dataclass(frozen=True)
class SovereigntyReport:
    subject: str
    preset: str
    date: str
    passes: bool
    reasons: list[str]
    facts: dict[str, Any] = field(default_factory=dict)
    seal_estimate: int | None = None
    seal_rule: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _valid_secnumcloud(provider: Provider, on: dt.date, instance_type: str | None):
    """(covering valid qualification or None, all valid SecNumCloud qualifications)."""
    valid = [c for c in provider.certifications if c.name == "SecNumCloud" and c.valid_on(on)]
    if instance_type is None:
        return (valid[0] if valid else None), valid
    covering = [c for c in valid if c.offer is None or c.offer == instance_type]
    return (covering[0] if covering else None), valid


def export_status(acc: Accelerator | None, buyer_country: str | None) -> tuple[str, str]:
    """(status, explanation) of the chip's export control for the buyer's country."""
    if acc is None:
        return "n/a", "no accelerator"
    cls, text = acc.export_control_class, acc.export_control or ""
    if cls == "cloud-only":
        return "cloud-only", f"{acc.id} is rented only, not sold as a chip ({text})"
    if cls == "restricted-origin":
        return "restricted-origin", f"{acc.id}: {text}"
    if buyer_country is None:
        return cls, f"{acc.id}: {text}" if text else f"{acc.id}: {cls}"
    if buyer_country in EXPORT_RESTRICTED_BUYERS:
        if cls == "license-required":
            return "denied", f"{acc.id} to {buyer_country}: licence required, presumption of denial ({text})"
        if cls == "case-by-case":
            return "case-by-case", f"{acc.id} to {buyer_country}: case-by-case BIS licence review ({text})"
    return "allowed", f"{acc.id} to {buyer_country}: no licence requirement recorded"


def assess(
    provider: Provider,
    preset: str,
    on: dt.date,
    offer: Offer | None = None,
    accelerator: Accelerator | None = None,
    buyer_country: str | None = None,
) -> SovereigntyReport:
    """Evaluate one offer (or a provider, when ``offer`` is None) against a preset."""
    if preset not in PRESETS:
        raise InputError(f"preset = {preset!r}: use one of {', '.join(PRESETS)}")
    if buyer_country is not None and (len(buyer_country) != 2 or not buyer_country.isupper()):
        raise InputError(f"buyer country = {buyer_country!r}: use a two-letter ISO code such as FR or CN")
    countries = [provider.region(offer.region).country] if offer else sorted({r.country for r in provider.regions})
    in_eu = [c in EU27 for c in countries]
    control = provider.controlling_country
    eu_control = control in EU27
    cloud_act = control in CLOUD_ACT_COUNTRIES
    covering, valid = _valid_secnumcloud(provider, on, offer.instance_type if offer else None)
    reasons: list[str] = []
    ok = True
    where = f"offer {offer.id} in region {offer.region}" if offer else f"provider {provider.id}"
    if preset in ("eu-residency", "eu-jurisdiction", "secnumcloud"):
        if all(in_eu):
            reasons.append(f"data location {', '.join(countries)} is in the EU")
        else:
            ok = False
            outside = [c for c, e in zip(countries, in_eu) if not e]
            hint = " (ZZ = the price page fixes no country)" if "ZZ" in outside else ""
            reasons.append(f"data location {', '.join(outside)} is outside the EU{hint}")
    if preset in ("eu-jurisdiction", "secnumcloud"):
        if eu_control:
            reasons.append(f"controlling entity ({provider.parent or provider.name}) is in {control}, an EU state")
        else:
            ok = False
            act = "; the US CLOUD Act reaches its data wherever it is stored" if cloud_act else ""
            reasons.append(f"controlling entity ({provider.parent or provider.name}) is in {control}, outside the EU{act}")
    if preset == "secnumcloud":
        if covering is not None:
            reasons.append(
                f"SecNumCloud qualification '{covering.offer or covering.scope or provider.name}' valid on {on} "
                f"({covering.valid_from or '?'} to {covering.valid_to or 'no end date published'})"
            )
        else:
            ok = False
            if valid and offer is not None:
                reasons.append(
                    f"{provider.name}'s valid SecNumCloud qualifications cover {', '.join(repr(c.offer) for c in valid)}, "
                    f"not this offer ({offer.instance_type})"
                )
            else:
                held = [c for c in provider.certifications if c.name == "SecNumCloud"]
                if held:
                    reasons.append("no SecNumCloud qualification valid on " + str(on) + ": " + "; ".join(
                        f"{c.offer or c.scope or '-'} is {c.status} ({c.valid_from or '?'} to {c.valid_to or '?'})"
                        for c in held))
                else:
                    reasons.append(f"{provider.name} holds no SecNumCloud qualification")
    if preset == "none":
        reasons.append("no sovereignty constraint")
    # SEAL estimate
    if not all(in_eu):
        seal, rule = 0, "0: data outside the EU"
    elif provider.id in EU_OPERATED_SOVEREIGN_ENTITIES:
        seal, rule = 2, "2: EU-operated sovereign entity of a non-EU parent"
    elif not eu_control:
        seal, rule = 1, "1: EU region, non-EU controlling entity"
    elif covering is not None or (offer is None and valid):
        seal, rule = 3, "3: EU control, EU region, valid SecNumCloud, non-EU accelerators"
    else:
        seal, rule = 2, "2: EU control and EU region, without a valid SecNumCloud qualification"
    exp_status, exp_text = export_status(accelerator, buyer_country)
    facts = dict(
        provider=provider.id,
        controlling_country=control,
        hq_country=provider.hq_country,
        us_cloud_act_exposed=cloud_act,
        data_location=countries,
        data_in_eu=all(in_eu),
        secnumcloud_valid=[c.offer or c.scope for c in valid],
        certifications=[
            dict(name=c.name, offer=c.offer, status=c.status, valid_from=str(c.valid_from or ""),
                 valid_to=str(c.valid_to or ""), valid_on_date=c.valid_on(on))
            for c in provider.certifications
        ],
        export_control=dict(status=exp_status, detail=exp_text, buyer_country=buyer_country),
    )
    facts["eu_csf_objectives"] = _objective_estimates(
        eu_control, cloud_act, all(in_eu), covering is not None or (offer is None and bool(valid)),
        provider.id in EU_OPERATED_SOVEREIGN_ENTITIES, accelerator,
    )
    if accelerator is not None:
        facts["supply_chain"] = dict(
            accelerator=accelerator.id, vendor=accelerator.vendor, foundry=accelerator.foundry,
            foundry_country=accelerator.foundry_country, hbm_supplier=accelerator.hbm_supplier,
            packaging=accelerator.packaging, process_node=accelerator.process_node,
        )
    if buyer_country is not None and exp_status == "denied":
        reasons.append(exp_text)
        ok = False
    return SovereigntyReport(
        subject=where, preset=preset, date=str(on), passes=ok, reasons=reasons, facts=facts,
        seal_estimate=seal, seal_rule=f"estimate, not an assessment: {rule}",
    )
