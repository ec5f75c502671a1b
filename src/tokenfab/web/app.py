"""FastAPI app: ``/api/*`` takes the library's own request models as bodies (the CLI's flags,
snake_case, strict types) and returns the results' JSON, the same the CLI's ``--json``
prints; ``/`` and ``/catalog`` are pages built on that API, with Plotly served from the
installed package (no internet needed).

Hardening: a Host allow-list and bounded, timed body reads (``guard``); unknown fields,
string-to-number, bool-to-int and non-finite numbers refused; computations run in at most
``max_concurrent`` worker threads under ``time_limit_s`` (503 after it); identical requests
are answered from a bounded cache; error details are one line of at most 300 characters;
no request field is a file-system path (the catalog overlay is a server option); no CORS.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import anyio
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel

from .. import __version__, _api
from ..catalog import KINDS, Catalog, load_catalog
from ..deployment.cost_report import CostQuestion
from ..deployment.site import SiteQuestion
from ..deployment.spec import Deployment
from ..errors import ExpectedOutcome, InputError, NoFeasiblePlanError, UnknownIdError, describe_validation_error
from ..planner.compare import CompareQuestion
from ..planner.scenario import Scenario
from ..whatif.question import WhatIfQuestion
from .bill import bill_routes
from .guard import LOOPBACK_HOSTS, Guard, detail


class _Cache:
    """A bounded LRU of JSON-ready answers keyed by endpoint and canonical request."""

    def __init__(self, size: int) -> None:
        self.size, self.data, self.lock = size, OrderedDict[str, Any](), threading.Lock()

    def get(self, key: str) -> Any:
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                return self.data[key]
        return None

    def put(self, key: str, value: Any) -> None:
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)


class _Runner:
    """Runs computations for the routes: cached, in at most ``max_concurrent`` threads, under
    a time limit (a worker thread cannot be interrupted: past the limit the client gets 503
    at once and the thread finishes its bounded computation in the background)."""

    def __init__(self, time_limit_s: float, max_concurrent: int, cache_size: int) -> None:
        self.time_limit_s = time_limit_s
        self.limiter = anyio.CapacityLimiter(max_concurrent)
        self.cache = _Cache(cache_size)

    async def __call__(self, key: str | None, fn: Callable[[], Any]) -> Any:
        if key is not None and (hit := self.cache.get(key)) is not None:
            return hit
        with anyio.fail_after(self.time_limit_s):
            value = await anyio.to_thread.run_sync(fn, abandon_on_cancel=True, limiter=self.limiter)
        if key is not None:
            self.cache.put(key, value)
        return value


def _key(name: str, body: BaseModel, *extra: Any) -> str:
    return json.dumps([name, body.model_dump(mode="json"), *extra], sort_keys=True)


def create_app(catalog_dir: str | Path | None = None, time_limit_s: float = 20.0, max_body_bytes: int = 64_000,
               allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS, body_timeout_s: float = 10.0,
               max_concurrent: int = 1, cache_size: int = 256) -> Any:
    """The ASGI app (FastAPI behind :class:`~tokenfab.web.guard.Guard`)."""
    from fastapi_offline import FastAPIOffline

    app = FastAPIOffline(title="tokenfab", version=__version__,
                         description="What a token costs in dollars, joules, CO2 and legal exposure. Bodies are the "
                                     "library's request models; answers are the CLI's --json.")
    cat = load_catalog(catalog_dir)
    run = _Runner(time_limit_s, max_concurrent, cache_size)
    _errors(app, time_limit_s)
    _plan_routes(app, cat, run)
    _whatif_route(app, cat, run, None if catalog_dir is None else str(catalog_dir))
    _deployment_routes(app, cat, run)
    _catalog_routes(app, cat)
    bill_routes(app, cat, run)
    _pages(app)
    return Guard(app, allowed_hosts=allowed_hosts, max_body_bytes=max_body_bytes, body_timeout_s=body_timeout_s)


def _errors(app: FastAPI, time_limit_s: float) -> None:
    """Expected errors become one-line JSON; the most specific class wins (MRO)."""
    statuses: dict[type[Exception], int] = {UnknownIdError: 404, InputError: 422, ExpectedOutcome: 409,
                                            TimeoutError: 503}

    async def expected_error(_: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, TimeoutError):
            return JSONResponse({"detail": f"request exceeded the {time_limit_s:g} s time limit"}, status_code=503)
        body: dict[str, Any] = {"detail": detail(str(exc))}
        if isinstance(exc, NoFeasiblePlanError):
            body["rejected"] = exc.rejected
        return JSONResponse(body, status_code=next(code for cls, code in statuses.items() if isinstance(exc, cls)))

    for cls in statuses:
        app.add_exception_handler(cls, expected_error)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        line = describe_validation_error(errors[0], skip_loc=("body", "query", "path")) if errors else "invalid request"
        return JSONResponse({"detail": detail(line)}, status_code=422)


def _plan_routes(app: FastAPI, cat: Catalog, run: _Runner) -> None:
    @app.post("/api/plan", response_class=JSONResponse)
    async def api_plan(body: Scenario, top: int = Query(50, ge=1, le=500)) -> Response:
        """The Pareto front for a scenario (the first ``top`` rows): ``tokenfab plan --json``."""
        d = await run(_key("plan", body), lambda: _api.plan(body, catalog=cat).to_dict())
        # the result is JSON-ready already: encode it once instead of FastAPI's generic walk
        return Response(json.dumps({**d, "front": d["front"][:top]}), media_type="application/json")

    @app.post("/api/plan/explain")
    async def api_plan_explain(body: Scenario, row: int = Query(ge=1, le=500)) -> dict[str, Any]:
        """Breakdown of front row ``row`` (1-based) of the plan the body describes. The plan is
        recomputed, never taken from the client."""
        return await run(_key("explain", body, row),
                         lambda: _api.explain(_api.plan(body, catalog=cat), row, cat).to_dict())

    @app.post("/api/plan/export")
    async def api_plan_export(body: Scenario, format: Literal["csv", "json", "html"] = "csv") -> Response:
        from ..report.html import plan_report_html

        result = await run(None, lambda: _api.plan(body, catalog=cat))
        name = f"tokenfab-plan-{result.scenario.model}"
        text, media = {"json": (lambda: json.dumps(result.to_dict(), indent=2), "application/json"),
                       "html": (lambda: plan_report_html(result), "text/html"),
                       "csv": (lambda: result.to_csv(), "text/csv")}[format]
        return Response(text(), media_type=media,
                        headers={"Content-Disposition": f'attachment; filename="{name}.{format}"'})

    @app.post("/api/compare")
    async def api_compare(body: CompareQuestion) -> dict[str, Any]:
        """``tokenfab compare --json``: self-hosting at the APIs' per-user speed beside API prices."""
        return await run(_key("compare", body), lambda: _api.compare(body, catalog=cat).to_dict())


