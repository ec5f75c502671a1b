"""Electricity grids (carbon, price) and large AI facilities."""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .market import CountryCode, PueFigure
from .records import Currency, Record

CARBON_BASIS = "life-cycle"


class Grid(Record):
    """Location-based grid carbon intensity and industrial electricity price.

    Carbon is kept on one stated basis, life-cycle (``carbon_gco2e_per_kwh``, with its year and
    source); the operational (direct combustion) figure is its own field. :meth:`carbon` gives
    the stated basis, or the operational figure flagged as such where no life-cycle figure exists.
    """

    name: str
    country: CountryCode
    subdivision: str | None = None
    carbon_gco2e_per_kwh: Annotated[float, Field(ge=0, le=1500)] | None = None  # life-cycle
    carbon_year: Annotated[int, Field(ge=2000, le=2100)] | None = None
    carbon_source: str | None = None
    carbon_operational_gco2e_per_kwh: Annotated[float, Field(ge=0, le=1500)] | None = None
    carbon_operational_year: Annotated[int, Field(ge=2000, le=2100)] | None = None
    carbon_operational_source: str | None = None
    electricity_price_per_kwh: Annotated[float, Field(gt=0, le=2)] | None = None
    price_currency: Currency | None = None
    price_year: Annotated[int, Field(ge=2000, le=2100)] | None = None
    price_basis: str | None = None

    @model_validator(mode="after")
    def _carbon_complete(self) -> Grid:
        for value, year, what in ((self.carbon_gco2e_per_kwh, self.carbon_year, "carbon_gco2e_per_kwh"),
                                  (self.carbon_operational_gco2e_per_kwh, self.carbon_operational_year,
                                   "carbon_operational_gco2e_per_kwh")):
            if (value is None) != (year is None):
                raise ValueError(f"{what} and its year go together: give both or neither")
        if self.carbon_gco2e_per_kwh is None and self.carbon_operational_gco2e_per_kwh is None:
            raise ValueError("a grid needs a carbon figure: carbon_gco2e_per_kwh (life-cycle) with carbon_year, "
                             "or carbon_operational_gco2e_per_kwh with carbon_operational_year")
        return self

    def carbon(self) -> tuple[float, int, str]:
        """(gCO2e/kWh, year, basis): life-cycle, else the operational figure with the basis saying so."""
        if self.carbon_gco2e_per_kwh is not None and self.carbon_year is not None:
            return self.carbon_gco2e_per_kwh, self.carbon_year, CARBON_BASIS
        assert self.carbon_operational_gco2e_per_kwh is not None and self.carbon_operational_year is not None
        return (self.carbon_operational_gco2e_per_kwh, self.carbon_operational_year,
                "operational (no life-cycle figure published for this grid; operational figures are lower)")

    @model_validator(mode="after")
    def _price_has_currency(self) -> Grid:
        if self.electricity_price_per_kwh is not None and (
            self.price_currency is None or self.price_year is None
        ):
            raise ValueError("electricity_price_per_kwh needs price_currency and price_year")
        return self

    @field_validator("carbon_year", "carbon_operational_year", "price_year")
    @classmethod
    def _year_not_future(cls, year: int | None, info: ValidationInfo) -> int | None:
        if year is not None and year > _dt.date.today().year:
            raise ValueError(f"{info.field_name} {year} is in the future. Fix: use the year the figure is for")
        return year


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
    # > 0: a facility not yet drawing power leaves it out (0 would divide downstream)
    operating_power_w: Annotated[float, Field(gt=0, le=1e11)] | None = None
    accelerator: str | None = None
    # the largest announced campuses count ~10^6 accelerators
    accelerator_count: Annotated[int, Field(gt=0, le=100_000_000)] | None = None
    # announced/operating power figures: grid (utility, whole facility) or IT (critical) power
    power_basis: Literal["grid", "it"] = "grid"
    # the power figure the accelerator count goes with (a phase, a build-out); None = no
    # published figure pairs with the count (the notes say why)
    accelerator_count_power_w: Annotated[float, Field(gt=0, le=1e11)] | None = None
    accelerator_count_power_basis: Literal["grid", "it"] = "grid"
    pue: PueFigure | None = None
    status: FacilityStatus

    @model_validator(mode="after")
    def _some_power(self) -> Facility:
        if self.announced_power_w is None and self.operating_power_w is None:
            raise ValueError("a facility needs announced_power_w or operating_power_w")
        return self
