"""What-if ranges (``data/uncertainty.yaml``): for each uncertain input, a distribution of a
multiplicative factor on the value a capacity already uses, with its source. An overlay
directory may hold its own ``uncertainty.yaml``; its inputs and facts replace the bundled
ones by name (new names are added)."""

from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import CatalogError, input_error_from
from .files import load_yaml_text, read_text_bounded, strip_lines
from .loader import OVERLAY_ENV, bundled_dir
from .records import Kind

FILE = "uncertainty.yaml"
Target = Literal["throughput", "rent", "fx", "pue", "electricity", "utilization", "lifetime", "residual",
                 "colocation"]
TARGETS: tuple[str, ...] = Target.__args__  # type: ignore[attr-defined]
Per = Literal["sample", "accelerator", "provider", "currency"]
Factor = Annotated[float, Field(gt=0, le=100)]
Names = Annotated[tuple[Annotated[str, Field(max_length=40)], ...], Field(strict=False, max_length=16)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Distribution(_Strict):
    """A factor's distribution: triangular (low, mode, high), uniform (low, high), lognormal
    (median, sigma of the natural log) or, for engine throughput only, ``accuracy-band``: each
    row's own 80 % prediction interval (``accuracy.bands``) as a lognormal, the range the
    estimate prints beside its figures."""

    kind: Literal["triangular", "uniform", "lognormal", "accuracy-band"]
    low: Factor | None = None
    mode: Factor | None = None
    high: Factor | None = None
    median: Factor | None = None
    sigma: Annotated[float, Field(ge=0, le=3)] | None = None

    @model_validator(mode="after")
    def _complete(self) -> Distribution:
        need = {"triangular": ("low", "mode", "high"), "uniform": ("low", "high"), "lognormal": ("median", "sigma"),
                "accuracy-band": ()}
        missing = [n for n in need[self.kind] if getattr(self, n) is None]
        if missing:
            raise ValueError(f"a {self.kind} distribution needs {', '.join(need[self.kind])}; missing {', '.join(missing)}")
        if self.kind == "triangular" and not (self.low <= self.mode <= self.high):  # type: ignore[operator]
            raise ValueError(f"triangular needs low <= mode <= high, got {self.low}, {self.mode}, {self.high}")
        if self.kind == "uniform" and not self.low <= self.high:  # type: ignore[operator]
            raise ValueError(f"uniform needs low <= high, got {self.low}, {self.high}")
        return self

    def bounds(self) -> tuple[float, float]:
        """The range a tornado bar spans: low/high, or the 5th/95th percentiles (lognormal); an
        accuracy band is per row (the tornado reads the row's own ends), 1 here."""
        if self.kind == "lognormal":
            import math

            m, s = float(self.median or 1.0), float(self.sigma or 0.0)
            return m * math.exp(-1.6449 * s), m * math.exp(1.6449 * s)
        return float(self.low or 1.0), float(self.high or 1.0)


class When(_Strict):
    """Which rows an input applies to (all when empty)."""

    model_class: Literal["dense", "moe"] | None = None
    pricing: Names = ()
    currency: Names = ()


class _Sourced(_Strict):
    """Where a range or fact comes from (the catalog's provenance fields)."""

    source: Annotated[str, Field(min_length=3, max_length=600)]
    as_of: dt.date
    kind: Kind
    notes: Annotated[str, Field(max_length=600)] | None = None


class UncertainInput(_Sourced):
    name: Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    target: Target
    when: When = When()
    per: Per = "sample"
    distribution: Distribution

    @model_validator(mode="after")
    def _band_on_throughput(self) -> UncertainInput:
        if self.distribution.kind == "accuracy-band" and self.target != "throughput":
            raise ValueError(f"distribution kind accuracy-band is the engine's throughput interval; target = "
                             f"{self.target!r}: use triangular, uniform or lognormal")
        return self


class Fact(_Sourced):
    value: float


class Uncertainty(_Strict):
    schema_version: Literal[1] = 1
    inputs: Annotated[tuple[UncertainInput, ...], Field(max_length=200)] = ()
    facts: dict[Annotated[str, Field(max_length=60)], Fact] = {}

    def fact(self, name: str) -> float:
        if name not in self.facts:
            raise CatalogError(f"{FILE}: fact {name!r} is missing. Fix: add it under 'facts' with its source")
        return float(self.facts[name].value)

    def merged(self, other: Uncertainty) -> Uncertainty:
        """``other``'s inputs and facts replace these by name."""
        mine = {i.name: i for i in self.inputs}
        mine.update({i.name: i for i in other.inputs})
        return Uncertainty(inputs=tuple(mine.values()), facts={**self.facts, **other.facts})

    def with_zero_width(self) -> Uncertainty:
        """Every input collapsed to a factor of exactly 1 (tests: the result must equal plan)."""
        one = Distribution(kind="uniform", low=1.0, high=1.0)
        return Uncertainty(inputs=tuple(i.model_copy(update={"distribution": one}) for i in self.inputs),
                           facts=self.facts)


def _parse(path: Path) -> Uncertainty:
    doc = load_yaml_text(read_text_bounded(path), path.name)
    if not isinstance(doc, dict):
        raise CatalogError(f"{path}: expected a mapping with schema_version, inputs and facts")
    try:
        return Uncertainty.model_validate(strip_lines(doc))
    except ValidationError as exc:
        raise CatalogError(str(input_error_from(exc, prefix=str(path)))) from None


@lru_cache(maxsize=8)
def _cached(overlay: Path | None) -> Uncertainty:
    base = _parse(bundled_dir() / FILE)
    if overlay is not None and (overlay / FILE).is_file():
        base = base.merged(_parse(overlay / FILE))
    return base


def load_uncertainty(overlay: str | os.PathLike[str] | None = None) -> Uncertainty:
    """The bundled ranges plus an overlay directory's ``uncertainty.yaml`` (or $TOKENFAB_CATALOG's)."""
    if overlay is None:
        overlay = os.environ.get(OVERLAY_ENV) or None
    path = Path(overlay).expanduser() if overlay is not None else None
    if path is not None and not path.is_dir():
        raise CatalogError(f"catalog overlay {str(path)!r} is not a directory. Fix: pass a folder")
    return _cached(path)
