"""Load the bundled catalog, apply a user overlay, validate rows and references."""

from __future__ import annotations

import builtins
import datetime
import difflib
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, cast

from pydantic import ValidationError

from ..errors import MAX_VALUE_CHARS, CatalogError, InputError, UnknownIdError, show_value, singular
from .assumptions import efficiency_table
from .efficiency_overlay import FILE_NAME as EFFICIENCY_FILE
from .efficiency_overlay import merged, read_overlay
from .files import RawRow, bundled_dir, read_bundled_yaml, read_rows
from .hardware import Accelerator, System
from .market import ApiPrice, Discount, FxRate, Offer, Provider
from .model_spec import ModelSpec
from .records import Record, unit_hint
from .sites import Facility, Grid
from .software import Stack
from .speculative import SpeculativeMethod

OVERLAY_ENV = "TOKENFAB_CATALOG"
CALIBRATION_ROWS_FILE = "measured.csv"  # validate-format rows tokenfab calibrate --save writes beside its overlay
R = TypeVar("R", bound=Record)

# kind -> (file name, record class); the order is the order of loading and listing
KIND_FILES: dict[str, tuple[str, type[Record]]] = {
    "accelerators": ("accelerators.yaml", Accelerator),
    "systems": ("systems.yaml", System),
    "models": ("models.yaml", ModelSpec),
    "providers": ("providers.yaml", Provider),
    "offers": ("offers.csv", Offer),
    "grids": ("grids.csv", Grid),
    "facilities": ("facilities.yaml", Facility),
    "stacks": ("stacks.yaml", Stack),
    "fx_rates": ("fx_rates.csv", FxRate),
    "api_prices": ("api_prices.csv", ApiPrice),
    "discounts": ("discounts.csv", Discount),
    "speculative": ("speculative.yaml", SpeculativeMethod),
}
KINDS: tuple[str, ...] = tuple(KIND_FILES)
EXTRA_FILES: tuple[str, ...] = ("uncertainty.yaml",)  # overlayable data that are not catalog rows


def catalog_release() -> tuple[str, datetime.date]:
    """The bundled catalog's version and date (data/catalog.yaml)."""
    meta = read_bundled_yaml("catalog.yaml")
    return str(meta["version"]), meta["date"]


@dataclass(frozen=True)
class Override:
    kind: str
    id: str
    file: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.id} overridden by {self.file}"


@dataclass(frozen=True)
class Catalog:
    """Every catalog row by kind and id. Build it with :func:`load_catalog`."""

    rows: dict[str, dict[str, Record]]
    overrides: tuple[Override, ...] = ()
    origins: dict[tuple[str, str], str] = field(default_factory=dict)
    # derived data computed from the rows (never from outside), kept with the catalog it came from
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    # the engine's efficiency table (data/efficiency.yaml) with the overlay's calibrated factors
    efficiency: dict[str, Any] = field(default_factory=efficiency_table, compare=False, repr=False)

    def list(self, kind: str) -> builtins.list[Record]:
        return builtins.list(self._kind(kind).values())

    def get(self, kind: str, row_id: str) -> Any:
        """The row of ``kind`` with this id; ids match case-insensitively (they are lower case)."""
        rows = self._kind(kind)
        row = rows.get(row_id) or rows.get(str(row_id).strip().lower())
        if row is None:
            raise UnknownIdError(kind, row_id, rows)
        return row

    def has(self, kind: str, row_id: str) -> bool:
        rows = self._kind(kind)
        return row_id in rows or str(row_id).strip().lower() in rows

    def find(self, row_id: str) -> builtins.list[tuple[str, Record]]:
        """Every row with this id, whatever its kind."""
        return [(k, rows[row_id]) for k, rows in self.rows.items() if row_id in rows]

    def all_ids(self) -> builtins.list[str]:
        return sorted({i for rows in self.rows.values() for i in rows})

    def origin(self, kind: str, row_id: str) -> str:
        return self.origins.get((kind, row_id), "bundled")

    def _kind(self, kind: str) -> dict[str, Record]:
        if kind not in self.rows:
            close = difflib.get_close_matches(kind, KINDS, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(KINDS)}"
            raise InputError(f"unknown catalog kind {kind!r}: {hint}")
        return self.rows[kind]

    # typed shortcuts
    def accelerator(self, row_id: str) -> Accelerator:
        return cast(Accelerator, self.get("accelerators", row_id))

    def model(self, row_id: str) -> ModelSpec:
        return cast(ModelSpec, self.get("models", row_id))

    def provider(self, row_id: str) -> Provider:
        return cast(Provider, self.get("providers", row_id))

    def typed(self, kind: str, cls: type[R]) -> builtins.list[R]:
        """Every row of ``kind`` as ``cls`` (for typed iteration)."""
        return [r for r in self._kind(kind).values() if isinstance(r, cls)]

    def offer(self, row_id: str) -> Offer:
        return cast(Offer, self.get("offers", row_id))

    def system(self, row_id: str) -> System:
        return cast(System, self.get("systems", row_id))

    def grid(self, row_id: str) -> Grid:
        return cast(Grid, self.get("grids", row_id))

    def facility(self, row_id: str) -> Facility:
        return cast(Facility, self.get("facilities", row_id))

    def stack(self, row_id: str) -> Stack:
        return cast(Stack, self.get("stacks", row_id))

    def usd_per_unit(self, currency: str, on: datetime.date | None = None) -> FxRate:
        """The exchange rate for ``currency`` (USD per unit) dated nearest ``on`` (the date of the
        price it converts; the earlier of two equally near), or the newest when ``on`` is None."""
        rates = [r for r in self.typed("fx_rates", FxRate) if r.currency == currency]
        if not rates:
            known = sorted({r.currency for r in self.typed("fx_rates", FxRate)})
            raise InputError(
                f"currency = {currency!r}: no exchange rate in the catalog (known: {', '.join(known)}). "
                "Fix: add a dated row to fx_rates.csv in your overlay"
            )
        if on is None:
            return max(rates, key=lambda r: r.rate_date)
        return min(rates, key=lambda r: (abs((r.rate_date - on).days), r.rate_date))

    def to_usd(self, amount: float, currency: str, on: datetime.date | None = None) -> float:
        """``amount`` in ``currency`` converted at the catalog rate nearest ``on`` (USD passes through)."""
        return amount if currency == "USD" else amount * self.usd_per_unit(currency, on).usd_per_unit


