"""Reading catalog files (YAML and CSV) into rows, with file and line for errors.

Both readers are bounded, because overlay files come from users:

* a file larger than :data:`MAX_FILE_BYTES` is refused before it is parsed;
* YAML nesting deeper than :data:`MAX_DEPTH` is refused (no ``RecursionError``);
* a YAML alias may only stand for a single value (``source: *anssi``); an alias of a
  list or mapping, which is how "billion laughs" documents grow exponentially, is refused;
* a mapping key must be a plain name; keys are unique;
* numbers must be finite (``.inf``, ``.nan`` and ``1e400`` are refused).

The package's own files (under ``tokenfab/data``) are parsed by libyaml's C parser when
PyYAML has it (about 9x faster than the pure-Python parser, for the same values and the same
``__line__`` keys); they are shipped with the code and tested, so the nesting and alias checks,
which run in the Python composer, are kept for users' files only.

CSV files may start with a UTF-8 byte order mark and use CRLF line endings.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode

from ..errors import CatalogError, show_value
from .parse_cache import cached_parse

SCHEMA_VERSION = 1
MAX_FILE_BYTES = 5_000_000
"""Largest catalog file read [bytes] (the biggest bundled file is ~40 kB)."""
MAX_DEPTH = 32
"""Deepest YAML nesting read (a catalog row needs about 6 levels)."""


@dataclass(frozen=True)
class RawRow:
    """One row as read from a file, before validation."""

    path: Path
    line: int
    data: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"


class RefusedYamlError(yaml.MarkedYAMLError):
    """Well-formed YAML that a catalog file may not contain; carries its own fix."""

    def __init__(self, problem: str, mark: yaml.Mark | None, fix: str) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.fix = fix


def read_text_bounded(path: Path, limit: int = MAX_FILE_BYTES, *, error: type[Exception] = CatalogError,
                      not_file_fix: str = "pass a catalog .yaml or .csv file",
                      too_large_fix: str = "split the rows over an overlay per purpose, or remove unused rows") -> str:
    """The UTF-8 text of ``path`` (a leading byte order mark removed), refusing what is not a
    regular file or is over ``limit`` bytes, each in one line raised as ``error``."""
    if not path.is_file():
        raise error(f"{path}: not a regular file. Fix: {not_file_fix}")
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise error(f"{path}: cannot read file: {exc.strerror or exc}. Fix: check its permissions") from None
    if len(data) > limit:
        raise error(f"{path.name}: larger than {limit / 1e6:g} MB, the limit for this file. Fix: {too_large_fix}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise error(
            f"{path.name}:{line}: not UTF-8 text (byte {data[exc.start]:#04x}). Fix: save the file as UTF-8"
        ) from None


class _Constructing:
    """Construction shared by both loaders: every error surfaces with its mark."""

    constructed_objects: dict[Node, Any]
    recursive_objects: dict[Node, Any]

    def construct_document(self, node: Node) -> Any:
        # deep construction: every error surfaces inside construct_object, with its mark
        data = self.construct_object(node, deep=True)
        self.constructed_objects = {}
        self.recursive_objects = {}
        return data

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)  # type: ignore[misc]
        except yaml.MarkedYAMLError:
            raise
        except (ValueError, OverflowError, TypeError) as exc:  # 2026-02-30, 5000-digit integers
            shown = show_value(node.value) if isinstance(node, ScalarNode) else "this value"
            reason = str(exc).split(": ")[0]
            raise RefusedYamlError(f"cannot read {shown}: {reason}", node.start_mark, _fix_for(node.tag)) from None


class _Loader(_Constructing, yaml.SafeLoader):
    """SafeLoader that reads 80e9 as a float, keeps line numbers and refuses what could blow up:
    deep nesting, aliases of lists or mappings, unhashable or duplicate keys, non-finite numbers."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None and not isinstance(target, ScalarNode):
                raise RefusedYamlError(
                    f"alias *{event.anchor} stands for a list or mapping; catalog files allow aliases "
                    "of single values only",
                    event.start_mark,
                    f"write the {'list' if isinstance(target, yaml.SequenceNode) else 'mapping'} out in full",
                )
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise RefusedYamlError(
                    f"nested deeper than {MAX_DEPTH} levels",
                    self.peek_event().start_mark,
                    "a catalog row needs a few levels; check the brackets and indentation",
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_PARSER: type[yaml.SafeLoader] | type[yaml.CSafeLoader]
try:
    _PARSER = yaml.CSafeLoader  # libyaml's parser and composer
except AttributeError:  # pragma: no cover - a PyYAML built without libyaml
    _PARSER = yaml.SafeLoader


class _BundledLoader(_Constructing, _PARSER):  # type: ignore[valid-type,misc]
    """The loader of the package's own files: the same resolver and constructors as
    :class:`_Loader` (values and ``__line__`` keys alike), without its composer checks."""


def _fix_for(tag: str) -> str:
    if tag.endswith(":timestamp"):
        return "write a calendar date as YYYY-MM-DD"
    if tag.endswith((":int", ":float")):
        return "write the number in scientific notation (1.2e9)"
    return "write a plain value"


_FLOAT_RESOLVER = (
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.VERBOSE,
    ),
    list("-+0123456789."),
)


