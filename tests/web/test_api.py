"""HTTP API: the library's request models as bodies, the CLI's JSON as answers, hand-checked
roofline, and every kind of bad or hostile request refused with a clear status and one line."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
from fastapi.testclient import TestClient

from tokenfab.catalog import load_catalog
from tokenfab.web import create_app

from ..conftest import cli

PLAN = {"model": "llama-3.1-8b", "rate_rps": 2, "isl": 1000, "osl": 200}
LOCAL = "http://127.0.0.1"


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(), base_url=LOCAL)


def _without_timing(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "elapsed_s"}


def test_plan_is_the_cli_json(client):
    resp = client.post("/api/plan", json={**PLAN, "tpot_max_s": 0.05, "sovereignty": "eu-jurisdiction"})
    assert resp.status_code == 200, resp.text
    proc = cli("plan", "--model", "llama-3.1-8b", "--rate-rps", "2", "--isl", "1000", "--osl", "200",
               "--tpot-max-s", "0.05", "--sovereignty", "eu-jurisdiction", "--json")
    assert proc.returncode == 0, proc.stderr
    assert _without_timing(resp.json()) == _without_timing(json.loads(proc.stdout))
    # unset fields took the Scenario defaults, the set ones were used
    sc = resp.json()["scenario"]
    assert sc["tpot_max_s"] == 0.05 and sc["sovereignty"] == "eu-jurisdiction" and sc["scenario"] == "server"
    assert all(r["sovereignty"]["passes"] for r in resp.json()["front"])


def test_estimate_is_the_cli_json(client):
    body = {"model": "llama-3.1-8b", "accelerator": "h100-sxm", "count": 1, "isl": 1000, "osl": 200, "concurrency": 16}
    resp = client.post("/api/estimate", json=body)
    assert resp.status_code == 200, resp.text
    proc = cli("estimate", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--count", "1", "--isl", "1000",
               "--osl", "200", "--concurrency", "16", "--json")
    assert proc.returncode == 0, proc.stderr
    assert resp.json() == json.loads(proc.stdout)


def test_roofline_against_hand_calculation(client):
    """h100-sxm bf16 ridge = 989.4 TFLOP/s / 3.35 TB/s (datasheet) = 295 FLOP/byte. A dense
    bf16 model does 2 FLOP per parameter and reads 2 bytes per parameter, so decode at one
    request sits near 1 FLOP/byte (KV reads pull it a little lower) and a 1000-token prefill
    near 1000 FLOP/byte (attention adds FLOPs, activations add bytes)."""
    body = {"model": "llama-3.1-8b", "accelerator": "h100-sxm", "count": 1, "weights": "bf16", "kv": "bf16",
            "isl": 1000, "osl": 200, "concurrency": 1}
    d = client.post("/api/roofline", json=body).json()
    assert d["ridge_flop_per_byte"] == pytest.approx(989.4e12 / 3.35e12, rel=0.01)
    assert 0.7 < d["decode"]["operational_intensity_flop_per_byte"] <= 1.05
    assert 500 < d["prefill"]["operational_intensity_flop_per_byte"] < 1500
    for phase in ("prefill", "decode"):
        p = d[phase]
        roof = min(d["peak_flop_per_s"], d["memory_bandwidth_bytes_per_s"] * p["operational_intensity_flop_per_byte"])
        assert 0 < p["achieved_flop_per_s_per_device"] <= roof * 1.0001


def test_explain_recomputes_the_row(client):
    plan = client.post("/api/plan", json=PLAN).json()
    d = client.post("/api/plan/explain?row=2", json=PLAN).json()
    ev, row = d["evaluation"], plan["front"][1]
    for section in ("deployment", "money", "energy", "performance"):
        assert ev[section] == row[section], section
    m = ev["money"]
    assert m["usd_per_month"] == pytest.approx(ev["deployment"]["accelerators_total"] * m["usd_per_accel_hour"] * 8760 / 12,
                                               rel=1e-9)
    assert set(d["constraints"]) >= {"fits in memory", "TTFT", "TPOT", "sovereignty"}
    assert d["roofline"]["accelerator"] == ev["deployment"]["accelerator"]
    assert client.post("/api/plan/explain?row=999", json=PLAN).status_code == 422


def test_exports(client):
    plan = client.post("/api/plan", json=PLAN).json()
    c = client.post("/api/plan/export?format=csv", json=PLAN)
    assert c.status_code == 200 and c.headers["content-type"].startswith("text/csv")
    assert "attachment" in c.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(c.text)))
    assert [r["capacity"] for r in rows] == [r["deployment"]["capacity"] for r in plan["front"]]
    j = client.post("/api/plan/export?format=json", json=PLAN).json()
    assert [r["deployment"]["capacity"] for r in j["front"]] == [r["deployment"]["capacity"] for r in plan["front"]]
    h = client.post("/api/plan/export?format=html", json=PLAN).text
    assert h.startswith("<!doctype html>") and "Plotly" in h
    # self-contained, works offline: no script, stylesheet or image fetched from elsewhere
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?(https?:)?//", h)
    assert client.post("/api/plan/export?format=pdf", json=PLAN).status_code == 422


def test_catalog_rows_carry_source_date_and_kind(client):
    kinds = client.get("/api/catalog").json()
    cat = load_catalog()
    assert kinds == {k: len(v) for k, v in cat.rows.items()}
    acc = client.get("/api/catalog/accelerators").json()
    assert len(acc) == kinds["accelerators"]
    kinds_ok = ("datasheet", "measured", "derived", "estimate", "secondary")
    assert all(r["source"] and r["as_of"] and r["kind"] in kinds_ok for r in acc)
    h100 = client.get("/api/catalog/accelerators/h100-sxm").json()
    assert h100["memory_bandwidth_bytes_per_s"] == pytest.approx(3.35e12)
    assert client.get("/api/catalog/accelerators/h999").status_code == 404
    assert client.get("/api/catalog/spaceships").status_code == 422


def test_sovereignty(client):
    aws = client.get("/api/sovereignty/aws", params={"preset": "eu-jurisdiction"}).json()
    assert aws["passes"] is False and any("CLOUD Act" in r for r in aws["reasons"])
    ovh = client.get("/api/sovereignty/ovhcloud", params={"preset": "eu-jurisdiction"}).json()
    assert ovh["passes"] is True
    assert client.get("/api/sovereignty/nobody").status_code == 404
    assert client.get("/api/sovereignty/aws", params={"preset": "martian"}).status_code == 422


@pytest.mark.parametrize("body, status, needle", [
    ({"rate_rps": 2, "isl": 1000, "osl": 200}, 422, "missing required field 'model'"),
    ({**PLAN, "isl": -5}, 422, "isl"),
    ({**PLAN, "rate_rps": "lots"}, 422, "rate_rps"),
    ({**PLAN, "colour": "red"}, 422, "unknown field 'colour'"),
    ({**PLAN, "catalog": "/etc"}, 422, "unknown field 'catalog'"),
    ({**PLAN, "model": "llama-9"}, 404, "llama-9"),
    ({**PLAN, "sovereignty": "martian"}, 422, "martian"),
    ({**PLAN, "pricing": ["free"]}, 422, "free"),
    ({**PLAN, "providers": [f"p{i}" for i in range(80)]}, 422, "providers"),
    ({**PLAN, "tpot_max_s": 1e-6}, 409, "TPOT"),
    # strict types: no bool-to-number, string-to-number, float-to-int
    ({**PLAN, "isl": True}, 422, "isl = True"),
    ({**PLAN, "rate_rps": "2"}, 422, "rate_rps = '2'"),
    ({**PLAN, "own": "yes"}, 422, "own = 'yes'"),
    ({**PLAN, "front_tolerance": "0.1"}, 422, "front_tolerance"),
    ({**PLAN, "osl_cv": -1}, 422, "osl_cv"),
    ({**PLAN, "osl_cv": "wide"}, 422, "osl_cv"),
])
def test_bad_plan_requests(client, body, status, needle):
    resp = client.post("/api/plan", json=body)
    assert resp.status_code == status, resp.text
    detail = resp.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and needle in detail and len(detail) <= 300, detail


def test_infinity_and_nan_are_refused(client):
    for literal in ("Infinity", "NaN", "-Infinity", "1e400"):
        raw = f'{{"model": "llama-3.1-8b", "rate_rps": 2, "isl": 1000, "osl": 200, "budget_usd_per_month": {literal}}}'
        resp = client.post("/api/plan", content=raw.encode(), headers={"content-type": "application/json"})
        assert resp.status_code == 422 and "finite" in resp.json()["detail"], (literal, resp.text)
    resp = client.post("/api/evaluate", json={"model": "llama-3.1-8b", "accelerator": "h100-sxm", "isl": 100,
                                              "osl": 100, "count": 8.0})
    assert resp.status_code == 422 and "count" in resp.json()["detail"]


def test_error_bodies_are_capped(client):
    huge = {"model": "x" * 5000, "rate_rps": 2, "isl": 1000, "osl": 200}
    resp = client.post("/api/plan", json=huge)
    assert resp.status_code == 422 and len(resp.json()["detail"]) <= 300
    resp = client.post("/api/plan", json={**PLAN, "regions": ["z" * 70]})
    assert len(resp.text) < 500


def test_malformed_json(client):
    resp = client.post("/api/plan", content=b"{not json", headers={"content-type": "application/json"})
    assert resp.status_code == 422 and isinstance(resp.json()["detail"], str)


def test_body_size_limit(client):
    resp = client.post("/api/plan", content=b" " * 100_000, headers={"content-type": "application/json"})
    assert resp.status_code == 413 and "limit" in resp.json()["detail"]

    def chunks():
        yield b'{"model": "llama-3.1-8b", '
        yield b'"rate_rps": 2, "isl": 1000, "osl": 200}'

    chunked = client.post("/api/plan", content=chunks(), headers={"content-type": "application/json"})
    assert chunked.status_code == 411


def test_time_limit():
    slow = TestClient(create_app(time_limit_s=1e-4), base_url=LOCAL)
    resp = slow.post("/api/plan", json={**PLAN, "rate_rps": 3})
    assert resp.status_code == 503 and "time limit" in resp.json()["detail"]


def test_host_header_is_restricted_to_loopback():
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends Host: evil.example."""
    app = create_app()
    for host in ("127.0.0.1:8765", "localhost", "[::1]:8765"):
        assert TestClient(app, base_url=f"http://{host}").get("/api/health").status_code == 200, host
    evil = TestClient(app, base_url="http://evil.example").get("/api/health")
    assert evil.status_code == 400 and "--allow-host" in evil.json()["detail"]
    allowed = TestClient(create_app(allowed_hosts=("tokenfab.internal",)), base_url="http://tokenfab.internal")
    assert allowed.get("/api/health").status_code == 200


