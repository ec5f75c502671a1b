"""Providers (who rents, under which law, where) and offers (what, at what price)."""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from .records import (
    ID_PATTERN,
    STRICT_CONFIG,
    AccelCount,
    Currency,
    Kind,
    Price,
    Record,
    check_not_future,
    check_partial_date,
    refuse_bool_number,
)

ProviderCategory = Literal["hyperscaler", "neocloud", "european", "sovereign", "marketplace"]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]


class _Part(BaseModel):
    """A nested part of a row: same strictness as :class:`Record` (finite numbers, no extras)."""

    model_config = STRICT_CONFIG

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        return refuse_bool_number(cls, value, info)


class _Dated(_Part):
    """A part with its own provenance date, which cannot be in the future."""

    @field_validator("as_of", check_fields=False)
    @classmethod
    def _as_of_not_future(cls, value: _dt.date) -> _dt.date:
        check_not_future(value, "as_of")
        return value


class Region(_Part):
    id: Annotated[str, Field(pattern=ID_PATTERN)]
    name: str
    country: CountryCode
    # the site's own published figures, where the provider publishes them per region or campus
    pue: PueFigure | None = None
    wue: WueFigure | None = None


class Certification(_Dated):
    """A certification or qualification, for one offer of the provider."""

    name: str
    scope: str | None = None
    offer: str | None = None
    status: Literal["qualified", "in-qualification", "certified", "expired", "withdrawn"]
    valid_from: _dt.date | None = None  # the qualification decision's date, when published
    valid_to: _dt.date | None = None  # its expiry, when published (SecNumCloud: at most three years)
    # when only the year or month is published ("qualified since 2022"): YYYY or YYYY-MM
    qualified_since: str | None = None
    source: Annotated[str, Field(min_length=3)]
    as_of: _dt.date  # the date the status was read (not a qualification date)
    notes: str | None = None

    @field_validator("qualified_since")
    @classmethod
    def _partial(cls, value: str | None) -> str | None:
        return check_partial_date(value, "qualified_since")

    @model_validator(mode="after")
    def _dates(self) -> Certification:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError(f"valid_to ({self.valid_to}) is before valid_from ({self.valid_from})")
        if self.valid_from and self.qualified_since:
            raise ValueError("give valid_from (the exact date) or qualified_since (year or month), not both")
        return self

    def valid_on(self, day: _dt.date) -> bool:
        """True when qualified/certified and ``day`` is inside the validity dates."""
        if self.status not in ("qualified", "certified"):
            return False
        if self.valid_from and day < self.valid_from:
            return False
        return not (self.valid_to and day > self.valid_to)


class EgressTier(_Part):
    up_to_volume: float | None = Field(default=None, gt=0, le=1e12)  # None = no upper bound
    price_per_unit: float = Field(ge=0, le=10)


class Egress(_Dated):
    """Internet egress price schedule; volumes in ``volume_unit`` (GB or GiB) per month."""

    currency: Currency
    volume_unit: Literal["GB", "GiB"] = "GB"
    free_volume_per_month: float = Field(default=0, ge=0, le=1e12)
    tiers: tuple[EgressTier, ...]
    note: str | None = None
    source: Annotated[str, Field(min_length=3)]
    as_of: _dt.date
    kind: Kind = "datasheet"


class PueFigure(_Dated):
    """A published power usage effectiveness: facility energy / IT energy [-]."""

    value: float = Field(ge=1.0, le=3.0)
    scope: str  # what the figure covers: "fleet annual average", "design target", "one site"
    year: int = Field(ge=2000, le=2100)
    source: Annotated[str, Field(min_length=3)]
    as_of: _dt.date
    kind: Kind = "datasheet"


class SealAssessment(_Dated):
    """A SEAL level per EU Cloud Sovereignty Framework objective that someone published for a
    provider: the European Commission (official), the provider itself (self) or a third party.
    Levels are 0-4 keyed SOV-1..SOV-8; an objective left out was not published."""

    assessor: str
    assessment: Literal["official", "self", "third-party"]
    framework_version: str
    levels: dict[Annotated[str, Field(pattern=r"^SOV-[1-8]$")], Annotated[int, Field(ge=0, le=4)]]
    source: Annotated[str, Field(min_length=3)]
    as_of: _dt.date
    notes: str | None = None


