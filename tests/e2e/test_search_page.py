"""The search page in headless Chromium (Debian's, never a downloaded one) on a real index."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from elasticsearch import Elasticsearch
from playwright.sync_api import Browser, Page, expect, sync_playwright

from schemas import ArticleEnriched
from services.common.settings import CommonSettings
from services.search.bootstrap import bootstrap
from services.search.settings import SearchSettings
from tests.search_corpus import enriched_corpus, index_articles

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
HOSTILE = '<script>window.__pwned = true</script><img src=x onerror="window.__pwned = true">'


def hostile_article(template: ArticleEnriched) -> ArticleEnriched:
    """An article whose title and body carry markup that would run if the page used innerHTML."""
    return template.model_copy(
        update={
            "id": "f" * 32,
            "story_id": "f" * 32,
            "title": f"Tariff trap {HOSTILE}",
            "body": f"A tariff story that tries {HOSTILE} to run code in the reader's browser.",
            "persons": [f"Mallory {HOSTILE}"],
        }
    )


@pytest.fixture
def server(settings: CommonSettings, es: Elasticsearch) -> Iterator[str]:
    corpus = list(enriched_corpus())
    index_articles(es, settings, [*corpus, hostile_article(corpus[0])])
    app = bootstrap(SearchSettings(port=0), es=es)
    uvicorn_server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    while not uvicorn_server.started:
        assert thread.is_alive(), "the search server exited at start"
        threading.Event().wait(0.05)
    port = uvicorn_server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/"
    uvicorn_server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: `make test` installs it (apt-get install chromium)", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []


def total(page: Page) -> int:
    return int(page.locator("#total").get_attribute("data-total") or -1)


def test_type_a_query_click_a_facet_and_the_count_narrows(server: str, page: Page) -> None:
    page.goto(server)
    expect(page.locator("#total")).not_to_have_attribute("data-total", "")
    everything = total(page)

    page.fill("#q", "tariff")
    page.click("#search-form button[type=submit]")
    expect(page.locator("#total")).not_to_have_attribute("data-total", str(everything))
    tariff = total(page)
    assert 0 < tariff < everything
    expect(page.locator("#results mark").first).to_be_visible()

    country = page.locator('.facet[data-facet="countries"] .facet-value').first
    expected = int(country.locator(".count").inner_text())
    value = country.get_attribute("data-value")
    country.click()
    expect(page.locator(f'#active-filters .chip[data-value="{value}"]')).to_be_visible()
    expect(page.locator("#total")).to_have_attribute("data-total", str(expected))
    assert page.locator("#timeline .bar").count() >= 1

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search-page.png"), full_page=False)

    page.locator("#active-filters .chip").first.click()
    expect(page.locator("#total")).to_have_attribute("data-total", str(tariff))


def test_markup_in_articles_is_shown_as_text_and_never_runs(server: str, page: Page) -> None:
    page.goto(f"{server}?q=trap")
    hit = page.locator('#results .hit[data-id="' + "f" * 32 + '"]')
    expect(hit).to_be_visible()
    assert "<script>" in hit.inner_text()
    assert hit.locator("script, img").count() == 0
    assert page.locator('.facet-value[data-value^="Mallory"]').count() == 1
    assert page.evaluate("window.__pwned") is None

    hit.locator("h3 a").click()
    expect(page.locator("#title")).to_contain_text("<script>")
    assert page.locator("#article script, #article img").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_words_said_by_a_speaker_show_the_quotation(server: str, page: Page) -> None:
    page.goto(server)
    page.fill("#q", "meet frequently")
    page.fill("#speaker", "Lee Jae-myung")
    page.click("#search-form button[type=submit]")
    quote = page.locator("#results .hit .quote").first
    expect(quote).to_contain_text("Lee Jae-myung")
    expect(quote.locator("mark").first).to_be_visible()
    assert "speaker=Lee+Jae-myung" in page.url
    assert page.locator('.facet[data-facet="speakers"] .facet-value').count() >= 1

    quote.locator("xpath=ancestor::li").locator("h3 a").click()
    expect(page.locator("#quotes")).to_be_visible()
    expect(page.locator("#quote-list")).to_contain_text("Lee Jae-myung")

    page.goto(f"{server}?q=meet+frequently&speaker=Shigeru+Ishiba")
    expect(page.locator("#total")).to_have_attribute("data-total", "0")
