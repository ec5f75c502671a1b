"""Input and result model bases, and parsing user input into them with one-line errors."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import input_error_from

M = TypeVar("M", bound=BaseModel)


def parse_input(cls: type[M], data: Any, what: str = "") -> M:
    """``cls.model_validate(data)``; the first problem becomes one :class:`InputError` line."""
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise input_error_from(exc, what) from None


class InputModel(BaseModel):
    """Base of every request model (CLI flags, HTTP bodies and Python arguments map 1:1 to its
    fields): unknown fields refused, frozen, strict types (no string-to-number, bool-to-int or
    float-to-int coercion) and finite numbers only. Dates and lists relax strictness per field
    (``Lenient``) so that JSON and YAML can carry them."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class ResultModel(BaseModel):
    """Base of every result: frozen, typed, and unable to hold NaN or infinity (an undefined
    figure is ``None`` with a reason beside it). ``to_dict`` is the JSON the CLI prints."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
