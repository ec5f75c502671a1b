"""`tokenfab serve`: the local web app and HTTP API (needs the `web` extra)."""

from __future__ import annotations

import json
import os
from typing import Annotated, Optional

import typer

from ..errors import InputError
from .options import CatalogDir
from .output import err_console


def serve_cmd(
    host: Annotated[str, typer.Option("--host",
        help="Interface to bind; keep 127.0.0.1 unless you mean to share it [default: 127.0.0.1].")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port [default: 8765].")] = 8765,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes (one per CPU core for load) [default: 1].")] = 1,
    allow_host: Annotated[Optional[list[str]], typer.Option("--allow-host",
        help="Host header to accept besides the loopback names (repeat; '*' accepts any).")] = None,
    time_limit_s: Annotated[Optional[float], typer.Option("--time-limit-s",
        help="Time limit per API request [s] [default: 20].")] = None,
    catalog: CatalogDir = None,
) -> None:
    """Serve the web app (plan, Pareto and roofline charts, catalog browser) and its HTTP API."""
    from ..web.guard import LOOPBACK_HOSTS

    if not 1 <= port <= 65535:
        raise InputError(f"port = {port}: use a TCP port in 1..65535")
    if not 1 <= workers <= 64:
        raise InputError(f"workers = {workers}: use 1..64 worker processes")
    if time_limit_s is not None and not 0 < time_limit_s <= 3600:
        raise InputError(f"time-limit-s = {time_limit_s}: must be in (0, 3600]")
    try:
        import uvicorn

        from ..web import create_app  # noqa: F401 - fails early without the web extra
    except ImportError as exc:
        raise InputError(f"the web app needs its extra ({exc.name} is missing): pip install 'tokenfab[web]', "
                         "or from a clone: pip install '.[web]'") from None
    hosts = (*LOOPBACK_HOSTS, *(h.strip() for h in allow_host or () if h.strip()))
    opts: dict[str, object] = {"allowed_hosts": list(hosts)}
    if catalog is not None:
        opts["catalog_dir"] = str(catalog)
    if time_limit_s is not None:
        opts["time_limit_s"] = time_limit_s
    os.environ["TOKENFAB_SERVE"] = json.dumps(opts)
    from ..web.app import app_from_env

    app_from_env()  # build once here so a bad catalog fails before the server starts
    err_console.print(f"tokenfab web app on http://{host}:{port}/  ({workers} worker(s); HTTP API docs at /docs; "
                      "Ctrl-C to stop)")
    if host not in LOOPBACK_HOSTS:
        err_console.print(f"[yellow]warning:[/yellow] bound to {host}: anyone who can reach this interface can use the app")
    uvicorn.run("tokenfab.web.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level="warning", timeout_keep_alive=5)
