"""Electricity grids (carbon, price) and large AI facilities."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .records import Currency, PositiveInt, Record
from .market import CountryCode, PueFigure


class Grid(Record):
    """Location-based grid carbon intensity and industrial electricity price."""

    name: str
    country: CountryCode
    subdivision: str | None = None
    carbon_gco2e_per_kwh: Annotated[float, Field(ge=0, le=1500)]
    carbon_year: Annotated[int, Field(ge=2000, le=2100)]
    electricity_price_per_kwh: Annotated[float, Field(gt=0, le=2)] | None = None
    price_currency: Currency | None = None
    price_year: Annotated[int, Field(ge=2000, le=2100)] | None = None
    price_basis: str | None = None

    @model_validator(mode="after")
    def _price_has_currency(self) -> "Grid":
        if self.electricity_price_per_kwh is not None and (
            self.price_currency is None or self.price_year is None
        ):
            raise ValueError("electricity_price_per_kwh needs price_currency and price_year")
        return self


FacilityStatus = Literal[
    "operating", "partially-operating", "under-construction", "announced", "proposed", "cancelled"
]


class Facility(Record):
    """A large AI data-centre project as dated facts."""

    name: str
    owner: str
    operator: str | None = None
    location: str
    country: CountryCode
    grid: str | None = None
    announced_power_w: Annotated[float, Field(gt=0, le=1e11)] | None = None
    operating_power_w: Annotated[float, Field(ge=0, le=1e11)] | None = None
    accelerator: str | None = None
    accelerator_count: PositiveInt | None = None
    # which power figure the accelerator count goes with, and whether power figures are
    # grid (utility, whole facility) or IT (critical) power
    accelerator_count_at: Literal["announced", "operating"] = "announced"
    power_basis: Literal["grid", "it"] = "grid"
    pue: PueFigure | None = None
    status: FacilityStatus

    @model_validator(mode="after")
    def _some_power(self) -> "Facility":
        if self.announced_power_w is None and self.operating_power_w is None:
            raise ValueError("a facility needs announced_power_w or operating_power_w")
        return self