WEB_MAX_SAMPLES = 20_000


def _whatif_route(app: FastAPI, cat: Catalog, run: _Runner, overlay: str | None) -> None:
    @app.post("/api/whatif")
    async def api_whatif(body: WhatIfQuestion) -> dict[str, Any]:
        """The plan under shocks and input ranges: ``tokenfab whatif --json`` (in-process only,
        at most 20,000 samples here)."""
        if body.backend != "local" or body.address is not None:
            raise InputError(f"backend = {body.backend!r}: the web app runs what-ifs in-process; use backend = "
                             "'local' (Ray sweeps: the tokenfab whatif command)")
        if body.samples > WEB_MAX_SAMPLES:
            raise InputError(f"samples = {body.samples}: at most {WEB_MAX_SAMPLES:,} in the web app; use the "
                             "tokenfab whatif command for more")
        out: dict[str, Any] = await run(_key("whatif", body),
                                        lambda: _api.whatif(body, catalog=cat, overlay=overlay).to_dict())
        return out


def _deployment_routes(app: FastAPI, cat: Catalog, run: _Runner) -> None:
    @app.post("/api/evaluate")
    async def api_evaluate(body: Deployment) -> dict[str, Any]:
        """One deployment: performance, money, energy, carbon, sovereignty (``estimate``/``energy`` JSON)."""
        return await run(_key("evaluate", body), lambda: _api.evaluate(body, catalog=cat).to_dict())

    @app.post("/api/estimate")
    async def api_estimate(body: Deployment) -> dict[str, Any]:
        """Same as ``/api/evaluate`` (``tokenfab estimate --json``)."""
        return await api_evaluate(body)

    @app.post("/api/cost")
    async def api_cost(body: CostQuestion) -> dict[str, Any]:
        """``tokenfab cost --json``: the evaluation plus break-evens and egress."""
        return await run(_key("cost", body), lambda: _api.cost(body, catalog=cat).to_dict())

    @app.post("/api/gigawatt")
    async def api_gigawatt(body: SiteQuestion) -> dict[str, Any]:
        """``tokenfab gigawatt --json``: a site in accelerators and tokens/day, or the power a traffic needs."""
        return await run(_key("gigawatt", body), lambda: _api.gigawatt(body, catalog=cat).to_dict())

    @app.post("/api/roofline")
    async def api_roofline(body: Deployment) -> dict[str, Any]:
        """Roofline points (prefill, decode) of the deployment ``/api/evaluate`` chooses."""
        return await run(_key("roofline", body), lambda: _api.roofline(body, catalog=cat).to_dict())


