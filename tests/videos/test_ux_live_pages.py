"""Live state on the site's pages (issue 18, items 8-11), with Django's test client:
the video page follows its transcript fetch, final progress states stay still, cancel
asks first, and a paste's result is a page of its own."""

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from videos.models import Summary, SummaryJob, Video
from videos.services import ingestion

from .factories import SummaryFactory, TranscriptFactory, UserFactory, VideoFactory

pytestmark = pytest.mark.django_db


def _member(client, group: str, username: str | None = None):
    user = UserFactory(username=username or group.lower())
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return user


@pytest.fixture
def submitter(client):
    return _member(client, "Submitters")


@pytest.fixture
def no_fetch(monkeypatch):
    """A paste enqueues no Celery task here; the video stays "fetching"."""
    monkeypatch.setattr(ingestion, "_enqueue_fetch", lambda pk, **options: None)


def _bar(html: str) -> str:
    return re.search(r"<progress[^>]*>", html).group(0)


def _conn(html: str) -> str:
    return re.search(r'<p class="conn"[^>]*>', html).group(0)


# --- item 8: the video page follows its transcript fetch ------------------------------


def test_a_fetching_video_page_polls_its_transcript_state(client):
    _member(client, "Viewers")
    video = VideoFactory(transcript_state=Video.TranscriptState.FETCHING)
    html = client.get(reverse("videos:video", args=[video.youtube_id])).content.decode()
    fragment = reverse("videos:video_transcript_state", args=[video.youtube_id])
    assert f'hx-get="{fragment}" hx-trigger="every 2s" hx-swap="outerHTML"' in html
    assert "vendor/htmx/htmx.min.js" in html
    assert "this page updates when that is done" in html


def test_a_video_in_a_final_state_does_not_poll(client):
    _member(client, "Viewers")
    for state in ("needed", "failed"):
        video = VideoFactory(transcript_state=state)
        html = client.get(reverse("videos:video", args=[video.youtube_id])).content.decode()
        assert "hx-trigger" not in html and "htmx.min.js" not in html
    ready = TranscriptFactory(video__transcript_state="ready").video
    html = client.get(reverse("videos:video", args=[ready.youtube_id])).content.decode()
    assert "hx-trigger" not in html and "Show the transcript" in html


