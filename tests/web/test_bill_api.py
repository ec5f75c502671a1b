"""POST /api/bill and the /bill page: the CLI's `bill --json`, under the app's guard."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
from fastapi.testclient import TestClient

from tokenfab.web import create_app

from ..conftest import FIXTURES, cli

LOCAL = "http://127.0.0.1"
BILL = FIXTURES / "focus" / "tokenfab_genai_focus12.csv"


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(), base_url=LOCAL)


def test_bill_answer_is_the_cli_json(client):
    body = {"focus_csv": BILL.read_text(encoding="utf-8"), "move": True, "sovereignty": "eu-jurisdiction",
            "peak_to_mean": 2.0, "date": "2026-12-01"}
    resp = client.post("/api/bill", json=body)
    assert resp.status_code == 200, resp.text
    proc = cli("bill", str(BILL), "--move", "--date", "2026-12-01", "--json")
    expected = json.loads(proc.stdout)
    got = resp.json()
    assert got["move"] == expected["move"]
    assert got["summary"]["files"] == ["upload.csv"]
    assert {k: v for k, v in got["summary"].items() if k != "files"} == \
        {k: v for k, v in expected["summary"].items() if k != "files"}
    # hand check: 94208.20 USD effective in this file (see tests/finops/test_summary_fixtures.py)
    assert got["summary"]["effective_usd"] == pytest.approx(94208.20)


def test_bad_bill_is_422_one_line(client):
    resp = client.post("/api/bill", json={"focus_csv": "BilledCost,ChargePeriodStart,ChargePeriodEnd\nx,2026-01-01,2026-01-02\n"})
    assert resp.status_code == 422
    assert resp.json()["detail"].startswith("bill bill.csv row 1: BilledCost = 'x'")
    assert client.post("/api/bill", json={"focus_csv": ""}).status_code == 422
    assert client.post("/api/bill", json={"focus_csv": "a", "peak_to_mean": 0}).status_code == 422
    assert client.post("/api/bill", json={"focus_csv": "a", "unknown": 1}).status_code == 422


def test_oversized_bill_refused_by_the_guard(client):
    big = "x" * 70_000  # over the 64 kB body limit
    assert client.post("/api/bill", json={"focus_csv": big}).status_code == 413


def test_bill_page_and_script_under_csp(client):
    page = client.get("/bill")
    assert page.status_code == 200 and "bill.js" in page.text and "<script>" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/static/bill.js").status_code == 200
    assert client.get("/bill", headers={"Host": "evil.example"}).status_code == 400
