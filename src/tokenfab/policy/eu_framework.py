"""EU Cloud Sovereignty Framework: per-objective SEAL levels (0-4) *estimated* from catalog
facts with readable rules, beside any level someone *published* for the provider (official,
self- or third-party assessment, each with its source), and the overall SEAL estimate.

The framework's version, objectives, weights and level definitions are data
(``data/eu_framework.yaml``, with sources); this module only applies the rules.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..catalog.files import read_bundled_yaml
from ..catalog.hardware import Accelerator
from ..inputs import ResultModel
from .jurisdiction import EU27


class _Objective(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Annotated[str, Field(pattern=r"^SOV-[1-8]$")]
    name: str
    weight_frac: float = Field(gt=0, lt=1)


class _Level(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    level: int = Field(ge=0, le=4)
    name: str
    meaning: str


class Framework(BaseModel):
    """The framework as published: version, objectives with weights, SEAL levels, sources."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    schema_version: int
    framework: str
    publisher: str
    version: str
    published: dt.date
    source: str
    as_of: dt.date
    kind: str
    objectives: tuple[_Objective, ...]
    levels: tuple[_Level, ...]
    method: str

    @model_validator(mode="after")
    def _weights_sum_to_one(self) -> Framework:
        total = sum(o.weight_frac for o in self.objectives)
        if abs(total - 1.0) > 1e-9 or len(self.objectives) != 8:
            raise ValueError(f"eight objectives whose weights sum to 1, got {len(self.objectives)} summing to {total}")
        return self


@lru_cache(maxsize=1)
def framework() -> Framework:
    return Framework.model_validate(read_bundled_yaml("eu_framework.yaml"))


def _objectives() -> tuple[tuple[str, str, float], ...]:
    return tuple((o.id, o.name, o.weight_frac) for o in framework().objectives)


class PublishedLevel(ResultModel):
    level: int
    assessment: str  # official, self or third-party
    assessor: str
    source: str
    as_of: str


class CsfObjective(ResultModel):
    id: str
    objective: str
    weight: float
    seal_estimate: int | None  # tokenfab's estimate from catalog facts (rule below)
    rule: str
    published: tuple[PublishedLevel, ...] = ()  # levels someone published for this provider


def objective_estimates(eu_control: bool, cloud_act: bool, data_in_eu: bool, secnum: bool,
                        sovereign_entity: bool, acc: Accelerator | None, assessments: tuple[Any, ...] = ()
                        ) -> list[CsfObjective]:
    """Per-objective SEAL estimates with the rule used (None where the catalog has no facts), each
    with the levels the provider's published ``assessments`` give that objective."""
    objectives = _objectives()

    def row(i: int, level: int | None, rule: str) -> CsfObjective:
        oid, name, weight = objectives[i]
        published = tuple(PublishedLevel(level=a.levels[oid], assessment=a.assessment, assessor=a.assessor,
                                         source=a.source, as_of=str(a.as_of)) for a in assessments if oid in a.levels)
        return CsfObjective(id=oid, objective=name, weight=weight, seal_estimate=level, rule=rule, published=published)

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
