"""A user's calibrated efficiency factors in a catalog overlay (``DIR/efficiency.yaml``,
written by ``tokenfab calibrate --save DIR``): per accelerator x serving stack, the three
stack factors fitted on that user's own benchmark runs, with how many runs and where from.

Only the ``calibrated.accelerator_stacks`` section may be overlaid; every other factor stays
the shipped one (fitted on validation/measured.csv). The merged table is kept with the
catalog (``Catalog.efficiency``), so ``--catalog DIR`` applies it in every command.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import CatalogError, describe_validation_error
from .files import load_yaml_text, read_text_bounded, strip_lines

FILE_NAME = "efficiency.yaml"
ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,79}$"


class StackFactors(BaseModel):
    """One accelerator x stack calibration. Bounds are the fit's physical bounds
    (``accuracy.calibration.BOUNDS``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    compute_scale: float = Field(ge=0.2, le=1.25)
    memory_eff: float = Field(ge=0.3, le=1.0)
    overhead_s: float = Field(ge=0.0, le=0.05)
    calibrated_on_runs: int = Field(ge=1, le=1_000_000)
    source: str = Field(min_length=3, max_length=4096)
    fitted_at: str = Field(default="", max_length=40)


class Overlay(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    accelerator_stacks: dict[str, dict[str, StackFactors]]


def read_overlay(path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """``calibrated.accelerator_stacks`` of an overlay efficiency.yaml, validated."""
    doc = strip_lines(load_yaml_text(read_text_bounded(path), path.name))
    if not isinstance(doc, dict) or set(doc) - {"schema_version", "calibrated"} or not isinstance(
            doc.get("calibrated"), dict):
        raise CatalogError(f"{path}: expected 'schema_version: 1' and 'calibrated: accelerator_stacks: ...' only. "
                           "Fix: write it with tokenfab calibrate --save DIR")
    try:
        ov = Overlay.model_validate(doc["calibrated"])
    except ValidationError as exc:
        raise CatalogError(describe_validation_error(exc.errors()[0], f"{path}: ")) from None
    for acc, stacks in ov.accelerator_stacks.items():
        for name in (acc, *stacks):
            if not re.match(ID_PATTERN, name):
                raise CatalogError(f"{path}: {name!r} is not an id (lowercase letters, digits, '.', '_', '-')")
    return {a: {s: f.model_dump() for s, f in st.items()} for a, st in ov.accelerator_stacks.items()}


def merged(base: dict[str, Any], own: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """``base`` (shaped like data/efficiency.yaml) with the user's accelerator x stack factors."""
    out = copy.deepcopy(base)
    table = out["calibrated"].setdefault("accelerator_stacks", {})
    for acc, stacks in own.items():
        table.setdefault(acc, {}).update(copy.deepcopy(stacks))
    return out


def calibration_note(table: dict[str, Any], accelerator: str, stack: str) -> str | None:
    """'efficiency of ACC x STACK calibrated on N of your runs (source)' when the user's overlay
    holds that pair, else None."""
    f = table.get("calibrated", {}).get("accelerator_stacks", {}).get(accelerator, {}).get(stack)
    if not f:
        return None
    n = int(f["calibrated_on_runs"])
    return (f"efficiency of {accelerator} x {stack} calibrated on {n} of your run{'s' if n != 1 else ''} "
            f"({f['source']})")
