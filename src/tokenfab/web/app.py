"""FastAPI app: `/api/*` calls the same functions as the CLI and returns the same JSON;
`/` and `/catalog` are pages built on that API, with Plotly served from the installed
package (no internet needed).

Hardening: bodies over ``max_body_bytes`` get 413; request models forbid unknown fields and
cap list sizes; every API call runs under ``time_limit_s`` (503 after it); no request
field is ever a file-system path (the catalog overlay is a server option); no CORS
middleware, so browsers refuse cross-origin reads.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from ..catalog import KINDS, load_catalog
from ..errors import ExpectedOutcome, InputError, NoFeasiblePlanError, UnknownIdError
from ..estimate import EstimateRequest

MAX_LIST = 32


class PlanBody(BaseModel):
    """`POST /api/plan`: the CLI's flag names in snake_case; unset fields take the Scenario defaults."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(max_length=80)
    rate_rps: float | None = None
    tokens_per_day: float | None = None
    isl: float
    osl: float
    ttft_max_s: float | None = None
    tpot_max_s: float | None = None
    sovereignty: str | None = None
    date: dt.date | None = None
    buyer_country: str | None = Field(default=None, max_length=2)
    budget_usd_per_month: float | None = None
    max_gco2e_per_1k_tok: float | None = None
    provider: list[str] | None = Field(default=None, max_length=MAX_LIST)
    exclude_provider: list[str] | None = Field(default=None, max_length=MAX_LIST)
    region: list[str] | None = Field(default=None, max_length=MAX_LIST)
    accelerator: list[str] | None = Field(default=None, max_length=MAX_LIST)
    exclude_accelerator: list[str] | None = Field(default=None, max_length=MAX_LIST)
    pricing: list[str] | None = Field(default=None, max_length=4)
    weights: list[str] | None = Field(default=None, max_length=3)
    own: bool | None = None
    no_rent: bool | None = None
    own_grid: str | None = None
    objective: list[str] | None = Field(default=None, max_length=4)
    front_tolerance: float | None = None
    top: int = Field(default=50, ge=1, le=200)

    def scenario(self) -> dict[str, Any]:
        rename = dict(provider="providers", exclude_provider="exclude_providers", region="regions",
                      accelerator="accelerators", exclude_accelerator="exclude_accelerators", objective="objectives")
        out = {}
        for k, v in self.model_dump(exclude={"top", "row"}).items():
            if v is None:
                continue
            if k == "no_rent":
                out["rent"] = not v
                continue
            out[rename.get(k, k)] = tuple(v) if isinstance(v, list) else v
        return out


class ExplainBody(PlanBody):
    """`POST /api/plan/explain`: a plan body plus the 1-based front row to explain."""

    row: int = Field(ge=1, le=200)