def test_security_headers_on_every_response(client):
    for resp in (client.get("/"), client.get("/api/health"), client.get("/api/catalog/nope"),
                 client.post("/api/plan", json={"bad": 1}), client.get("/docs")):
        assert resp.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]
        assert resp.headers["referrer-policy"] == "no-referrer"


def test_identical_requests_come_from_the_cache():
    app = create_app(cache_size=4)
    c = TestClient(app, base_url=LOCAL)
    first = c.post("/api/plan", json=PLAN).json()
    second = c.post("/api/plan", json=PLAN).json()
    assert first == second and first["elapsed_s"] == second["elapsed_s"]  # the same computation, not a new one
    for rate in (3, 4, 5, 6, 7):  # evicts the oldest
        c.post("/api/plan", json={**PLAN, "rate_rps": rate})
    assert c.post("/api/plan", json=PLAN).json()["elapsed_s"] != first["elapsed_s"]


def test_cors_closed(client):
    pre = client.options("/api/plan", headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in pre.headers
    got = client.get("/api/health", headers={"Origin": "https://elsewhere.example"})
    assert got.status_code == 200 and "access-control-allow-origin" not in got.headers


def test_no_path_from_requests(client):
    for path in ("/static/..%2f..%2fpyproject.toml", "/static/../../pyproject.toml", "/static/index.html.bak"):
        assert client.get(path).status_code == 404


def test_pages_and_assets_are_local(client):
    for page in ("/", "/catalog"):
        html = client.get(page).text
        assert "<script" in html and "http://" not in html and "https://" not in html
    js = client.get("/static/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000
    docs = client.get("/docs").text
    assert "cdn.jsdelivr" not in docs and "/static-offline-docs/swagger-ui-bundle.js" in docs
    schema = client.get("/openapi.json").json()
    assert {"/api/plan", "/api/evaluate", "/api/cost", "/api/compare", "/api/gigawatt", "/api/catalog/{kind}",
            "/api/sovereignty/{subject}"} <= set(schema["paths"])


def test_catalog_and_sovereignty_are_the_cli_json(client):
    proc = cli("catalog", "list", "offers", "--json")
    assert proc.returncode == 0, proc.stderr
    assert client.get("/api/catalog/offers").json() == json.loads(proc.stdout)
    proc = cli("sovereignty", "aws-p5-48xlarge-eu-north-1", "--preset", "eu-jurisdiction", "--date", "2026-06-01",
               "--json")
    assert proc.returncode == 0, proc.stderr
    api = client.get("/api/sovereignty/aws-p5-48xlarge-eu-north-1",
                     params={"preset": "eu-jurisdiction", "date": "2026-06-01"}).json()
    assert api == json.loads(proc.stdout)


def test_cost_compare_and_gigawatt_are_the_cli_json(client):
    pairs = [
        ("/api/cost", {"model": "llama-3.1-70b", "offer": "lambda-h100-8", "isl": 1000, "osl": 200},
         ["cost", "--model", "llama-3.1-70b", "--offer", "lambda-h100-8", "--isl", "1000", "--osl", "200"]),
        ("/api/compare", {"model": "llama-3.3-70b", "isl": 1000, "osl": 200, "top": 3},
         ["compare", "--model", "llama-3.3-70b", "--isl", "1000", "--osl", "200", "--top", "3"]),
        ("/api/gigawatt", {"model": "llama-3.1-8b", "isl": 1000, "osl": 200, "facility": "stargate-abilene"},
         ["gigawatt", "--model", "llama-3.1-8b", "--isl", "1000", "--osl", "200", "--facility", "stargate-abilene"]),
    ]
    for path, body, args in pairs:
        resp = client.post(path, json=body)
        assert resp.status_code == 200, resp.text
        assert resp.json() == json.loads(cli(*args, "--json").stdout), path


def test_explain_owned_breaks_the_hour_down(client):
    body = {**PLAN, "model": "llama-3.1-70b", "own": True, "own_grid": "fr", "rent": False}
    d = client.post("/api/plan/explain?row=1", json=body).json()
    ev = d["evaluation"]
    assert ev["deployment"]["pricing"] == "owned"
    parts = ev["money"]["ownership"]
    assert sum(parts[k] for k in ("capital", "energy", "colocation", "staff", "overhead")) == pytest.approx(
        parts["total"], rel=1e-12)
    assert parts["total"] == pytest.approx(ev["money"]["usd_per_accel_hour"], rel=1e-12)