def test_the_fragment_keeps_polling_while_fetching_and_stops_when_the_fetch_failed(submitter, client):
    video = VideoFactory(transcript_state=Video.TranscriptState.FETCHING,
                         transcript_error="Attempt 1 failed; trying again shortly.")
    url = reverse("videos:video_transcript_state", args=[video.youtube_id])
    html = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in html and "Attempt 1 failed" in html
    assert "<script" not in html  # htmx is on the page already

    Video.objects.filter(pk=video.pk).update(transcript_state="failed", transcript_error="Gave up after 3 attempts.")
    response = client.get(url, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "HX-Refresh" not in response.headers
    assert "hx-trigger" not in html and 'id="transcript-live"' in html
    assert "Transcript failed" in html and "Gave up after 3 attempts." in html
    assert reverse("videos:video_fetch", args=[video.youtube_id]) in html  # fetch again, in place


def test_the_fragment_reloads_the_page_once_the_transcript_is_in(client):
    _member(client, "Viewers")
    video = TranscriptFactory(video__transcript_state="ready").video
    url = reverse("videos:video_transcript_state", args=[video.youtube_id])
    assert client.get(url, HTTP_HX_REQUEST="true")["HX-Refresh"] == "true"
    plain = client.get(url)
    assert "HX-Refresh" not in plain.headers and "Transcript ready" in plain.content.decode()


# --- item 9: final states are still -----------------------------------------------------


@pytest.mark.parametrize("status", ["cancelled", "failed"])
def test_a_job_that_ended_before_it_started_has_a_still_bar_and_no_live_line(client, status):
    _member(client, "Viewers")
    summary = SummaryFactory(status=status)
    html = client.get(reverse("videos:summary_progress", args=[summary.pk])).content.decode()
    assert 'value="0"' in _bar(html)
    assert "hidden" in _conn(html)


def test_a_done_job_shows_a_full_bar_and_a_live_job_a_live_line(client):
    _member(client, "Viewers")
    done = SummaryFactory(status="done")
    html = client.get(reverse("videos:summary_progress", args=[done.pk])).content.decode()
    assert 'value="100"' in _bar(html) and "hidden" in _conn(html)
    queued = SummaryFactory()
    html = client.get(reverse("videos:summary_progress", args=[queued.pk])).content.decode()
    assert "value=" not in _bar(html) and "hidden" not in _conn(html)


# --- item 10: cancel asks first ----------------------------------------------------------


def test_cancel_asks_first_without_javascript_and_a_plain_post_still_cancels(client, submitter):
    summary = SummaryFactory(requested_by=submitter)
    page = client.get(reverse("videos:summary_progress", args=[summary.pk])).content.decode()
    assert 'name="ask" value="1"' in page and f"data-confirm=\"Cancel summary #{summary.pk} of" in page

    url = reverse("videos:summary_cancel", args=[summary.pk])
    asked = client.post(url, {"ask": "1"})
    assert asked.status_code == 200 and "Yes, cancel it" in asked.content.decode()
    assert 'name="ask"' not in asked.content.decode()
    assert Summary.objects.get(pk=summary.pk).status == "queued"

    assert client.post(url).status_code == 302
    assert Summary.objects.get(pk=summary.pk).status == "cancelled"


def test_the_confirmation_page_is_refused_to_whoever_may_not_cancel(client):
    owner = UserFactory(username="owner")
    summary = SummaryFactory(requested_by=owner)
    _member(client, "Submitters", "someone-else")
    assert client.post(reverse("videos:summary_cancel", args=[summary.pk]), {"ask": "1"}).status_code == 403
    assert not SummaryJob.objects.get(pk=summary.pk).cancel_requested


def test_asking_to_cancel_an_ended_job_goes_back_to_its_page(client, submitter):
    summary = SummaryFactory(requested_by=submitter, status="cancelled")
    response = client.post(reverse("videos:summary_cancel", args=[summary.pk]), {"ask": "1"})
    assert response.status_code == 302 and response["Location"] == reverse("videos:summary_progress", args=[summary.pk])


# --- item 11: redirect after the paste -----------------------------------------------------


def test_a_paste_redirects_to_its_result_and_a_reload_sends_nothing_again(client, submitter, no_fetch):
    VideoFactory(youtube_id="lauywdXKEXI")
    response = client.post(reverse("videos:submit"), {"urls": "UiX8K-xBUpE\nnonsense\nlauywdXKEXI"})
    assert response.status_code == 302
    result = response["Location"]
    assert result.startswith("/videos/add/result/")
    for _ in range(2):  # the result, then a reload of it
        html = client.get(result).content.decode()
        assert "line 1: UiX8K-xBUpE added" in html and "line 3: lauywdXKEXI is already in the catalogue" in html
        assert "is not a YouTube video URL or id" in html
    assert Video.objects.count() == 2


def test_each_progress_link_leads_to_the_videos_live_state(client, submitter, no_fetch):
    response = client.post(reverse("videos:submit"), {"urls": "UiX8K-xBUpE\nE5kzAbD8D0w"})
    result = response["Location"]
    html = client.get(result).content.decode()
    # Transcripts are being fetched: the video pages follow them.
    assert f'href="{reverse("videos:video", args=["UiX8K-xBUpE"])}">progress' in html
    # Once a summary is queued, the link goes to its progress page.
    summary = SummaryFactory(video=Video.objects.get(youtube_id="E5kzAbD8D0w"))
    html = client.get(result).content.decode()
    assert f'href="{reverse("videos:summary_progress", args=[summary.pk])}">progress' in html
    assert f'href="{reverse("videos:video", args=["UiX8K-xBUpE"])}">progress' in html


def test_a_result_this_session_does_not_hold_goes_back_to_the_form(client, submitter):
    response = client.get(reverse("videos:submit_result", args=["nope"]), follow=True)
    assert response.redirect_chain == [(reverse("videos:submit"), 302)]
    assert "That result is no longer kept" in response.content.decode()


def test_results_are_kept_per_session_and_only_the_last_few(client, submitter, no_fetch):
    keys = [client.post(reverse("videos:submit"), {"urls": f"vid{i:08d}"})["Location"] for i in range(4)]
    assert client.get(keys[-1]).status_code == 200
    assert client.get(keys[0]).status_code == 302
    other = type(client)()
    _member(other, "Submitters", "another-submitter")
    assert other.get(keys[-1]).status_code == 302
