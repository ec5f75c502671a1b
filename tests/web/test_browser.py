"""End to end in headless Chromium, under the app's Content-Security-Policy (the tests wait on
selectors, never on evaluated JavaScript, so the policy stays on) (Debian's `chromium`, driven by Playwright's Python
package; no browser download): open the app, run a plan, see the Pareto chart, open a
candidate's roofline and sovereignty badges, browse the catalog; screenshots go to
test-artifacts/.

Skipped, with the reason, when Playwright or a Chromium executable is missing; CI sets
TOKENFAB_REQUIRE_BROWSER=1 after installing both, which turns that skip into a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def _chromium() -> str | None:
    for name in (os.environ.get("TOKENFAB_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and (path := shutil.which(name)):
            return path
    return None


def _need(reason: str):
    if os.environ.get("TOKENFAB_REQUIRE_BROWSER") == "1":
        pytest.fail(f"TOKENFAB_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def page(live_server):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need("playwright is not installed (pip install 'tokenfab[dev]')")
    exe = _chromium()
    if exe is None:
        _need("no chromium executable on PATH (apt-get install chromium, or set TOKENFAB_CHROMIUM)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        pg = browser.new_page(viewport={"width": 1400, "height": 1000})
        pg.errors = []
        pg.on("pageerror", lambda e: pg.errors.append(str(e)))
        pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
        # the app must never reach outside the machine
        pg.outside = []
        pg.route("**/*", lambda route: (route.continue_() if route.request.url.startswith(live_server)
                                        else (pg.outside.append(route.request.url), route.abort())))
        yield pg
        browser.close()


def test_plan_chart_and_detail(page, live_server):
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(live_server + "/")
    page.wait_for_selector("#model option >> nth=10", state="attached")
    page.select_option("#model", "llama-3.1-70b")
    page.fill("input[name=rate_rps]", "5")
    page.fill("input[name=tpot_max_s]", "0.05")
    page.select_option("select[name=sovereignty]", "eu-jurisdiction")
    page.select_option("select[name=risk]", "p90")
    page.fill("input[name=memory_fraction]", "0.85")
    page.select_option("select[name=kv_reserve]", "live")
    page.click("#run")
    page.wait_for_selector("#pareto .scatterlayer .point", timeout=30_000)
    # each point carries its cost's 80 % interval as an error bar, each row its range and the risk note
    assert page.locator("#pareto .errorbar").count() >= 1
    # (with a traffic, a cheap row's $/M may not move: one instance serves it at either end; its TPOT does)
    assert "risk p90" in page.inner_text("#misses")
    points = page.locator("#pareto .scatterlayer .point").count()
    rows = page.locator("#front tbody tr").count()
    assert points == rows >= 1
    assert "Ruled out" in page.inner_text("#summary") and "sovereignty" in page.inner_text("#summary")
    # every row is an EU-jurisdiction provider; the table shows the pass badge
    assert page.locator("#front tbody .badge.pass").count() == rows
    page.select_option("#colour-by", "jurisdiction")
    legend = page.eval_on_selector_all("#pareto .legendtext", "els => els.map(e => e.textContent)")
    assert legend and set(legend) <= {"FR", "DE", "NL", "FI", "SE", "IT", "ES", "IE", "PL", "BE", "AT", "LU"}, legend
    page.locator("#front tbody tr").first.click()
    page.wait_for_selector("#roofline .scatterlayer .point", timeout=30_000)
    assert "ridge" in page.text_content("#roofline .gtitle")
    assert "eu-jurisdiction: pass" in page.inner_text("#badges")
    assert "$" in page.inner_text("#money") and "J" in page.inner_text("#energy")
    assert "at risk p90" in page.inner_text("#money") and "80 % range" in page.inner_text("#time")
    assert "validated" in page.inner_text("#time").lower()
    # the form's memory fraction reached the plan: the candidate budgets its KV cache with it
    assert "0.85 of the" in page.inner_text("#time")
    # and its KV admission rule (live: each sequence holds its current context)
    assert "current context" in page.inner_text("#time")
    shot = ARTIFACTS / "web-plan.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    assert page.errors == [] and page.outside == []


def test_owned_systems_on_a_grid(page, live_server):
    page.goto(live_server + "/")
    page.wait_for_selector("#own-grid option >> nth=5", state="attached")
    # each grid option says what its price is, in its own currency and year (Eurostat 2025-S2 for France)
    assert page.locator("#own-grid option[value=fr]").inner_text() == "fr (France, 0.1946 EUR/kWh, 2025)"
    assert "excl. VAT" in page.locator("#own-grid option[value=fr]").get_attribute("title")
    page.select_option("#model", "llama-3.1-70b")
    page.check("input[name=own]")
    page.select_option("#own-grid", "fr")
    page.click("#run")
    page.wait_for_selector("#front tbody tr", timeout=30_000)
    owned = [r for r in page.locator("#front tbody tr").all_inner_texts() if "owned" in r]
    assert owned, "buying on the French grid should reach the front for a 70B model"
    row = next(i for i, t in enumerate(page.locator("#front tbody tr").all_inner_texts()) if "owned" in t)
    page.locator("#front tbody tr").nth(row).click()
    page.wait_for_selector("#money >> text=owning: capital")


def test_error_shows_one_line(page, live_server):
    page.goto(live_server + "/")
    page.wait_for_selector("#model option >> nth=10", state="attached")
    page.fill("input[name=tpot_max_s]", "0.000001")
    page.click("#run")
    page.wait_for_selector("#status.error")
    assert "TPOT" in page.inner_text("#status")


def test_catalog_browser(page, live_server):
    page.errors.clear()
    page.goto(live_server + "/catalog")
    page.wait_for_selector("#catalog tbody tr")
    head = page.inner_text("#catalog thead")
    for col in ("id", "kind", "as_of", "source"):
        assert col in head.split()
    page.select_option("#kind", "offers")
    page.wait_for_selector("#status >> text=offers")
    page.fill("#filter", "ovhcloud")
    visible = page.locator("#catalog tbody tr:visible").count()
    assert 1 <= visible < page.locator("#catalog tbody tr").count()
    page.screenshot(path=str(ARTIFACTS / "web-catalog.png"))
    assert page.errors == [] and page.outside == []


def test_bill_page_jurisdiction_models_and_move_chart(page, live_server):
    page.errors.clear()
    page.goto(live_server + "/bill")
    page.set_input_files("#file", str(ROOT / "tests" / "fixtures" / "focus" / "tokenfab_genai_focus12.csv"))
    page.click("#bill-form button[type=submit]")
    page.wait_for_selector("#move tbody tr", timeout=60_000)
    page.wait_for_selector("#jurisdiction-chart .main-svg", state="attached")
    page.wait_for_selector("#move-chart .main-svg", state="attached")
    assert "US (CLOUD Act)" in page.inner_text("#jurisdiction")
    assert "meta.llama3-1-70b-instruct-v1:0" in page.inner_text("#models")
    # the compliant plan is named: a catalog offer of an EU-controlled provider
    from tokenfab.catalog import load_catalog
    from tokenfab.policy.jurisdiction import EU27

    cat, move = load_catalog(), page.inner_text("#move")
    named = [o for o in cat.list("offers") if o.id in move]
    assert named and all(cat.provider(o.provider).controlling_country in EU27 for o in named), move
    assert "payback" in page.inner_text("#move-total")
    page.screenshot(path=str(ARTIFACTS / "web-bill.png"), full_page=True)
    assert page.errors == [] and page.outside == []


def test_whatif_page_charts(page, live_server):
    page.errors.clear()
    page.goto(live_server + "/whatif")
    page.fill("input[name=shocks]", "tariff:25%, power-price:+80%")
    page.fill("input[name=samples]", "3000")
    page.click("#whatif button[type=submit]")
    page.wait_for_selector("#spread .scatterlayer .point", timeout=30_000)
    page.wait_for_selector("#tornado .barlayer .point", timeout=30_000)
    points = page.locator("#spread .scatterlayer .point").count()
    rows = page.locator("#rows tbody tr").count()
    assert points == rows >= 1
    assert "samples in" in page.inner_text("#status")
    assert "tariff:25%" in page.inner_text("#shocks")
    page.screenshot(path=str(ARTIFACTS / "web-whatif.png"), full_page=True)
    assert page.errors == [] and page.outside == []


def test_whatif_page_error_is_one_line(page, live_server):
    page.goto(live_server + "/whatif")
    page.fill("input[name=shocks]", "tariff:lots")
    page.click("#whatif button[type=submit]")
    page.wait_for_selector("#status.error")
    assert "tariff:lots" in page.inner_text("#status") and "\n" not in page.inner_text("#status")
