"""Celery tasks: a few lines each; the work is in services.

Reliability, and why each piece is there (settings in summarizer_site/settings.py):
- acks_late + reject_on_worker_lost: the message is acknowledged only after the
  task ran, so a job whose worker process dies goes back to the queue. That is
  safe because the task is idempotent: summary_run locks the row and returns
  when the summary is already done/failed/cancelled or is running in a live
  process.
- prefetch multiplier 1 and concurrency 1: a worker holds one job, never a
  second one in reserve that another (idle) worker could be running.
- soft time limit: SoftTimeLimitExceeded is raised inside the generation, which
  then ends failed ("time_limit") cleanly; the hard limit kills a child stuck
  in native code, and on_failure below (run by the worker's main process)
  marks the summary failed.
- broker visibility timeout > hard limit: Redis redelivers an unacknowledged
  message only after it, so a job still running is never started twice.
- attempts on the row: every start counts; a redelivered job whose summary is
  running with a dead owner and SUMMARY_MAX_ATTEMPTS starts spent ends failed
  ("the worker died N times ...") instead of killing workers forever.
- the start-up sweep (worker_ready): jobs left running by a dead worker go back
  to the queue at once instead of after the visibility timeout.
"""

from __future__ import annotations

import logging
import os

from celery import Task, shared_task
from celery.exceptions import TimeLimitExceeded
from celery.signals import worker_ready
from django.conf import settings
from django.db import close_old_connections, connections

from .ingest.fetch_errors import FetchError
from .services import ingestion, jobs

log = logging.getLogger(__name__)


class SummaryTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Celery calls this in the worker's main process when the hard time
        # limit killed the child; the summary would otherwise stay "running".
        if isinstance(exc, TimeLimitExceeded) and args:
            close_old_connections()
            jobs.summary_fail_timed_out(summary_id=args[0])


@shared_task(
    bind=True,
    name="videos.tasks.generate_summary",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.SUMMARY_SOFT_TIME_LIMIT,
    time_limit=settings.SUMMARY_HARD_TIME_LIMIT,
    base=SummaryTask,
)
def generate_summary(self, summary_id: int) -> None:
    jobs.summary_run(
        summary_id=summary_id, task_id=self.request.id or "", hostname=self.request.hostname or "", pid=os.getpid()
    )


@shared_task(
    bind=True,
    name="videos.tasks.fetch_transcript",
    acks_late=True,
    # The one retry policy for transcripts. The service raises FetchError only
    # for a retryable failure (a blocked request, a network error) while
    # retries remain; Celery then sends the task again after 2, 4, 8, ... s
    # (at most 60), each wait drawn at random below that bound so the videos
    # of one paste, blocked together, do not all come back at the same moment.
    autoretry_for=(FetchError,),
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=settings.YOUTUBE_MAX_RETRIES,
)
def fetch_transcript_task(self, video_id: int, queue_summary: bool = True) -> None:
    """One attempt at a video's YouTube captions. The last allowed attempt
    stores a failure instead of raising, so the video never stays "fetching".
    queue_summary is off for a video added past a queue cap (services.queue_caps)."""
    ingestion.transcript_fetch(
        video_id=video_id, attempt=self.request.retries + 1, retry=self.request.retries < self.max_retries,
        queue_summary=queue_summary,
    )


def _consumes_gpu_queue(consumer) -> bool:
    try:
        return any(q.name == "gpu" for q in consumer.task_consumer.queues)
    except AttributeError:  # no consumer details: sweep, as a lone worker would
        return True


@worker_ready.connect
def sweep_orphaned_summaries(sender=None, **kwargs):
    hostname = getattr(sender, "hostname", "") or ""
    if sender is not None and not _consumes_gpu_queue(sender):
        return  # only generation workers own summaries
    try:
        requeued = jobs.summary_sweep_orphans(hostname=hostname)
        if requeued:
            log.warning("start-up sweep: summaries %s were left running by a dead worker; queued again", requeued)
    except Exception:
        log.exception("start-up sweep failed")
    finally:
        # The pool's next children are forked from this process: hand them no open connection.
        connections.close_all()
