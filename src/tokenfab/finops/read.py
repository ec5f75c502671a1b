"""Open FOCUS bills with DuckDB, out of core, as one typed view with canonical column names.

CSV (optionally gzip-compressed) and Parquet files, or folders of them, are scanned by
DuckDB (https://duckdb.org/docs/data/csv/overview, .../data/parquet/overview): nothing
is loaded into Python, so a 10-million-row bill is summarized in bounded memory
(``memory_limit``; DuckDB spills to its temporary directory past it). Files with different
FOCUS versions are combined by column name (``union_by_name``) and each canonical column
is the first non-empty of its accepted names (:mod:`tokenfab.finops.focus`).

Validation is one scan: a required column missing from every file is refused naming the
column; a value that is not a finite number or a timestamp between 1990 and 2200 is refused
naming the column, the file and the data row (1-based, header excluded).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, show_value
from .focus import COLUMNS, REQUIRED, accepted_names, resolve

CSV_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")
MAX_FILES = 10_000
DEFAULT_MEMORY_LIMIT = "1GB"  # DuckDB spills to disk past this; 2-core CI machine, several users
NULL_STRINGS = ["", "NULL", "null", "None"]
YEAR_RANGE = (1990, 2200)


@dataclass(frozen=True)
class BillFiles:
    csv: tuple[Path, ...]
    parquet: tuple[Path, ...]

    @property
    def all(self) -> tuple[Path, ...]:
        return self.csv + self.parquet


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    return None


def find_files(paths: list[str | Path] | tuple[str | Path, ...]) -> BillFiles:
    """The bill files named by ``paths`` (files, or folders searched recursively)."""
    if not paths:
        raise InputError("bill: no file given: name FOCUS CSV/Parquet files or a folder of them")
    csv: list[Path] = []
    parquet: list[Path] = []
    for raw in paths:
        p = Path(os.path.expanduser(str(raw)))
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and _kind(f))
            if not found:
                raise InputError(f"bill folder {show_value(str(raw))}: holds no .csv, .csv.gz or .parquet file")
        elif p.is_file():
            if _kind(p) is None:
                raise InputError(f"bill file {show_value(str(raw))}: use a .csv, .csv.gz or .parquet FOCUS export")
            found = [p]
        elif p.exists():
            raise InputError(f"bill file {show_value(str(raw))}: not a regular file or folder")
        else:
            raise InputError(f"bill file {show_value(str(raw))}: no such file or folder")
        for f in found:
            (csv if _kind(f) == "csv" else parquet).append(f.resolve())
        if len(csv) + len(parquet) > MAX_FILES:
            raise InputError(f"bill: more than {MAX_FILES:,} files: name fewer or a narrower folder")
    return BillFiles(tuple(dict.fromkeys(csv)), tuple(dict.fromkeys(parquet)))


def connect(threads: int | None = None, memory_limit: str = DEFAULT_MEMORY_LIMIT) -> Any:
    """An in-memory DuckDB connection with bounded threads and memory, times in UTC."""
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {int(threads or min(os.cpu_count() or 1, 4))}")
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET preserve_insertion_order = true")
    return con


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_list(paths: tuple[Path, ...]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def _raw_relation(con: Any, files: BillFiles) -> str:
    """Create view ``raw`` over every file (CSV all text, Parquet as typed), with ``filename``."""
    parts = []
    if files.csv:
        parts.append(f"SELECT * FROM read_csv({_sql_list(files.csv)}, union_by_name = true, all_varchar = true, "
                     f"filename = true, header = true, nullstr = {NULL_STRINGS!r})")
    if files.parquet:
        parts.append(f"SELECT * FROM read_parquet({_sql_list(files.parquet)}, union_by_name = true, filename = true)")
    sql = " UNION ALL BY NAME ".join(parts)
    con.execute(f"CREATE OR REPLACE VIEW raw AS {sql}")
    return sql


def _number(expr: str) -> str:
    return f"TRY_CAST({expr} AS DOUBLE)"


def _timestamp(expr: str) -> str:
    return f"CAST(TRY_CAST({expr} AS TIMESTAMPTZ) AS TIMESTAMP)"


def _bad(kind: str, expr: str) -> str:
    """SQL that is true when ``expr`` holds a value that is not a valid ``kind``."""
    if kind == "number":
        return f"({expr} IS NOT NULL AND NOT coalesce(isfinite({_number(expr)}), false))"
    if kind == "timestamp":
        lo, hi = YEAR_RANGE
        return (f"({expr} IS NOT NULL AND NOT coalesce(year({_timestamp(expr)}) BETWEEN {lo} AND {hi}, false))")
    return "false"


def unreadable(exc: Exception) -> InputError:
    """A DuckDB error while reading the files (a CSV it cannot parse, a broken Parquet footer) as one line."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return InputError(f"bill: cannot read the files: {first[:240]}; export the FOCUS dataset again as CSV or Parquet")


