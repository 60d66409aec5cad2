"""The site's Celery app, for a test worker whose generation kills its own
process for one poisoned transcript (`celery -A tests.worker.crashing_app`).

The crash is an os._exit inside generation (after the first progress report):
what a segfault or an out-of-memory kill does to a worker child. Only tests
load this module; production code has no such hook.
"""

import os

from summarizer_site.celery import app  # noqa: F401 - the app celery -A looks for

MARKER = os.environ.get("CRASH_ON_TRANSCRIPT_MARKER", "")


def _install() -> None:
    from inference.engine import Engine

    summarize = Engine.summarize

    def crashing_summarize(self, spec, transcript, config=None, progress=None, should_cancel=None):
        # The transcript is plain text or, when it has times, a list of cues.
        text = transcript if isinstance(transcript, str) else " ".join(c.text for c in transcript)
        if MARKER and MARKER in text:
            def die(*args):  # (tokens, budget, text, part, parts)
                if progress is not None:
                    progress(*args)
                os._exit(1)

            return summarize(self, spec, transcript, config=config, progress=die, should_cancel=should_cancel)
        return summarize(self, spec, transcript, config=config, progress=progress, should_cancel=should_cancel)

    Engine.summarize = crashing_summarize


_install()
