"""The tokenfab exception tree.

``TokenfabError`` is the base of everything tokenfab raises on purpose.

* ``InputError`` (also a ``ValueError``): the user gave something wrong (a bad
  flag, a malformed catalog file, an unknown id). The message names the field,
  the value and how to fix it, on one line.
* ``ExpectedOutcome``: the input was fine but the answer is "no": the model does
  not fit in memory, no plan meets the constraints. Not a failure of tokenfab.

Anything else that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class TokenfabError(Exception):
    """Base class of every error tokenfab raises on purpose."""

    exit_code = 1


class InputError(TokenfabError, ValueError):
    """Bad input: names the field, the value and the fix."""

    exit_code = 2


class CatalogError(InputError):
    """A catalog file is malformed or inconsistent."""


class UnknownIdError(InputError, KeyError):
    """An id that the catalog does not hold."""

    def __init__(self, kind: str, value: str, known: Iterable[str]):
        self.kind = kind
        self.value = value
        known = sorted(known)
        close = difflib.get_close_matches(value, known, n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(repr(c) for c in close)}?" if close else (
            f"run 'tokenfab catalog list {kind}' to see the {len(known)} known ids"
        )
        super().__init__(f"unknown {singular(kind)}id {value!r}: {hint}")

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return self.args[0]


class ExpectedOutcome(TokenfabError):
    """A legitimate 'no' answer (does not fit, no feasible plan)."""

    exit_code = 3


class DoesNotFitError(ExpectedOutcome):
    """The model and its KV cache do not fit in the devices' memory."""


class NoFeasiblePlanError(ExpectedOutcome):
    """No candidate meets every constraint; carries counts per constraint."""

    def __init__(self, message: str, rejected: dict[str, int] | None = None):
        super().__init__(message)
        self.rejected = dict(rejected or {})


_SINGULAR = {"facilities": "facility", "ids": "", "accelerators": "accelerator"}


def singular(kind: str) -> str:
    """'facilities' -> 'facility ', 'ids' -> '' (with a trailing space when non-empty)."""
    word = _SINGULAR.get(kind, kind.removesuffix("s"))
    return f"{word} " if word else ""


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """Return ' (did you mean X?)' or '' for an unknown name."""
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
