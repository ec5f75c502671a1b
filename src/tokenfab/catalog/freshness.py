"""How old each figure is: ``tokenfab catalog stale`` and the one-line warnings outputs print.

Every catalog row carries ``as_of`` (the date its figure was read or refers to); so do the parts
of a provider row (egress schedule, PUE, each certification). A figure older than
``stale_after_days`` (assumptions.yaml) is *stale*: a command that relies on one prints a
warning naming it and how to overlay a fresher one, and ``catalog stale`` lists all of them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from ..errors import InputError
from ..inputs import ResultModel
from . import assumptions as A
from .market import Provider


def _fix(file: str) -> str:
    return f"put a fresher {file} row in an overlay (--catalog DIR, see docs/catalog.md)"
OVERLAY_FILE = {"offers": "offers.csv", "fx_rates": "fx_rates.csv", "api_prices": "api_prices.csv", "grids": "grids.csv",
                "providers": "providers.yaml", "accelerators": "accelerators.yaml", "systems": "systems.yaml",
                "models": "models.yaml", "facilities": "facilities.yaml", "stacks": "stacks.yaml",
                "discounts": "discounts.csv"}
_AGE = re.compile(r"^\s*(\d{1,6})\s*([dwmy]?)\s*$", re.IGNORECASE)
_DAYS = {"": 1, "d": 1, "w": 7, "m": 30, "y": 365}


def parse_age(text: str, field: str = "older_than") -> int:
    """``180d``, ``26w``, ``6m`` (30-day months), ``1y`` or a plain number of days."""
    m = _AGE.match(str(text))
    if m is None:
        raise InputError(f"{field} = {text!r}: write a number of days, weeks, months or years, e.g. 180d, 26w, 6m or 1y")
    return int(m.group(1)) * _DAYS[m.group(2).lower()]


def stale_after_days() -> int:
    return int(A.number("stale_after_days"))


class AgedFigure(ResultModel):
    """One dated figure of the catalog and its age on ``today``."""

    kind: str  # catalog kind (offers, fx_rates, providers...)
    id: str
    part: str  # "row", "egress", "pue" or "certification <name> (<offer>)"
    as_of: str
    age_days: int
    source: str
    file: str  # the overlay file a fresher figure goes in


def _parts(kind: str, row: Any) -> Iterator[tuple[str, dt.date, str]]:
    yield "row", row.as_of, row.source
    if isinstance(row, Provider):
        if row.egress is not None:
            yield "egress", row.egress.as_of, row.egress.source
        if row.pue is not None:
            yield "pue", row.pue.as_of, row.pue.source
        for c in row.certifications:
            yield f"certification {c.name}" + (f" ({c.offer})" if c.offer else ""), c.as_of, c.source


def figures_by_age(cat: Any, today: dt.date | None = None, older_than_days: int = 0,
                   kinds: tuple[str, ...] = ()) -> list[AgedFigure]:
    """Every dated figure at least ``older_than_days`` old, oldest first. Exchange rates are a
    dated series: only each currency's newest fixing can be stale (older ones are history that
    converts prices of their own dates)."""
    today = today or dt.date.today()
    out: list[AgedFigure] = []
    newest_fx: dict[str, dt.date] = {}
    for r in cat.rows.get("fx_rates", {}).values():
        newest_fx[r.currency] = max(newest_fx.get(r.currency, r.rate_date), r.rate_date)
    for kind, rows in cat.rows.items():
        if kinds and kind not in kinds:
            continue
        for row in rows.values():
            if kind == "fx_rates" and row.rate_date != newest_fx[row.currency]:
                continue
            for part, as_of, source in _parts(kind, row):
                age = (today - as_of).days
                if age >= older_than_days:
                    out.append(AgedFigure(kind=kind, id=row.id, part=part, as_of=as_of.isoformat(), age_days=age,
                                          source=source, file=OVERLAY_FILE.get(kind, kind)))
    return sorted(out, key=lambda f: (-f.age_days, f.kind, f.id, f.part))


def _age(as_of: str | dt.date, today: dt.date) -> int:
    day = as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of)[:10])
    return (today - day).days


def price_warning(what: str, as_of: str | dt.date, file: str, today: dt.date | None = None) -> str | None:
    """One warning line when the figure ``what`` dated ``as_of`` is older than the threshold."""
    today = today or dt.date.today()
    age, limit = _age(as_of, today), stale_after_days()
    if age <= limit:
        return None
    return f"{what} is {age} days old (as of {str(as_of)[:10]}; older than {limit} days): {_fix(file)}"


def fx_warning(currency: str, rate_date: str, price_date: str | dt.date) -> str | None:
    """One warning line when a price was converted at a rate far from its own date."""
    gap, limit = abs(_age(rate_date, dt.date.fromisoformat(str(price_date)[:10]))), int(A.number("fx_max_gap_days"))
    if gap <= limit:
        return None
    return (f"{currency}->USD rate of {rate_date} converts a price dated {str(price_date)[:10]} ({gap} days apart; more "
            f"than {limit}): add the ECB reference rate for that date to fx_rates.csv in an overlay (--catalog DIR)")
