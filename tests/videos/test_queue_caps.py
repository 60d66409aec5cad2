"""Caps on the generation queue (videos.services.queue_caps): a user may have at most
SUMMARY_QUEUE_PER_USER summaries queued or running (staff are not held to it), and the
queue holds at most SUMMARY_QUEUE_MAX. A paste past a cap adds its videos and fetches
their transcripts, queues no summary for them, and says so on each line."""

import logging

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from videos.models import Summary, Video
from videos.services import ingestion, jobs
from videos.services.queue_caps import QueueFull, queue_room
from videos.tasks import fetch_transcript_task

from .factories import SummaryFactory, TemplateFactory, TranscriptFactory, UserFactory

pytestmark = pytest.mark.django_db

PASTE = "UiX8K-xBUpE\nkxT8-C1vmd4\n5C_HPTJg5ek\nHyWYpM_S-2c\n"
PER_USER = "you already have 2 summaries queued, running or waiting for their transcript, the most one person may have at once"
GLOBAL = "the queue already holds 3 summaries, the most it takes"


@pytest.fixture
def caps(settings):
    settings.SUMMARY_QUEUE_PER_USER = 2
    settings.SUMMARY_QUEUE_MAX = 3
    return settings


@pytest.fixture
def submitter():
    user = UserFactory(username="submitter")
    user.groups.add(Group.objects.get(name="Submitters"))
    return user


@pytest.fixture
def fetches(monkeypatch):
    """The transcript fetches a paste sends: (video id, whether a summary follows)."""
    sent = []
    monkeypatch.setattr(ingestion, "_enqueue_fetch", lambda pk, queue_summary=True: sent.append((pk, queue_summary)))
    return sent


def _active(user, n):
    for _ in range(n):
        SummaryFactory(requested_by=user, status=Summary.Status.QUEUED)


def _submit(user, template):
    return jobs.summary_submit(video=TranscriptFactory().video, template=template, model_id="m", user=user)


def test_a_paste_past_the_users_cap_adds_every_video_and_queues_two_summaries(
    caps, submitter, fetches, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = ingestion.videos_submit(text=PASTE, user=submitter)
    assert len(report.added) == 4 and Video.objects.count() == 4
    assert [o.summary_queued for o in report.outcomes] == [True, True, False, False]
    assert report.outcomes[0].message == "line 1: UiX8K-xBUpE added"
    assert report.outcomes[2].message == (
        f"line 3: 5C_HPTJg5ek added; its summary is not queued ({PER_USER}): queue it from its video page later"
    )
    assert report.queue_reason == PER_USER
    # Every video gets its transcript; only the first two queue a summary when it arrives.
    by_id = {Video.objects.get(pk=pk).youtube_id: queued for pk, queued in fetches}
    assert by_id == {"UiX8K-xBUpE": True, "kxT8-C1vmd4": True, "5C_HPTJg5ek": False, "HyWYpM_S-2c": False}


def test_videos_still_fetching_count_so_a_second_paste_is_told_the_truth(caps, submitter, fetches):
    ingestion.videos_submit(text="UiX8K-xBUpE\nkxT8-C1vmd4\n", user=submitter)
    again = ingestion.videos_submit(text="5C_HPTJg5ek\n", user=submitter)
    assert [o.summary_queued for o in again.outcomes] == [False]


def test_staff_are_held_to_the_global_cap_only(caps, submitter, fetches):
    submitter.is_staff = True
    submitter.save()
    report = ingestion.videos_submit(text=PASTE, user=submitter)
    assert [o.summary_queued for o in report.outcomes] == [True, True, True, False]
    assert report.queue_reason == GLOBAL


def test_the_global_cap_counts_everyone(caps, submitter, fetches):
    _active(UserFactory(), 3)
    report = ingestion.videos_submit(text=PASTE, user=submitter)
    assert not any(o.summary_queued for o in report.outcomes)
    assert report.queue_reason == GLOBAL


def test_no_cap_no_note(settings, submitter, fetches):
    settings.SUMMARY_QUEUE_PER_USER = settings.SUMMARY_QUEUE_MAX = 0
    report = ingestion.videos_submit(text=PASTE, user=submitter)
    assert all(o.summary_queued for o in report.outcomes) and report.queue_reason == ""
    assert queue_room(user=submitter).left is None


def test_the_submit_page_says_plainly_which_videos_get_no_summary(caps, submitter, fetches, client):
    client.force_login(submitter)
    response = client.post(reverse("videos:submit"), {"urls": PASTE}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"2 of them will get their transcript but no summary: {PER_USER}." in html
    assert "line 4: HyWYpM_S-2c added; its summary is not queued" in html


def test_a_summary_past_the_users_cap_is_refused_and_nothing_is_written(caps, submitter):
    template = TemplateFactory()
    _active(submitter, 2)
    with pytest.raises(QueueFull, match=PER_USER):
        _submit(submitter, template)
    assert Summary.objects.count() == 2
    # A summary already queued for the same video is still returned (a double click is not refused).
    summary = Summary.objects.filter(requested_by=submitter).first()
    TranscriptFactory(video=summary.video)
    again = jobs.summary_submit(video=summary.video, template=summary.template, model_id=summary.model_id, user=submitter)
    assert again.pk == summary.pk


def test_staff_pass_the_users_cap_but_not_the_global_one(caps, submitter):
    template = TemplateFactory()
    submitter.is_staff = True
    submitter.save()
    _active(submitter, 2)
    assert _submit(submitter, template).status == Summary.Status.QUEUED
    with pytest.raises(QueueFull, match=GLOBAL):
        _submit(submitter, template)
    with pytest.raises(QueueFull, match=GLOBAL):
        _submit(None, template)  # the site itself (an admin action without a user) too


def test_the_queue_button_says_why(caps, submitter, client):
    TemplateFactory()
    _active(submitter, 2)
    video = TranscriptFactory().video
    client.force_login(submitter)
    response = client.post(reverse("videos:video_summarize", args=[video.youtube_id]), follow=True)
    assert f"Could not queue a summary: {PER_USER}" in response.content.decode()
    assert not video.summaries.exists()


def test_a_transcript_that_arrives_past_the_cap_is_kept_without_a_summary(caps, submitter, caplog):
    TemplateFactory()
    _active(submitter, 2)
    video = TranscriptFactory(video__added_by=submitter).video
    with caplog.at_level(logging.WARNING, logger="videos.services.ingestion"):
        ingestion._queue_summary(video, submitter)
    assert not video.summaries.exists()
    assert f"video {video.youtube_id}: summary not queued: {PER_USER}" in caplog.text


def test_the_fetch_task_passes_the_summary_flag_on(monkeypatch):
    calls = []
    monkeypatch.setattr(ingestion, "transcript_fetch", lambda **kwargs: calls.append(kwargs))
    fetch_transcript_task.run(7, queue_summary=False)
    fetch_transcript_task.run(8)
    assert [(c["video_id"], c["queue_summary"]) for c in calls] == [(7, False), (8, True)]
