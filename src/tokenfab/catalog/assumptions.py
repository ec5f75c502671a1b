"""Sourced default assumptions (``data/assumptions.yaml``) and the engine's efficiency
factors (``data/efficiency.yaml``): data tables read once, never code."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..errors import InputError
from .files import read_bundled_yaml


def _read(name: str) -> dict[str, Any]:
    doc = read_bundled_yaml(name)
    if not isinstance(doc, dict):  # pragma: no cover - bundled files are tested
        raise InputError(f"{name}: expected a mapping")
    return doc


@lru_cache(maxsize=1)
def table() -> dict[str, dict[str, Any]]:
    """Every assumption by name: value, source, as_of, kind (and notes)."""
    values: dict[str, dict[str, Any]] = _read("assumptions.yaml")["values"]
    return values


def value(name: str) -> Any:
    """The value of one assumption."""
    return table()[name]["value"]


def number(name: str) -> float:
    """The value of one numeric assumption as a float."""
    return float(table()[name]["value"])


def cited(name: str, used_value: Any = None) -> dict[str, Any]:
    """The assumption with its source, date and kind (for results and JSON output)."""
    row = table()[name]
    out = {"name": name, **{k: (str(v) if k == "as_of" else v) for k, v in row.items()}}
    if used_value is not None:
        out["value"] = used_value
    return out


@lru_cache(maxsize=1)
def efficiency_table() -> dict[str, Any]:
    """The efficiency factors (``derated`` and ``calibrated`` sections of efficiency.yaml)."""
    return _read("efficiency.yaml")
