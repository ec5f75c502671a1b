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


_pending_notes: list[str] = []


def load(catalog_dir: Any) -> Any:
    """The catalog with the user's overlay; which bundled rows it overrode is said once the
    command succeeds (:func:`flush_notes`), so a refused input stays one ``error:`` line."""
    from ..catalog import load_catalog

    cat = load_catalog(catalog_dir)
    _pending_notes.extend(str(ov) for ov in cat.overrides)
    return cat


def flush_notes(succeeded: bool) -> None:
    """Print the notes :func:`load` kept (after a success) or drop them (after an error)."""
    notes, warnings = list(_pending_notes), list(_pending_warnings)
    _pending_notes.clear()
    _pending_warnings.clear()
    if succeeded:
        for msg in notes:
            note(msg)
        for w in warnings:
            err_console.print(f"[yellow]warning:[/yellow] {w}", highlight=False, soft_wrap=True)


_pending_warnings: dict[str, None] = {}


def warn_stale(evaluations: Any) -> None:
    """Keep each warning of the evaluations shown (stale figures, basis fallbacks), once; they are
    printed on stderr when the command succeeds (:func:`flush_notes`); JSON carries them too."""
    for ev in evaluations:
        for w in getattr(ev, "warnings", ()):
            _pending_warnings.setdefault(w)


def money(v: float | None, digits: int = 3) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


def num(v: float | None, fmt: str = ".3g") -> str:
    return "-" if v is None else format(v, fmt)
