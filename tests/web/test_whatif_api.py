"""/api/whatif and the /whatif page: the CLI's JSON, in-process only, bounded samples."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
from fastapi.testclient import TestClient

from tokenfab.web import create_app

from ..conftest import cli

BODY = {"model": "llama-3.1-8b", "rate_rps": 2, "isl": 1000, "osl": 200, "samples": 300, "seed": 4,
        "shocks": ["tariff:25%"], "own": True, "own_grid": "fr"}


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(), base_url="http://127.0.0.1")


def _strip(d: dict) -> dict:
    d = dict(d)
    d.pop("elapsed_s")
    for k in ("before", "after"):
        if d.get(k):
            d[k] = {a: b for a, b in d[k].items() if a != "elapsed_s"}
    return d


def test_whatif_is_the_cli_json(client):
    resp = client.post("/api/whatif", json=BODY)
    assert resp.status_code == 200, resp.text
    proc = cli("whatif", "--model", "llama-3.1-8b", "--rate-rps", "2", "--isl", "1000", "--osl", "200", "--samples",
               "300", "--seed", "4", "--shock", "tariff:25%", "--own", "--own-grid", "fr", "--json")
    assert proc.returncode == 0, proc.stderr
    assert _strip(resp.json()) == _strip(json.loads(proc.stdout))


@pytest.mark.parametrize("patch, fragment", [
    ({"backend": "ray"}, "in-process"), ({"samples": 50_000}, "at most 20,000"),
    ({"shocks": ["nope"]}, "use one of"), ({"samples": -1}, "samples"), ({"extra": 1}, "extra"),
])
def test_bad_whatif_bodies_are_refused_in_one_line(client, patch, fragment):
    resp = client.post("/api/whatif", json={**BODY, **patch})
    assert resp.status_code == 422, resp.text
    assert fragment in resp.json()["detail"] and "\n" not in resp.json()["detail"]


def test_whatif_page_and_script_are_served_under_the_csp(client):
    page = client.get("/whatif")
    assert page.status_code == 200 and "/static/whatif.js" in page.text and "<script>" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    js = client.get("/static/whatif.js")
    assert js.status_code == 200 and "Plotly.newPlot" in js.text and "innerHTML" not in js.text
