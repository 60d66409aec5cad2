"""Adding videos: a paste gets one outcome per line; YouTube's recorded
responses end in their stored states, blocked requests and network errors
after the fetch task's bounded retries; uploads store timestamps or are
refused with nothing stored."""

from pathlib import Path

import pytest
import requests
import responses
from celery.exceptions import Retry

from videos.services import ingestion
from videos.ingest import fetch as fetch_module
from videos.ingest.fetch_errors import FetchError
from videos.models import Transcript, Video
from videos.tasks import fetch_transcript_task

from ..ingest.recorded import PLAYER, WATCH, asset, happy_youtube
from .factories import UserFactory, VideoFactory

pytestmark = pytest.mark.django_db

FILES = Path(__file__).resolve().parents[1] / "ingest" / "files"


@pytest.fixture(autouse=True)
def fresh_clients():
    fetch_module.reset_client_cache()
    yield
    fetch_module.reset_client_cache()


BLOCKED = "youtube_request_blocked.innertube.json.static"


@pytest.fixture
def youtube():
    with happy_youtube() as rsps:
        yield rsps


def serve_player(youtube, asset_name):
    youtube.replace(responses.POST, PLAYER, body=asset(asset_name), content_type="application/json")


def player_posts(youtube) -> int:
    return len([c for c in youtube.calls if c.request.method == "POST"])


@pytest.fixture
def countdowns(monkeypatch):
    """The countdown of every retry the fetch task schedules."""
    seen = []
    retry = fetch_transcript_task.retry

    def recording(*args, **kwargs):
        seen.append(kwargs["countdown"])
        return retry(*args, **kwargs)

    monkeypatch.setattr(fetch_transcript_task, "retry", recording)
    return seen


def run_fetch_task(video):
    """Run the fetch task as a worker would, its retries included; eagerly, so
    a retry's countdown is recorded (see `countdowns`), not waited for."""
    result = fetch_transcript_task.apply(args=(video.pk,), throw=False)  # True would raise the first Retry
    assert result.successful(), result.traceback  # the last attempt stores its failure, it does not raise


def backoff_bounds(retries: int) -> list[int]:
    """The most each retry may wait: 2, 4, 8, ... seconds, at most 60."""
    return [min(60, 2 * 2**n) for n in range(retries)]


def attempt_in_task(video, retries: int):
    """One run of the task body as the worker runs its (retries + 1)-th attempt."""
    fetch_transcript_task.push_request(
        id="fetch-test", args=[video.pk], kwargs={}, retries=retries, is_eager=True, called_directly=False
    )
    try:
        return fetch_transcript_task.run(video.pk)
    finally:
        fetch_transcript_task.pop_request()


MIXED = """\
https://www.youtube.com/watch?v=UiX8K-xBUpE
https://youtu.be/Xdhe-meS30A?t=42
https://www.youtube.com/watch?v=UiX8K-xBUpE&t=10s
not a url
https://vimeo.com/123456
https://m.youtube.com/watch?v=00AQjBDM46Q
https://www.youtube.com/shorts/5ChkQKUzDCs
https://www.youtube.com/embed/J0NuOlA2xDc
E5kzAbD8D0w
https://www.youtube.com/watch?v=kxT8-C1 vmd4
https://youtube.com.evil.net/watch?v=wybjsKtA9hI
https://music.youtube.com/watch?v=CZw57SIwgiE&list=RD
https://www.youtube.com/live/p6wwj0ozifw?si=abc
https://www.youtube.com/watch?v=short
https://youtu.be/5C_HPTJg5ek
https://www.youtube.com/watch?v=HyWYpM_S-2c
HyWYpM_S-2c
https://www.youtube.com/playlist?list=PL123
https://www.youtube.com/watch?v=MnpuK0MK4yo
https://www.youtube.com/watch?v=lauywdXKEXI
"""


