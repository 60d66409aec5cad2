"""The catalogue in a real browser (Debian's chromium through Playwright), as a
user works: log in, filter by a field and a complexity range, search a topic,
open a summary, download its JSON. Screenshots go to the run's output folder."""

import json
import os
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from videos.models import Summary

from .helpers import make_summary, viewer

# Playwright's sync API runs its own event loop in this thread; Django's ORM
# calls made by the test itself (fixtures, assertions) are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
QC, AI, ALG = "Quantum Computing", "Artificial Intelligence (AI) and Machine Learning", "Algorithms and Data Structures"
PASSWORD = "pw-for-tests-1"


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail("chromium is missing: apt-get install chromium (bin/test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def catalogue_data():
    make_summary(
        title="Quantum error correction with surface codes",
        channel="Qubit Lab",
        intro="Surface codes protect logical qubits from noise.\nMore detail follows.",
        general=((QC, 0.86), (ALG, 0.55), ("Theoretical Computer Science", 0.72)),
        topics=["Surface Codes", "Logical Qubits", "Error Correction", "Stabilizers", "Decoders"],
        minutes=1,
    )
    make_summary(
        title="Quantum computing for beginners",
        channel="Qubit Lab",
        intro="What a qubit is, without the maths.",
        general=((QC, 0.12), ("Computer Architecture", 0.2), (AI, 0.1)),
        topics=["Qubits", "Superposition", "Entanglement", "Gates", "Measurement"],
        minutes=2,
    )
    make_summary(
        title="Mixtral 8x7B explained",
        channel="AI Explained",
        intro="A sparse mixture of experts that beats larger dense models.",
        general=((AI, 0.89), ("Computer Architecture", 0.6), ("Software Engineering and System Design", 0.4)),
        topics=["Mixture of Experts", "Sparse Models", "Routing", "Transformers", "Inference"],
        bullets={(2, 1): "Surface codes are not discussed here."},
        minutes=3,
    )
    for i in range(4):
        make_summary(
            title=f"Hash tables, part {i + 1}",
            channel="CS Basics",
            general=((ALG, 0.3 + i / 10), ("Programming Languages and Software Development", 0.25)),
            topics=["Hash Tables", "Collisions", "Open Addressing", "Load Factor", f"Part {i + 1}"],
            minutes=10 + i,
        )
    user = viewer("browser-viewer")
    return user


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    # Offline: the YouTube thumbnails fail fast and the boxes stay blank.
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1|localhost).*"), lambda route: route.abort())
    page.set_default_timeout(15_000)
    yield page
    context.close()


