"""The web query page in headless Chromium: it loads YASGUI from this server only, lists the saved
queries, runs one (through /queries/NAME) and a typed query (through /sparql), and shows the rows.

Needs Debian's chromium (/usr/bin/chromium, driven by Playwright; never `playwright install`) and the
npm packages (`make web-deps`). `make test` installs both when it can; otherwise this test is skipped
with a message saying what to install.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from server_support import DATA, LiveServer, settings, write_generation

CHROMIUM = os.environ.get("BUKAMAL_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parent.parent
YASGUI = ROOT / "node_modules" / "@zazuko" / "yasgui" / "build" / "yasgui.min.js"


def _requirements() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed (pip install -e '.[test]')"
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        return (f"Chromium not found at {CHROMIUM}: install Debian's chromium (`apt-get install chromium`,"
                " or `make browser` as root)")
    if not YASGUI.is_file():
        return "YASGUI is not installed: run `make web-deps` (npm install; needs Node.js and npm)"
    return None


missing = _requirements()
pytestmark = pytest.mark.skipif(missing is not None, reason=f"browser test skipped: {missing}")

BKR = "https://w3id.org/bukamal-kg/id/"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    store = tmp_path_factory.mktemp("browser") / "store"
    write_generation(store, "gen-000001", trig=DATA / "store.trig")
    with LiveServer(settings(store, web_assets_dir=ROOT / "node_modules")) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture()
def page(server, browser):
    origin = urlsplit(server.url).netloc
    foreign: list[str] = []
    errors: list[str] = []
    context = browser.new_context()
    try:
        pg = context.new_page()

        def only_this_server(route):
            if urlsplit(route.request.url).netloc == origin or route.request.url.startswith("data:"):
                route.continue_()
            else:
                foreign.append(route.request.url)
                route.abort()

        pg.route("**/*", only_this_server)
        pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        pg.on("pageerror", lambda exc: errors.append(str(exc)))
        pg.goto(server.url + "/")
        pg.wait_for_selector("#saved-list[data-loaded='3']", timeout=15000)
        pg.console_errors = errors
        yield pg
    finally:
        context.close()
    assert foreign == [], "the page tried to reach other hosts"
    assert errors == []


def table_rows(pg) -> list[list[str]]:
    pg.wait_for_selector(".tabPanel.active .yasr table tbody tr", timeout=15000)
    return pg.eval_on_selector_all(
        ".tabPanel.active .yasr table tbody tr",
        "rows => rows.map(r => Array.from(r.querySelectorAll('td')).slice(1).map(td => td.innerText.trim()))")


def test_page_lists_saved_queries_and_presets_prefixes(page):
    names = page.eval_on_selector_all("#saved-list > li", "items => items.map(i => i.dataset.query)")
    assert names == ["facilities", "labels", "parts"]
    editor = page.evaluate("window.bukamalYasgui.getTab().getYasqe().getValue()")
    assert "PREFIX bk: <https://w3id.org/bukamal-kg/ontology#>\n" in editor
    assert "PREFIX bkr: <https://w3id.org/bukamal-kg/id/>\n" in editor
    endpoint = page.evaluate("window.bukamalYasgui.getTab().getEndpoint()")
    assert endpoint == page.url + "sparql"


def test_run_a_saved_query_with_a_parameter(page):
    item = page.locator("#saved-list > li[data-query='parts']")
    assert item.locator("input[data-param='actor']").input_value() == "Iran"     # from its example
    item.locator("button.run").click()
    page.wait_for_selector("#saved-list[data-last-run='parts']", timeout=15000)
    assert table_rows(page) == [["bkr:irgc", "bkr:iran"]]
    item.locator("input[data-param='actor']").fill("IRGC")
    item.locator("button.run").click()
    page.wait_for_function("() => document.querySelector('.tabPanel.active .yasr table tbody tr td:nth-child(2)')"
                           "?.innerText.includes('quds-force')", timeout=15000)
    assert table_rows(page) == [["bkr:quds-force", "bkr:irgc"]]


def test_run_a_saved_query_without_parameters(page):
    page.locator("#saved-list > li[data-query='labels'] button.run").click()
    page.wait_for_selector("#saved-list[data-last-run='labels']", timeout=15000)
    assert table_rows(page) == [
        ["Abu Kamal", "bkr:abu-kamal", "bk:Place", ""],
        ["IRGC", "bkr:irgc", "bk:Actor", ""],
        ["Imam Ali base", "bkr:imam-ali-base", "bk:Facility", ""],
        ["Iran", "bkr:iran", "bk:Actor", ""],
        ["Quds Force", "bkr:quds-force", "bk:Actor", ""],
    ]


def test_a_saved_query_error_is_shown(page):
    item = page.locator("#saved-list > li[data-query='parts']")
    item.locator("input[data-param='actor']").fill("Atlantis")
    item.locator("button.run").click()
    page.wait_for_function("() => document.getElementById('saved-status').textContent.includes('Atlantis')")
    assert page.text_content("#saved-status") == (
        "parts: parts: parameter 'actor': nothing of class bk:Actor is labelled 'Atlantis'")
    # the browser logs the 400 itself; nothing else went wrong
    assert page.console_errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
    page.console_errors.clear()


def test_type_and_run_a_query_in_the_editor(page):
    query = ("PREFIX bk: <https://w3id.org/bukamal-kg/ontology#>\n"
             "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
             "SELECT ?label WHERE { ?x a bk:Actor ; rdfs:label ?label } ORDER BY ?label")
    page.evaluate("q => window.bukamalYasgui.getTab().getYasqe().setValue(q)", query)
    page.locator(".tabPanel.active .yasqe_queryButton").click()
    page.wait_for_function("() => document.querySelectorAll('.tabPanel.active .yasr table tbody tr').length === 3",
                           timeout=15000)
    assert table_rows(page) == [["IRGC"], ["Iran"], ["Quds Force"]]