def open_bill(con: Any, paths: list[str | Path] | tuple[str | Path, ...]) -> BillFiles:
    """Validate the files and create view ``bill`` with the canonical, typed FOCUS columns."""
    import duckdb

    try:
        return _open_bill(con, paths)
    except duckdb.Error as exc:
        raise unreadable(exc) from None


def _open_bill(con: Any, paths: list[str | Path] | tuple[str | Path, ...]) -> BillFiles:
    files = find_files(paths)
    _raw_relation(con, files)
    present = [r[0] for r in con.execute("DESCRIBE raw").fetchall() if r[0] != "filename"]
    sources = resolve(present)
    for col in REQUIRED:
        if not sources[col]:
            raise InputError(f"bill: missing required FOCUS column {accepted_names(col)!r} in every file "
                             f"(header has {len(present)} columns); export the FOCUS cost and usage dataset")
    exprs: dict[str, str] = {}
    for col, names in sources.items():
        text = [f"CAST({_quote(n)} AS VARCHAR)" for n in names]
        exprs[col] = ("coalesce(" + ", ".join(text) + ")") if len(text) > 1 else (text[0] if text else "NULL")
    checks = [(col, COLUMNS[col][0], exprs[col]) for col in COLUMNS if sources[col] and COLUMNS[col][0] != "text"]
    counts = con.execute(
        "SELECT " + ", ".join(f"count(*) FILTER (WHERE {_bad(k, e)})" for _, k, e in checks)
        + ", " + ", ".join(f"count(*) FILTER (WHERE {exprs[c]} IS NULL)" for c in REQUIRED) + " FROM raw"
    ).fetchone()
    problems = [(col, kind, expr, "bad") for (col, kind, expr), n in zip(checks, counts[: len(checks)]) if n]
    problems += [(c, COLUMNS[c][0], exprs[c], "empty") for c, n in zip(REQUIRED, counts[len(checks):]) if n]
    if problems:
        col, kind, expr, what = problems[0]
        cond = _bad(kind, expr) if what == "bad" else f"{expr} IS NULL"
        con.execute("SET threads = 1")  # one thread reads each file in order, so row_number() is the data row
        row = con.execute(
            f"SELECT filename, rn, v FROM (SELECT filename, row_number() OVER (PARTITION BY filename) AS rn, "
            f"{expr} AS v, {cond} AS hit FROM raw) WHERE hit ORDER BY filename, rn LIMIT 1").fetchone()
        file, rn, value = row
        need = "a finite number" if kind == "number" else f"a date-time between {YEAR_RANGE[0]} and {YEAR_RANGE[1]}"
        more = f" ({sum(1 for _ in problems) - 1} more column(s) with problems)" if len(problems) > 1 else ""
        if what == "empty":
            raise InputError(f"bill {Path(file).name} row {rn}: required column {col} is empty; "
                             f"every FOCUS charge has one{more}")
        raise InputError(f"bill {Path(file).name} row {rn}: {col} = {show_value(value)} is not {need}{more}")
    typed = []
    for col, (kind, _) in COLUMNS.items():
        e = exprs[col]
        typed.append(f"{_number(e) if kind == 'number' else _timestamp(e) if kind == 'timestamp' else e} AS {col}")
    con.execute("CREATE OR REPLACE VIEW bill AS SELECT " + ", ".join(typed) + " FROM raw")
    return files
