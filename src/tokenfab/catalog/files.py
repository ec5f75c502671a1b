"""Reading catalog files (YAML and CSV) into rows, with file and line for errors."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import CatalogError

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class RawRow:
    """One row as read from a file, before validation."""

    path: Path
    line: int
    data: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads 80e9 as a float, rejects duplicate keys and keeps line numbers."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def read_yaml_rows(path: Path) -> list[RawRow]:
    """Rows of a catalog YAML file: a mapping with ``schema_version`` and ``rows``."""
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise CatalogError(
            f"{path.name}{line}: YAML syntax error: {exc.problem or exc}. "
            "Fix: check indentation, colons and quotes on that line"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: cannot read file: {exc}") from None
    if not isinstance(doc, dict) or "rows" not in doc:
        raise CatalogError(
            f"{path.name}: expected a mapping with 'schema_version: {SCHEMA_VERSION}' and 'rows:'; "
            "Fix: put the entries in a list under 'rows:'"
        )
    version = doc.get("schema_version")
    if version != SCHEMA_VERSION:
        raise CatalogError(
            f"{path.name}: schema_version = {version!r}: this tokenfab reads version "
            f"{SCHEMA_VERSION}. Fix: set 'schema_version: {SCHEMA_VERSION}'"
        )
    rows = doc["rows"]
    if not isinstance(rows, list):
        raise CatalogError(f"{path.name}: 'rows' must be a list of mappings, got {type(rows).__name__}")
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise CatalogError(
                f"{path.name}: rows[{i}] = {row!r}: each row must be a mapping of field: value"
            )
        line = row.get("__line__", 0)
        out.append(RawRow(path, line, _strip_lines(row)))
    return out


def read_csv_rows(path: Path) -> list[RawRow]:
    """Rows of a catalog CSV file. Lines starting with '#' are comments; an empty cell is absent."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: cannot read file: {exc}") from None
    lines = text.splitlines()
    numbered = [(n + 1, ln) for n, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")]
    if not numbered:
        raise CatalogError(f"{path.name}: no header row. Fix: the first non-comment line names the columns")
    reader = csv.reader(io.StringIO("\n".join(ln for _, ln in numbered)), strict=True)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise CatalogError(f"{path.name}: CSV syntax error: {exc}. Fix: check quotes and commas") from None
    if len(records) != len(numbered):  # a quoted cell spanning lines
        raise CatalogError(f"{path.name}: a quoted cell spans several lines; keep each row on one line")
    header = [h.strip() for h in records[0]]
    dup = sorted({h for h in header if header.count(h) > 1})
    if dup:
        raise CatalogError(f"{path.name}:{numbered[0][0]}: duplicate column(s) {dup}")
    out = []
    for (line_no, _), cells in zip(numbered[1:], records[1:]):
        if len(cells) != len(header):
            raise CatalogError(
                f"{path.name}:{line_no}: row has {len(cells)} cells but the header has {len(header)}. "
                "Fix: quote cells that contain commas"
            )
        data = {h: c.strip() for h, c in zip(header, cells) if c.strip() != ""}
        out.append(RawRow(path, line_no, data))
    return out


def read_rows(path: Path) -> list[RawRow]:
    if path.suffix in (".yaml", ".yml"):
        return read_yaml_rows(path)
    if path.suffix == ".csv":
        return read_csv_rows(path)
    raise CatalogError(f"{path.name}: unsupported file type {path.suffix!r}; use .yaml or .csv")


def upsert_yaml_row(path: Path, row: dict[str, Any]) -> None:
    """Add ``row`` to a catalog YAML file (replacing a row with the same id), creating the
    file if needed. Used for user overlays; bundled files are never written."""
    doc: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "rows": []}
    if path.exists():
        doc["rows"] = [r.data for r in read_yaml_rows(path) if r.data.get("id") != row.get("id")]
    doc["rows"].append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
