"""A what-if question: a planning scenario plus samples, seed, shocks and where to run."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ..planner.scenario import Scenario

MAX_SAMPLES = 1_000_000


class WhatIfQuestion(Scenario):
    """Every default lives here (CLI flags and HTTP fields map 1:1)."""

    samples: int = Field(default=2000, ge=1, le=MAX_SAMPLES, description="Monte Carlo samples over the input ranges.")
    seed: int = Field(default=0, ge=0, le=2**63 - 1, description="Seed of the sampling (same seed, same result).")
    shocks: Annotated[tuple[Annotated[str, Field(max_length=80)], ...], Field(strict=False, max_length=16)] = Field(
        default=(), description="Named shocks applied in order, e.g. tariff:25%, export-ban:buyer=CN, "
                                "power-price:+80%, rent-halving:2y, fx:eur-usd=1.0, require:secnumcloud@2027-01-01.")
    deployments: Annotated[tuple[Annotated[str, Field(max_length=80)], ...], Field(strict=False, max_length=64)] = Field(
        default=(), description="Only these deployments: offer ids or own:<system> ids (default: every one plan considers).")
    backend: Literal["local", "ray"] = Field(default="local", description="Run the samples in-process or on Ray.")
    address: str | None = Field(default=None, max_length=200,
                                description="Ray cluster address (host:port); default a local Ray instance.")
