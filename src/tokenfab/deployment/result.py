"""The typed result of evaluating one deployment: performance, money, energy, carbon and
sovereignty, with the choices the search made and the assumptions it used. Every command
prints this object (or a list of them); none recomputes a figure of its own."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from ..accuracy.bands import Band
from ..engine.arrays import DEFAULT_KV_MEMORY_FRACTION
from ..engine.efficiency import KvReserveRule
from ..inputs import ResultModel
from .workload import Workload


class Assumption(ResultModel):
    """A default the evaluation used, with its source, date and kind."""

    name: str
    value: float | int | str
    source: str = ""
    as_of: str = ""
    kind: str = ""
    notes: str | None = None

    @classmethod
    def from_cited(cls, row: Mapping[str, Any]) -> Assumption:
        """From a cited row (``catalog.assumptions.cited``, an fx rate...): its known keys."""
        return cls(**{k: (str(v) if k == "as_of" else v) for k, v in row.items() if k in cls.model_fields})


class Choice(ResultModel):
    """How one deployment choice was made: given, searched (among what) or a default rule."""

    field: str
    value: str
    how: str


class Layout(ResultModel):
    """The deployment as evaluated: capacity, instances, split, precision, concurrency."""

    capacity: str  # offer id, own:<system or accelerator>, or the accelerator (unpriced)
    paid_as: str  # rented, owned or unpriced
    provider: str
    region: str
    country: str | None
    pricing: str
    accelerator: str
    accelerators_per_instance: int
    idle_accelerators_per_instance: int  # paid for, used by no replica
    instances: int
    accelerators_total: int
    tp: int
    pp: int
    ep: int
    dp_attention: bool
    replicas_per_instance: int
    weights: str
    kv: str
    compute_dtype: str
    stack: str
    concurrency_per_instance: int
    concurrency_per_replica: float
    fidelity: str
    disaggregated: bool
    # the KV-cache budget the engine gave each device, in the stack's terms (engine.memory.kv_budget_bytes):
    # memory_fraction of the whole memory for weights + KV (memory_fraction_of "total": vLLM, SGLang) or of
    # the memory the weights leave free, for the KV cache ("free": TensorRT-LLM)
    memory_fraction: float = DEFAULT_KV_MEMORY_FRACTION
    memory_fraction_of: Literal["total", "free"] = "total"
    # the KV room a sequence holds: its live context, or its whole request (engine/serving.py, docs/engine.md)
    kv_reserve: KvReserveRule = "live"
    speculative: str = "off"  # off, mtp or draft (engine.speculative)
    draft_tokens: int = 0  # drafted per sequence and step
    acceptance_rate: float | None = None  # per drafted token; None when off
    tokens_per_step: float = 1.0  # output tokens a sequence advances per decode step
    # under latency limits, the share of its limit-bound capacity the throughput carries (random arrivals;
    # engine.serving.sustained): the fitted share where the concurrency was searched, 1 = none
    server_utilization: float = 1.0


class Performance(ResultModel):
    """One instance at its concurrency (steady state; p99 approximated from means)."""

    throughput_output_tok_per_s: float  # one instance
    throughput_per_accelerator_tok_per_s: float  # per paid accelerator, idle ones included
    input_tok_per_s: float
    ttft_s: float
    tpot_s: float
    ttft_p99_s: float
    tpot_p99_s: float
    latency_s: float  # mean request latency: TTFT + osl x TPOT
    output_tok_per_s_per_user: float  # 1 / mean TPOT
    ttft_limit_s: float | None
    tpot_limit_s: float | None
    slo_met: bool
    memory_per_device_bytes: float
    weights_per_device_bytes: float
    memory_capacity_bytes: float
    max_concurrency_per_replica: int
    bound: str
    mfu: float
    mbu: float
    time_shares: dict[str, float]
    prefill_time_share: float
    # the 80 % prediction interval (accuracy.bands; None where the fidelity has no measured spread)
    accuracy: Band | None = None
    throughput_output_tok_per_s_low: float | None = None
    throughput_output_tok_per_s_high: float | None = None
    ttft_s_low: float | None = None
    ttft_s_high: float | None = None
    tpot_s_low: float | None = None
    tpot_s_high: float | None = None


class RentalPriceFigures(ResultModel):
    """The rent paid: the list price (``value`` in ``currency``) converted at the rate nearest
    its date, less the buyer's negotiated discount."""

    value: float
    currency: str
    pricing: str
    usd_per_accel_hour: float  # what is paid, after the discount
    source: str
    as_of: str
    kind: str
    list_usd_per_accel_hour: float | None = None  # before the discount
    discount_frac: float = 0.0
    discount_basis: str | None = None


class OwnershipCost(ResultModel):
    """Owning one accelerator, per hour of the year, at this deployment's utilization [USD/h]."""

    capital: float
    energy: float
    colocation: float
    staff: float
    overhead: float
    total: float
    capex_usd_per_accel: float
    capex_basis: str
    electricity_usd_per_kwh: float
    electricity_basis: str
    average_power_w_per_accel: float
    provisioned_power_w_per_accel: float
    years: float
    residual_frac: float
    cost_of_capital_frac: float
    network_share_frac: float


