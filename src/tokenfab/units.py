"""Unit constants and conversions: the only place tokenfab converts units.

Inside tokenfab every quantity is SI and the unit is in the variable name:
``memory_bytes``, ``memory_bandwidth_bytes_per_s``, ``bf16_dense_flop_per_s``,
``tdp_w``, ``ttft_s``. Decimal prefixes (kB, MB, GB, TB = 10^3n bytes) are the
default; binary prefixes (KiB, MiB, GiB = 2^10n bytes) are spelled out wherever they
are meant. One datasheet habit reads the other way: an accelerator's HBM "80GB" is
80 GiB (docs/catalog.md), so HBM capacities are shown in both.
"""

from __future__ import annotations

# decimal (SI) prefixes
KILO = 1e3
MEGA = 1e6
GIGA = 1e9
TERA = 1e12
PETA = 1e15

# bytes
KB = 1e3
MB = 1e6
GB = 1e9
TB = 1e12
KIB = 2**10
MIB = 2**20
GIB = 2**30
TIB = 2**40

# compute
TFLOP = 1e12
PFLOP = 1e15

# time and energy
SECONDS_PER_HOUR = 3600.0
HOURS_PER_YEAR = 8760.0
SECONDS_PER_DAY = 86400.0
J_PER_KWH = 3.6e6
MTOK = 1e6


def gb_to_bytes(gb: float) -> float:
    """Decimal gigabytes [GB] to bytes."""
    return gb * GB


def gib_to_bytes(gib: float) -> float:
    """Binary gibibytes [GiB] to bytes."""
    return gib * GIB



def bytes_to_gib(n_bytes: float) -> float:
    return n_bytes / GIB


def gbit_per_s_to_bytes_per_s(gbit_per_s: float) -> float:
    """Network line rate [Gb/s] to bytes per second."""
    return gbit_per_s * GIGA / 8.0



def kwh_to_j(kwh: float) -> float:
    return kwh * J_PER_KWH


def j_to_kwh(j: float) -> float:
    return j / J_PER_KWH


def format_bytes(n_bytes: float | None) -> str:
    """Human text with decimal units: 80e9 -> '80 GB'."""
    if n_bytes is None:
        return "-"
    for unit, size in (("TB", TB), ("GB", GB), ("MB", MB), ("kB", KB)):
        if abs(n_bytes) >= size:
            return f"{n_bytes / size:.4g} {unit}"
    return f"{n_bytes:.4g} B"


def format_capacity(n_bytes: float | None) -> str:
    """A memory capacity in decimal and binary units: 85.9e9 -> '85.9 GB (80 GiB)'."""
    if n_bytes is None:
        return "-"
    return f"{format_bytes(n_bytes)} ({n_bytes / GIB:.4g} GiB)"


def format_si(value: float | None, unit: str) -> str:
    """1.979e15, 'FLOP/s' -> '1.979 PFLOP/s'."""
    if value is None:
        return "-"
    for prefix, size in (("P", PETA), ("T", TERA), ("G", GIGA), ("M", MEGA), ("k", KILO)):
        if abs(value) >= size:
            return f"{value / size:.4g} {prefix}{unit}"
    return f"{value:.4g} {unit}"


def humanize(field: str, value: object) -> str:
    """Human text for a catalog figure, from the unit in its field name."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return str(value)
    if field.endswith("_bytes_per_s") or field.endswith("_bytes_per_s_per_direction"):
        return format_si(float(value), "B/s")
    if field.endswith("_bytes"):
        return format_bytes(float(value))
    if field.endswith("_flop_per_s") or field.endswith("_op_per_s"):
        return format_si(float(value), "FLOP/s" if "flop" in field else "OP/s")
    if field.endswith("_w"):
        return format_si(float(value), "W")
    return f"{value:.6g}" if isinstance(value, float) else str(value)
