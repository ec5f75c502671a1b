"""Console helpers shared by the CLI commands (no model logic)."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True)


def print_json(obj: Any) -> None:
    """Plain strict JSON on stdout (no colour codes, no NaN/Infinity), streamed, safe to pipe."""
    json.dump(obj, sys.stdout, indent=2, default=str, allow_nan=False)
    sys.stdout.write("\n")


def note(msg: str) -> None:
    err_console.print(f"[dim]note:[/dim] {msg}", highlight=False)


def report_overrides(catalog: Any) -> None:
    for ov in catalog.overrides:
        note(str(ov))


def load(catalog_dir: Any) -> Any:
    """The catalog with the user's overlay, saying which bundled rows it overrode."""
    from ..catalog import load_catalog

    cat = load_catalog(catalog_dir)
    report_overrides(cat)
    return cat


def money(v: float | None, digits: int = 3) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


def num(v: float | None, fmt: str = ".3g") -> str:
    return "-" if v is None else format(v, fmt)
