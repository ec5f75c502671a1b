"""A planning question: a workload, what may serve it, and what the answer must respect."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from ..deployment.spec import (
    ACCEPTANCE_HELP,
    DISCOUNT_HELP,
    DRAFT_TOKENS_HELP,
    KV_RESERVE_HELP,
    MEMORY_FRACTION_HELP,
    SPECULATIVE_HELP,
    AcceptanceRate,
    Discounts,
    DraftTokens,
    KvReserve,
    LenientDate,
    MemoryFraction,
    PricingModel,
    SovereigntyPreset,
    SpeculativeChoice,
    check_discounts,
)
from ..deployment.workload import Workload
from ..engine.dtypes import WeightDtype

Objective = Literal["cost", "latency", "energy", "carbon"]
OBJECTIVES: tuple[str, ...] = ("cost", "latency", "energy", "carbon")
MAX_LIST = 64
Ids = Annotated[tuple[Annotated[str, Field(max_length=80)], ...], Field(strict=False, max_length=MAX_LIST)]


class Scenario(Workload):
    """One planning question. Every default lives here (CLI flags and HTTP fields map 1:1)."""

    sovereignty: SovereigntyPreset = Field(default="none",
        description="Sovereignty preset every candidate must pass: none, eu-residency, eu-jurisdiction, secnumcloud.")
    date: LenientDate = Field(default=None, description="Evaluation date for certifications, YYYY-MM-DD (default: today).")
    buyer_country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$",
        description="Buyer's ISO country code, for export controls.")
    budget_usd_per_month: float | None = Field(default=None, gt=0, le=1e12, description="Budget [USD/month].")
    max_gco2e_per_1k_tok: float | None = Field(default=None, gt=0, le=1e4,
        description="Carbon cap, operational [gCO2e per 1k output tokens].")
    providers: Ids = Field(default=(), description="Only these provider ids (repeat or comma-separate).")
    exclude_providers: Ids = Field(default=(), description="Never these provider ids.")
    regions: Ids = Field(default=(), description="Only these region ids or ISO country codes (case-insensitive).")
    accelerators: Ids = Field(default=(), description="Only these accelerator ids.")
    exclude_accelerators: Ids = Field(default=(), description="Never these accelerator ids.")
    pricing: Annotated[tuple[PricingModel, ...], Field(strict=False, min_length=1, max_length=4)] = Field(
        default=("on_demand", "reserved_1y", "reserved_3y"),
        description="Pricing models considered (spot is left out by default: preemptible capacity carries no SLO).")
    weights: Annotated[tuple[WeightDtype, ...] | None, Field(strict=False, min_length=1, max_length=6)] = Field(
        default=None, description="Weight formats considered (default: bf16, fp8 and the model's release format).")
    discounts: Discounts = Field(default=(), description=DISCOUNT_HELP)
    max_spot_usd_per_accel_hour: float | None = Field(default=None, gt=0, le=1000,
        description="Highest spot price you will pay [USD per accelerator-hour, after discounts]; spot offers above it "
                    "are ruled out (add spot to pricing to consider spot).")
    stack: str | None = Field(default=None, max_length=40,
        description="Serving stack id for every candidate (default: by vendor; tokenfab catalog list stacks); "
                    "accelerators it does not run on are left out.")
    memory_fraction: MemoryFraction = Field(default=None, description=MEMORY_FRACTION_HELP)
    kv_reserve: KvReserve = Field(default=None, description=KV_RESERVE_HELP)
    speculative: SpeculativeChoice = Field(default="off", description=SPECULATIVE_HELP)
    draft_tokens: DraftTokens = Field(default=None, description=DRAFT_TOKENS_HELP)
    acceptance_rate: AcceptanceRate = Field(default=None, description=ACCEPTANCE_HELP)
    rent: bool = Field(default=True, description="Consider rented offers.")
    own: bool = Field(default=False, description="Also consider buying catalog systems (needs own_grid).")
    own_grid: str | None = Field(default=None, max_length=40,
        description="Grid whose electricity price and carbon apply to owned systems.")
    objectives: Annotated[tuple[Objective, ...], Field(strict=False, min_length=1, max_length=4)] = Field(
        default=("cost", "latency"), description="Objectives of the Pareto front: cost, latency, energy, carbon.")
    risk: Literal["p50", "p75", "p90", "p95"] | None = Field(
        default=None,
        description="Judge every candidate at this quantile of its 80 %-interval class: p90 = cost, energy and times "
                    "if throughput comes in at its 10th percentile of measured/predicted (default: the estimate).")
    front_tolerance: float = Field(
        default=0.05, ge=0, le=1,
        description="Hide front rows a kept row matches within this fraction on every objective (0 = exact front).")

    _discounts = field_validator("discounts")(check_discounts)

    @field_validator("objectives")
    @classmethod
    def _unique(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v))

    @model_validator(mode="after")
    def _plannable(self) -> Scenario:
        if not self.has_traffic:
            raise ValueError("give a traffic: rate_rps (requests/s) or tokens_per_day (output tokens/day)")
        if not (self.rent or self.own):
            raise ValueError("rent and own are both off: nothing to plan")
        if self.own and self.own_grid is None:
            raise ValueError("own = true needs own_grid (a grid id with an electricity price)")
        return self

    def demand(self) -> float:
        d = self.demand_tok_per_s()
        if d is None:  # pragma: no cover - the validator requires a traffic
            raise ValueError("no traffic")
        return d
