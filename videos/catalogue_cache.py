"""The catalogue's shared cache: rendered result pages and overview charts.

Every cached entry is keyed by the catalogue's *generation*, a counter in
Django's default cache (Redis whenever REDIS_URL is set, so the web processes
and the workers share it). A write that changes what the catalogue shows
(a summary stored or made current, a video or template edited, anything
deleted) calls `invalidate()`, which moves the counter on: every entry of the
old generation is unreachable at once and expires on its own. Nothing is
ever served from a generation older than the last committed change, so the
cache is exact rather than "at most N seconds stale"; the TTL only bounds
the memory an unused entry holds.

The cache is an optimisation, never a dependency: when Redis cannot be
reached, reads miss, writes are dropped, and the catalogue is computed from
the database as it would be without a cache.

A new generation starts empty, and while summaries are being generated one
starts with every stored summary. So the pages the team asks for most are
computed again at once, in the background: every computed page is counted
(`note_asked`, a sorted set in Redis), and after each change a task on the
`default` queue (videos.tasks.warm_catalogue) computes the
CATALOGUE_WARM_PAGES most asked ones for the new generation, unless it has
moved on again by then.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

log = logging.getLogger(__name__)

GENERATION_KEY = "catalogue:generation"


def enabled() -> bool:
    return settings.CATALOGUE_CACHE_SECONDS > 0


def _get(key: str) -> Any:
    try:
        return cache.get(key)
    except Exception as exc:  # the cache backend's own errors (redis ConnectionError, TimeoutError…)
        log.warning("catalogue cache unavailable (%s); computing without it", exc)
        return None


def _set(key: str, value: Any, timeout: int) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception as exc:
        log.warning("catalogue cache unavailable (%s); result not stored", exc)


def generation() -> int | None:
    """The current generation, or None when the cache cannot be used (then nothing is cached)."""
    if not enabled():
        return None
    try:
        value = cache.get(GENERATION_KEY)
        if value is None:
            _start()
            value = cache.get(GENERATION_KEY)
        return int(value) if value is not None else None
    except Exception as exc:
        log.warning("catalogue cache unavailable (%s); computing without it", exc)
        return None


def _start() -> None:
    """First use, or the counter was lost (a Redis restart, an eviction): start from the
    clock in milliseconds, above any generation used before, so that an entry that
    outlived the counter is never read again. add() keeps a concurrent start from
    going back to an older number."""
    cache.add(GENERATION_KEY, time.time_ns() // 1_000_000, timeout=None)


def advance() -> None:
    """Move the generation on now (invalidate() also does it at commit)."""
    try:
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:  # no generation yet
            _start()
    except Exception as exc:
        # The entries of the current generation stay reachable until their TTL ends.
        log.warning("catalogue cache not invalidated (%s)", exc)


def invalidate() -> None:
    """Call after a write that changes what the catalogue shows.

    The counter moves now (so this process and the others stop using the old
    entries) and, inside a transaction, again when it commits: a page computed
    by another request between the two, from data that was not committed yet,
    belongs to the first of them and is never read. (Outside one, the write is
    already committed and once is enough.) Once the change is committed, the
    most asked pages are computed again in the background (schedule_warm).

    A transaction that makes many changes (a stored summary saves its video,
    topics and general topics) registers its commit callback once."""
    advance()
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        schedule_warm()
        return
    # run_on_commit: the callbacks this transaction will run (Django drops those of a
    # savepoint rolled back, so a later change in the transaction registers again).
    if not any(entry[1] is _advance_and_warm for entry in connection.run_on_commit):
        transaction.on_commit(_advance_and_warm)


def _advance_and_warm() -> None:
    advance()
    schedule_warm()


def key(kind: str, gen: int, *parts: Any) -> str:
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"catalogue:{kind}:{gen}:{digest}"


def get(kind: str, gen: int | None, *parts: Any) -> Any:
    if gen is None:
        return None
    return _get(key(kind, gen, *parts))


def put(kind: str, gen: int | None, value: Any, *parts: Any) -> None:
    if gen is not None:
        _set(key(kind, gen, *parts), value, settings.CATALOGUE_CACHE_SECONDS)


# --- the most asked pages, computed again after a change ---------------------------

ASKED_KEEP = 500  # the sorted set keeps this many queries, the most asked
_clients: dict[str, Any] = {}  # this process's Redis client, by URL


def _redis() -> redis.Redis | None:
    """The cache's Redis, for what Django's cache API lacks (a sorted set); None without one."""
    config = settings.CACHES["default"]
    if not config["BACKEND"].endswith("RedisCache"):
        return None
    url = config["LOCATION"]
    if _clients.get("url") != url:
        _clients.update(url=url, client=redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5))
    return _clients["client"]


def _asked_key() -> str:
    return cache.make_key("catalogue:asked")


def warming() -> bool:
    """Whether the most asked pages are counted and computed again after a change."""
    return enabled() and settings.CATALOGUE_WARM_PAGES > 0


def note_asked(query: str) -> None:
    """A page was computed for `query` (a query string, as canonical_query makes it).
    Counting computations rather than requests weighs a query by how many
    generations it was asked in, at one Redis call per computed page."""
    if not warming():
        return
    try:
        client = _redis()
        if client is not None:
            with client.pipeline(transaction=False) as pipe:
                pipe.zincrby(_asked_key(), 1, query)
                pipe.zremrangebyrank(_asked_key(), 0, -(ASKED_KEEP + 1))
                pipe.execute()
    except redis.RedisError as exc:
        log.warning("catalogue cache unavailable (%s); query not counted", exc)


def most_asked(n: int) -> list[str]:
    """The `n` most asked queries, most asked first."""
    try:
        client = _redis()
        if client is None or n <= 0:
            return []
        return [q.decode() for q in client.zrevrange(_asked_key(), 0, n - 1)]
    except redis.RedisError as exc:
        log.warning("catalogue cache unavailable (%s); nothing to warm", exc)
        return []


def schedule_warm() -> None:
    """Ask a worker to compute the most asked pages of the current generation, a moment
    from now (a burst of changes, a batch of stored summaries, ends in one warm-up)."""
    if not warming() or _redis() is None:
        return
    gen = generation()
    if gen is None:
        return
    from .tasks import warm_catalogue

    try:
        warm_catalogue.apply_async(args=[gen], countdown=settings.CATALOGUE_WARM_DELAY, retry=False)
    except Exception as exc:  # the broker's own errors: a write never fails for the cache's sake
        log.warning("catalogue warm-up not queued (%s)", exc)
