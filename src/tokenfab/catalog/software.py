"""Serving stacks (inference engines and the runtimes under them)."""

from __future__ import annotations

from .records import Record


class Stack(Record):
    name: str
    vendor: str
    accelerator_vendors: tuple[str, ...]
    license: str | None = None
    repository: str | None = None
    features: tuple[str, ...] = ()
