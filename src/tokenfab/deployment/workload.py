"""The workload: what is asked of a deployment (model, request shape, latency limits, traffic).

Every command takes these fields with these defaults (``plan``, ``estimate``, ``cost``,
``energy``, ``compare``, ``gigawatt``, the web API and Python): the latency limits are p99
limits, from a named preset (MLPerf Inference's Llama-2-70B limits) unless given; traffic
sizes the deployment in whole instances; without traffic one instance serves at the
``serving_utilization`` assumption.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from ..catalog import assumptions as A
from ..inputs import InputModel

LimitPreset = Literal["offline", "server", "interactive"]
# p99 (TTFT, TPOT) limits [s] of MLPerf Inference llama2-70b (Server, Interactive); offline has none
LIMIT_PRESETS_S: dict[str, tuple[float, float]] = {
    "offline": (math.inf, math.inf),
    "server": (2.0, 0.2),
    "interactive": (0.45, 0.04),
}


class Workload(InputModel):
    """One model serving requests of a given shape, under latency limits and a traffic."""

    model: str = Field(min_length=1, max_length=80, description="Model id (tokenfab catalog list models).")
    isl: float = Field(ge=1, le=10_000_000, description="Mean input (prompt) tokens per request [tokens].")
    osl: float = Field(ge=1, le=1_000_000, description="Mean output tokens per request [tokens].")
    osl_cv: float = Field(
        default=0.0, ge=0, le=10,
        description="Spread of output lengths: standard deviation / mean [-]. 0 = every request the same length "
        "(fixed-length benchmarks); MLPerf's OpenOrca set 0.79, its DeepSeek-R1 set 1.25. Long outputs stay in "
        "the batch longer, so the sequences in flight hold more context: osl (1 + cv^2) / 2 generated tokens.")
    scenario: LimitPreset = Field(
        default="server",
        description="Latency-limit preset: server (p99 TTFT 2 s, TPOT 200 ms), interactive (0.45 s, 40 ms) "
        "or offline (none); MLPerf Inference Llama-2-70B limits.")
    ttft_max_s: float | None = Field(default=None, gt=0, le=3600,
                                     description="p99 time-to-first-token limit [s] (default: the scenario's).")
    tpot_max_s: float | None = Field(default=None, gt=0, le=60,
                                     description="p99 time-per-output-token limit [s] (default: the scenario's).")
    # lower bounds: a traffic of 1e-300 makes per-token figures (J, USD, gCO2e) overflow to infinity
    rate_rps: float | None = Field(default=None, ge=1e-6, le=1e7,
                                   description="Traffic: requests per second [1/s]; sizes the deployment in whole instances.")
    tokens_per_day: float | None = Field(default=None, ge=1, le=1e16,
                                         description="Traffic: output tokens per day [tokens/day]; instead of rate_rps.")
    utilization: float | None = Field(
        default=None, ge=0.01, le=1,
        description="Share of capacity used when no traffic is given [-] (default: the serving_utilization "
        "assumption, tokenfab catalog assumptions).")

    @model_validator(mode="after")
    def _consistent(self) -> Workload:
        if self.rate_rps is not None and self.tokens_per_day is not None:
            raise ValueError("give one traffic: rate_rps (requests/s) or tokens_per_day (output tokens/day), not both")
        if self.utilization is not None and self.has_traffic:
            raise ValueError("utilization follows from the traffic; drop utilization or the traffic")
        if self.scenario == "offline" and (self.ttft_max_s is not None or self.tpot_max_s is not None):
            raise ValueError("latency limits need scenario server or interactive (offline has none)")
        return self

    @property
    def has_traffic(self) -> bool:
        return self.rate_rps is not None or self.tokens_per_day is not None

    def limits_s(self) -> tuple[float, float]:
        """(p99 TTFT limit, p99 TPOT limit) [s]; ``inf`` where there is none."""
        ttft, tpot = LIMIT_PRESETS_S[self.scenario]
        return (self.ttft_max_s if self.ttft_max_s is not None else ttft,
                self.tpot_max_s if self.tpot_max_s is not None else tpot)

    def demand_tok_per_s(self) -> float | None:
        """Output tokens per second the traffic asks for; None without traffic."""
        if self.rate_rps is not None:
            return self.rate_rps * self.osl
        if self.tokens_per_day is not None:
            return self.tokens_per_day / 86_400.0
        return None

    def serving_utilization(self) -> float:
        """Utilization used without traffic: the given one or the sourced default."""
        return self.utilization if self.utilization is not None else A.number("serving_utilization")


WORKLOAD_FIELDS: tuple[str, ...] = tuple(Workload.model_fields)
