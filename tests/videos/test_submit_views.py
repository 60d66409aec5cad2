"""The submit and video pages, as a submitter and a viewer use them."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from videos.services import ingestion
from videos.models import Transcript, Video

from .factories import UserFactory, VideoFactory

pytestmark = pytest.mark.django_db

FILES = Path(__file__).resolve().parents[1] / "ingest" / "files"


def _log_in_as(client, group: str):
    user = UserFactory(username=group.lower())
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return client


@pytest.fixture
def submitter(client):
    return _log_in_as(client, "Submitters")


@pytest.fixture
def viewer(client):
    return _log_in_as(client, "Viewers")


def test_submit_page_lists_one_outcome_per_line(submitter, monkeypatch):
    monkeypatch.setattr(ingestion, "_enqueue_fetch", lambda pk, **options: None)
    VideoFactory(youtube_id="lauywdXKEXI")
    text = "https://youtu.be/UiX8K-xBUpE\nnonsense\nUiX8K-xBUpE\nhttps://www.youtube.com/watch?v=lauywdXKEXI\n"
    response = submitter.post(reverse("videos:submit"), {"urls": text}, follow=True)
    assert response.status_code == 200 and response.redirect_chain[0][1] == 302
    html = response.content.decode()
    assert "line 1: UiX8K-xBUpE added" in html
    assert "line 2: &#x27;nonsense&#x27; is not a YouTube video URL or id" in html
    assert "line 3: UiX8K-xBUpE repeats line 1; added once" in html
    assert "line 4: lauywdXKEXI is already in the catalogue" in html
    assert reverse("videos:video", args=["UiX8K-xBUpE"]) in html
    assert Video.objects.get(youtube_id="UiX8K-xBUpE").transcript_state == "fetching"


def test_viewers_cannot_submit(viewer):
    assert viewer.get(reverse("videos:submit")).status_code == 403
    assert viewer.post(reverse("videos:submit"), {"urls": "UiX8K-xBUpE"}).status_code == 403
    assert not Video.objects.exists()


def test_seed_video_without_transcript_says_transcript_needed(viewer, seeded):
    html = viewer.get(reverse("videos:video", args=["kxT8-C1vmd4"])).content.decode()
    assert "Transcript needed" in html


def test_upload_on_the_video_page_stores_timestamps(submitter, monkeypatch):
    queued = []
    monkeypatch.setattr("videos.views.submit._queue_summary", lambda request, video: queued.append(video.pk))
    video = VideoFactory()
    upload = SimpleUploadedFile("talk.vtt", (FILES / "good.vtt").read_bytes())
    response = submitter.post(reverse("videos:video", args=[video.youtube_id]), {"file": upload, "queue_summary": "on"})
    assert response.status_code == 302
    t = Transcript.objects.get(video=video)
    assert t.source == "upload" and t.original_filename == "talk.vtt" and t.segments[0]["start"] >= 0
    assert queued == [video.pk]


def test_broken_upload_is_refused_with_its_message(submitter):
    video = VideoFactory()
    upload = SimpleUploadedFile("bad.srt", (FILES / "bad_timestamp.srt").read_bytes())
    response = submitter.post(reverse("videos:video", args=[video.youtube_id]), {"file": upload})
    assert response.status_code == 400
    assert "bad.srt: line" in response.content.decode()
    assert not Transcript.objects.filter(video=video).exists()


def test_upload_from_the_submit_page_creates_the_video(submitter, monkeypatch):
    monkeypatch.setattr("videos.views.submit._queue_summary", lambda request, video: None)
    upload = SimpleUploadedFile("subs.srt", (FILES / "good.srt").read_bytes())
    response = submitter.post(
        reverse("videos:upload_new"), {"upload-url": "https://youtu.be/E5kzAbD8D0w", "upload-file": upload}
    )
    assert response.status_code == 302
    assert Video.objects.get(youtube_id="E5kzAbD8D0w").transcript.source == "upload"


def test_upload_with_a_bad_url_stores_nothing(submitter):
    upload = SimpleUploadedFile("subs.srt", (FILES / "good.srt").read_bytes())
    response = submitter.post(reverse("videos:upload_new"), {"upload-url": "https://vimeo.com/1", "upload-file": upload})
    assert response.status_code == 400
    assert not Video.objects.exists()


def test_a_paste_the_form_refuses_is_a_400_with_the_page(submitter):
    response = submitter.post(reverse("videos:submit"), {"urls": "UiX8K-xBUpE\n" * 501})
    assert response.status_code == 400
    assert "At most 500 lines at once" in response.content.decode()
    assert submitter.post(reverse("videos:submit"), {"urls": ""}).status_code == 400
    assert submitter.get(reverse("videos:submit")).status_code == 200
    assert not Video.objects.exists()


# Uploads past SUBTITLE_MAX_BYTES (summarizer_site.uploads). A limit of 100,000 bytes:
# a file of 120,000 fits the declared body (dropped as its bytes pass the limit), one
# of 400,000 does not (dropped before its first byte is stored).
LIMIT = 100_000


@pytest.fixture
def stored_bytes(settings, monkeypatch):
    """How many bytes of each file reached the handlers that store uploads."""
    from django.core.files import uploadhandler

    settings.SUBTITLE_MAX_BYTES = LIMIT
    seen = []
    for cls in (uploadhandler.MemoryFileUploadHandler, uploadhandler.TemporaryFileUploadHandler):
        original = cls.receive_data_chunk

        def counting(self, raw_data, start, original=original):
            seen.append(len(raw_data))
            return original(self, raw_data, start)

        monkeypatch.setattr(cls, "receive_data_chunk", counting)
    return seen


@pytest.mark.parametrize("size", [120_000, 400_000])
def test_an_oversize_upload_is_a_413_in_the_page_and_never_read_whole(submitter, stored_bytes, size):
    upload = SimpleUploadedFile("huge.srt", b"1\n" * (size // 2))
    response = submitter.post(
        reverse("videos:upload_new"), {"upload-url": "https://youtu.be/E5kzAbD8D0w", "upload-file": upload}
    )
    assert response.status_code == 413
    html = response.content.decode()
    assert "huge.srt is larger than 97 KiB, the most a subtitle file may be; nothing was stored." in html
    assert "This field is required" not in html
    assert 'value="https://youtu.be/E5kzAbD8D0w"' in html  # the other fields are kept
    assert sum(stored_bytes) <= LIMIT
    assert not Video.objects.exists()


def test_an_oversize_upload_on_the_video_page_is_a_413(submitter, stored_bytes):
    video = VideoFactory()
    upload = SimpleUploadedFile("huge.vtt", b"WEBVTT\n" + b"x" * 400_000)
    response = submitter.post(reverse("videos:video", args=[video.youtube_id]), {"file": upload, "queue_summary": "on"})
    assert response.status_code == 413
    assert "huge.vtt is larger than 97 KiB" in response.content.decode()
    assert stored_bytes == []  # the declared length alone refused it
    assert not Transcript.objects.filter(video=video).exists()


def test_a_file_at_the_limit_still_reaches_the_parser(submitter, stored_bytes):
    upload = SimpleUploadedFile("big.srt", b"x" * LIMIT)
    response = submitter.post(
        reverse("videos:upload_new"), {"upload-url": "https://youtu.be/E5kzAbD8D0w", "upload-file": upload}
    )
    assert response.status_code == 400  # not a subtitle file, but not refused for its size
    assert "is larger than" not in response.content.decode()
    assert sum(stored_bytes) == LIMIT
