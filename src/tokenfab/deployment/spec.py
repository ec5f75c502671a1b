"""A deployment: a workload plus how it is served and paid for. Every unset choice is
searched exactly as the planner searches it, and the evaluation says what it chose."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from ..engine.dtypes import KvDtype, WeightDtype
from ..engine.efficiency import KvReserveRule
from ..engine.serving import DEFAULT_CHUNK_TOKENS
from .workload import Workload

PricingModel = Literal["on_demand", "reserved_1y", "reserved_3y", "spot"]
Fidelity = Literal["roofline", "derated", "calibrated", "measured"]
SovereigntyPreset = Literal["none", "eu-residency", "eu-jurisdiction", "secnumcloud"]

LenientDate = Annotated[dt.date | None, Field(strict=False)]
SpeculativeChoice = Literal["off", "mtp", "draft", "auto"]
SPECULATIVE_HELP = ("Speculative decoding: off, mtp (the model's multi-token-prediction heads), draft (a published "
                    "EAGLE-3 draft head) or auto (off and every method the catalog lists for the model, searched; "
                    "tokenfab catalog list speculative).")
DRAFT_TOKENS_HELP = "Tokens drafted per sequence and step (default: the catalog's per method)."
ACCEPTANCE_HELP = "Probability that one drafted token is accepted, 0-1 exclusive (default: the catalog's per method)."
MEMORY_FRACTION_HELP = ("Memory budget of the serving stack [-], in its own terms: vLLM --gpu-memory-utilization and "
                        "SGLang --mem-fraction-static (share of each accelerator's memory for weights and KV cache), "
                        "TensorRT-LLM --kv_cache_free_gpu_memory_fraction (share of the memory left after the weights "
                        "given to the KV cache); default: the stack's, 0.9 (efficiency.yaml kv_cache_budget).")
MemoryFraction = Annotated[float, Field(gt=0, le=1)] | None
KV_RESERVE_HELP = ("KV room the server's scheduler holds per sequence: live (its current context: vLLM, SGLang, "
                   "TensorRT-LLM's MAX_UTILIZATION scheduler) or request (its whole prompt and output: TensorRT-LLM's "
                   "default GUARANTEED_NO_EVICT); default: the stack's (efficiency.yaml kv_cache_budget).")
KvReserve = KvReserveRule | None
DraftTokens = Annotated[int, Field(ge=1, le=16)] | None
AcceptanceRate = Annotated[float, Field(gt=0, lt=1)] | None

DISCOUNT_HELP = ("Negotiated discount per provider, PROVIDER=FRACTION off its list prices (scaleway=0.2 is 20 % off; "
                 "repeat or comma-separate); overrides the overlay's discounts.csv.")
Discounts = Annotated[tuple[Annotated[str, Field(max_length=100)], ...], Field(strict=False, max_length=64)]


def check_discounts(items: tuple[str, ...]) -> tuple[str, ...]:
    """Each item is PROVIDER=FRACTION with 0 <= FRACTION < 1; one line naming the bad item otherwise."""
    seen: set[str] = set()
    for item in items:
        provider, sep, frac = item.partition("=")
        provider = provider.strip().lower()
        try:
            value = float(frac)
        except ValueError:
            value = float("nan")
        if not sep or not provider or not (0 <= value < 1):
            raise ValueError(f"discount {item!r}: write PROVIDER=FRACTION with 0 <= FRACTION < 1 "
                             "(scaleway=0.2 for 20 % off list prices)")
        if provider in seen:
            raise ValueError(f"discount for {provider!r} given twice")
        seen.add(provider)
    return items


def discount_map(items: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    """``("scaleway=0.2",)`` as ``(("scaleway", 0.2),)`` (validated by :func:`check_discounts`)."""
    return tuple((p.strip().lower(), float(f)) for p, _, f in (i.partition("=") for i in items))


class Deployment(Workload):
    """One deployment of ``model``: rented (``offer``), owned (``own``) or unpriced
    (``accelerator`` and ``count`` only). Ownership fields left unset take the catalog's
    figures and the sourced assumptions."""

    offer: str | None = Field(default=None, max_length=80, description="Rent this offer (tokenfab catalog list offers).")
    pricing: PricingModel = Field(default="on_demand",
        description="Price of the offer: on_demand, reserved_1y, reserved_3y or spot.")
    own: bool = Field(default=False,
        description="Buy the accelerators (TCO); with an offer, that offer is the rent it is compared with.")
    system: str | None = Field(default=None, max_length=80,
        description="Catalog system whose price an owned deployment pays (default: the first priced system with the "
                    "accelerator).")
    accelerator: str | None = Field(default=None, max_length=80,
        description="Accelerator id (default: the offer's or the system's).")
    count: int | None = Field(default=None, ge=1, le=1_000_000,
        description="Accelerators per instance (default: the offer's, the system's, or 1).")
    grid: str | None = Field(default=None, max_length=40,
        description="Grid for the electricity price and carbon (default: the offer region's country).")
    tp: int | None = Field(default=None, ge=1, le=4096, description="Tensor-parallel degree (default: searched).")
    pp: int | None = Field(default=None, ge=1, le=1024, description="Pipeline-parallel degree (default: searched).")
    ep: int | None = Field(default=None, ge=1, le=4096, description="Expert-parallel degree (default: searched).")
    dp_attention: bool | None = Field(default=None,
        description="Data-parallel attention for MoE models with ep > 1 (default: searched).")
    weights: WeightDtype | None = Field(default=None,
        description="Weight format: bf16, fp16, fp8, fp4, nvfp4, mxfp4 (default: searched among bf16, fp8 and the model's"
                    " release format).")
    kv: KvDtype | None = Field(default=None,
        description="KV-cache format: bf16, fp16, fp8, fp4, nvfp4 (default: fp8 with <= 8-bit weights on chips with FP8, "
                    "else bf16).")
    stack: str | None = Field(default=None, max_length=40,
        description="Serving stack id (default: by vendor, tokenfab catalog list stacks).")
    concurrency: int | None = Field(default=None, ge=1, le=10_000_000,
        description="Concurrent requests per instance (default: searched).")
    server_utilization: float | None = Field(default=None, gt=0, le=1,
        description="Under latency limits, the share of its limit-bound capacity the deployment carries under random "
                    "arrivals [-] (default: the fitted share where the concurrency is searched, 1 where it is stated: a "
                    "closed loop, as a benchmark at a fixed concurrency).")
    fidelity: Fidelity = Field(default="calibrated", description="Engine fidelity: roofline, derated, calibrated or "
                                                                 "measured (needs tokenfab[measured]).")
    disaggregated: bool = Field(default=False, description="Prefill on separate replicas of the same shape.")
    chunk_tokens: int = Field(default=DEFAULT_CHUNK_TOKENS, ge=16, le=1_000_000, description="Prefill chunk [tokens].")
    memory_fraction: MemoryFraction = Field(default=None, description=MEMORY_FRACTION_HELP)
    kv_reserve: KvReserve = Field(default=None, description=KV_RESERVE_HELP)
    speculative: SpeculativeChoice = Field(default="off", description=SPECULATIVE_HELP)
    draft_tokens: DraftTokens = Field(default=None, description=DRAFT_TOKENS_HELP)
    acceptance_rate: AcceptanceRate = Field(default=None, description=ACCEPTANCE_HELP)
    capex_usd_per_accel: float | None = Field(default=None, gt=0, le=1e7,
        description="Owned: purchase price per accelerator, server share included [USD].")
    years: float | None = Field(default=None, gt=0, le=30, description="Owned: amortisation period [years].")
    residual_frac: float | None = Field(default=None, ge=0, le=1,
        description="Owned: resale value at the end, share of capex [-].")
    electricity_usd_per_kwh: float | None = Field(default=None, ge=0, le=5,
        description="Owned: electricity price [USD/kWh] (instead of the grid's).")
    pue: float | None = Field(default=None, ge=1, le=3,
        description="Power usage effectiveness [-] (default: the provider's or facility's published figure, else the "
                    "industry average).")
    colocation_usd_per_kw_month: float | None = Field(default=None, ge=0, le=5000,
        description="Owned: colocation price per provisioned kW and month [USD].")
    network_share_frac: float | None = Field(default=None, ge=0, le=1,
        description="Owned: network fabric as a share of accelerator capex [-].")
    ops_overhead_frac: float | None = Field(default=None, ge=0, le=5,
        description="Owned: operations overhead as a share of hardware and facility cost [-].")
    cost_of_capital_frac: float | None = Field(default=None, ge=0, le=1, description="Owned: annual cost of capital [-].")
    staff_usd_per_accel_year: float | None = Field(default=None, ge=0, le=1e6,
        description="Owned: staff cost per accelerator and year [USD].")
    sovereignty: SovereigntyPreset = Field(default="none", description="Sovereignty preset the deployment is assessed against.")
    date: LenientDate = Field(default=None,
        description="Evaluation date for certifications and the Data Act, YYYY-MM-DD (default: today).")
    buyer_country: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$",
        description="Buyer's ISO country code, for export controls.")
    discounts: Discounts = Field(default=(), description=DISCOUNT_HELP)

    _discounts = field_validator("discounts")(check_discounts)

    @model_validator(mode="after")
    def _paid_one_way(self) -> Deployment:
        owned_only = [f for f in ("capex_usd_per_accel", "years", "residual_frac", "electricity_usd_per_kwh",
                                  "colocation_usd_per_kw_month", "network_share_frac", "ops_overhead_frac",
                                  "cost_of_capital_frac", "staff_usd_per_accel_year") if getattr(self, f) is not None]
        if owned_only and not self.own:
            raise ValueError(f"{owned_only[0]} applies to owned accelerators: add own (--own) or drop it")
        if self.system is not None and not self.own:
            raise ValueError("system applies to owned accelerators: add own (--own) or drop it")
        if self.electricity_usd_per_kwh is not None and self.grid is not None:
            raise ValueError("give either electricity_usd_per_kwh or grid, not both")
        if self.own and self.offer is None and self.accelerator is None and self.system is None:
            raise ValueError("own needs an accelerator, a system or an offer whose hardware is bought")
        return self
