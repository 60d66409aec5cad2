"""A real Celery worker (subprocess) generating with a tiny random model.

Queued -> done with live websocket events; a worker child killed mid-generation
(the job runs again, stored once); a whole worker killed and restarted (the
start-up sweep requeues at once); a job that keeps killing its worker (failed
after SUMMARY_MAX_ATTEMPTS, the jobs behind it still finish).
"""

import asyncio
import os
import signal

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from summarizer_site.asgi import application
from tests.videos.factories import UserFactory
from videos.services import jobs
from videos.models import Summary, SummaryGeneralTopic, Transcript, Video
from videos.tasks import generate_summary

from .conftest import redis_client, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

JOB_TIMEOUT = 90  # seconds for one tiny-model job, model loading included, on a slow 2-core machine


def seed_video() -> Video:
    return Video.objects.filter(transcript__source=Transcript.Source.SEED).order_by("slug").first()


def status_of(pk: int) -> Summary:
    return Summary.objects.select_related("job").get(pk=pk)


def wait_status(pk, statuses, worker, timeout=JOB_TIMEOUT) -> Summary:
    statuses = {statuses} if isinstance(statuses, str) else set(statuses)
    return wait_for(lambda: (s := status_of(pk)).status in statuses and s, timeout,
                    f"summary {pk} to be {'/'.join(statuses)}", on_timeout=lambda: f" (is {status_of(pk).status}){worker.tail()}")


def wait_generating(pk, worker) -> Summary:
    return wait_for(
        lambda: (s := status_of(pk)).status == "running" and (s.job.progress or {}).get("stage") == "generating" and s.job.worker_pid and s,
        JOB_TIMEOUT, f"summary {pk} to be generating", on_timeout=worker.tail,
    )


def assert_stored_once(summary: Summary) -> None:
    assert summary.status == "done", summary.job.error_message
    assert summary.data and summary.result.raw_output
    assert SummaryGeneralTopic.objects.filter(summary=summary).count() == summary.template.general_topics_count
    assert summary.metrics.get("output_tokens") and summary.metrics.get("prompt_tokens")
    assert summary.is_current


async def test_queued_to_done_with_live_events(seeded, tiny_model_dir, start_worker):
    user = await database_sync_to_async(UserFactory)()
    await database_sync_to_async(_grant)(user, "view_summary")
    video = await database_sync_to_async(seed_video)()
    summary = await database_sync_to_async(jobs.summary_submit)(video=video, model_id=tiny_model_dir, user=user)

    comm = WebsocketCommunicator(application, f"/ws/summaries/{summary.pk}/", headers=await _headers(user))
    assert (await comm.connect(timeout=10))[0]
    worker = await asyncio.to_thread(start_worker)  # after the snapshot, so "queued" is certain to be seen
    stages = []
    while True:
        msg = await comm.receive_json_from(timeout=JOB_TIMEOUT)
        if msg["type"] in ("snapshot", "progress") and (not stages or stages[-1] != msg["stage"]):
            stages.append(msg["stage"])
        if msg.get("status") in ("done", "failed", "cancelled"):
            break
    await comm.disconnect()
    assert msg["status"] == "done", (msg, worker.tail())
    assert stages[0] == "queued"
    assert stages.index("queued") < stages.index("generating") < stages.index("done") == len(stages) - 1
    assert "validating" in stages
    stored = await database_sync_to_async(status_of)(summary.pk)
    await database_sync_to_async(assert_stored_once)(stored)
    assert stored.job.attempts == 1 and stored.model_id == tiny_model_dir
    assert stored.job.progress["status"] == "done"


def _grant(user, codename):
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(content_type__app_label="videos", codename=codename))


async def _headers(user):
    def cookie():
        client = Client()
        client.force_login(user)
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    value = await database_sync_to_async(cookie)()
    return [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1"),
            (b"cookie", f"{settings.SESSION_COOKIE_NAME}={value}".encode())]


def test_child_killed_mid_generation_runs_again_and_is_stored_once(seeded, tiny_model_dir, start_worker):
    worker = start_worker()
    summary = jobs.summary_submit(video=seed_video(), model_id=tiny_model_dir)
    running = wait_generating(summary.pk, worker)
    os.kill(running.job.worker_pid, signal.SIGKILL)  # the prefork child that runs the job
    # The main process requeues the job at once (reject_on_worker_lost); a new child runs it.
    done = wait_status(summary.pk, ["done", "failed"], worker)
    assert_stored_once(done)
    assert done.job.attempts == 2 and done.job.worker_pid != running.job.worker_pid

    # A duplicate message (as a late redelivery would be) finds it done and returns.
    generate_summary.apply_async(args=[summary.pk])
    wait_for(lambda: not redis_client().llen("gpu") and not redis_client().hlen("unacked"), 30,
             "the duplicate message to be consumed", on_timeout=worker.tail)
    again = status_of(summary.pk)
    assert (again.job.attempts, again.finished_at, again.result.raw_output) == (2, done.finished_at, done.result.raw_output)
    assert SummaryGeneralTopic.objects.filter(summary=again).count() == again.template.general_topics_count


def test_whole_worker_killed_then_restarted_recovers_at_once(seeded, tiny_model_dir, start_worker):
    first = start_worker()
    summary = jobs.summary_submit(video=seed_video(), model_id=tiny_model_dir)
    wait_generating(summary.pk, first)
    first.kill()  # main process and child: the message stays unacknowledged in Redis
    assert status_of(summary.pk).status == "running"
    # Redis would redeliver only after the visibility timeout (most of an hour);
    # the new worker's start-up sweep requeues the job at once.
    second = start_worker(name=first.name)
    done = wait_status(summary.pk, ["done", "failed"], second)
    assert_stored_once(done)
    assert done.job.attempts == 2


def test_a_job_that_keeps_killing_its_worker_fails_and_the_queue_goes_on(seeded, tiny_model_dir, start_worker):
    poisoned_video = Video.objects.create(youtube_id="poison00001", url="https://www.youtube.com/watch?v=poison00001")
    Transcript.objects.create(video=poisoned_video, source=Transcript.Source.UPLOAD,
                              full_text="A lecture about hash tables. POISON-PILL and b-trees.")
    poisoned = jobs.summary_submit(video=poisoned_video, model_id=tiny_model_dir)
    behind = jobs.summary_submit(video=seed_video(), model_id=tiny_model_dir)
    worker = start_worker(app="tests.worker.crashing_app",
                          env={"CRASH_ON_TRANSCRIPT_MARKER": "POISON-PILL", "SUMMARY_MAX_ATTEMPTS": "2"})
    failed = wait_status(poisoned.pk, ["failed", "done"], worker)
    assert failed.status == "failed", worker.tail()
    assert failed.job.error_code == "worker_died"
    assert failed.job.error_message == "the worker died 2 times while generating this summary"
    assert failed.job.attempts == 2 and failed.data is None
    assert not SummaryGeneralTopic.objects.filter(summary=failed).exists()
    done = wait_status(behind.pk, ["done", "failed"], worker)
    assert_stored_once(done)
    assert done.job.attempts == 1
