"""The generation services: transitions, submit, the idempotent task, cancel, queue faults."""

import json

import pytest
from django.core.exceptions import PermissionDenied

from tests.videos.factories import ExampleFactory, SummaryFactory, TemplateFactory, TranscriptFactory, VideoFactory
from videos.services import jobs, summaries
from videos.models import Summary, SummaryResult
from videos.tasks import generate_summary

from .conftest import purge_gpu_queue, redis_client

pytestmark = pytest.mark.django_db


def test_legal_transitions_count_attempts():
    summary = SummaryFactory()
    assert summary.status == Summary.Status.QUEUED
    running = summaries.summary_transition(summary_id=summary.pk, to=Summary.Status.RUNNING)
    assert running.job.attempts == 1 and running.job.started_at is not None
    # A worker died: back to the queue, and the next start counts again.
    summaries.summary_transition(summary_id=summary.pk, to=Summary.Status.QUEUED)
    again = summaries.summary_transition(summary_id=summary.pk, to=Summary.Status.RUNNING)
    assert again.job.attempts == 2
    done = summaries.summary_transition(summary_id=summary.pk, to=Summary.Status.FAILED, error_code="x")
    assert done.finished_at is not None


@pytest.mark.parametrize("start,to", [
    ("done", "running"), ("failed", "queued"), ("cancelled", "running"), ("queued", "done"), ("done", "cancelled"),
])
def test_illegal_transitions_are_refused(start, to):
    summary = SummaryFactory(status=start)
    with pytest.raises(summaries.IllegalTransition, match=f"cannot go from {start} to {to}"):
        summaries.summary_transition(summary_id=summary.pk, to=to)
    summary.refresh_from_db()
    assert summary.status == start


def _video_with_transcript():
    return TranscriptFactory().video


def test_submit_enqueues_on_commit_with_the_active_examples_in_order(django_capture_on_commit_callbacks):
    template = TemplateFactory()
    second = ExampleFactory(template=template, position=2)
    first = ExampleFactory(template=template, position=1)
    ExampleFactory(template=template, position=0, is_active=False)
    video = _video_with_transcript()
    purge_gpu_queue()
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            summary = jobs.summary_submit(video=video, template=template, model_id="m")
        # Nothing is sent before the row is committed.
        assert len(callbacks) == 1
        assert not redis_client().llen("gpu")
        assert summary.status == Summary.Status.QUEUED and summary.job.task_id
        assert list(summary.examples.order_by("position")) == [first, second]
        callbacks[0]()
        messages = [json.loads(m) for m in redis_client().lrange("gpu", 0, -1)]
        assert [m["headers"]["id"] for m in messages] == [summary.job.task_id]
        assert messages[0]["headers"]["task"] == "videos.tasks.generate_summary"
    finally:
        purge_gpu_queue()


def test_submit_refuses_a_video_without_transcript():
    template = TemplateFactory()
    with pytest.raises(jobs.SubmitRefused, match="has no transcript yet"):
        jobs.summary_submit(video=VideoFactory(), template=template, model_id="m")
    assert not Summary.objects.exists()


def test_submit_returns_the_active_summary_instead_of_a_duplicate(django_capture_on_commit_callbacks):
    template = TemplateFactory()
    video = _video_with_transcript()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = jobs.summary_submit(video=video, template=template, model_id="m")
        again = jobs.summary_submit(video=video, template=template, model_id="m")
        other_model = jobs.summary_submit(video=video, template=template, model_id="other")
    assert again.pk == first.pk
    assert other_model.pk != first.pk
    assert len(callbacks) == 2  # one task per new summary, none for the duplicate


@pytest.mark.parametrize("status", ["done", "failed", "cancelled"])
def test_the_task_is_idempotent_on_a_final_summary(status):
    summary = SummaryFactory(status=status)
    SummaryResult.objects.create(summary=summary, raw_output="kept")
    generate_summary.apply(args=[summary.pk]).get()
    after = Summary.objects.get(pk=summary.pk)
    assert (after.status, after.job.attempts, after.result.raw_output) == (status, 0, "kept")


def test_the_task_returns_for_a_summary_running_in_a_live_process():
    import os
    import socket

    summary = SummaryFactory(status="running", job__attempts=1, job__worker_hostname=f"other@{socket.gethostname()}",
                             job__worker_pid=os.getpid())
    generate_summary.apply(args=[summary.pk]).get()
    after = Summary.objects.get(pk=summary.pk)
    assert (after.status, after.job.attempts) == ("running", 1)


def test_a_redelivered_job_whose_worker_died_too_often_ends_failed(settings):
    settings.SUMMARY_MAX_ATTEMPTS = 2
    summary = SummaryFactory(status="running", job__attempts=2, job__worker_hostname="gpu@nowhere.invalid-host", job__worker_pid=1)
    # The owner is on another machine that does not answer: dead.
    generate_summary.apply(args=[summary.pk]).get()
    after = Summary.objects.get(pk=summary.pk)
    assert after.status == "failed" and after.job.error_code == "worker_died"
    assert after.job.error_message == "the worker died 2 times while generating this summary"
    assert after.job.progress["status"] == "failed"


def test_cancel_a_queued_summary_at_once_and_its_task_then_returns(make_user):
    requester = make_user()
    summary = SummaryFactory(requested_by=requester)
    cancelled = jobs.summary_cancel(summary_id=summary.pk, user=requester)
    assert cancelled.status == "cancelled" and cancelled.finished_at
    generate_summary.apply(args=[summary.pk]).get()
    assert Summary.objects.get(pk=summary.pk).status == "cancelled"


def test_cancel_a_running_summary_sets_the_flag(make_user):
    curator = make_user("videos.cancel_summary")
    summary = SummaryFactory(status="running")
    jobs.summary_cancel(summary_id=summary.pk, user=curator)
    summary.refresh_from_db()
    assert summary.status == "running" and summary.job.cancel_requested


def test_cancel_is_refused_to_a_viewer_and_for_a_final_summary(make_user):
    viewer = make_user("videos.view_summary")
    summary = SummaryFactory()
    with pytest.raises(PermissionDenied):
        jobs.summary_cancel(summary_id=summary.pk, user=viewer)
    assert Summary.objects.get(pk=summary.pk).status == "queued"
    done = SummaryFactory(status="done")
    with pytest.raises(summaries.IllegalTransition, match="already done"):
        jobs.summary_cancel(summary_id=done.pk, user=None)


@pytest.fixture
def dead_broker():
    """Point the Celery app at a port where no Redis listens (connections are pooled: reset them)."""
    from summarizer_site.celery import app

    def reset():
        app._pool = None
        app.amqp._producer_pool = None

    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:9/0"
    reset()
    yield
    app.conf.broker_url = old
    reset()


@pytest.mark.django_db(transaction=True)
def test_redis_down_at_submit_gives_a_clear_error_and_no_orphan_queued_summary(dead_broker):
    template = TemplateFactory()
    video = _video_with_transcript()
    with pytest.raises(jobs.QueueUnavailable, match="could not reach the queue"):
        jobs.summary_submit(video=video, template=template, model_id="m")
    summary = Summary.objects.get()
    assert summary.status == "failed"
    assert summary.job.error_code == "queue_unreachable"
    assert summary.job.error_message.startswith("could not reach the queue")
    assert not Summary.objects.filter(status="queued").exists()
