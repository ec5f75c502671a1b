"""Turn pydantic validation errors on user input into one-line InputErrors."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import InputError

M = TypeVar("M", bound=BaseModel)


def parse_input(cls: type[M], data: dict[str, Any], what: str = "") -> M:
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        prefix = f"{what}: " if what else ""
        if err["type"] == "missing":
            raise InputError(f"{prefix}missing required field {loc!r}") from None
        if err["type"] == "extra_forbidden":
            raise InputError(f"{prefix}unknown field {loc!r}") from None
        if loc:
            raise InputError(f"{prefix}{loc} = {err.get('input')!r}: {msg}") from None
        raise InputError(f"{prefix}{msg}") from None
