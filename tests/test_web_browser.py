"""The web view in a real headless Chromium (Debian's, driven by Playwright): search, a story's outlets, the trend
chart's days, Korean glyphs, no overflow at 375 px, and no Content-Security-Policy violation on any page."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from web_archive import EVENT_A, EVENT_B, serve_view, store_archive

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .[test])")
if not CHROMIUM.exists():
    pytest.skip("no Chromium at /usr/bin/chromium: `make test` installs Debian's chromium where apt-get runs as root",
                allow_module_level=True)


@pytest.fixture(scope="module")
def site_db(tmp_path_factory):  # type: ignore[no-untyped-def]
    from models.db import Database

    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'newsmon.db'}"
    db = Database(url)
    store_archive(db)
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def site(site_db):  # type: ignore[no-untyped-def]
    with serve_view(site_db.engine.url.render_as_string(hide_password=False)) as served:
        yield served.base


@pytest.fixture(scope="module")
def digest_key(site_db):  # type: ignore[no-untyped-def]
    """A digest of the archive recorded (and printed to a console) for a subscription watching everything."""
    import io

    from alerts.config import Subscription
    from alerts.run import run_digests
    from web_archive import real_config

    config = real_config().model_copy(update={"subscriptions": [
        Subscription(name="all", companies=["kt", "samsung_electronics", "kakao"], topics=["layoffs"], max_age_hours=None,
                     max_entries=3)]})
    [report] = run_digests(site_db, config, console=io.StringIO())
    return report.digest_key


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    profile = tempfile.mkdtemp(prefix="newsmon-chromium-")
    with playwright_api.sync_playwright() as p:
        try:
            context = p.chromium.launch_persistent_context(
                profile, executable_path=str(CHROMIUM), args=ARGS, headless=True, viewport={"width": 1100, "height": 900})
        except playwright_api.Error as exc:
            pytest.skip(f"Chromium at {CHROMIUM} does not start: {str(exc).splitlines()[0]}")
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    tab = browser.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    tab.on("pageerror", lambda e: problems.append(str(e)))
    # Only this machine is ever contacted: anything else fails the test.
    tab.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1:")
              else (problems.append(f"off-machine request {route.request.url}"), route.abort()))
    yield tab
    tab.close()
    assert problems == [], problems


def test_search_from_the_form_finds_the_stored_articles(page, site):
    page.goto(f"{site}/search")
    page.fill("input[name=q]", "희망퇴직")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/search?q=*")
    hits = page.locator("li.hit h2.title")
    assert sorted(hits.all_inner_texts()) == sorted([EVENT_A.title, EVENT_B.title])
    # The query word is marked in both titles; the evidence also marks the words that fired its tag.
    assert page.locator("li.hit h2.title mark").all_inner_texts() == ["희망퇴직", "희망퇴직"]
    assert "희망퇴직" in page.locator("li.hit blockquote.evidence mark").all_inner_texts()


def test_a_story_page_lists_its_outlets(page, site):
    page.goto(f"{site}/search?q=데이터센터")
    assert page.locator("li.hit").count() == 1  # the wire copy is folded into the original
    page.click("li.hit h2.title a")
    page.wait_for_url("**/stories/*")
    assert page.locator("ul.outlets li").all_inner_texts() == ["연합뉴스", "뉴스핌"]
    assert page.locator("article.report.lead li.copy").count() == 1

    page.goto(f"{site}/search?q=2800명")
    page.click("li.hit h2.title a")
    page.wait_for_url("**/stories/*")
    assert sorted(page.locator("ul.outlets li").all_inner_texts()) == ["가나일보", "다라신문"]
    assert page.locator("article.report").count() == 2  # the lead and one independent report


def test_the_trend_chart_draws_one_dot_per_day(page, site):
    page.goto(f"{site}/trends?since=2025-12-24&until=2025-12-31")
    charts = page.locator("section.chart svg")
    assert charts.count() == 2  # companies and topics
    first = charts.first
    assert first.get_attribute("data-days") == "8"
    # Every series has a dot for each day (0 included), in the drawn overlay.
    series = first.locator("g.plot.overlay g.series")
    assert series.count() >= 1
    for i in range(series.count()):
        assert series.nth(i).locator("g.dots circle").count() == 8
    box = first.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100
    # The chart's own stylesheet applied (admitted by its hash): the plot background is white, not black.
    fill = page.evaluate("getComputedStyle(document.querySelector('section.chart svg .plot > .background')).fill")
    assert fill in ("rgb(255, 255, 255)", "#ffffff")
    # A dot leads to that day's top stories.
    first.locator("g.plot.overlay g.series").first.locator("a").nth(4).click()
    page.wait_for_url("**day=2025-12-28*")
    assert page.locator("h2#top").inner_text() == "Top stories of 2025-12-28"
    assert page.locator("ol.top li.hit").count() >= 2


def test_korean_renders_with_real_glyphs(page, site):
    page.goto(f"{site}/search?q=희망퇴직")
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK KR\"', '희망퇴직')")
    # Two different Hangul strings drawn in the page's font must differ (missing-glyph boxes all look alike) and
    # leave ink.
    ink = page.evaluate("""() => {
        const font = getComputedStyle(document.querySelector('li.hit h2.title')).fontFamily;
        const draw = (text) => {
            const c = document.createElement('canvas'); c.width = 200; c.height = 40;
            const ctx = c.getContext('2d'); ctx.font = '24px ' + font; ctx.fillText(text, 4, 30);
            return Array.from(ctx.getImageData(0, 0, 200, 40).data.filter((_, i) => i % 4 === 3));
        };
        const a = draw('희망퇴직'), b = draw('구조조정');
        return {inkA: a.filter(v => v > 0).length, inkB: b.filter(v => v > 0).length,
                differ: a.some((v, i) => v !== b[i])};
    }""")
    assert ink["inkA"] > 100 and ink["inkB"] > 100 and ink["differ"], ink
    width = page.evaluate("document.querySelector('li.hit h2.title a').getBoundingClientRect().width")
    assert width > 100


def test_a_digest_page_lists_every_entry_and_what_waits_and_leads_to_the_stories(page, site, digest_key):
    page.goto(f"{site}/digests/{digest_key}")
    sections = page.locator("section.digest-section")
    assert sections.count() >= 2
    for i in range(sections.count()):
        count = int(sections.nth(i).locator("h2 span").inner_text().rsplit("·", 1)[1])
        assert sections.nth(i).locator("li.hit").count() == count
    waiting = page.locator("section.digest-waiting li.hit")
    assert waiting.count() >= 1  # the archive holds more stories than the subscription's max_entries (3)
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK KR\"', '희망퇴직')")
    title = page.locator("section.digest-section li.hit h3").first.inner_text()
    page.locator("section.digest-section a.story").first.click()
    page.wait_for_url("**/stories/*")
    assert title in page.locator("article.report").all_inner_texts()[0]


@pytest.mark.parametrize("path", ["/search?q=희망퇴직", "/search?q=카카오&duplicates=show", "/trends",
                                  "/trends?since=2025-12-01&until=2025-12-31", "/stories/article:1", "/login",
                                  "/digests/{key}"])
def test_nothing_overflows_a_375_pixel_screen(browser, site, digest_key, path):
    tab = browser.new_page()
    try:
        tab.set_viewport_size({"width": 375, "height": 740})
        tab.goto(f"{site}{path.format(key=digest_key)}")
        assert tab.evaluate("document.documentElement.scrollWidth") <= 375
        assert tab.evaluate("document.body.scrollWidth") <= 375
    finally:
        tab.close()
