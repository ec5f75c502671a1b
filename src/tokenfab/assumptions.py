"""Sourced default assumptions for economics and energy (``data/assumptions.yaml``)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml


@lru_cache(maxsize=1)
def table() -> dict[str, dict[str, Any]]:
    text = (resources.files("tokenfab") / "data" / "assumptions.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)["values"]


def value(name: str) -> Any:
    return table()[name]["value"]


def cited(name: str) -> dict[str, Any]:
    """The assumption with its source, date and kind (for JSON output)."""
    row = table()[name]
    return {"name": name, **{k: (str(v) if k == "as_of" else v) for k, v in row.items()}}