class WueFigure(_Dated):
    """A published water usage effectiveness: site water use / IT energy [L/kWh]."""

    value_l_per_kwh: float = Field(ge=0.0, le=10.0)
    scope: str
    year: int = Field(ge=2000, le=2100)
    source: Annotated[str, Field(min_length=3)]
    as_of: _dt.date
    kind: Kind = "datasheet"


class Provider(Record):
    name: str
    category: ProviderCategory
    hq_country: CountryCode
    controlling_country: CountryCode
    parent: str | None = None
    regions: tuple[Region, ...] = ()
    certifications: tuple[Certification, ...] = ()
    egress: Egress | None = None
    publishes_gpu_prices: bool = True
    pue: PueFigure | None = None  # the provider's own published PUE; None = not published
    wue: WueFigure | None = None  # the provider's own published WUE; None = not published
    seal_assessments: tuple[SealAssessment, ...] = ()  # published SEAL levels (none is official so far)
    # the provider's own web domains: a `datasheet` figure about it must cite one of them
    domains: tuple[Annotated[str, Field(pattern=r"^[a-z0-9.-]+\.[a-z]{2,}$")], ...] = ()

    @model_validator(mode="after")
    def _unique_regions(self) -> Provider:
        ids = [r.id for r in self.regions]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"duplicate region id(s) {sorted(dup)}")
        return self

    def region(self, region_id: str) -> Region | None:
        return next((r for r in self.regions if r.id == region_id), None)


PRICING_MODELS: tuple[str, ...] = ("on_demand", "reserved_1y", "reserved_3y", "spot")


class Offer(Record):
    """An accelerator instance for rent: prices per accelerator-hour in ``currency``."""

    provider: str
    region: str
    instance_type: str
    accelerator: str
    accelerator_count: AccelCount
    currency: Currency
    on_demand_price_per_accel_hour: Price | None = None
    reserved_1y_price_per_accel_hour: Price | None = None
    reserved_3y_price_per_accel_hour: Price | None = None
    spot_price_per_accel_hour: Price | None = None

    @model_validator(mode="after")
    def _some_price(self) -> Offer:
        if not any(self.price_per_accel_hour(m) for m in PRICING_MODELS):
            raise ValueError(
                "an offer needs at least one price: on_demand_price_per_accel_hour, "
                "reserved_1y_price_per_accel_hour, reserved_3y_price_per_accel_hour or "
                "spot_price_per_accel_hour"
            )
        return self

    def price_per_accel_hour(self, pricing_model: str) -> float | None:
        return getattr(self, f"{pricing_model}_price_per_accel_hour")


class Discount(Record):
    """A negotiated discount off a provider's list prices (a user's overlay fact; none is bundled)."""

    provider: str
    pricing: Literal["on_demand", "reserved_1y", "reserved_3y", "spot"] | None = None  # None = every pricing model
    discount_frac: float = Field(ge=0, lt=1)


class FxRate(Record):
    """US dollars for one unit of ``currency`` on ``rate_date``."""

    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    usd_per_unit: float = Field(gt=0, le=1e4)
    rate_date: _dt.date

    @field_validator("rate_date")
    @classmethod
    def _rate_date_not_future(cls, value: _dt.date) -> _dt.date:
        check_not_future(value, "rate_date")
        return value


class ApiPrice(Record):
    """A public API price per million tokens (for comparison with self-hosting)."""

    vendor: str
    api_model: str
    model: str | None = None  # catalog model id when the API serves that open model
    currency: Currency
    input_price_per_mtok: float = Field(ge=0, le=1000)
    output_price_per_mtok: float = Field(ge=0, le=1000)
    region_note: str | None = None
    # measured output speed per request (1 / mean TPOT) [tokens/s], with its own source and date
    output_tok_per_s_per_user: float | None = Field(default=None, gt=0, le=100_000)
    speed_source: str | None = None
    speed_as_of: _dt.date | None = None

    @field_validator("speed_as_of")
    @classmethod
    def _speed_as_of_not_future(cls, value: _dt.date | None) -> _dt.date | None:
        return check_not_future(value, "speed_as_of")

    @model_validator(mode="after")
    def _speed_sourced(self) -> ApiPrice:
        if self.output_tok_per_s_per_user is not None and (self.speed_source is None or self.speed_as_of is None):
            raise ValueError("output_tok_per_s_per_user needs speed_source and speed_as_of")
        return self


Region.model_rebuild()