def _construct_float(loader: _Loader, node: ScalarNode) -> float:
    value = loader.construct_yaml_float(node)
    if not math.isfinite(value):
        raise RefusedYamlError(
            f"{show_value(node.value)} is not a finite number",
            node.start_mark,
            "write a finite number (1.2e9), or leave the field out when it is unknown",
        )
    return value


def _construct_mapping(loader: _Loader, node: MappingNode, deep: bool = False) -> dict[str, Any]:
    loader.flatten_mapping(node)
    seen: set[str] = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, ScalarNode):
            raise RefusedYamlError(
                "a mapping key is a list or mapping", key_node.start_mark, "use a plain field name as the key"
            )
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise RefusedYamlError(
                f"key {show_value(key_node.value)} is read as {show_value(key)}, not a name",
                key_node.start_mark,
                f"quote the key ('{key_node.value}':) or use a field name",
            )
        if key in seen:
            raise ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    mapping: dict[Any, Any] = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


def _construct_timestamp(loader: _Loader, node: ScalarNode) -> Any:
    """PyYAML's timestamp, refusing text that is not one (``!!timestamp 'yesterday'`` would
    otherwise fail inside PyYAML with an AttributeError)."""
    if not loader.timestamp_regexp.match(str(loader.construct_scalar(node))):
        raise RefusedYamlError(f"{show_value(node.value)} is not a date", node.start_mark,
                               "write a calendar date as YYYY-MM-DD")
    return loader.construct_yaml_timestamp(node)


for _cls in (_Loader, _BundledLoader):
    _cls.add_implicit_resolver("tag:yaml.org,2002:float", *_FLOAT_RESOLVER)
    _cls.add_constructor("tag:yaml.org,2002:float", _construct_float)
    _cls.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
    _cls.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def strip_lines(value: Any) -> Any:
    """Parsed catalog YAML without the reader's ``__line__`` keys."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value



def load_yaml_text(text: str, name: str, bundled: bool = False) -> Any:
    """Parse catalog YAML (mappings carry a ``__line__`` key); errors are one :class:`CatalogError`
    line. ``bundled``: the text is one of the package's own files (libyaml's parser, module docstring)."""
    loader = _BundledLoader if bundled else _Loader  # both are SafeLoaders
    try:
        return cached_parse(text, lambda t: yaml.load(t, Loader=loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}" if mark else name
        if isinstance(exc, RefusedYamlError):
            raise CatalogError(f"{where}: {exc.problem}. Fix: {exc.fix}") from None
        if isinstance(exc, ComposerError) and "undefined alias" in str(exc.problem):
            raise CatalogError(f"{where}: {exc.problem}. Fix: define the anchor (&name) before using it") from None
        raise CatalogError(
            f"{where}: YAML syntax error: {exc.problem or exc}. "
            "Fix: check indentation, colons and quotes on that line"
        ) from None
    except yaml.YAMLError as exc:  # errors without a position (rare: reader errors)
        raise CatalogError(f"{name}: YAML error: {show_value(str(exc))}. Fix: check the file is YAML") from None
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops nesting well before this
        raise CatalogError(f"{name}: nested too deeply. Fix: check the brackets and indentation") from None


def load_bundled_yaml(text: str) -> Any:
    """One of the package's own YAML files as ``yaml.safe_load`` reads it (same resolver and
    constructors), parsed by libyaml where PyYAML has it."""
    return yaml.load(text, Loader=_PARSER)  # a SafeLoader (C or Python)


def read_bundled_yaml(name: str) -> Any:
    """The package's own data file ``name`` (``tokenfab/data/<name>``), parsed by :func:`load_bundled_yaml`."""
    return load_bundled_yaml((bundled_dir() / name).read_text(encoding="utf-8"))


