"""The public FinOps functions (exported from :mod:`tokenfab`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..catalog.loader import Catalog, load_catalog
from ..errors import InputError
from ..inputs import parse_input
from .move import MoveQuestion, move
from .read import connect, open_bill
from .result import BillSummary, MoveSummary
from .summary import summarize

PathsLike = str | Path | Sequence[str | Path]


def _paths(paths: PathsLike) -> list[str | Path]:
    return [paths] if isinstance(paths, (str, Path)) else list(paths)


def _day(date: dt.date | str | None) -> dt.date | None:
    if date is None or isinstance(date, dt.date):
        return date
    try:
        return dt.date.fromisoformat(date)
    except ValueError:
        raise InputError(f"date = {date!r}: use YYYY-MM-DD") from None


def read_bill(paths: PathsLike, memory_limit: str = "1GB") -> Any:
    """Every charge of FOCUS files (CSV, .csv.gz, Parquet, or folders) as a pandas DataFrame with
    the canonical FOCUS 1.3 column names (1.0-1.2 names mapped), typed and validated."""
    try:
        import pandas  # noqa: F401
    except ImportError:  # pragma: no cover - pandas is a dependency of tokenfab today
        raise InputError("read_bill needs pandas: pip install pandas") from None
    con = connect(memory_limit=memory_limit)
    try:
        open_bill(con, _paths(paths))
        return con.execute("SELECT * FROM bill").df()
    finally:
        con.close()


def bill_summary(paths: PathsLike, catalog: Catalog | None = None, date: dt.date | str | None = None,
                 memory_limit: str | None = None) -> BillSummary:
    """What FOCUS files say: spend by provider, host, region/country/jurisdiction, service, charge
    and pricing category and month; tokens per model; accelerator hours vs list; egress; exposure."""
    return summarize(_paths(paths), catalog or load_catalog(), on_date=_day(date), memory_limit=memory_limit)


def move_bill(summary: BillSummary, question: MoveQuestion | dict[str, Any] | None = None, /,
              catalog: Catalog | None = None, date: dt.date | str | None = None, **fields: Any) -> MoveSummary:
    """Today's token and accelerator spend of ``summary`` beside the cheapest plan that passes a
    sovereignty preset (fields of :class:`MoveQuestion`: sovereignty, peak_to_mean, osl)."""
    if isinstance(question, MoveQuestion) and not fields:
        q = question
    else:
        base = question.model_dump() if isinstance(question, MoveQuestion) else dict(question or {})
        q = parse_input(MoveQuestion, {**base, **fields})
    return move(summary, q, catalog or load_catalog(), _day(date))
