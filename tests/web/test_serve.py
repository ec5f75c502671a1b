"""`tokenfab serve` as a user runs it: binds loopback, serves the API, refuses bad flags."""

from __future__ import annotations

import pytest

from ..conftest import assert_one_line_error, run_cli


def test_serve_answers_on_loopback(live_server):
    import httpx

    assert live_server.startswith("http://127.0.0.1:")
    health = httpx.get(live_server + "/api/health").json()
    assert health["status"] == "ok" and health["kinds"]["offers"] > 40
    page = httpx.get(live_server + "/")
    assert page.status_code == 200 and "Pareto" not in page.text[:100]  # the page, not an error
    assert 'id="pareto"' in page.text


@pytest.mark.parametrize("args, needle", [
    (["--port", "70000"], "port = 70000"),
    (["--time-limit-s", "0"], "time-limit-s = 0"),
])
def test_serve_bad_flags(args, needle):
    assert_one_line_error(run_cli("serve", *args), needle)


def test_plan_html_report(tmp_path):
    """`plan --html` writes the same self-contained report the web export gives."""
    import json
    import re

    pytest.importorskip("plotly")
    args = ("plan", "--model", "llama-3.1-8b", "--rate-rps", "2", "--isl", "1000", "--osl", "200")
    out = tmp_path / "report.html"
    proc = run_cli(*args, "--json", "--html", str(out))
    assert proc.returncode == 0, proc.stderr
    front = json.loads(proc.stdout)["front"]
    text = out.read_text()
    assert text.startswith("<!doctype html>") and "Plotly" in text
    assert all(r["deployment"]["capacity"] in text for r in front)
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?(https?:)?//", text)
    assert_one_line_error(run_cli(*args, "--html", str(tmp_path / "no" / "such" / "dir.html")), "html =", "writable")
