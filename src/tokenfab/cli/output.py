"""Console helpers shared by the CLI commands (no model logic)."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True)


def print_json(obj: Any) -> None:
    """Plain JSON on stdout (no colour codes), safe to pipe."""
    sys.stdout.write(json.dumps(obj, indent=2, default=str, allow_nan=False) + "\n")


def note(msg: str) -> None:
    err_console.print(f"[dim]note:[/dim] {msg}", highlight=False)


def report_overrides(catalog: Any) -> None:
    for ov in catalog.overrides:
        note(str(ov))
