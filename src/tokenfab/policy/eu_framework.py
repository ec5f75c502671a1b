"""EU Cloud Sovereignty Framework: per-objective SEAL levels (0-4) *estimated* from catalog
facts with readable rules, and the overall SEAL estimate. Nobody assessed these: every
level says which rule produced it.

Objectives and weights: EU Cloud Sovereignty Framework v1.2.1 (DG DIGIT, Oct 2025; weights
as reported by vinland.technology, May 2026 [secondary]).
"""

from __future__ import annotations

from ..catalog.hardware import Accelerator
from ..inputs import ResultModel
from .jurisdiction import EU27

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


class CsfObjective(ResultModel):
    id: str
    objective: str
    weight: float
    seal_estimate: int | None
    rule: str


def objective_estimates(eu_control: bool, cloud_act: bool, data_in_eu: bool, secnum: bool,
                        sovereign_entity: bool, acc: Accelerator | None) -> list[CsfObjective]:
    """Per-objective SEAL estimates with the rule used; None where the catalog has no facts."""

    def row(i: int, level: int | None, rule: str) -> CsfObjective:
        oid, name, weight = CSF_OBJECTIVES[i]
        return CsfObjective(id=oid, objective=name, weight=weight, seal_estimate=level, rule=rule)

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


def seal_estimate(data_in_eu: bool, sovereign_entity: bool, eu_control: bool, secnum: bool) -> tuple[int, str]:
    """Overall SEAL estimate and its rule: 0 data outside the EU; 1 EU region, non-EU control;
    2 EU control (or a non-EU parent's EU-operated sovereign entity); 3 with a valid
    SecNumCloud on non-EU accelerators; 4 would also need an EU accelerator supply chain."""
    if not data_in_eu:
        return 0, "0: data outside the EU"
    if sovereign_entity:
        return 2, "2: EU-operated sovereign entity of a non-EU parent"
    if not eu_control:
        return 1, "1: EU region, non-EU controlling entity"
    if secnum:
        return 3, "3: EU control, EU region, valid SecNumCloud, non-EU accelerators"
    return 2, "2: EU control and EU region, without a valid SecNumCloud qualification"