def _one_line(exc: RequestValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"] if p != "body")
    if err["type"] == "missing":
        return f"missing required field {loc!r}"
    if err["type"] == "extra_forbidden":
        return f"unknown field {loc!r}"
    return f"field {loc!r} = {err.get('input')!r}: {err['msg']}"


def create_app(catalog_dir: str | Path | None = None, time_limit_s: float = 20.0,
               max_body_bytes: int = 64_000) -> FastAPI:
    from fastapi_offline import FastAPIOffline

    app = FastAPIOffline(title="tokenfab", version="0.1.0",
                  description="What a token costs in dollars, joules, CO2 and legal exposure. Same JSON as the CLI's --json.")
    cat = load_catalog(catalog_dir)

    async def run(fn, *args, **kwargs):
        with anyio.fail_after(time_limit_s):
            # The worker thread cannot be interrupted: past the limit the client gets 503 at
            # once and the thread finishes its (bounded) search in the background.
            return await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs), abandon_on_cancel=True)

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        length = request.headers.get("content-length")
        if request.method in ("POST", "PUT", "PATCH"):
            if length is None:  # a chunked body could be any size: ask for its length first
                return JSONResponse({"detail": "send a Content-Length header with the body"}, status_code=411)
            if not length.isdigit():
                return JSONResponse({"detail": f"Content-Length = {length!r}: must be a byte count"}, status_code=400)
            if int(length) > max_body_bytes:
                return JSONResponse({"detail": f"request body of {length} bytes exceeds the {max_body_bytes}-byte limit"},
                                    status_code=413)
        return await call_next(request)

    # Expected errors -> one-line JSON. Starlette picks the handler by the exception's MRO,
    # so the most specific class wins (UnknownIdError before InputError).
    statuses = {UnknownIdError: 404, InputError: 422, ExpectedOutcome: 409, TimeoutError: 503}

    async def _expected_error(_: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, TimeoutError):
            return JSONResponse({"detail": f"request exceeded the {time_limit_s:g} s time limit"}, status_code=503)
        body: dict[str, Any] = {"detail": str(exc)}
        if isinstance(exc, NoFeasiblePlanError):
            body["rejected"] = exc.rejected
        status = next(code for cls, code in statuses.items() if isinstance(exc, cls))
        return JSONResponse(body, status_code=status)

    for cls in statuses:
        app.add_exception_handler(cls, _expected_error)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError):
        return JSONResponse({"detail": _one_line(exc)}, status_code=422)

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "kinds": {k: len(cat.rows[k]) for k in KINDS}}

    @app.post("/api/plan")
    async def api_plan(body: PlanBody) -> dict[str, Any]:
        from ..planner import plan

        d = (await run(plan, body.scenario(), cat)).to_dict()
        d["front"] = d["front"][: body.top]
        return d

    @app.post("/api/plan/explain")
    async def api_plan_explain(body: ExplainBody) -> dict[str, Any]:
        """Breakdown of front row `row` (1-based) of the plan the body describes: time, money,
        energy, constraints and roofline. The plan is recomputed, never taken from the client."""
        from ..explain import explain
        from ..planner import plan

        def go():
            return explain(plan(body.scenario(), cat), body.row, cat)

        return await run(go)

    @app.post("/api/plan/export")
    async def api_plan_export(body: PlanBody, format: Literal["csv", "json", "html"] = "csv") -> Response:
        import json

        from ..planner import plan
        from ..report import plan_report_html

        result = await run(plan, body.scenario(), cat)
        name = f"tokenfab-plan-{body.model}"
        if format == "json":
            return Response(json.dumps(result.to_dict(), indent=2), media_type="application/json",
                            headers={"Content-Disposition": f'attachment; filename="{name}.json"'})
        if format == "html":
            return Response(plan_report_html(result.to_dict()), media_type="text/html",
                            headers={"Content-Disposition": f'attachment; filename="{name}.html"'})
        return Response(result.to_csv(), media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})

    @app.post("/api/estimate")
    async def api_estimate(body: EstimateRequest) -> dict[str, Any]:
        from ..estimate import estimate_request

        return (await run(estimate_request, body, cat)).to_dict()

    @app.post("/api/roofline")
    async def api_roofline(body: EstimateRequest) -> dict[str, Any]:
        from ..roofline import roofline

        return await run(roofline, body, cat)

    @app.get("/api/catalog")
    def api_catalog_kinds() -> dict[str, int]:
        return {k: len(cat.rows[k]) for k in KINDS}

    @app.get("/api/catalog/{kind}")
    def api_catalog_list(kind: str) -> list[dict[str, Any]]:
        return [r.model_dump(mode="json", exclude_none=True) for r in cat.list(kind)]

    @app.get("/api/catalog/{kind}/{row_id}")
    def api_catalog_row(kind: str, row_id: str) -> dict[str, Any]:
        return cat.get(kind, row_id).model_dump(mode="json", exclude_none=True)

    @app.get("/api/sovereignty/{subject}")
    def api_sovereignty(subject: str, preset: str = "eu-jurisdiction", date: dt.date | None = None,
                        buyer_country: str | None = None) -> dict[str, Any]:
        from ..costing import sovereignty

        rep = sovereignty(cat, subject=subject, preset=preset, date=date, buyer_country=buyer_country)
        return rep.to_dict()

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return _static_text("index.html")

    @app.get("/catalog", response_class=HTMLResponse)
    def catalog_page() -> str:
        return _static_text("catalog.html")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/static/plotly.min.js")
    def plotly_js() -> Response:
        return Response(_plotly_js(), media_type="application/javascript",
                        headers={"Cache-Control": "max-age=86400"})

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        allowed = {"app.js": "application/javascript", "style.css": "text/css"}
        if name not in allowed:
            raise UnknownIdError("static files", name, allowed)
        return Response(_static_text(name), media_type=allowed[name])

    return app


@lru_cache(maxsize=8)
def _static_text(name: str) -> str:
    return (resources.files("tokenfab") / "web" / "static" / name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()
