"""Fuzz the HTTP API: schemathesis against the app's own OpenAPI schema, plus hostile JSON
bodies built on valid requests.

* ``test_operation``: for every operation in ``/openapi.json`` (one test each), schemathesis
  generates requests from the schema (positive mode: bodies, query and path values the schema
  allows; negative mode, for operations with a body or query, values it forbids) and sends
  them in process to ``tokenfab.web.create_app()`` with a loopback ``Host`` header (the app's
  guard refuses any other host by design). Checks: schemathesis's ``not_a_server_error`` (no
  5xx); every 4xx answer is JSON ``{"detail": "<one line, <= 300 chars>"}``; every 200 JSON
  answer is strict JSON (no NaN, no Infinity) and a CSV export holds no nan/inf.
  Schemathesis is driven programmatically (``APIOperation.as_strategy`` under
  ``hypothesis.given``), not through its pytest plugin, so the suite's fixtures and
  settings stay as they are.
* ``test_hostile_body``: a valid body for each POST route with one field replaced by a hostile
  JSON value written as raw text (NaN, -Infinity, 1e400, a 400-digit integer, strings where
  numbers go, nested objects, huge strings, unknown fields), or the body itself damaged
  (not JSON, not an object, truncated, a BOM). Same checks; these reach the planner and the
  engine, which random schema strings rarely do (they stop at an unknown model id).

About 20 s on two cores (examples per operation are kept small; most answers are a fast 404 or
422, a valid plan takes ~40 ms).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import given, note  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from tokenfab.web import create_app  # noqa: E402
from tokenfab.web.guard import MAX_DETAIL_CHARS  # noqa: E402

from .common import fuzz_settings, non_finite_tokens, strict_json, weighted  # noqa: E402

# numpy's RuntimeWarning (overflow, 0/0) would be printed by the server: an error here
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

HOST = {"Host": "127.0.0.1"}  # the guard serves loopback names only; 'testserver' gets 400 by design
APP = create_app()
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP, headers=HOST)
OPERATIONS = {op.label: op for op in (r.ok() for r in SCHEMA.get_all_operations())}
POSITIVE_EXAMPLES = 30
NEGATIVE_EXAMPLES = 25


def check_answer(status: int, content_type: str, text: str, request: str) -> None:
    """No 5xx; a 4xx is one-line JSON detail; a JSON answer is strict; a CSV has no nan/inf."""
    assert status < 500, (status, text[:500], request)
    if 400 <= status < 500:
        assert content_type.startswith("application/json"), (status, content_type, text[:300], request)
        body = strict_json(text)
        assert isinstance(body, dict) and isinstance(body.get("detail"), str), (status, text[:300], request)
        detail = body["detail"]
        assert detail.strip() and len(detail.splitlines()) == 1, (status, detail, request)
        assert len(detail) <= MAX_DETAIL_CHARS, (len(detail), detail, request)
        assert "Traceback" not in detail, detail
    elif content_type.startswith("application/json"):
        strict_json(text)
    elif content_type.startswith("text/csv"):
        assert not non_finite_tokens(text), (text[:2000], request)


def _has_inputs(op: Any) -> bool:
    """Negative data needs a body or query to break (path strings accept any text)."""
    return bool(len(op.body) or len(op.query))


def _fuzz(op: Any, mode: GenerationMode, examples: int) -> None:
    @fuzz_settings(examples)
    @given(case=op.as_strategy(generation_mode=mode))
    def fuzz(case: Any) -> None:
        note(f"{mode.value}: {case.as_curl_command(headers=HOST)}")
        response = case.call(headers=HOST)
        case.validate_response(response, checks=[not_a_server_error])
        ctype = response.headers.get("content-type") or [""]
        check_answer(response.status_code, ctype[0] if isinstance(ctype, list) else ctype, response.text,
                     f"{mode.value} {case.method} {case.formatted_path} query={case.query!r} body={case.body!r}")

    fuzz()


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_operation(label: str) -> None:
    op = OPERATIONS[label]
    if not (op.path_parameters or _has_inputs(op)):
        _fuzz(op, GenerationMode.POSITIVE, 1)  # nothing to vary: one request
        return
    _fuzz(op, GenerationMode.POSITIVE, POSITIVE_EXAMPLES)
    if _has_inputs(op):
        _fuzz(op, GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES)


# ---------------------------------------------------------------- hostile bodies on valid requests

W = {"model": "llama-3.1-8b", "isl": 1000, "osl": 200}
VALID_BODIES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("/api/plan", {**W, "rate_rps": 2}),
    ("/api/plan", {**W, "tokens_per_day": 1e9, "own": True, "own_grid": "fr"}),
    ("/api/plan/explain?row=1", {**W, "rate_rps": 2}),
    ("/api/plan/export?format=csv", {**W, "rate_rps": 2}),
    ("/api/plan/export?format=csv", {**W, "rate_rps": 2, "own": True, "own_grid": "de"}),
    ("/api/plan/export?format=json", {**W, "rate_rps": 2, "scenario": "offline"}),
    ("/api/compare", {**W}),
    ("/api/evaluate", {**W, "accelerator": "h200", "count": 1}),
    ("/api/estimate", {**W, "offer": "scaleway-h100-sxm-8-80g"}),
    ("/api/cost", {**W, "offer": "scaleway-h100-sxm-8-80g"}),
    ("/api/cost", {**W, "own": True, "accelerator": "h100-sxm", "grid": "fr", "offer": "lambda-h100-8"}),
    ("/api/gigawatt", {**W, "mw": 100}),
    ("/api/roofline", {**W, "accelerator": "h100-sxm", "count": 8}),
)
# raw JSON text: what json.dumps cannot write (NaN, Infinity, 1e400) is written by hand
HOSTILE_JSON: tuple[str, ...] = (
    "NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e-400", "1" + "0" * 400, "-1", "0", "0.0", "1e308",
    "true", "false", "null", '""', '" "', '"nan"', '"inf"', '"1e400"', '"12"', '"x"', '"' + "x" * 20_000 + '"',
    '"\\u0000"', '"\\ud800"', "[]", "[1, 2]", "{}", '{"a": {"b": [1]}}', "[" * 50 + "]" * 50, '"H200"',
    '"llama-3.1-8B"', '"2026-02-30"', '"9999-12-31"', '"eu-jurisdiction"', '"offline"', '"spot"', "4097", "1000001",
    "10000001", "2147483648",
)
FIELDS = ("model", "isl", "osl", "scenario", "ttft_max_s", "tpot_max_s", "rate_rps", "tokens_per_day", "utilization",
          "offer", "accelerator", "count", "tp", "pp", "ep", "weights", "kv", "concurrency", "pricing", "own", "grid",
          "sovereignty", "date", "buyer_country", "mw", "facility", "objectives", "providers", "budget_usd_per_month",
          "front_tolerance", "top", "own_grid", "chunk_tokens", "pue", "years", "egress_gb_per_month", "zzz_unknown")


# valid alternatives, so that many requests get past validation into the planner and the engine
VALID_JSON: dict[str, tuple[str, ...]] = {
    "scenario": ('"offline"', '"interactive"'), "tpot_max_s": ("0.02", "0.2", "60"), "ttft_max_s": ("0.1", "3600"),
    "isl": ("1", "128", "32000", "10000000"), "osl": ("1", "2000", "1000000"), "tokens_per_day": ("1", "1e9", "1e16"),
    "weights": ('["fp8"]', '["fp4", "bf16"]', '"fp8"'), "pricing": ('["spot"]', '"reserved_3y"'),
    "sovereignty": ('"eu-jurisdiction"', '"secnumcloud"'), "date": ('"2026-01-01"', '"1990-01-01"'),
    "buyer_country": ('"CN"', '"fr"'), "objectives": ('["energy", "carbon"]', '["latency"]'),
    "budget_usd_per_month": ("1", "1e12"), "front_tolerance": ("0", "1"), "model": ('"kimi-k2"', '"deepseek-r1"'),
    "count": ("1", "72"), "tp": ("1", "8"), "pp": ("2",), "concurrency": ("1", "10000000"), "chunk_tokens": ("16",),
    "mw": ("0.001", "100000"), "facility": ('"stargate-abilene"',), "utilization": ("0.01", "1"),
    "providers": ('["ovhcloud"]', '["aws", "gcp"]'), "rate_rps": ("0.000001", "10000000"), "pue": ("1", "3"),
}


def _raw(body: dict[str, Any], field: str, value: str) -> str:
    """``body`` as JSON text with ``field`` set to the raw JSON ``value``."""
    rest = {k: v for k, v in body.items() if k != field}
    text = json.dumps(rest)
    return (text[:-1] + (", " if rest else "") + f"{json.dumps(field)}: {value}" + "}")


@st.composite
def hostile_request(draw: st.DrawFn) -> tuple[str, bytes]:
    route, body = draw(st.sampled_from(VALID_BODIES))
    if draw(st.booleans()):
        field = draw(st.sampled_from(sorted(VALID_JSON)))
        text = _raw(body, field, draw(st.sampled_from(VALID_JSON[field])))
    else:
        text = _raw(body, draw(st.sampled_from(FIELDS)), draw(st.sampled_from(HOSTILE_JSON)))
    damage = draw(weighted(st.just(None), st.sampled_from(["cut", "bom", "array", "string", "garbage"]), 5))
    if damage == "cut":
        text = text[: len(text) // 2]
    elif damage == "array":
        text = f"[{text}]"
    elif damage == "string":
        text = json.dumps(text)
    data = text.encode("utf-8", "surrogatepass")
    if damage == "bom":
        data = b"\xef\xbb\xbf" + data
    elif damage == "garbage":
        data = b"\xff\xfe" + data
    return route, data


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(APP, base_url="http://127.0.0.1")


@fuzz_settings(150)
@given(request=hostile_request())
def test_hostile_body(request: tuple[str, bytes], client: TestClient) -> None:
    route, data = request
    note(f"POST {route} {data[:1500]!r}")
    resp = client.post(route, content=data, headers={"content-type": "application/json"})
    check_answer(resp.status_code, resp.headers.get("content-type", ""), resp.text, f"POST {route} {data[:300]!r}")


def test_valid_bodies_are_answered(client: TestClient) -> None:
    """The starting points are valid: the hostile test mutates requests that reach the models."""
    for route, body in VALID_BODIES:
        resp = client.post(route, json=body)
        assert resp.status_code == 200, (route, resp.text[:300])
        check_answer(resp.status_code, resp.headers.get("content-type", ""), resp.text, route)
