"""`tokenfab serve`: the local web app and HTTP API (needs the `web` extra)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from . import options as O
from .output import err_console


def serve_cmd(
    host: Annotated[str, typer.Option("--host", help="Interface to bind; keep 127.0.0.1 unless you mean to share it.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8765,
    time_limit_s: Annotated[Optional[float], typer.Option("--time-limit-s", help="Time limit per API request [s] (default: create_app's).")] = None,
    catalog: O.CatalogDir = None,
) -> None:
    """Serve the web app (plan, Pareto and roofline charts, catalog browser) and its HTTP API."""
    from ..errors import InputError

    if not 1 <= port <= 65535:
        raise InputError(f"port = {port}: use a TCP port in 1..65535")
    if time_limit_s is not None and not time_limit_s > 0:
        raise InputError(f"time-limit-s = {time_limit_s}: must be > 0")
    try:
        import uvicorn

        from ..web import create_app
    except ImportError as exc:
        raise InputError(f"the web app needs its extra ({exc.name} is missing): pip install 'tokenfab[web]'") from None
    app = create_app(catalog, **({} if time_limit_s is None else {"time_limit_s": time_limit_s}))
    err_console.print(f"tokenfab web app on http://{host}:{port}/  (HTTP API docs at /docs; Ctrl-C to stop)")
    if host not in ("127.0.0.1", "localhost", "::1"):
        err_console.print(f"[yellow]warning:[/yellow] bound to {host}: anyone who can reach this interface can use the app")
    uvicorn.run(app, host=host, port=port, log_level="warning")
