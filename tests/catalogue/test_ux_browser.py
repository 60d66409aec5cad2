"""The rough edges of issue 18 in a real browser (Debian's chromium through Playwright):
Back brings the filter form back with the results, only applied filters are Back steps,
and at phone widths no page is wider than the screen, the menu folds, the chart keeps
its type and figures stay on one line. Screenshots at 1280 and 390 px go to the run's
output folder."""

import os
import re

import pytest

from tests.routes import groups_as_migrated, role_user
from tests.videos.factories import SummaryFactory, TranscriptFactory, VideoFactory

from .helpers import make_summary
from .test_browser import browser, log_in, query_of  # noqa: F401 - fixtures

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QC, ALG = "Quantum Computing", "Algorithms and Data Structures"
WEB = "Web Development and Internet Technologies"
OFFLINE = re.compile(r"^https?://(?!127\.0\.0\.1|localhost).*")


@pytest.fixture
def curator():
    """A curator with staff status: the widest menu (Add videos, Queue, Admin, Log out)."""
    groups_as_migrated()
    return role_user("curator", username="ux-curator")


def new_page(chromium, width: int):
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.route(OFFLINE, lambda route: route.abort())
    page.set_default_timeout(15_000)
    return context, page


def history_length(page) -> int:
    return page.evaluate("history.length")


def test_back_restores_the_form_and_only_applied_filters_are_back_steps(browser, live_server, curator):
    from playwright.sync_api import expect

    make_summary(title="Surface codes", general=((QC, 0.86), (ALG, 0.55)), minutes=1)
    make_summary(title="Qubits for beginners", general=((QC, 0.12),), minutes=2)
    make_summary(title="Hash tables", general=((ALG, 0.3),), minutes=3)
    context, page = new_page(browser, 1280)
    try:
        base = live_server.url
        log_in(page, base, curator.username)
        page.wait_for_function("() => window.htmx !== undefined")
        titles = page.locator(".summary-card h2")
        expect(titles).to_have_count(3)
        start = history_length(page)

        # A ticked field is applied at once: a Back step.
        page.get_by_label(QC).check()
        expect(titles).to_have_text(["Qubits for beginners", "Surface codes"])
        assert history_length(page) == start + 1

        # Leaving the "from" box updates the results and the address, but is no Back step;
        # nor is Apply when the address already holds what it would apply.
        page.fill("#id_cmin", "0.8")
        page.locator("#id_cmin").press("Tab")
        expect(titles).to_have_text(["Surface codes"])
        page.wait_for_url(re.compile(r".*cmin=0\.8.*"))
        page.evaluate("window.__swaps = 0; document.body.addEventListener('htmx:afterSwap', () => window.__swaps++)")
        page.get_by_role("button", name="Apply").click()
        page.wait_for_function("() => window.__swaps > 0")
        expect(titles).to_have_text(["Surface codes"])
        assert history_length(page) == start + 1

        page.get_by_label(ALG).check()
        page.wait_for_url(re.compile(r".*Algorithms.*"))
        assert history_length(page) == start + 2

        # Back: the results and the form that asked for them.
        page.go_back()
        expect(titles).to_have_text(["Surface codes"])
        assert query_of(page.url)["field"] == [QC] and query_of(page.url)["cmin"] == ["0.8"]
        expect(page.get_by_label(QC)).to_be_checked()
        expect(page.get_by_label(ALG)).not_to_be_checked()
        expect(page.locator("#id_cmin")).to_have_value("0.8")
        expect(page.locator(".empty")).to_have_count(0)

        page.go_back()
        expect(titles).to_have_count(3)
        expect(page.get_by_label(QC)).not_to_be_checked()
        expect(page.locator("#id_cmin")).to_have_value("")

        page.go_forward()
        expect(titles).to_have_text(["Surface codes"])
        expect(page.get_by_label(QC)).to_be_checked()
        expect(page.locator("#id_cmin")).to_have_value("0.8")
        # The restored form still filters in place.
        page.fill("#id_cmin", "")
        page.locator("#id_cmin").press("Tab")
        expect(titles).to_have_text(["Qubits for beginners", "Surface codes"])
    finally:
        context.close()


def _pages(live_server) -> dict[str, str]:
    """The pages to check, each with long text that would push it wider than a phone."""
    summary = make_summary(
        title="A lecture with a rather long title about distributed consensus protocols in practice",
        general=((WEB, 0.45), ("Software Engineering and System Design", 0.65), ("Data Science and Analytics", 0.55)),
        section_times=[[0, 300], [300, 600], [600, 900], [900, 1200], [1200, 1500]],
    )
    video = VideoFactory(title="Typed generics, explained with a long title that has to wrap somewhere")
    TranscriptFactory(
        video=video, full_text="x",
        segments=[{"start": 4.5 * i, "duration": 4.5, "text": f"segment {i} " + "word " * 30} for i in range(40)],
    )
    SummaryFactory(video=VideoFactory(title="AVeryLongTitleWithoutAnySpaceThatMustStillWrapOnAPhoneScreen" * 2),
                   status="queued")
    base = live_server.url
    return {
        "catalogue": f"{base}/",
        "summary": f"{base}/summaries/{summary.pk}/",
        "queue": f"{base}/queue/",
        "video": f"{base}/videos/{video.youtube_id}/",
        "submit": f"{base}/videos/add/",
    }


def _figures_on_one_line(page) -> list[str]:
    """The figures shown on more than one line (a Range gives one box per line)."""
    return page.evaluate(
        """() => [...document.querySelectorAll(".gvalue, .section-time, .transcript-time")].filter(e => {
              const range = document.createRange(); range.selectNodeContents(e);
              return range.getClientRects().length > 1; }).map(e => e.textContent)"""
    )


def test_phone_widths_have_no_horizontal_scroll_and_keep_text_legible(browser, live_server, curator, output_dir):
    from playwright.sync_api import expect

    pages = _pages(live_server)
    for width in (1280, 390, 360):
        context, page = new_page(browser, width)
        try:
            log_in(page, live_server.url, curator.username)
            for name, url in pages.items():
                page.goto(url)
                if name == "video":
                    page.get_by_text("Show the transcript").click()
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{name} at {width} px is {overflow} px too wide"
                assert _figures_on_one_line(page) == [], f"{name} at {width} px"
                if width != 360:
                    page.screenshot(path=str(output_dir / f"ux-{name}-{width}.png"), full_page=True)

            page.goto(pages["catalogue"])
            menu = page.locator("label.nav-toggle-label")
            queue_link = page.locator("#site-nav").get_by_role("link", name="Queue")
            if width == 1280:
                expect(menu).to_be_hidden()
                expect(queue_link).to_be_visible()
                expect(page.locator(".overview svg.chart")).to_be_visible()
                continue
            # The menu folds behind one button; every link is there once it is opened.
            expect(queue_link).to_be_hidden()
            menu.click()
            for link in ("Catalogue", "Videos", "Add videos", "Queue", "Admin"):
                expect(page.locator("#site-nav").get_by_role("link", name=link, exact=True)).to_be_visible()
            expect(page.get_by_role("button", name=re.compile("Log out"))).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
            # The chart's rows in the page's own type, not an SVG shrunk to a few pixels.
            expect(page.locator(".overview svg.chart")).to_be_hidden()
            field = page.locator(".chart-narrow .field").first
            expect(field).to_be_visible()
            assert float(field.evaluate("e => getComputedStyle(e).fontSize").removesuffix("px")) >= 12
        finally:
            context.close()
