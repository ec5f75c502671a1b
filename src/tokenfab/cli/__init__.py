"""The `tokenfab` command line. Renders results; holds no model logic or defaults.

Exit codes: 0 success; 2 bad input or usage (one ``error:`` line, after the usage line for
usage errors); 3 an expected "no" (does not fit, no feasible plan); 1 anything else.
Usage errors are recognised by what they carry (an ``exit_code`` and ``format_message``),
not by their class, so they print the same whichever click copy typer uses.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from . import (
    accuracy_cmd,
    bill_cmd,
    catalog_cmd,
    compare_cmd,
    deployment_cmd,
    model_cmd,
    plan_cmd,
    recipe_cmd,
    serve_cmd,
    site_cmd,
    sovereignty_cmd,
    whatif_cmd,
)

app = typer.Typer(
    name="tokenfab",
    help="What a token costs in dollars, joules, CO2 and legal exposure, shown with its working.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
def _version(value: bool) -> None:
    if value:
        from .. import __version__
        from ..catalog.loader import catalog_release

        version, day = catalog_release()
        sys.stdout.write(f"tokenfab {__version__} (catalog {version}, {day})\n")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", help="Print the version and the bundled catalog's version "
                                       "and date, then exit.", callback=_version, is_eager=True)) -> None:
    """What a token costs in dollars, joules, CO2 and legal exposure, shown with its working."""


app.command("plan")(plan_cmd.plan_cmd)
app.command("whatif")(whatif_cmd.whatif_cmd)
app.command("estimate")(deployment_cmd.estimate_cmd)
app.command("cost")(deployment_cmd.cost_cmd)
app.command("energy")(deployment_cmd.energy_cmd)
app.command("compare")(compare_cmd.compare_cmd)
app.command("gigawatt")(site_cmd.gigawatt_cmd)
app.command("sovereignty")(sovereignty_cmd.sovereignty_cmd)
app.command("validate")(accuracy_cmd.validate_cmd)
app.command("calibrate")(recipe_cmd.calibrate_cmd)
app.command("bill")(bill_cmd.bill_cmd)
app.add_typer(catalog_cmd.app, name="catalog")
app.add_typer(model_cmd.app, name="model")
app.command("serve")(serve_cmd.serve_cmd)


MAX_USAGE_ERROR_CHARS = 500


def _cut(message: str) -> str:
    """One line; click echoes values whole ('Got unexpected extra argument (...)'), so each word is
    cut like :func:`~tokenfab.errors.show_value` cuts a value, and the line to 500 characters."""
    from ..errors import MAX_VALUE_CHARS

    words = [w if len(w) <= MAX_VALUE_CHARS else w[: MAX_VALUE_CHARS - 3] + "..." for w in message.split()]
    line = " ".join(words)
    return line if len(line) <= MAX_USAGE_ERROR_CHARS else line[: MAX_USAGE_ERROR_CHARS - 3] + "..."


def _given(exc: BaseException, args: list[str]) -> str | None:
    """The text a user gave the option a usage error is about (``--flag VALUE`` or ``--flag=VALUE``)."""
    opts = getattr(getattr(exc, "param", None), "opts", None) or ()
    for i, arg in enumerate(args):
        for opt in opts:
            if arg == opt and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith(opt + "="):
                return arg[len(opt) + 1:]
    return None


def _usage_error(exc: BaseException, args: list[str] | None = None) -> int | None:
    """Print a click-style usage error (any click copy) as usage line + one error line; a bad
    option value is quoted in it when the message does not already say it."""
    fmt = getattr(exc, "format_message", None)
    code = getattr(exc, "exit_code", None)
    if not callable(fmt) or not isinstance(code, int):
        return None
    ctx: Any = getattr(exc, "ctx", None)
    text = str(fmt())
    given = _given(exc, args or [])
    if given is not None and given not in text:
        text += f" (got {given!r})"
    message = _cut(text)
    if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:  # a group without its subcommand
        sys.stderr.write(ctx.get_help() + "\n")
        return code
    if ctx is not None:
        usage = ctx.get_usage().strip().splitlines()
        if usage:
            sys.stderr.write(usage[0] + "\n")
    sys.stderr.write(f"error: {message}\n")
    return code


def run(argv: list[str] | None = None) -> int:
    """Run the CLI on ``argv`` and return the exit code (no ``sys.exit``; tests call this)."""
    from ..errors import TokenfabError

    args = sys.argv[1:] if argv is None else argv
    if not args:  # the same answer whatever the click version: the help, on stderr, exit 2
        command = typer.main.get_command(app)
        sys.stderr.write(command.make_context("tokenfab", ["--help"], resilient_parsing=True).get_help() + "\n")
        return 2
    from .output import flush_notes

    flush_notes(False)  # nothing left over from an earlier in-process run
    ok = False
    try:
        rc = app(args=args, prog_name="tokenfab", standalone_mode=False)
        ok = rc in (None, 0)
        return rc if isinstance(rc, int) else 0
    except TokenfabError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("aborted\n")
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # usage errors, Abort and Exit from whichever click typer carries
        if type(exc).__name__ == "Abort":
            sys.stderr.write("aborted\n")
            return 130
        code = _usage_error(exc, args)
        if code is None:
            raise
        return code
    finally:
        flush_notes(ok)


def main() -> None:
    """Console entry point."""
    sys.exit(run())
