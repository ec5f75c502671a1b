"""Base record shared by every catalog row: provenance and plausibility.

Every row carries ``source`` (URL or citation), ``as_of`` (ISO date) and
``kind`` (datasheet | measured | derived | estimate | secondary): ``datasheet`` only for the
maker's or provider's own published page or document, ``secondary`` for a figure read from a
compilation, press article or tracker (its source names the primary document where one
exists; ``tokenfab.catalog.provenance`` enforces both). A figure that differs in
kind from the rest of its row is listed in ``field_kinds``; an estimate must say
in ``notes`` what it is estimated from.
"""

from __future__ import annotations

import datetime as _dt
import re
import types
import typing
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

Kind = Literal["datasheet", "measured", "derived", "estimate", "secondary"]
KINDS: tuple[str, ...] = ("datasheet", "measured", "derived", "estimate", "secondary")

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"

# Plausibility ranges. A value outside them is almost always a unit mistake
# (80 written for 80 GB in a *_bytes field), so the error says which unit is meant.
AccelMemoryBytes = Annotated[float, Field(ge=1e8, le=1e13)]
BytesPerS = Annotated[float, Field(ge=1e9, le=1e17)]
FlopPerS = Annotated[float, Field(ge=1e12, le=1e19)]
PowerW = Annotated[float, Field(gt=0, le=1e10)]
PositiveInt = Annotated[int, Field(gt=0)]
# a count of chips in one offer, system or scale-up domain (the largest pods hold ~10^4)
AccelCount = Annotated[int, Field(gt=0, le=100_000)]
# on-chip SRAM of one device: 1 MB (small NPU) to 1 TB (beyond a wafer-scale engine's 44 GB)
SramBytes = Annotated[float, Field(ge=1e6, le=1e12)]
Price = Annotated[float, Field(gt=0, le=1e7)]

CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP", "CAD", "NOK", "CHF", "SEK", "PLN", "DKK", "JPY")
Currency = Literal["USD", "EUR", "GBP", "CAD", "NOK", "CHF", "SEK", "PLN", "DKK", "JPY"]

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


def check_not_future(value: _dt.date | None, field: str) -> _dt.date | None:
    """Refuse a provenance date after today or before 1990 (a typo, not a fact)."""
    if value is None:
        return None
    if value > _dt.date.today():
        raise ValueError(
            f"{field} {value.isoformat()} is in the future; it is the date the figure was read. "
            "Fix: use the date you read the source (today or earlier)"
        )
    if value.year < 1990:
        raise ValueError(f"{field} {value.isoformat()} looks wrong: before 1990")
    return value


def _accepts_bool(annotation: Any) -> bool:
    """True when a field's type admits a bool (``bool``, ``bool | None``, ``Annotated[bool, ...]``)."""
    if annotation is bool:
        return True
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _accepts_bool(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return any(_accepts_bool(a) for a in typing.get_args(annotation))
    return False


def refuse_bool_number(model: type[BaseModel], value: Any, info: ValidationInfo) -> Any:
    """pydantic reads ``true`` as 1 in a number field; a catalog number never is a bool."""
    name = info.field_name
    if isinstance(value, bool) and name is not None:
        field = model.model_fields.get(name)
        if field is not None and not _accepts_bool(field.annotation):
            raise ValueError(f"expected a number or text, not {str(value).lower()}")
    return value


STRICT_CONFIG = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False)


def check_partial_date(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    text = str(value)
    if not _PARTIAL_DATE.match(text):
        raise ValueError(f"{field} must be an ISO date YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")
    parts = [int(p) for p in text.split("-")]
    try:
        _dt.date(parts[0], *(parts[1:] + [1, 1])[:2])
    except ValueError:
        raise ValueError(f"{field} {text!r} is not a calendar date") from None
    return text


class Record(BaseModel):
    """A catalog row with provenance."""

    model_config = STRICT_CONFIG

    id: Annotated[str, Field(pattern=ID_PATTERN, min_length=1, max_length=80)]
    source: Annotated[str, Field(min_length=3)]
    as_of: _dt.date
    kind: Kind
    notes: str | None = None
    field_kinds: dict[str, Kind] = Field(default_factory=dict)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        return refuse_bool_number(cls, value, info)

    @field_validator("as_of")
    @classmethod
    def _as_of_not_future(cls, value: _dt.date) -> _dt.date:
        check_not_future(value, "as_of")
        return value

    @model_validator(mode="after")
    def _provenance_consistent(self) -> Record:
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