def test_twenty_mixed_lines_get_one_outcome_each(django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr(ingestion, "_enqueue_fetch", lambda pk, **options: queued.append(pk))
    VideoFactory(youtube_id="lauywdXKEXI")  # already in the catalogue
    with django_capture_on_commit_callbacks(execute=True):
        report = ingestion.videos_submit(text=MIXED, user=UserFactory())
    assert [o.line for o in report.outcomes] == list(range(1, 21))
    status = {o.line: o.status for o in report.outcomes}
    assert [line for line, s in status.items() if s == "invalid"] == [4, 5, 11, 14, 18]
    assert [line for line, s in status.items() if s == "duplicate"] == [3, 17]
    assert report.outcomes[2].input == "https://www.youtube.com/watch?v=UiX8K-xBUpE&t=10s"  # the line as pasted
    assert [line for line, s in status.items() if s == "exists"] == [20]
    assert len(report.added) == 12
    assert "line 11" in report.outcomes[10].message
    assert Video.objects.filter(youtube_id="kxT8-C1vmd4").exists()
    assert Video.objects.count() == 13
    assert len(queued) == 12  # each new video is queued for its transcript, once


def test_a_queue_that_cannot_be_reached_leaves_no_video_fetching(django_capture_on_commit_callbacks, monkeypatch):
    def broken(pk, **options):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr(ingestion, "_enqueue_fetch", broken)
    with django_capture_on_commit_callbacks(execute=True):
        report = ingestion.videos_submit(text="UiX8K-xBUpE")
    assert [o.status for o in report.outcomes] == ["added"]
    video = Video.objects.get(youtube_id="UiX8K-xBUpE")
    assert video.transcript_state == "failed" and video.transcript_error_code == "queue_unreachable"
    assert video.transcript_error == "Could not reach the queue: Error 111 connecting to 127.0.0.1:1. Connection refused."


def test_submitting_the_same_paste_again_adds_nothing(monkeypatch):
    monkeypatch.setattr(ingestion, "_enqueue_fetch", lambda pk, **options: None)
    ingestion.videos_submit(text=MIXED)
    again = ingestion.videos_submit(text=MIXED)
    assert again.added == []
    assert len(again.by_status("exists")) == 13
    assert Video.objects.count() == 13


def test_fetch_stores_the_transcript_with_segments_and_language(youtube, monkeypatch):
    queued = []
    monkeypatch.setattr(ingestion, "_queue_summary", lambda video, user=None: queued.append(video.pk))
    video = VideoFactory(youtube_id="GJLlxj_dtq8", transcript_state=Video.TranscriptState.FETCHING)
    assert ingestion.transcript_fetch(video_id=video.pk) is None
    video.refresh_from_db()
    assert video.transcript_state == "ready"
    t = video.transcript
    assert t.source == Transcript.Source.YOUTUBE_MANUAL and t.language_code == "en" and t.language == "English"
    assert t.segments[0] == {"start": 0.0, "duration": 1.54, "text": "Hey, this is just a test"}
    assert t.full_text.startswith("Hey, this is just a test this is not the original transcript")


def test_the_fetch_task_carries_the_one_retry_policy(settings):
    task = fetch_transcript_task
    assert task.autoretry_for == (FetchError,)
    assert (task.retry_backoff, task.retry_backoff_max, task.retry_jitter) == (2, 60, True)
    assert task.max_retries == settings.YOUTUBE_MAX_RETRIES


def test_a_blocked_request_raises_retry_while_retries_remain(youtube):
    serve_player(youtube, BLOCKED)
    video = VideoFactory(youtube_id="GJLlxj_dtq8", transcript_state=Video.TranscriptState.FETCHING)
    with pytest.raises(Retry) as info:
        attempt_in_task(video, retries=1)
    assert 0 <= info.value.when <= backoff_bounds(2)[1]
    assert isinstance(info.value.exc, FetchError) and info.value.exc.code == "request_blocked"
    video.refresh_from_db()
    assert video.transcript_state == "fetching" and video.transcript_attempts == 2
    assert video.transcript_error_code == "request_blocked"
    assert video.transcript_error.startswith("Attempt 2 failed; trying again shortly.")


def test_a_blocked_request_with_retries_spent_is_stored_as_failed(youtube):
    serve_player(youtube, BLOCKED)
    video = VideoFactory(youtube_id="GJLlxj_dtq8", transcript_state=Video.TranscriptState.FETCHING)
    last = fetch_transcript_task.max_retries
    assert attempt_in_task(video, retries=last) is None  # no Retry, no FetchError
    video.refresh_from_db()
    assert video.transcript_state == "failed" and video.transcript_attempts == last + 1
    assert video.transcript_error_code == "request_blocked"
    assert video.transcript_error.startswith(f"Gave up after {last + 1} attempts. YouTube is blocking")
    assert "YOUTUBE_PROXY" in video.transcript_error and "pload" in video.transcript_error


def test_the_service_raises_only_when_asked_to_retry(youtube):
    serve_player(youtube, BLOCKED)
    video = VideoFactory(youtube_id="GJLlxj_dtq8")
    with pytest.raises(FetchError):
        ingestion.transcript_fetch(video_id=video.pk, attempt=1, retry=True)
    assert Video.objects.get(pk=video.pk).transcript_state == "fetching"
    assert ingestion.transcript_fetch(video_id=video.pk, attempt=2) is None
    video.refresh_from_db()
    assert video.transcript_state == "failed" and video.transcript_attempts == 2


@pytest.mark.parametrize(
    "asset_name, code",
    [
        ("youtube_transcripts_disabled.innertube.json.static", "transcripts_disabled"),
        ("youtube_video_unavailable.innertube.json.static", "video_unavailable"),
        ("youtube_unplayable.innertube.json.static", "video_unplayable"),
        ("youtube_age_restricted.innertube.json.static", "age_restricted"),
        ("youtube_po_token_required.innertube.json.static", "po_token_required"),
        (BLOCKED, "request_blocked"),
    ],
)
def test_each_recorded_error_ends_in_its_stored_state(youtube, asset_name, code, countdowns, monkeypatch):
    monkeypatch.setattr(fetch_transcript_task, "max_retries", 2)
    serve_player(youtube, asset_name)
    video = VideoFactory(youtube_id="GJLlxj_dtq8", transcript_state=Video.TranscriptState.FETCHING)
    run_fetch_task(video)
    video.refresh_from_db()
    assert video.transcript_state == "failed"
    assert video.transcript_error_code == code
    assert video.transcript_error  # a message a user understands
    assert not Transcript.objects.filter(video=video).exists()
    if code == "request_blocked":
        assert video.transcript_attempts == 3 and player_posts(youtube) == 3
        assert len(countdowns) == 2
        assert all(0 <= wait <= bound for wait, bound in zip(countdowns, backoff_bounds(2)))
        assert "YOUTUBE_PROXY" in video.transcript_error and "pload" in video.transcript_error
    else:  # not worth retrying: failed at once
        assert video.transcript_attempts == 1 and player_posts(youtube) == 1
        assert countdowns == []
        assert not video.transcript_error.startswith("Gave up")


def test_a_network_error_is_retried_to_the_bound_then_stored(youtube, countdowns, settings):
    youtube.replace(responses.GET, WATCH, body=requests.exceptions.ConnectionError("connection reset"))
    video = VideoFactory(youtube_id="GJLlxj_dtq8", transcript_state=Video.TranscriptState.FETCHING)
    run_fetch_task(video)
    video.refresh_from_db()
    attempts = settings.YOUTUBE_MAX_RETRIES + 1
    assert video.transcript_state == "failed" and video.transcript_error_code == "network"
    assert video.transcript_attempts == attempts
    assert video.transcript_error == (
        f"Gave up after {attempts} attempts. YouTube could not be reached (network error). "
        "Check the server's internet connection, then try again."
    )
    assert len([c for c in youtube.calls if c.request.url.startswith(WATCH)]) == attempts
    assert len(countdowns) == attempts - 1
    assert all(0 <= wait <= bound for wait, bound in zip(countdowns, backoff_bounds(attempts - 1)))


def test_a_blocked_request_that_recovers_stores_the_transcript(youtube, countdowns, monkeypatch):
    monkeypatch.setattr(ingestion, "_queue_summary", lambda video, user=None: None)
    serve_player(youtube, BLOCKED)
    youtube.add(responses.POST, PLAYER, body=asset("youtube.innertube.json.static"), content_type="application/json")
    video = VideoFactory(youtube_id="GJLlxj_dtq8", transcript_state=Video.TranscriptState.FETCHING)
    run_fetch_task(video)
    video.refresh_from_db()
    assert video.transcript_state == "ready" and video.transcript_attempts == 2
    assert video.transcript_error_code == "" and video.transcript_error == ""
    assert len(countdowns) == 1
    assert video.transcript.full_text.startswith("Hey, this is just a test")


def test_a_failed_fetch_keeps_a_transcript_stored_meanwhile(monkeypatch):
    video = VideoFactory(youtube_id="GJLlxj_dtq8", transcript_state=Video.TranscriptState.FETCHING)

    def upload_lands_then_youtube_fails(video_id, config):
        Transcript.objects.create(video=video, source="upload", full_text="uploaded meanwhile")
        Video.objects.filter(pk=video.pk).update(transcript_state=Video.TranscriptState.READY)
        raise FetchError("video_unavailable", "gone", False)

    monkeypatch.setattr(ingestion, "fetch_transcript", upload_lands_then_youtube_fails)
    ingestion.transcript_fetch(video_id=video.pk, attempt=1, retry=True)
    video.refresh_from_db()
    assert video.transcript_state == "ready" and video.transcript_error == ""
    assert video.transcript.full_text == "uploaded meanwhile"


def test_fetch_never_replaces_an_existing_transcript(youtube):
    serve_player(youtube, BLOCKED)  # a re-fetch that would fail stores nothing either
    video = VideoFactory(youtube_id="GJLlxj_dtq8", transcript_state=Video.TranscriptState.FAILED)
    Transcript.objects.create(video=video, source="upload", full_text="curated text")
    run_fetch_task(video)
    video.refresh_from_db()
    assert video.transcript.full_text == "curated text" and video.transcript_state == "ready"
    assert not youtube.calls


def test_upload_keeps_timestamps():
    video = VideoFactory()
    t = ingestion.transcript_store_upload(video=video, name="good.srt", data=(FILES / "good.srt").read_bytes())
    assert t.source == "upload" and len(t.segments) >= 2
    assert t.segments[1]["start"] > 0
    assert Video.objects.get(pk=video.pk).transcript_state == "ready"


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("empty.srt", b"", "empty"),
        ("blob.srt", bytes(range(256)) * 8, ""),
        ("big.vtt", b"WEBVTT\n\n" + b"x" * (3 * 1024 * 1024), "too large"),
        ("subs.docx", b"hello", "not accepted"),
        ("bad.srt", (FILES / "bad_timestamp.srt").read_bytes() if (FILES / "bad_timestamp.srt").exists() else b"1\n00:00:0x,000 --> 00:00:02,000\nhi\n", ""),
    ],
)
def test_bad_uploads_are_refused_and_keep_what_was_stored(name, data, message):
    video = VideoFactory()
    Transcript.objects.create(video=video, source="youtube_manual", full_text="the original")
    with pytest.raises(ingestion.SubtitleError) as exc:
        ingestion.transcript_store_upload(video=video, name=name, data=data, replace=True)
    assert name in str(exc.value)
    assert message in str(exc.value)
    assert Video.objects.get(pk=video.pk).transcript.full_text == "the original"


def test_upload_does_not_replace_unless_asked():
    video = VideoFactory()
    Transcript.objects.create(video=video, source="youtube_manual", full_text="the original")
    with pytest.raises(ingestion.TranscriptExists):
        ingestion.transcript_store_upload(video=video, name="good.srt", data=(FILES / "good.srt").read_bytes())
    assert Video.objects.get(pk=video.pk).transcript.full_text == "the original"


def test_latin1_upload_is_decoded():
    video = VideoFactory()
    data = "1\n00:00:01,000 --> 00:00:02,000\nCafé crème à la carte\n".encode("latin-1")
    t = ingestion.transcript_store_upload(video=video, name="latin.srt", data=data)
    assert "Café crème" in t.full_text
