"""Parse user input into a pydantic model, turning validation errors into one-line InputErrors."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import input_error_from

M = TypeVar("M", bound=BaseModel)


def parse_input(cls: type[M], data: Any, what: str = "") -> M:
    """``cls.model_validate(data)``; the first problem becomes one :class:`InputError` line."""
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise input_error_from(exc, what) from None
