"""The `tokenfab` command line. Renders results; holds no model logic or defaults."""

from __future__ import annotations

import sys

import typer

from . import catalog_cmd, economics_cmd, estimate_cmd, model_cmd, plan_cmd, serve_cmd

app = typer.Typer(
    name="tokenfab",
    help="What a token costs in dollars, joules, CO2 and legal exposure, shown with its working.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("plan")(plan_cmd.plan_cmd)
app.add_typer(catalog_cmd.app, name="catalog")
app.add_typer(model_cmd.app, name="model")
app.command("estimate")(estimate_cmd.estimate_cmd)
app.command("validate")(estimate_cmd.validate_cmd)
app.command("cost")(economics_cmd.cost_cmd)
app.command("energy")(economics_cmd.energy_cmd)
app.command("sovereignty")(economics_cmd.sovereignty_cmd)
app.command("gigawatt")(economics_cmd.gigawatt_cmd)
app.command("compare")(economics_cmd.compare_cmd)
app.command("serve")(serve_cmd.serve_cmd)


def main() -> None:
    """Console entry point: expected errors print one line and exit non-zero, no traceback."""
    from ..errors import TokenfabError

    try:
        rc = app(standalone_mode=False)
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except TokenfabError as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.secho("aborted", err=True)
        sys.exit(130)
    except Exception as exc:  # click usage errors come through as ClickException
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