def _catalog_routes(app: FastAPI, cat: Catalog) -> None:
    @app.get("/api/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "kinds": {k: len(cat.rows[k]) for k in KINDS}}

    @app.get("/api/catalog")
    def api_catalog_kinds() -> dict[str, int]:
        return {k: len(cat.rows[k]) for k in KINDS}

    @app.get("/api/catalog/{kind}")
    def api_catalog_list(kind: str) -> list[dict[str, Any]]:
        return [r.model_dump(mode="json", exclude_none=True) for r in cat.list(kind)]

    @app.get("/api/catalog/{kind}/{row_id}")
    def api_catalog_row(kind: str, row_id: str) -> dict[str, Any]:
        row: dict[str, Any] = cat.get(kind, row_id).model_dump(mode="json", exclude_none=True)
        return row

    @app.get("/api/sovereignty/{subject}")
    def api_sovereignty(subject: str, preset: str = "eu-jurisdiction", date: dt.date | None = None,
                        buyer_country: str | None = Query(None, max_length=2)) -> dict[str, Any]:
        return _api.sovereignty(subject, preset, date, buyer_country, cat).to_dict()


def _pages(app: FastAPI) -> None:
    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return _static_text("index.html")

    @app.get("/whatif", response_class=HTMLResponse)
    def whatif_page() -> str:
        return _static_text("whatif.html")

    @app.get("/catalog", response_class=HTMLResponse)
    def catalog_page() -> str:
        return _static_text("catalog.html")

    @app.get("/bill", response_class=HTMLResponse)
    def bill_page() -> str:
        return _static_text("bill.html")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/static/plotly.min.js")
    def plotly_js() -> Response:
        return Response(_plotly_js(), media_type="application/javascript", headers={"Cache-Control": "max-age=86400"})

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        allowed = {"app.js": "application/javascript", "bill.js": "application/javascript",
                   "whatif.js": "application/javascript", "style.css": "text/css"}
        if name not in allowed:
            raise UnknownIdError("static files", name, allowed)
        return Response(_static_text(name), media_type=allowed[name])


def app_from_env() -> Any:
    """The app built from ``$TOKENFAB_SERVE`` (JSON of create_app's arguments): what each
    uvicorn worker process runs when ``tokenfab serve --workers N`` starts several."""
    import os

    opts = json.loads(os.environ.get("TOKENFAB_SERVE", "{}"))
    if "allowed_hosts" in opts:
        opts["allowed_hosts"] = tuple(opts["allowed_hosts"])
    return create_app(**opts)


@lru_cache(maxsize=8)
def _static_text(name: str) -> str:
    return (resources.files("tokenfab") / "web" / "static" / name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())
