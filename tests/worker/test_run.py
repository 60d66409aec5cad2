"""summary_run in this process: cancel during generation, and the error mapping."""

import threading

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import connections

from videos.services import jobs
from videos.models import Summary, SummaryGeneralTopic, Transcript, Video

from .conftest import wait_for


def run_in_thread(**kwargs):
    """summary_run as a worker thread runs it, closing the thread's own database connection
    at the end as Celery does after a task (left open, it keeps the test database in use)."""
    try:
        jobs.summary_run(**kwargs)
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_cancel_stops_a_running_generation(seeded, tiny_model_dir):
    video = Video.objects.filter(transcript__source=Transcript.Source.SEED).order_by("slug").first()
    summary, _ = jobs.summary_create(video=video, model_id=tiny_model_dir)
    runner = threading.Thread(target=run_in_thread, kwargs={"summary_id": summary.pk})
    runner.start()
    try:
        wait_for(lambda: (Summary.objects.get(pk=summary.pk).job.progress or {}).get("stage") == "generating", 90,
                 "generation to start")
        jobs.summary_cancel(summary_id=summary.pk, user=None)
    finally:
        runner.join(60)
    cancelled = Summary.objects.get(pk=summary.pk)
    assert cancelled.status == "cancelled" and cancelled.job.cancel_requested
    assert cancelled.data is None and not SummaryGeneralTopic.objects.filter(summary=cancelled).exists()
    assert cancelled.job.progress["stage"] == "cancelled"


def _errors():
    from inference import (
        EmptyTranscriptError,
        ExampleInvalidError,
        GenerationError,
        ModelNotFoundError,
        OutputInvalidError,
        PromptTooLongError,
    )

    return [
        (EmptyTranscriptError("empty"), "empty_transcript"),
        (PromptTooLongError("too long", over_by=10), "prompt_too_long"),
        (ExampleInvalidError("bad example"), "example_invalid"),
        (ModelNotFoundError("no such model"), "model_not_found"),
        (OutputInvalidError(["sections has 4 items"], raw="{}"), "output_invalid"),
        (GenerationError("grammar refused"), "generation_error"),
        (SoftTimeLimitExceeded(), "time_limit"),
        (RuntimeError("boom"), "internal_error"),
    ]


@pytest.mark.parametrize("exc,code", _errors())
def test_every_failure_has_a_code_and_one_line(exc, code):
    got_code, message = jobs._error_for(exc)
    assert got_code == code
    assert message and "\n" not in message
