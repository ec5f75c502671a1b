"""Named shocks: deterministic changes to the capacities a plan prices, from the catalog's
facts, composable (applied in the order given). Each says what it changed; the candidates
are re-priced with the same evaluation (``candidates.reprice``; the engine is not re-run).

    hbm-price:+50%            owned capex + pct x memory GB x HBM $/GB; rents + that over the lifetime
    tariff:25%                owned systems' capex (imported hardware) x (1 + pct)
    power-price:+80%          owned electricity price x (1 + pct); rents + pct x full-load energy cost
    rent-halving:2y           rents x the mean of 0.5^(t/T) over the owned systems' lifetime (horizon)
    fx:eur-usd=1.0            prices in EUR at 1.0 USD per EUR (a factor on the rate each capacity uses)
    require:secnumcloud@2027-01-01   remove capacities failing that sovereignty preset on that date
    export-ban:buyer=CN       remove capacities whose chip the export-control facts deny or leave
                              to a case-by-case licence for that buyer (the licence refused)
    price:+100%               every price (rents, capex, electricity, colocation, staff) x (1 + pct)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..catalog import assumptions as A
from ..catalog.loader import Catalog
from ..catalog.uncertainty import Uncertainty
from ..deployment.capacity import Capacity
from ..errors import InputError, show_value
from ..policy.export_control import export_status
from ..policy.sovereignty import PRESETS, assess, assess_owned
from ..units import HOURS_PER_YEAR

FORMS = ("hbm-price:+50%", "tariff:25%", "power-price:+80%", "rent-halving:2y", "fx:eur-usd=1.0",
         "require:secnumcloud@2027-01-01", "export-ban:buyer=CN", "price:+100%")
BANNED_STATUSES = ("denied", "case-by-case")
_PCT = re.compile(r"^([+-]?\d{1,4}(?:\.\d{1,6})?)%$")


@dataclass(frozen=True)
class Shock:
    text: str
    kind: str
    pct: float = 0.0
    years: float = 0.0
    currency: str = ""
    rate: float = 0.0
    preset: str = ""
    on: dt.date | None = None
    buyer: str = ""


@dataclass
class Applied:
    """Capacities after the shocks, which are kept (per shock), and what each shock changed."""

    capacities: list[Capacity]
    keep: dict[str, np.ndarray]
    reasons: dict[str, dict[str, str]]  # shock -> capacity id -> why removed
    changed: dict[str, list[str]]


def _bad(text: str, why: str = "") -> InputError:
    return InputError(f"shock = {show_value(text)}: {why + '; ' if why else ''}use one of {', '.join(FORMS)}")


def _pct(text: str, value: str) -> float:
    m = _PCT.match(value.strip())
    if not m:
        raise _bad(text, f"{show_value(value)} is not a percentage like +50%")
    pct = float(m.group(1)) / 100.0
    if not -1.0 < pct <= 10.0:
        raise _bad(text, "the percentage must be above -100% and at most +1000%")
    return pct


def parse_shock(text: str) -> Shock:
    """One shock string, or a one-line InputError naming it and the accepted forms."""
    name, sep, arg = str(text).strip().partition(":")
    name, arg = name.strip().lower(), arg.strip()
    if not sep or not arg:
        raise _bad(text)
    if name in ("hbm-price", "tariff", "power-price", "price"):
        return Shock(text, name, pct=_pct(text, arg))
    if name == "rent-halving":
        m = re.fullmatch(r"(\d{1,2}(?:\.\d{1,3})?)y", arg.lower())
        if not m or not 0.25 <= float(m.group(1)) <= 50:
            raise _bad(text, "the halving period is years, 0.25y to 50y, like 2y")
        return Shock(text, name, years=float(m.group(1)))
    if name == "fx":
        m = re.fullmatch(r"([a-z]{3})-usd=(\d{1,4}(?:\.\d{1,8})?)", arg.lower())
        if not m or not 0 < float(m.group(2)) <= 1e4 or m.group(1) == "usd":
            raise _bad(text, "give a currency and its USD rate, like eur-usd=1.0")
        return Shock(text, name, currency=m.group(1).upper(), rate=float(m.group(2)))
    if name == "require":
        preset, at, day = arg.lower().partition("@")
        if preset not in PRESETS or preset == "none":
            raise _bad(text, f"preset {show_value(preset)} is not one of {', '.join(p for p in PRESETS if p != 'none')}")
        try:
            on = dt.date.fromisoformat(day) if at else None
        except ValueError:
            raise _bad(text, f"{show_value(day)} is not a date YYYY-MM-DD") from None
        return Shock(text, name, preset=preset, on=on)
    if name == "export-ban":
        m = re.fullmatch(r"buyer=([a-z]{2})", arg.lower())
        if not m:
            raise _bad(text, "give the buyer's ISO country code, like buyer=CN")
        return Shock(text, name, buyer=m.group(1).upper())
    raise _bad(text)


def rent_halving_factor(halving_years: float, horizon_years: float) -> float:
    """Mean of 0.5^(t/T) for t in [0, H]: T / (H ln 2) x (1 - 0.5^(H/T))."""
    t, h = halving_years, horizon_years
    return t / (h * math.log(2.0)) * (1.0 - 0.5 ** (h / t))


def _rent(cap: Capacity, usd: float) -> Capacity:
    assert cap.rent is not None
    return dataclasses.replace(cap, rent=cap.rent.model_copy(update={"usd_per_accel_hour": usd}))


def _own(cap: Capacity, **terms: Any) -> Capacity:
    assert cap.ownership is not None
    return dataclasses.replace(cap, ownership=dataclasses.replace(cap.ownership, **terms))


def _electricity_usd(cat: Catalog, cap: Capacity) -> float | None:
    g = cap.grid
    if g is None or g.electricity_price_per_kwh is None or g.price_currency is None:
        return None
    try:
        return cat.to_usd(g.electricity_price_per_kwh, g.price_currency)
    except InputError:  # a currency without a rate: that rent is left as it is (the count says so)
        return None


def _prices(sh: Shock, cat: Catalog, caps: list[Capacity], unc: Uncertainty) -> tuple[list[Capacity], list[str]]:
    out, notes, touched = [], [], 0
    life = A.number("lifetime_years")
    server_w = A.number("server_non_accelerator_w_per_8_accel")
    for k in caps:
        new = k
        if sh.kind == "price":
            if k.rent:
                new = _rent(k, k.rent.usd_per_accel_hour * (1 + sh.pct))
            if k.ownership:
                o = k.ownership
                new = _own(k, capex_usd_per_accel=o.capex_usd_per_accel * (1 + sh.pct),
                           electricity_usd_per_kwh=o.electricity_usd_per_kwh * (1 + sh.pct),
                           colocation_usd_per_kw_month=o.colocation_usd_per_kw_month * (1 + sh.pct),
                           staff_usd_per_accel_year=o.staff_usd_per_accel_year * (1 + sh.pct))
        elif sh.kind == "hbm-price" and k.accelerator.memory_bytes:
            extra = sh.pct * k.accelerator.memory_bytes / 1e9 * unc.fact("hbm_usd_per_gb")
            if k.ownership:
                new = _own(k, capex_usd_per_accel=k.ownership.capex_usd_per_accel + extra)
            elif k.rent:
                new = _rent(k, k.rent.usd_per_accel_hour + extra / (life * HOURS_PER_YEAR))
        elif sh.kind == "tariff" and k.ownership:
            new = _own(k, capex_usd_per_accel=k.ownership.capex_usd_per_accel * (1 + sh.pct))
        elif sh.kind == "power-price":
            if k.ownership:
                new = _own(k, electricity_usd_per_kwh=k.ownership.electricity_usd_per_kwh * (1 + sh.pct))
            elif k.rent and (usd_kwh := _electricity_usd(cat, k)) is not None and k.accelerator.tdp_w:
                full_kw = (k.accelerator.tdp_w + server_w / 8.0) / 1e3 * k.pue.value
                new = _rent(k, k.rent.usd_per_accel_hour + sh.pct * usd_kwh * full_kw)
        elif sh.kind == "rent-halving" and k.rent:
            new = _rent(k, k.rent.usd_per_accel_hour * rent_halving_factor(sh.years, life))
        elif sh.kind == "fx":
            rate = cat.usd_per_unit(sh.currency).usd_per_unit
            f = sh.rate / rate
            if k.rent and k.rent.currency == sh.currency:
                new = _rent(k, k.rent.usd_per_accel_hour * f)
            elif (k.ownership and k.grid is not None and k.grid.price_currency == sh.currency
                  and k.ownership.electricity_basis != "given"):
                new = _own(k, electricity_usd_per_kwh=k.ownership.electricity_usd_per_kwh * f)
        touched += new is not k
        out.append(new)
    notes.append(_describe(sh, cat, unc, life) + f" ({touched} of {len(caps)} capacities re-priced)")
    return out, notes


def _describe(sh: Shock, cat: Catalog, unc: Uncertainty, life: float) -> str:
    p = f"{sh.pct:+.0%}"
    if sh.kind == "price":
        return f"every rent, capex, electricity, colocation and staff price {p}"
    if sh.kind == "hbm-price":
        return (f"HBM {p} at ${unc.fact('hbm_usd_per_gb'):g}/GB (uncertainty.yaml facts): owned capex + memory GB x "
                f"${unc.fact('hbm_usd_per_gb'):g} x {sh.pct:.0%}; rents + that extra capex spread over {life:g} years")
    if sh.kind == "tariff":
        return f"owned systems' capex {p} (an import tariff on the hardware; rented fleets unchanged)"
    if sh.kind == "power-price":
        return (f"owned electricity {p}; rents + {sh.pct:.0%} of the full-load energy cost at the region's grid price "
                "(rents on grids without a price unchanged)")
    if sh.kind == "rent-halving":
        f = rent_halving_factor(sh.years, life)
        return (f"rents halve every {sh.years:g} years: averaged over a {life:g}-year horizon from today (the owned "
                f"systems' lifetime, assumptions.yaml lifetime_years) rents x {f:.3f}")
    rate = cat.usd_per_unit(sh.currency)
    return (f"{sh.currency} at {sh.rate:g} USD instead of {rate.usd_per_unit:g} ({rate.rate_date}): prices in "
            f"{sh.currency} x {sh.rate / rate.usd_per_unit:.4f}")


def _removals(sh: Shock, cat: Catalog, caps: Sequence[Capacity], buyer: str | None, on: dt.date
              ) -> tuple[np.ndarray, dict[str, str], str]:
    keep = np.ones(len(caps), bool)
    why: dict[str, str] = {}
    for i, k in enumerate(caps):
        if sh.kind == "export-ban":
            st = export_status(k.accelerator, sh.buyer)
            if st.status in BANNED_STATUSES:
                keep[i], why[k.id] = False, st.detail
        else:
            day = sh.on or on
            if k.ownership is not None:
                rep = assess_owned(k.country or "-", sh.preset, day, k.accelerator, buyer)
            elif k.rent is not None:
                rep = assess(cat.provider(k.provider), sh.preset, day, cat.offer(k.id), k.accelerator, buyer)
            else:
                continue
            if not rep.passes:
                keep[i], why[k.id] = False, rep.summary()
    chips = sorted({k.accelerator.id for k, kept in zip(caps, keep) if not kept})
    what = (f"export controls for buyer {sh.buyer} (licence denied or case-by-case, taken as refused): removed "
            f"{(~keep).sum()} capacities with {', '.join(chips) or 'no chip'}" if sh.kind == "export-ban" else
            f"requires {sh.preset} on {sh.on or on}: removed {(~keep).sum()} of {len(caps)} capacities")
    return keep, why, what


def apply_shocks(shocks: Sequence[Shock], cat: Catalog, caps: Sequence[Capacity], buyer: str | None, on: dt.date,
                 unc: Uncertainty) -> Applied:
    """Apply ``shocks`` in order to ``caps``."""
    out = Applied(capacities=list(caps), keep={}, reasons={}, changed={})
    for sh in shocks:
        if sh.kind in ("export-ban", "require"):
            keep, why, what = _removals(sh, cat, out.capacities, buyer, on)
            out.keep[sh.text], out.reasons[sh.text], out.changed[sh.text] = keep, why, [what]
        else:
            out.capacities, out.changed[sh.text] = _prices(sh, cat, out.capacities, unc)
    return out
