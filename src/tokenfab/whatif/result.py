"""The answer to a what-if question: the plan before and after the shocks, the rows that
dropped out and why, and per front row the distribution of its figures under the ranges."""

from __future__ import annotations

import csv
import io
from typing import Any

from ..inputs import ResultModel
from ..planner.result import PlanResult
from ..planner.scenario import Scenario


class ShockEffect(ResultModel):
    shock: str
    changed: tuple[str, ...]
    capacities_removed: int = 0


class DroppedRow(ResultModel):
    rank_before: int
    label: str
    why: str


class Percentiles(ResultModel):
    """10th, 50th and 90th percentiles over the samples (None when undefined in every sample)."""

    p10: float | None
    p50: float | None
    p90: float | None


class RowDistribution(ResultModel):
    rank: int
    label: str
    capacity: str
    plan_usd_per_mtok: float | None
    usd_per_mtok: Percentiles
    j_per_token: Percentiles
    gco2e_per_1k_tok: Percentiles
    slo_met_frac: float
    prob_best: float


class TornadoBar(ResultModel):
    """One input at the low and high end of its range, every other input at 1 (the plan's value)."""

    input: str
    target: str
    low_factor: float
    high_factor: float
    usd_per_mtok_at_low: float | None
    usd_per_mtok_at_high: float | None
    swing_usd_per_mtok: float


class InputRange(ResultModel):
    name: str
    target: str
    per: str
    distribution: dict[str, Any]
    source: str
    as_of: str
    kind: str


class WhatIfResult(ResultModel):
    scenario: Scenario
    samples: int
    seed: int
    backend: str
    objective: str
    shocks: tuple[ShockEffect, ...]
    before: PlanResult
    after: PlanResult | None
    dropped: tuple[DroppedRow, ...]
    rows: tuple[RowDistribution, ...]
    prob_no_row_feasible: float
    tornado: tuple[TornadoBar, ...]
    inputs: tuple[InputRange, ...]
    notes: tuple[str, ...] = ()
    elapsed_s: float = 0.0

    def flat_rows(self) -> list[dict[str, Any]]:
        out = []
        for r in self.rows:
            d: dict[str, Any] = {"rank": r.rank, "label": r.label, "capacity": r.capacity,
                                 "plan_usd_per_mtok": r.plan_usd_per_mtok}
            for name in ("usd_per_mtok", "j_per_token", "gco2e_per_1k_tok"):
                for q, v in getattr(r, name).model_dump().items():
                    d[f"{name}_{q}"] = v
            d.update(slo_met_frac=r.slo_met_frac, prob_best=r.prob_best)
            out.append(d)
        return out

    def to_csv(self) -> str:
        """One line per front row: percentiles of $/M output tokens, J/token, gCO2e, P(best)."""
        rows = self.flat_rows()
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["rank"], lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        return buf.getvalue()
