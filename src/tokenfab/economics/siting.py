"""Where a deployment runs decides two figures: its PUE and the grid it draws from.

PUE rule, first that applies: the user's figure; the facility's (or the cloud region's)
published figure; the provider's published figure; the industry average (flagged as a
fallback). WUE (water) follows the same rule without a fallback: unknown stays unknown.
Grid rule: an explicit grid id; else the grid of the region's country (ids are lower-case
ISO codes, ``world`` where a price page fixes no country, code ``ZZ``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from ..catalog.market import PueFigure, WueFigure

WORLD_GRID = "world"


class PueChoice(NamedTuple):
    value: float
    basis: str  # where the figure comes from, in words
    fallback: bool  # True when the industry average stood in for a missing figure


def choose_pue(override: float | None, facility: PueFigure | None, provider: PueFigure | None,
               default: float, default_source: str, provider_name: str = "",
               default_label: str = "industry average", site_label: str = "facility") -> PueChoice:
    if override is not None:
        return PueChoice(override, "given", False)
    for fig, whose in ((facility, site_label), (provider, provider_name or "provider")):
        if fig is not None:
            return PueChoice(fig.value, f"{whose}'s published PUE ({fig.scope}, {fig.year}; {fig.source})", False)
    return PueChoice(default, f"{default_label}, no published figure ({default_source})", True)


class WueChoice(NamedTuple):
    value_l_per_kwh: float | None
    basis: str


def choose_wue(site: WueFigure | None, provider: WueFigure | None, site_label: str = "region",
               provider_name: str = "provider") -> WueChoice:
    for fig, whose in ((site, site_label), (provider, provider_name)):
        if fig is not None:
            return WueChoice(fig.value_l_per_kwh, f"{whose}'s published WUE ({fig.scope}, {fig.year}; {fig.source})")
    return WueChoice(None, "no published WUE")


class GridChoice(NamedTuple):
    grid_id: str | None
    basis: str
    fallback: bool  # True when the world average stood in for a country without a grid row


def choose_grid(explicit: str | None, country: str | None, grids: Mapping[str, object]) -> GridChoice:
    """The grid a deployment draws from: the given one, its country's, else the world average."""
    if explicit is not None:
        return GridChoice(explicit, "given", False)
    if country is None:
        return GridChoice(None, "no site: pass a grid", False)
    gid = WORLD_GRID if country == "ZZ" else country.lower()
    if gid in grids:
        return GridChoice(gid, f"grid of the region's country ({country})" if gid != WORLD_GRID
                          else "world average: the price page fixes no country", False)
    if WORLD_GRID in grids:
        return GridChoice(WORLD_GRID, f"world average: no grid row for {country}", True)
    return GridChoice(None, f"no grid row for {country}", True)
