"""Base record shared by every catalog row: provenance and plausibility.

Every row carries ``source`` (URL or citation), ``as_of`` (ISO date) and
``kind`` (datasheet | measured | derived | estimate). A figure that differs in
kind from the rest of its row is listed in ``field_kinds``; an estimate must say
in ``notes`` what it is estimated from.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Kind = Literal["datasheet", "measured", "derived", "estimate"]
KINDS: tuple[str, ...] = ("datasheet", "measured", "derived", "estimate")

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"

# Plausibility ranges. A value outside them is almost always a unit mistake
# (80 written for 80 GB in a *_bytes field), so the error says which unit is meant.
AccelMemoryBytes = Annotated[float, Field(ge=1e8, le=1e13)]
BytesPerS = Annotated[float, Field(ge=1e9, le=1e17)]
FlopPerS = Annotated[float, Field(ge=1e12, le=1e19)]
PowerW = Annotated[float, Field(gt=0, le=1e10)]
PositiveInt = Annotated[int, Field(gt=0)]
Price = Annotated[float, Field(gt=0, le=1e7)]

CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP", "CAD", "NOK")
Currency = Literal["USD", "EUR", "GBP", "CAD", "NOK"]

_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")

# what a unit suffix means, for error hints
UNIT_HINTS: dict[str, str] = {
    "_bytes": "the value is in bytes (80 GB is 80e9)",
    "_bytes_per_s": "the value is in bytes per second (3.35 TB/s is 3.35e12; 400 Gb/s is 50e9)",
    "_per_direction": "the value is in bytes per second, one direction (NVLink 4 is 450e9)",
    "_flop_per_s": "the value is in FLOP/s (989 TFLOP/s is 989e12)",
    "_op_per_s": "the value is in operations per second (393 TOPS is 393e12)",
    "_w": "the value is in watts (700 W is 700; 1.2 GW is 1.2e9)",
    "_per_accel_hour": "the value is a price per accelerator-hour in the row's currency, > 0",
    "_gco2e_per_kwh": "the value is in gCO2e per kWh (France is ~56, Poland ~660)",
    "_per_kwh": "the value is a price per kWh in the row's currency (0.18 for 18 cents)",
    "_per_gb": "the value is a price per GB in the egress currency",
}


def unit_hint(field_name: str) -> str:
    for suffix in sorted(UNIT_HINTS, key=len, reverse=True):
        if field_name.endswith(suffix):
            return UNIT_HINTS[suffix]
    return ""


def check_partial_date(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    if not _PARTIAL_DATE.match(str(value)):
        raise ValueError(f"{field} must be an ISO date YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")
    return str(value)


class Record(BaseModel):
    """A catalog row with provenance."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: Annotated[str, Field(pattern=ID_PATTERN, min_length=1, max_length=80)]
    source: Annotated[str, Field(min_length=3)]
    as_of: _dt.date
    kind: Kind
    notes: str | None = None
    field_kinds: dict[str, Kind] = Field(default_factory=dict)

    @field_validator("as_of", mode="before")
    @classmethod
    def _as_of_not_future(cls, value: object) -> object:
        if isinstance(value, _dt.date) and value.year < 1990:
            raise ValueError("as_of looks wrong: before 1990")
        return value

    @model_validator(mode="after")
    def _provenance_consistent(self) -> "Record":
        fields = set(type(self).model_fields)
        for name in self.field_kinds:
            if name not in fields:
                raise ValueError(f"field_kinds names {name!r}, which is not a field of this row")
            if getattr(self, name) is None:
                raise ValueError(f"field_kinds names {name!r}, which has no value in this row")
        has_estimate = self.kind == "estimate" or "estimate" in self.field_kinds.values()
        if has_estimate and not self.notes:
            raise ValueError("an estimate must say what it is estimated from: add 'notes'")
        return self

    def kind_of(self, field: str) -> str:
        """Kind of one figure: its override in ``field_kinds`` or the row's kind."""
        return self.field_kinds.get(field, self.kind)

    def figures(self) -> dict[str, object]:
        """Every field with a value, in declaration order (for show/JSON)."""
        return {k: v for k, v in self.model_dump(mode="json").items() if v not in (None, {}, [])}