def _field_list(names: list[str], fname: str, limit: int = 200) -> str:
    """The field names, cut to about ``limit`` characters so the error stays a readable line."""
    text = ", ".join(names)
    if len(text) <= limit:
        return text
    return f"{text[:limit].rsplit(', ', 1)[0]}, ... ({len(names)} in all; see the rows of the bundled {fname})"


def format_validation_error(raw: RawRow, kind: str, exc: ValidationError) -> list[str]:
    """One line per problem: file:line, row id, field, value, rule and fix."""
    cls = KIND_FILES[kind][1]
    row_id = raw.data.get("id", "?")
    if not (isinstance(row_id, str) and row_id.isprintable() and len(row_id) <= MAX_VALUE_CHARS):
        row_id = show_value(row_id)  # an id that is not one (a number, 5,000 characters, a line break)
    lines = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        field_name = show_value(".".join(loc) if loc else "(row)")
        head = f"{raw.where}: {singular(kind)}{row_id}"
        etype = err["type"]
        if etype == "missing":
            lines.append(f"{head}: missing required field {field_name}. Fix: add it (with its source)")
        elif etype == "extra_forbidden":
            known = list(cls.model_fields)
            close = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.5)
            hint = f"did you mean {close[0]!r}?" if close else f"allowed fields: {_field_list(known, KIND_FILES[kind][0])}"
            lines.append(f"{head}: unknown field {field_name} = {show_value(err.get('input'))}: {hint}")
        else:
            value = err.get("input")
            msg = err["msg"]
            hint = unit_hint(loc[-1]) if loc else ""
            fix = f". Fix: {hint}" if hint else ""
            if loc:
                lines.append(f"{head}: field {field_name} = {show_value(value)}: {msg}{fix}")
            else:
                lines.append(f"{head}: {msg.removeprefix('Value error, ')}")
    return lines


def _load_kind(path: Path, kind: str, errors: list[str]) -> list[tuple[Record, RawRow]]:
    cls = KIND_FILES[kind][1]
    out: list[tuple[Record, RawRow]] = []
    try:
        raws = read_rows(path)
    except CatalogError as exc:
        errors.append(str(exc))
        return out
    seen: dict[str, int] = {}
    for raw in raws:
        try:
            rec = cls.model_validate(raw.data)
        except ValidationError as exc:
            errors.extend(format_validation_error(raw, kind, exc))
            continue
        if rec.id in seen:
            errors.append(
                f"{raw.where}: {singular(kind)}id {rec.id!r} is already defined at line "
                f"{seen[rec.id]} of the same file. Fix: give each row a unique id"
            )
            continue
        seen[rec.id] = raw.line
        out.append((rec, raw))
    return out


