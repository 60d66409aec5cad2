"""Live state in a real browser (issue 18, items 8-10), served by daphne under the
Content-Security-Policy: a job that ended keeps a still bar and no "Live" line, cancel
asks first, and the video page turns from "fetching" to its final state without the
user reloading it. It lives with the worker tests for their file database, which a
daphne process can open."""

import os

import pytest

from tests.catalogue.test_browser import browser, log_in  # noqa: F401 - fixtures
from tests.routes import groups_as_migrated, role_user
from tests.videos.factories import SummaryFactory, TranscriptFactory, VideoFactory
from videos.models import Summary, Transcript, Video

from .conftest import wait_for
from .test_browser_csp import page, site, violations  # noqa: F401 - fixtures

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# HTMLProgressElement.position is -1 for an indeterminate (animated) bar.
BAR_POSITION = "document.querySelector('[data-field=bar]').position"


@pytest.fixture
def member(page, site):  # noqa: F811
    """A logged-in Submitter: follows progress, cancels their own summaries, sees videos."""
    groups_as_migrated()
    user = role_user("submitter", username="ux-live")
    log_in(page, site, user.username)
    return user


def test_a_job_cancelled_before_it_started_is_still_and_not_live(site, page, member, output_dir):  # noqa: F811
    from playwright.sync_api import expect

    summary = SummaryFactory(status=Summary.Status.CANCELLED, requested_by=member)
    page.goto(f"{site}/summaries/{summary.pk}/progress/")
    expect(page.locator("[data-field=stage]")).to_have_text("Cancelled")
    page.wait_for_timeout(1500)  # time for a socket to open and say "Live", were one opened
    assert page.evaluate(BAR_POSITION) >= 0
    expect(page.locator("[data-field=conn]")).to_be_hidden()
    expect(page.locator("[data-field=cancel-form]")).to_be_hidden()
    page.screenshot(path=str(output_dir / "ux-live-cancelled.png"), full_page=True)
    assert violations(page) == []


def test_cancel_asks_first_and_the_ended_job_stops_moving(site, page, member):  # noqa: F811
    from playwright.sync_api import expect

    summary = SummaryFactory(requested_by=member)
    page.goto(f"{site}/summaries/{summary.pk}/progress/")
    expect(page.locator("[data-field=conn]")).to_have_text("Live")
    assert page.evaluate(BAR_POSITION) == -1  # queued: the bar may move

    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.click("[data-field=cancel]")
    wait_for(lambda: asked, 5, "the confirmation dialog")
    assert asked[0].startswith(f"Cancel summary #{summary.pk} of ")
    page.wait_for_timeout(500)
    assert Summary.objects.get(pk=summary.pk).status == Summary.Status.QUEUED

    page.once("dialog", lambda d: d.accept())
    page.click("[data-field=cancel]")
    expect(page.locator("[data-field=stage]")).to_have_text("Cancelled")
    assert Summary.objects.get(pk=summary.pk).status == Summary.Status.CANCELLED
    assert page.evaluate(BAR_POSITION) >= 0
    expect(page.locator("[data-field=conn]")).to_be_hidden()
    assert violations(page) == []


def test_the_video_page_follows_its_fetch_to_a_final_state_without_a_reload(site, page, member, output_dir):  # noqa: F811
    from playwright.sync_api import expect

    failing = VideoFactory(transcript_state=Video.TranscriptState.FETCHING)
    page.goto(f"{site}/videos/{failing.youtube_id}/")
    expect(page.locator("#transcript-state")).to_have_text("Fetching transcript")
    page.wait_for_function("() => window.htmx !== undefined")
    page.evaluate("window.__notReloaded = true")
    Video.objects.filter(pk=failing.pk).update(transcript_state=Video.TranscriptState.FAILED,
                                               transcript_error="Gave up after 3 attempts. YouTube refused.")
    expect(page.locator("#transcript-state")).to_have_text("Transcript failed", timeout=10_000)
    expect(page.locator("#transcript-error")).to_have_text("Gave up after 3 attempts. YouTube refused.")
    expect(page.get_by_role("button", name="Fetch from YouTube")).to_be_visible()
    assert page.evaluate("window.__notReloaded") is True
    page.screenshot(path=str(output_dir / "ux-live-video-failed.png"), full_page=True)

    # The transcript arrives: the page reloads itself once, to show it.
    arriving = VideoFactory(transcript_state=Video.TranscriptState.FETCHING)
    page.goto(f"{site}/videos/{arriving.youtube_id}/")
    expect(page.locator("#transcript-state")).to_have_text("Fetching transcript")
    TranscriptFactory(video=arriving, source=Transcript.Source.YOUTUBE_MANUAL)
    Video.objects.filter(pk=arriving.pk).update(transcript_state=Video.TranscriptState.READY)
    expect(page.locator("#transcript-state")).to_have_text("Transcript ready", timeout=10_000)
    expect(page.get_by_text("Show the transcript")).to_be_visible()
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "transcript-state" in r.url else None)
    page.wait_for_timeout(2500)
    assert requests == []  # polling ended with the final state
    assert violations(page) == []
