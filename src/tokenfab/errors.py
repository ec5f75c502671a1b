"""The tokenfab exception tree and the one formatter of bad-input messages.

``TokenfabError`` is the base of everything tokenfab raises on purpose.

* ``InputError`` (also a ``ValueError``): the user gave something wrong (a bad
  flag, a malformed catalog file, an unknown id). The message names the field,
  the value and how to fix it, on one line.
* ``ExpectedOutcome``: the input was fine but the answer is "no": the model does
  not fit in memory, no plan meets the constraints. Not a failure of tokenfab.

Anything else that escapes is a bug and keeps its traceback. The CLI turns the first two
into one ``error:`` line and their exit code; :func:`run_script` does the same for the
benchmark scripts.

Every message about a value goes through :func:`show_value` (values are quoted and
cut to :data:`MAX_VALUE_CHARS`, so a whole request body or config is never echoed) and
every pydantic validation error through :func:`describe_validation_error`.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

MAX_VALUE_CHARS = 60


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
        lists = " or ".join(f"'tokenfab catalog list {k}'" for k in kind.split(" or "))
        hint = did_you_mean(value, known) or f"run {lists} to see the {len(known)} known ids"
        super().__init__(f"unknown {singular(kind)}id {show_value(value)}: {hint}")

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return str(self.args[0])


class ExpectedOutcome(TokenfabError):
    """A legitimate 'no' answer (does not fit, no feasible plan)."""

    exit_code = 3


class DoesNotFitError(ExpectedOutcome):
    """The model and its KV cache do not fit in the devices' memory."""


class NoFeasiblePlanError(ExpectedOutcome):
    """No candidate meets every constraint; carries counts per constraint."""

    def __init__(self, message: str, rejected: Mapping[str, int] | None = None):
        super().__init__(message)
        self.rejected = dict(rejected or {})


def run_script(main: Callable[[], int | None]) -> int:
    """Run a script's ``main`` (the benchmarks) and return its exit code: a :class:`TokenfabError`
    becomes one ``error:`` line on stderr and the error's own code, a reader that closed the pipe
    (``| head``) ends the run quietly with 1, and anything else is a bug and keeps its traceback."""
    try:
        rc = main()
    except TokenfabError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return exc.exit_code
    except BrokenPipeError:
        # point stdout at nothing, so the interpreter's own flush at exit does not fail again
        with contextlib.suppress(OSError, ValueError):  # a stdout without a file descriptor (captured)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return rc or 0


_SINGULAR = {"facilities": "facility", "ids": "", "accelerators": "accelerator", "static files": "static file",
             "offers or providers": "offer or provider"}


def singular(kind: str) -> str:
    """'facilities' -> 'facility ', 'ids' -> '' (with a trailing space when non-empty)."""
    word = _SINGULAR.get(kind, kind.removesuffix("s"))
    return f"{word} " if word else ""


def show_value(value: Any) -> str:
    """``repr`` of a value for a one-line message, cut to :data:`MAX_VALUE_CHARS` characters."""
    text = repr(value).replace("\n", "\\n")
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 3] + "..."


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """'did you mean 'x'?' for the closest choices (case-insensitive), or ''."""
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(str(value).lower(), list(lowered), n=3, cutoff=0.5)
    return f"did you mean {', '.join(repr(lowered[c]) for c in close)}?" if close else ""


def describe_validation_error(err: Mapping[str, Any], prefix: str = "", skip_loc: tuple[str, ...] = ()) -> str:
    """One line for one pydantic error: field, value (cut), rule and, for unknown fields, the
    closest known one. ``skip_loc`` drops location parts such as FastAPI's 'body'."""
    loc = ".".join(str(p) for p in err.get("loc", ()) if p not in skip_loc)
    head = f"{prefix}: " if prefix else ""
    kind = err.get("type", "")
    msg = str(err.get("msg", "")).removeprefix("Value error, ")
    if kind == "missing":
        return f"{head}missing required field {loc!r}"
    if kind == "extra_forbidden":
        return f"{head}unknown field {loc!r}"
    if not loc:
        return f"{head}{msg}"
    if kind in ("json_invalid",):
        return f"{head}malformed JSON: {msg}"
    return f"{head}{loc} = {show_value(err.get('input'))}: {msg}"


def input_error_from(exc: Any, prefix: str = "", fix: str = "") -> InputError:
    """The first problem of a pydantic ``ValidationError`` as one :class:`InputError` line."""
    errors = exc.errors()
    line = describe_validation_error(errors[0], prefix) if errors else f"{prefix}: invalid input"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return InputError(line + more + (f". Fix: {fix}" if fix else ""))