def log_in(page, base_url, username):
    page.goto(base_url + "/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base_url + "/")


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_browse_filter_search_open_and_download(page, live_server, catalogue_data, output_dir):
    from playwright.sync_api import expect

    base = live_server.url
    log_in(page, base, catalogue_data.username)
    titles = page.locator(".summary-card h2")
    expect(titles).to_have_count(7)
    page.wait_for_function("() => window.htmx !== undefined")

    # Filter by a field and a complexity range: htmx swaps the results in place.
    page.get_by_label(QC).check()
    expect(titles).to_have_count(2)
    page.fill("#id_cmin", "0.8")
    page.fill("#id_cmax", "0.9")
    page.locator("#id_cmax").dispatch_event("change")
    expect(titles).to_have_text(["Quantum error correction with surface codes"])
    params = query_of(page.url)
    assert params["field"] == [QC] and params["cmin"] == ["0.8"] and params["cmax"] == ["0.9"]
    expect(page.locator(".general").first).to_contain_text("Advanced Graduate Level")
    page.screenshot(path=str(output_dir / "catalogue-filtered.png"), full_page=True)

    # Search a topic from a clean catalogue: the summary about it ranks above the one that mentions it.
    page.goto(base + "/")
    page.fill("#id_q", "surface codes")
    expect(titles).to_have_text(["Quantum error correction with surface codes", "Mixtral 8x7B explained"])
    assert query_of(page.url)["q"] == ["surface codes"]

    # A topic chip filters the catalogue by that topic.
    page.goto(base + "/")
    page.locator(".chip", has_text="Hash Tables").first.click()
    expect(titles).to_have_count(4)
    assert query_of(page.url)["topic"] == ["Hash Tables"]

    page.goto(base + "/")
    expect(titles).to_have_count(7)
    page.screenshot(path=str(output_dir / "catalogue.png"), full_page=True)

    # Open a summary.
    page.get_by_role("link", name="Quantum error correction with surface codes").click()
    expect(page.locator("h1")).to_have_text("Quantum error correction with surface codes")
    expect(page.locator(".cx .glabel").first).to_have_text("Advanced Graduate Level")
    expect(page.locator("section.section")).to_have_count(5)
    page.screenshot(path=str(output_dir / "summary.png"), full_page=True)

    # Download its JSON and check it is the stored summary.
    summary = Summary.objects.get(video__title="Quantum error correction with surface codes")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download JSON").click()
    download = info.value
    assert download.suggested_filename == f"summary-{summary.pk}-{summary.video.youtube_id}.json"
    with open(download.path(), encoding="utf-8") as fh:
        document = json.load(fh)
    assert document["summary"] == summary.data
    assert document["summary"]["General Topics"][0] == {"topic": QC, "complexity": 0.86}


def test_filters_work_without_javascript(browser, live_server, catalogue_data):
    from playwright.sync_api import expect

    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1|localhost).*"), lambda route: route.abort())
    try:
        log_in(page, live_server.url, catalogue_data.username)
        page.get_by_label(ALG).check()
        page.fill("#id_cmin", "0.5")
        page.get_by_role("button", name="Apply").click()
        page.wait_for_url(re.compile(r".*cmin=0\.5.*"))
        expect(page.locator(".summary-card h2")).to_have_text(
            ["Hash tables, part 4", "Hash tables, part 3", "Quantum error correction with surface codes"]
        )
    finally:
        context.close()


def test_needs_review_filter(page, live_server, output_dir):
    """A curator ticks "Needs review" and sees only the summaries past a quality threshold,
    then opens one and reads why; unticking brings the others back."""
    from playwright.sync_api import expect

    good = {"grounded": 0.93, "copied": 0.0, "repeated": 0.01, "coverage": 0.98}
    make_summary(title="Well grounded lecture", figures=good, minutes=1)
    make_summary(title="Copied from the example", figures={**good, "grounded": 0.05, "copied": 0.6}, minutes=2)
    make_summary(title="Only the first minutes", figures={**good, "coverage": 0.3}, minutes=3)
    make_summary(title="Plain text transcript", figures={**good, "coverage": None}, minutes=4)
    user = viewer("review-viewer")

    base = live_server.url
    log_in(page, base, user.username)
    titles = page.locator(".summary-card h2")
    expect(titles).to_have_count(4)
    page.wait_for_function("() => window.htmx !== undefined")

    page.get_by_label("Needs review").check()
    expect(titles).to_have_text(["Only the first minutes", "Copied from the example"])
    assert query_of(page.url)["needs_review"] == ["on"]
    page.screenshot(path=str(output_dir / "catalogue-needs-review.png"), full_page=True)

    page.get_by_role("link", name="Copied from the example").click()
    note = page.locator(".needs-review")
    expect(note).to_contain_text("fewer than 85% of its words occur in the transcript")
    expect(note).to_contain_text("more than 2% copied from a few-shot example")
    expect(page.locator(".quality-figures")).to_contain_text("60% copied from a few-shot example")
    page.screenshot(path=str(output_dir / "summary-needs-review.png"), full_page=True)

    page.go_back()
    page.get_by_label("Needs review").uncheck()
    expect(titles).to_have_count(4)
    assert "needs_review" not in query_of(page.url)