def check_references(rows: dict[str, dict[str, Record]]) -> list[str]:
    """Every id a row points to must exist (offers -> provider, region, accelerator...)."""
    errors: list[str] = []

    def need(kind: str, target: str | None, where: str, fld: str) -> None:
        if target is not None and target not in rows[kind]:
            close = difflib.get_close_matches(target, list(rows[kind]), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"add it to {KIND_FILES[kind][0]}"
            errors.append(f"{where}: field {fld!r} = {show_value(target)}: unknown {singular(kind)}id; {hint}")

    def of(kind: str, cls: type[R]) -> list[R]:
        return [r for r in rows[kind].values() if isinstance(r, cls)]

    for off in of("offers", Offer):
        where = f"offers.csv: offer {off.id}"
        need("providers", off.provider, where, "provider")
        need("accelerators", off.accelerator, where, "accelerator")
        prov = rows["providers"].get(off.provider)
        if isinstance(prov, Provider) and prov.region(off.region) is None:
            errors.append(
                f"{where}: field 'region' = {off.region!r}: provider {prov.id!r} has no such region; "
                f"known: {', '.join(r.id for r in prov.regions) or 'none'}"
            )
    for sysm in of("systems", System):
        need("accelerators", sysm.accelerator, f"systems.yaml: system {sysm.id}", "accelerator")
    for api in of("api_prices", ApiPrice):
        need("models", api.model, f"api_prices.csv: api price {api.id}", "model")
    for fac in of("facilities", Facility):
        need("accelerators", fac.accelerator, f"facilities.yaml: facility {fac.id}", "accelerator")
        need("grids", fac.grid, f"facilities.yaml: facility {fac.id}", "grid")
    for disc in of("discounts", Discount):
        need("providers", disc.provider, f"discounts.csv: discount {disc.id}", "provider")
    for sm in of("speculative", SpeculativeMethod):
        need("models", sm.model, f"speculative.yaml: method {sm.id}", "model")
    return errors


def _resolve_overlay(overlay: str | os.PathLike | None) -> Path | None:
    if overlay is None:
        overlay = os.environ.get(OVERLAY_ENV) or None
    if overlay is None:
        return None
    try:
        path = Path(overlay).expanduser()
    except RuntimeError:  # '~name' of an unknown user: no such directory, said below
        path = Path(overlay)
    if not path.is_dir():
        raise InputError(
            f"catalog overlay {str(path)!r} is not a directory. Fix: pass a folder holding "
            f"files named like the bundled ones ({', '.join(f for f, _ in KIND_FILES.values())})"
        )
    return path


def _build(overlay: Path | None) -> tuple[Catalog, list[str]]:
    errors: list[str] = []
    rows: dict[str, dict[str, Record]] = {k: {} for k in KINDS}
    origins: dict[tuple[str, str], str] = {}
    overrides: list[Override] = []
    efficiency = efficiency_table()
    base = bundled_dir()
    for kind, (fname, _) in KIND_FILES.items():
        for rec, _raw in _load_kind(base / fname, kind, errors):
            rows[kind][rec.id] = rec
    if overlay is not None:
        known_files = {f: k for k, (f, _) in KIND_FILES.items()}
        for path in sorted(overlay.iterdir()):
            if path.name.startswith(".") or path.is_dir():
                continue
            file_kind = known_files.get(path.name)
            if path.name == CALIBRATION_ROWS_FILE:  # tokenfab calibrate's rows, kept beside its overlay
                continue
            if path.name == EFFICIENCY_FILE:
                try:
                    efficiency = merged(efficiency, read_overlay(path))
                except CatalogError as exc:
                    errors.append(str(exc))
                continue
            if path.name in EXTRA_FILES:  # read by their own loaders (catalog/uncertainty.py)
                continue
            if file_kind is None:
                close = difflib.get_close_matches(path.name, list(known_files), n=1)
                names = [*known_files, EFFICIENCY_FILE, *EXTRA_FILES]
                hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(names)}"
                errors.append(f"{path}: not a catalog file name: {hint}")
                continue
            for rec, raw in _load_kind(path, file_kind, errors):
                if rec.id in rows[file_kind]:
                    overrides.append(Override(file_kind, rec.id, str(path)))
                rows[file_kind][rec.id] = rec
                origins[(file_kind, rec.id)] = f"{path}:{raw.line}"
    if not errors:
        errors.extend(check_references(rows))
    return Catalog(rows=rows, overrides=tuple(overrides), origins=origins, efficiency=efficiency), errors


@lru_cache(maxsize=8)
def _cached(overlay: Path | None) -> Catalog:
    catalog, errors = _build(overlay)
    if errors:
        more = f" (and {len(errors) - 1} more; run 'tokenfab catalog validate')" if len(errors) > 1 else ""
        raise CatalogError(errors[0] + more)
    return catalog


def load_catalog(overlay: str | os.PathLike | None = None) -> Catalog:
    """The bundled catalog plus an optional overlay directory (or $TOKENFAB_CATALOG).

    Rows in the overlay with a bundled id replace that row (see ``Catalog.overrides``);
    new ids are added. Raises :class:`CatalogError` on the first problem found.
    Cached per overlay path; the files are read once per process.
    """
    return _cached(_resolve_overlay(overlay))


def validate_catalog(overlay: str | os.PathLike | None = None) -> tuple[Catalog, list[str]]:
    """Load everything and return the catalog with every problem found (one line each)."""
    return _build(_resolve_overlay(overlay))
