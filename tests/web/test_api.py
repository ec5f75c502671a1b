"""HTTP API: same JSON as the CLI, hand-checked roofline, and every kind of bad request
refused with a clear status and one-line detail."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
from fastapi.testclient import TestClient  # noqa: E402

from tokenfab.catalog import load_catalog  # noqa: E402
from tokenfab.web import create_app  # noqa: E402

from ..conftest import run_cli  # noqa: E402

PLAN = {"model": "llama-3.1-8b", "rate_rps": 2, "isl": 1000, "osl": 200}


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())


def _without_timing(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "elapsed_s"}


def test_plan_is_the_cli_json(client):
    resp = client.post("/api/plan", json={**PLAN, "tpot_max_s": 0.05, "sovereignty": "eu-jurisdiction"})
    assert resp.status_code == 200, resp.text
    proc = run_cli("plan", "--model", "llama-3.1-8b", "--rate-rps", "2", "--isl", "1000", "--osl", "200",
                   "--tpot-max-s", "0.05", "--sovereignty", "eu-jurisdiction", "--json")
    assert proc.returncode == 0, proc.stderr
    assert _without_timing(resp.json()) == _without_timing(json.loads(proc.stdout))
    # unset fields took the Scenario defaults, the set ones were used
    sc = resp.json()["scenario"]
    assert sc["tpot_max_s"] == 0.05 and sc["sovereignty"] == "eu-jurisdiction" and sc["ttft_max_s"] > 0
    assert all(r["sovereignty_passes"] for r in resp.json()["front"])


def test_estimate_is_the_cli_json(client):
    body = {"model": "llama-3.1-8b", "accelerator": "h100-sxm", "count": 1, "isl": 1000, "osl": 200, "concurrency": 16}
    resp = client.post("/api/estimate", json=body)
    assert resp.status_code == 200, resp.text
    proc = run_cli("estimate", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm", "--count", "1", "--isl", "1000",
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
    d = client.post("/api/plan/explain", json={**PLAN, "row": 2}).json()
    assert d["row"] == plan["front"][1]
    m = d["money"]
    assert m["usd_per_month"] == pytest.approx(m["accelerators_total"] * m["usd_per_accel_hour"] * 8760 / 12, rel=1e-9)
    assert set(d["constraints"]) >= {"fits in memory", "TTFT", "TPOT", "sovereignty"}
    assert d["roofline"]["accelerator"] == d["row"]["accelerator"]
    assert client.post("/api/plan/explain", json={**PLAN, "row": 999}).status_code == 422


def test_exports(client):
    plan = client.post("/api/plan", json=PLAN).json()
    c = client.post("/api/plan/export?format=csv", json=PLAN)
    assert c.status_code == 200 and c.headers["content-type"].startswith("text/csv")
    assert "attachment" in c.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(c.text)))
    assert [r["offer"] for r in rows] == [r["offer"] for r in plan["front"]]
    j = client.post("/api/plan/export?format=json", json=PLAN).json()
    assert [r["offer"] for r in j["front"]] == [r["offer"] for r in plan["front"]]
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
    assert all(r["source"] and r["as_of"] and r["kind"] in ("datasheet", "measured", "derived", "estimate") for r in acc)
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
    ({**PLAN, "provider": [f"p{i}" for i in range(40)]}, 422, "provider"),
    ({**PLAN, "tpot_max_s": 1e-6}, 409, "TPOT"),
])
def test_bad_plan_requests(client, body, status, needle):
    resp = client.post("/api/plan", json=body)
    assert resp.status_code == status, resp.text
    detail = resp.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and needle in detail, detail


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
    slow = TestClient(create_app(time_limit_s=1e-4))
    resp = slow.post("/api/plan", json=PLAN)
    assert resp.status_code == 503 and "time limit" in resp.json()["detail"]


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
    assert {"/api/plan", "/api/estimate", "/api/catalog/{kind}", "/api/sovereignty/{subject}"} <= set(schema["paths"])


def test_catalog_and_sovereignty_are_the_cli_json(client):
    proc = run_cli("catalog", "list", "offers", "--json")
    assert proc.returncode == 0, proc.stderr
    assert client.get("/api/catalog/offers").json() == json.loads(proc.stdout)
    proc = run_cli("sovereignty", "aws-p5-48xlarge-eu-north-1", "--preset", "eu-jurisdiction", "--date", "2026-06-01",
                   "--json")
    assert proc.returncode == 0, proc.stderr
    api = client.get("/api/sovereignty/aws-p5-48xlarge-eu-north-1",
                     params={"preset": "eu-jurisdiction", "date": "2026-06-01"}).json()
    assert api == json.loads(proc.stdout)


def test_explain_owned_breaks_the_hour_down(client):
    body = {**PLAN, "model": "llama-3.1-70b", "own": True, "own_grid": "fr", "no_rent": True, "row": 1}
    d = client.post("/api/plan/explain", json=body).json()
    assert d["row"]["pricing"] == "owned"
    parts = d["money"]["ownership_usd_per_accel_hour"]
    assert sum(v for k, v in parts.items() if k != "total") == pytest.approx(parts["total"], rel=1e-12)
    assert parts["total"] == pytest.approx(d["row"]["usd_per_accel_hour"], rel=1e-12)
