"""The site's Celery app, for a test worker whose generation is slowed down
(`celery -A tests.worker.slow_app`): each check for cancellation between two
tokens also sleeps SLOW_TOKEN_SECONDS, so a tiny-model job lasts long enough
for a fault to be injected in its middle on any machine. Only tests load this
module."""

import os
import time

from summarizer_site.celery import app  # noqa: F401 - the app celery -A looks for

DELAY = float(os.environ.get("SLOW_TOKEN_SECONDS", "0.02"))


def _install() -> None:
    from inference.engine import Engine

    summarize = Engine.summarize

    def slow_summarize(self, spec, transcript, config=None, progress=None, should_cancel=None):
        def slow_cancel_check():
            time.sleep(DELAY)
            return bool(should_cancel and should_cancel())

        return summarize(self, spec, transcript, config=config, progress=progress, should_cancel=slow_cancel_check)

    Engine.summarize = slow_summarize


_install()
