"""Measure the catalogue and the summary page under load, against a real server.

    DATABASE_URL=postgres://…/summarizer_bench python -m benchmarks.catalogue [--clients 20] [--requests 30]

Run it from the repository root. Fill the database first (`manage.py
make_synthetic_summaries 100000`). The script starts daphne itself as `bin/run`
does (a database connection pool), `--servers N` processes on consecutive ports
(default 2), each admitting `--concurrency` requests at a time
(HTTP_CONCURRENCY; default 1), the clients spread over them as a proxy would.
It logs a bench viewer in through a session cookie, warms up, then runs
`--clients` concurrent clients, each sending `--requests` requests per page kind
over a keep-alive connection:

- catalogue: two filters (a field and a complexity range) plus a search for a
  topic, drawn from the data (see catalogue_queries): `--queries` distinct
  queries, half common topics (among the 100 most frequent) and half
  mid-frequency ones (ranked 200 to 1,500); each request picks one, the k-th
  query 1/k as often as the first (some things are asked far more often);
- summary page: random current summaries.

The catalogue's result cache is on, as in production, unless `--no-cache`;
a page is a miss the first time its query is asked in a catalogue generation,
and again after any change to the catalogue. Each run starts on a new
generation. The warm-up (`--warmup` requests per client) asks the measured
queries, so the run sees a warm cache: the most asked pages cached, the rarer
ones first asked during the run. `--cold-cache` warms up with other queries
instead: every measured query is then asked for the first time during the run.
`--change-every SECONDS` changes the catalogue during the measured catalogue
run, as storing a summary does: every cached page is computed again when next
asked.

It reports, per page, p50 and p95 of the server time (admission to response,
from the Server-Timing header of summarizer_site.admission), of the server time
split by the cache's answer (hit, miss, off), of the time spent waiting for
admission, and of the latency the client saw (queueing included). The figures
are printed last, then ratios against baselines measured in the same run (the
summary page; a cached catalogue page), which the machine's speed cancels out of.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_USER = "bench-viewer"
_APP = re.compile(r"\bapp;dur=([0-9.]+)")
_QUEUE = re.compile(r"\bqueue;dur=([0-9.]+)")
_CACHE = re.compile(r"\bcache;desc=(\w+)")


@dataclass
class Samples:
    latency_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    queue_ms: list[float] = field(default_factory=list)
    # server time by the catalogue cache's answer: "hit", "miss" or "off"
    by_cache: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    errors: int = 0
    changes: int = 0  # times the catalogue changed during the run (--change-every)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, latency: float, timing: str) -> None:
        app, queue, cache = _APP.search(timing), _QUEUE.search(timing), _CACHE.search(timing)
        with self.lock:
            self.latency_ms.append(latency)
            if app:
                self.server_ms.append(float(app.group(1)))
                if cache:
                    self.by_cache[cache.group(1)].append(float(app.group(1)))
            if queue:
                self.queue_ms.append(float(queue.group(1)))


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def catalogue_queries(rng: random.Random, *, common: int = 6, mid: int = 6) -> list[tuple[str, str]]:
    """Typical "two filters plus a search" queries, drawn from the data: `common`
    topics among the 100 most frequent ones and `mid` among those ranked 200 to
    1,500 by how many summaries name them. Each query searches for the topic's
    name, filtered to the field its summaries most often have, within that
    field's usual complexity (its median for those summaries, +-0.2).
    Returns (label, path) pairs; the label says where the topic ranks."""
    from django.db.models import Count

    from videos.models import Summary, SummaryGeneralTopic, SummaryTopic, Topic

    total = Summary.objects.current().count()
    ranked = list(
        SummaryTopic.objects.values("topic_id").annotate(n=Count("summary_id", distinct=True)).order_by("-n", "topic_id")[:1500]
    )
    picks = [("common", i) for i in rng.sample(range(min(100, len(ranked))), min(common, len(ranked), 100))]
    if len(ranked) > 200:
        picks += [("mid", i) for i in rng.sample(range(200, len(ranked)), min(mid, len(ranked) - 200))]
    out = []
    for kind, i in picks:
        topic = Topic.objects.get(pk=ranked[i]["topic_id"])
        sample = SummaryTopic.objects.filter(topic=topic).order_by("-summary_id").values("summary_id")[:300]
        general = list(SummaryGeneralTopic.objects.filter(summary__in=sample).values_list("field", "complexity"))
        if not general:
            continue
        field_name = collections.Counter(f for f, _ in general).most_common(1)[0][0]
        levels = sorted(float(c) for f, c in general if f == field_name)
        median = levels[len(levels) // 2]
        lo, hi = max(0.0, round(median - 0.2, 2)), min(1.0, round(median + 0.2, 2))
        path = "/?" + urlencode({"field": field_name, "cmin": f"{lo:.2f}", "cmax": f"{hi:.2f}", "q": topic.name})
        label = f"{kind} topic #{i + 1} (in {100 * ranked[i]['n'] / max(1, total):.2f}% of summaries)"
        out.append((label, path))
    return out


def prepare(seed: int, *, queries: int) -> tuple[str, list[tuple[str, str]], list[tuple[str, str]], list[int], dict]:
    """Django side: a viewer session, the catalogue queries and some summary ids."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "summarizer_site.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection

    from videos.catalogue import cache
    from videos.models import Summary

    ids = list(Summary.objects.current().values_list("pk", flat=True).order_by("?")[:2000])
    if not ids:
        raise SystemExit("no summaries: run `manage.py make_synthetic_summaries 100000` first")
    # Staff: only staff responses say whether the result cache answered (cache;desc=).
    user, _ = get_user_model().objects.update_or_create(username=BENCH_USER, defaults={"is_staff": True})
    group, created = Group.objects.get_or_create(name="Viewers")
    if created:
        group.permissions.add(Permission.objects.get(content_type__app_label="videos", codename="view_summary"))
    user.groups.add(group)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()

    # A new catalogue generation: nothing an earlier run cached is served in this one (with
    # --cold-cache, a run right after another would otherwise find its queries cached).
    cache.advance()
    measured = catalogue_queries(random.Random(seed), common=queries // 2, mid=queries - queries // 2)
    # Other queries of the same kinds, for a warm-up that leaves the measured ones uncached (--cold-cache).
    others = [q for q in catalogue_queries(random.Random(seed + 1), common=queries // 2, mid=queries - queries // 2) if q not in measured]
    info = {
        "database": f"{connection.vendor} {settings.DATABASES['default'].get('NAME')}",
        "summaries": Summary.objects.current().count(),
        "conn_max_age": settings.DATABASES["default"].get("CONN_MAX_AGE"),
        "server": database_memory(),
    }
    return session.session_key, measured, others, ids, info


def database_memory() -> str:
    """On PostgreSQL, its buffer cache against what a search reads (the summary table's
    heap and its search index): when they do not fit, a broad search copies part of
    its pages in from the operating system's cache on every request."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('shared_buffers'), pg_size_pretty(pg_relation_size('videos_summary')), "
            "pg_size_pretty(pg_relation_size('summary_search_gin'))"
        )
        buffers, heap, index = cursor.fetchone()
    return f"shared_buffers {buffers}; summary heap {heap}, search index {index}"


def start_servers(n: int) -> tuple[list[subprocess.Popen], list[int]]:
    procs, ports = [], []
    # As `bin/run` starts daphne: with a database connection pool.
    env = {"DATABASE_POOL_SIZE": "8", **os.environ, "PYTHONUNBUFFERED": "1"}
    # As `bin/run` does: the production static storage needs its manifest.
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=BASE_DIR, env=env, check=True)
    for _ in range(n):
        port = free_port()
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "summarizer_site.asgi:application"],
                cwd=BASE_DIR, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
            )
        )
        ports.append(port)
    deadline = time.monotonic() + 60
    for proc, port in zip(procs, ports):
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    stop_servers(procs)
                    raise SystemExit(f"daphne on port {port} did not start")
                time.sleep(0.2)
    return procs, ports


def stop_servers(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def client(port: int, cookie: str, paths: list[str], samples: Samples, rng: random.Random) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Cookie": f"sessionid={cookie}", "Host": "127.0.0.1"}
    for path in paths:
        started = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            samples.errors += 1
            continue
        latency = (time.perf_counter() - started) * 1000
        if response.status != 200:
            samples.errors += 1
            continue
        samples.add(latency, response.getheader("Server-Timing") or "")
    conn.close()


def run(
    kind: str, make_path, *, clients: int, requests: int, ports: list[int], cookie: str, seed: int, change_every: float = 0
) -> Samples:
    samples = Samples()
    threads = []
    for c in range(clients):
        rng = random.Random(seed * 1000 + c)
        paths = [make_path(rng) for _ in range(requests)]
        port = ports[c % len(ports)]
        threads.append(threading.Thread(target=client, args=(port, cookie, paths, samples, rng), name=f"{kind}-{c}"))
    done = threading.Event()
    changer = threading.Thread(target=change_catalogue, args=(change_every, done, samples), name="changes") if change_every else None
    for t in threads:
        t.start()
    if changer:
        changer.start()
    for t in threads:
        t.join()
    done.set()
    if changer:
        changer.join()
    return samples


def change_catalogue(every: float, done: threading.Event, samples: Samples) -> None:
    """Every `every` seconds, move the catalogue generation on, as storing a summary or
    making one current does: every cached page is then computed again when next asked."""
    from videos.catalogue import cache

    while not done.wait(every):
        cache.invalidate()
        samples.changes += 1


def zipf_weights(n: int) -> list[float]:
    """Popularity of the n queries: the k-th most asked is asked 1/k as often as the first."""
    return [1 / (k + 1) for k in range(n)]


def describe(values: list[float]) -> str:
    return f"p50={percentile(values, 50):7.1f} ms p95={percentile(values, 95):7.1f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.catalogue", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=30, help="requests per client and page kind")
    parser.add_argument("--servers", type=int, default=2, help="daphne processes (clients spread over them)")
    parser.add_argument("--concurrency", type=int, default=1, help="HTTP_CONCURRENCY of each daphne process")
    parser.add_argument("--queries", type=int, default=40, help="distinct catalogue queries, half common topics, half mid-frequency")
    parser.add_argument("--no-cache", action="store_true", help="run with CATALOGUE_CACHE_SECONDS=0: every page computed")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up requests per client and page kind")
    parser.add_argument(
        "--cold-cache", action="store_true",
        help="warm up with other catalogue queries: the servers and the database are warm, but every measured "
        "query is asked for the first time during the run",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed for the query mix and the clients")
    parser.add_argument(
        "--change-every", type=float, default=0, metavar="SECONDS",
        help="during the measured catalogue run, change the catalogue every SECONDS as storing a summary does "
        "(every cached page is computed again); default: no change",
    )
    args = parser.parse_args(argv)

    if args.no_cache:
        os.environ["CATALOGUE_CACHE_SECONDS"] = "0"
    os.environ["HTTP_CONCURRENCY"] = str(args.concurrency)
    cookie, labelled, others, ids, info = prepare(args.seed, queries=args.queries)
    queries = [path for _, path in labelled]
    warm_queries = ([path for _, path in others] or queries) if args.cold_cache else queries
    weights = zipf_weights(len(queries))
    print(f"database: {info['database']}, {info['summaries']:,} current summaries, CONN_MAX_AGE={info['conn_max_age']}")
    if info["server"]:
        print(f"database memory: {info['server']}")
    print(f"catalogue queries ({len(queries)}, each request picks one, the k-th 1/k as often as the first):")
    for label, path in labelled:
        print(f"  {label}: {path}")
    procs, ports = start_servers(args.servers)
    try:
        pages = {
            "catalogue (2 filters + search)": lambda rng: rng.choices(queries, weights)[0],
            "summary page": lambda rng: f"/summaries/{rng.choice(ids)}/",
        }
        warm_pages = {**pages, "catalogue (2 filters + search)": lambda rng: rng.choices(warm_queries, weights[: len(warm_queries)])[0]}
        results = {}
        loads = [os.getloadavg()[0]]
        for i, (kind, make_path) in enumerate(pages.items()):
            run(kind, warm_pages[kind], clients=args.clients, requests=args.warmup, ports=ports, cookie=cookie, seed=99 + i)
            started = time.perf_counter()
            changes = args.change_every if kind.startswith("catalogue") else 0
            samples = run(
                kind, make_path, clients=args.clients, requests=args.requests, ports=ports, cookie=cookie, seed=i, change_every=changes
            )
            results[kind] = (samples, time.perf_counter() - started)
            loads.append(os.getloadavg()[0])
    finally:
        stop_servers(procs)

    print()
    print(
        f"{args.clients} concurrent clients, {args.servers} daphne process(es) admitting "
        f"{args.concurrency} request(s) at a time each, "
        f"catalogue cache {'off' if args.no_cache else 'on'}"
        f"{', measured queries first asked during the run' if args.cold_cache else ''}, "
        f"{info['summaries']:,} summaries on {info['database']}{' (' + info['server'] + ')' if info['server'] else ''}; "
        f"1-min load average {' -> '.join(f'{x:.2f}' for x in loads)} ({os.cpu_count()} CPUs; the bench itself adds to it)"
    )
    print("server = admission to response (Server-Timing app); queue = waiting for admission; latency = as the client saw it")
    for kind, (s, elapsed) in results.items():
        n = len(s.latency_ms)
        changed = f", the catalogue changed {s.changes} time(s) during the run" if s.changes else ""
        print(f"{kind:32s} n={n:5d} errors={s.errors}  {n / elapsed:6.1f} req/s over {elapsed:.1f} s{changed}")
        print(f"    server  {describe(s.server_ms)}" + (f"  (mean {statistics.fmean(s.server_ms):.1f} ms)" if s.server_ms else ""))
        for state, values in sorted(s.by_cache.items()):
            print(f"    server, cache {state:4s} ({len(values):4d} requests, {100 * len(values) / max(1, len(s.server_ms)):5.1f}%)  {describe(values)}")
        print(f"    queue   {describe(s.queue_ms)}")
        print(f"    latency {describe(s.latency_ms)}")
    print(ratios(results["catalogue (2 filters + search)"][0], results["summary page"][0]))
    return 0


def ratios(catalogue: Samples, page: Samples) -> str:
    """The catalogue against baselines measured in the same run (the machine's speed and
    load cancel out): the summary page, and a cached catalogue page."""
    def ratio(a: list[float], b: list[float], p: float) -> str:
        return f"{percentile(a, p) / percentile(b, p):.2f}x" if a and b else "n/a"

    line = (
        f"ratios in this run: catalogue server p50 {ratio(catalogue.server_ms, page.server_ms, 50)}, "
        f"p95 {ratio(catalogue.server_ms, page.server_ms, 95)} the summary page's"
    )
    hits, misses = catalogue.by_cache.get("hit"), catalogue.by_cache.get("miss")
    if hits and misses:
        line += f"; a computed catalogue page p50 {ratio(misses, hits, 50)}, p95 {ratio(misses, hits, 95)} a cached one's"
    return line


if __name__ == "__main__":
    raise SystemExit(main())
