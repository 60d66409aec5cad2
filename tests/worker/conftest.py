"""Fixtures for the worker, progress and websocket tests.

The real pieces are used: the channels-redis layer and the Celery broker on the
Redis that the launcher started (REDIS_URL), and real Celery workers started as
subprocesses. A worker sees the test database by name, so with SQLite the test
database is a file here (pytest-django's default would be in-memory, invisible
to another process); PostgreSQL's `test_<name>` database is reachable as it is.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connections

REPO_ROOT = Path(__file__).resolve().parents[2]

_db = connections["default"].settings_dict
if _db["ENGINE"] == "django.db.backends.sqlite3" and not (_db.get("TEST") or {}).get("NAME"):
    _db.setdefault("TEST", {})["NAME"] = str(Path(tempfile.mkdtemp(prefix="summarizer-testdb-")) / "test.sqlite3")


def pytest_collection_modifyitems(config, items):
    if not os.environ.get("REDIS_URL"):
        skip = pytest.mark.skip(reason="needs Redis: run through `python -m summarizer_site.launcher test`")
        for item in items:
            if "tests/worker" in str(item.fspath):
                item.add_marker(skip)


def database_url() -> str:
    """The URL of the test database, for a subprocess."""
    d = connections["default"].settings_dict
    if d["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{d['NAME']}"
    auth = quote(d.get("USER") or "")
    if d.get("PASSWORD"):
        auth += ":" + quote(d["PASSWORD"])
    return f"postgres://{auth}@{d.get('HOST') or '127.0.0.1'}:{d.get('PORT') or 5432}/{d['NAME']}"


def redis_client():
    import redis

    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def purge_gpu_queue() -> None:
    """Drop messages other tests left in the broker (they name summaries of other databases)."""
    r = redis_client()
    keys = [k for k in r.keys("gpu*")] + [b"unacked", b"unacked_index"]
    r.delete(*keys)


def wait_for(predicate, timeout: float, what: str, interval: float = 0.2, on_timeout=None):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            extra = on_timeout() if on_timeout else ""
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{extra}")
        time.sleep(interval)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> str:
    """A random-weight Llama with the real SmolLM2 tokenizer, saved like any local
    model folder, so the worker goes through the real loading path."""
    from inference.testing import gguf_tokenizer, tiny_model

    path = tmp_path_factory.mktemp("tiny-model")
    tokenizer = gguf_tokenizer()
    # Long enough for the reference template's two examples plus a seed transcript.
    model = tiny_model(tokenizer, max_positions=16384)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


class Worker:
    """A real `celery worker` subprocess on queue gpu, one prefork child."""

    def __init__(self, log_dir: Path, *, app: str = "summarizer_site", name: str | None = None, env: dict | None = None):
        self.name = name or f"gpu-test-{uuid.uuid4().hex[:8]}@{os.uname().nodename}"
        self.app = app
        self.extra_env = env or {}
        self.log_path = log_dir / f"worker-{uuid.uuid4().hex[:6]}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, ready_timeout: float = 90) -> "Worker":
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": os.environ["REDIS_URL"],
            "PYTHONUNBUFFERED": "1",
            "TOKENIZERS_PARALLELISM": "false",
            **self.extra_env,
        }
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", self.app, "worker", "-Q", "gpu", "--pool", "prefork",
             "--concurrency", "1", "--hostname", self.name, "--without-mingle", "--without-gossip", "-l", "INFO"],
            env=env, cwd=REPO_ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        wait_for(lambda: b" ready." in self.log_path.read_bytes() or self.proc.poll() is not None,
                 ready_timeout, f"worker {self.name} to start", on_timeout=self.tail)
        assert self.proc.poll() is None, f"worker exited with {self.proc.returncode}{self.tail()}"
        return self

    def tail(self, n: int = 4000) -> str:
        try:
            return "\n--- worker log ---\n" + self.log_path.read_bytes()[-n:].decode(errors="replace")
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL the whole worker: main process and child, as a crash or OOM kill would."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        try:  # children left behind by a killed main process
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, TypeError, AttributeError):
            pass
        if getattr(self, "log", None):
            self.log.close()


@pytest.fixture
def start_worker(transactional_db, tmp_path):
    """Start workers (stopped at teardown, before the database is flushed)."""
    purge_gpu_queue()
    workers: list[Worker] = []

    def start(**kwargs) -> Worker:
        worker = Worker(tmp_path, **kwargs).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
    purge_gpu_queue()


@pytest.fixture
def make_user(db):
    from django.contrib.auth.models import Permission

    from tests.videos.factories import UserFactory

    def make(*perms: str, **kwargs):
        user = UserFactory(**kwargs)
        for perm in perms:
            app_label, codename = perm.split(".")
            user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        return user

    return make