def bundled_dir() -> Path:
    """The package's own data directory (``tokenfab/data``)."""
    return Path(str(resources.files("tokenfab") / "data"))


def is_bundled(path: Path) -> bool:
    """Whether ``path`` is one of the package's own data files (in :func:`bundled_dir`)."""
    try:
        return path.resolve().parent == bundled_dir().resolve()
    except OSError:
        return False


def read_yaml_rows(path: Path) -> list[RawRow]:
    """Rows of a catalog YAML file: a mapping with ``schema_version`` and ``rows``."""
    doc = load_yaml_text(read_text_bounded(path), path.name, bundled=is_bundled(path))
    if not isinstance(doc, dict) or "rows" not in doc:
        raise CatalogError(
            f"{path.name}: expected a mapping with 'schema_version: {SCHEMA_VERSION}' and 'rows:'. "
            "Fix: put the entries in a list under 'rows:'"
        )
    version = doc.get("schema_version")
    if type(version) is not int or version != SCHEMA_VERSION:
        raise CatalogError(
            f"{path.name}: schema_version = {show_value(version)}: this tokenfab reads version "
            f"{SCHEMA_VERSION}. Fix: set 'schema_version: {SCHEMA_VERSION}'"
        )
    rows = doc["rows"]
    if not isinstance(rows, list):
        raise CatalogError(
            f"{path.name}:{doc['__line__']}: 'rows' must be a list of mappings, got {type(rows).__name__}. "
            "Fix: start each row with '- ' under 'rows:'"
        )
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise CatalogError(
                f"{path.name}: rows[{i}] = {show_value(row)}: each row must be a mapping of field: value. "
                "Fix: write the row as 'field: value' lines"
            )
        line = row.get("__line__", 0)
        out.append(RawRow(path, line, strip_lines(row)))
    return out


def _csv_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) of the non-blank, non-comment lines; CRLF, CR and LF all end a line."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [(n + 1, ln) for n, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")]


def read_csv_rows(path: Path) -> list[RawRow]:
    """Rows of a catalog CSV file. Lines starting with '#' are comments; an empty cell is absent."""
    numbered = _csv_lines(read_text_bounded(path))
    if not numbered:
        raise CatalogError(f"{path.name}: no header row. Fix: the first non-comment line names the columns")
    reader = csv.reader(io.StringIO("\n".join(ln for _, ln in numbered)), strict=True)
    try:
        records = list(reader)
    except csv.Error as exc:
        line = numbered[min(reader.line_num, len(numbered)) - 1][0] if reader.line_num else numbered[0][0]
        raise CatalogError(f"{path.name}:{line}: CSV syntax error: {exc}. Fix: check quotes and commas") from None
    if len(records) != len(numbered):  # a quoted cell spanning lines
        raise CatalogError(
            f"{path.name}: a quoted cell spans several lines. Fix: keep each row on one line"
        )
    header = [h.strip() for h in records[0]]
    dup = sorted({h for h in header if header.count(h) > 1})
    if dup:
        shown = ", ".join(show_value(h) for h in dup[:5]) + (", ..." if len(dup) > 5 else "")
        raise CatalogError(f"{path.name}:{numbered[0][0]}: duplicate column(s) {shown}. Fix: name each column once")
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
    raise CatalogError(f"{path.name}: unsupported file type {path.suffix!r}. Fix: use .yaml or .csv")