class Money(ResultModel):
    """What serving costs. ``usd_per_mtok_output`` puts all the cost on output tokens (the
    figure plans rank and API prices are compared with); the two *_share figures split it the
    way APIs price (prefill time on input tokens, the rest on output tokens)."""

    priced: bool
    unpriced_reason: str | None = None
    demand_output_tok_per_s: float  # output tokens per second actually served
    utilization: float
    accelerator_hours_per_mtok: float
    usd_per_accel_hour: float | None = None
    price: RentalPriceFigures | None = None
    ownership: OwnershipCost | None = None
    usd_per_hour: float | None = None
    usd_per_month: float | None = None
    usd_per_mtok_output: float | None = None
    usd_per_mtok_output_decode_share: float | None = None
    usd_per_mtok_input_prefill_share: float | None = None
    # the 80 % interval: throughput at the interval's high end gives the low cost, and back
    usd_per_mtok_output_low: float | None = None
    usd_per_mtok_output_high: float | None = None
    usd_per_month_low: float | None = None
    usd_per_month_high: float | None = None


class Energy(ResultModel):
    """Power, energy per token and carbon (location-based) at the deployment's utilization."""

    pue: float
    pue_basis: str
    pue_is_fallback: bool
    it_power_w: float | None = None
    facility_power_w: float | None = None
    j_per_output_token: float | None = None  # facility energy (IT x PUE)
    j_per_output_token_it: float | None = None
    kwh_per_mtok: float | None = None
    unavailable_reason: str | None = None
    grid: str | None = None
    grid_basis: str
    grid_gco2e_per_kwh: float | None = None
    grid_year: int | None = None
    grid_carbon_basis: str | None = None  # life-cycle, or operational where no life-cycle figure exists
    gco2e_per_1k_tok: float | None = None  # operational
    embodied_gco2e_per_1k_tok: float | None = None
    total_gco2e_per_1k_tok: float | None = None
    carbon_reason: str | None = None
    wue_l_per_kwh: float | None = None  # site water per IT kWh, where the provider publishes it
    wue_basis: str = "no published WUE"
    water_l_per_mtok: float | None = None  # on-site water per M output tokens (IT energy x WUE)
    j_per_output_token_low: float | None = None  # the 80 % interval (throughput at its high end)
    j_per_output_token_high: float | None = None
    gco2e_per_1k_tok_low: float | None = None
    gco2e_per_1k_tok_high: float | None = None
    total_gco2e_per_1k_tok_low: float | None = None
    total_gco2e_per_1k_tok_high: float | None = None


class RiskFigures(ResultModel):
    """The deployment judged at a quantile of its prediction interval (``plan --risk``): the
    throughput at its (100 - XX)th percentile, so cost, energy and times at their XXth."""

    risk: str  # p50, p75, p90 or p95
    throughput_ratio: float  # measured / predicted throughput at that quantile (accuracy.bands)
    throughput_output_tok_per_s: float
    usd_per_mtok_output: float | None
    usd_per_month: float | None
    latency_s: float
    j_per_output_token: float | None


class SovereigntySummary(ResultModel):
    preset: str
    date: str
    buyer_country: str | None
    passes: bool
    reasons: tuple[str, ...]
    seal_estimate: int
    controlling_country: str
    us_cloud_act_exposed: bool
    data_location: tuple[str, ...]


class Evaluation(ResultModel):
    """One deployment of one workload, evaluated."""

    model: str
    workload: Workload
    deployment: Layout
    performance: Performance
    money: Money
    energy: Energy
    sovereignty: SovereigntySummary | None
    choices: tuple[Choice, ...]
    assumptions: tuple[Assumption, ...]
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # stale figures relied on; an unvalidated accuracy class
    risk: RiskFigures | None = None

    def flat(self) -> dict[str, Any]:
        """One level of scalar fields (for tables, CSV and data frames); nested figures
        (time shares, the rental price, ownership parts) keep a prefix."""
        out: dict[str, Any] = {"model": self.model}
        for section in (self.deployment, self.performance, self.money, self.energy):
            for k, v in section.to_dict().items():
                if isinstance(v, dict):
                    out.update({f"{k}_{kk}": vv for kk, vv in v.items() if not isinstance(vv, (dict, list))})
                else:
                    out[k] = v
        if self.sovereignty is not None:
            s = self.sovereignty
            out.update(sovereignty=s.preset, sovereignty_passes=s.passes, sovereignty_reasons="; ".join(s.reasons),
                       seal_estimate=s.seal_estimate, controlling_country=s.controlling_country,
                       us_cloud_act_exposed=s.us_cloud_act_exposed)
        if self.risk is not None:
            out.update({f"risk_{k}": v for k, v in self.risk.to_dict().items()})
        return out
