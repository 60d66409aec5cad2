"""The catalogue's shared cache of rendered pages.

Every entry is keyed by the catalogue's *generation*, a counter in Django's
default cache (Redis whenever REDIS_URL is set, so the web processes and the
workers share it). A write that changes what the catalogue shows (a summary
stored or made current, a video or template edited, anything deleted) calls
`invalidate()`, which moves the counter on: every entry of the old generation
is unreachable at once and expires on its own. Nothing is served from a
generation older than the last committed change, so the cache is exact rather
than "at most N seconds stale"; the TTL only bounds the memory an unused entry
holds.

The cache is an optimisation, never a dependency: when Redis cannot be
reached, reads miss, writes are dropped, and the catalogue is computed from
the database as it would be without a cache.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

log = logging.getLogger(__name__)

GENERATION_KEY = "catalogue:generation"


def enabled() -> bool:
    return settings.CATALOGUE_CACHE_SECONDS > 0


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
    except Exception as exc:  # the cache backend's own errors (redis ConnectionError, TimeoutError…)
        log.warning("catalogue cache unavailable (%s); computing without it", exc)
        return None


def _start() -> None:
    """First use, or the counter was lost (a Redis restart, an eviction): start from the
    clock in milliseconds, above any generation used before, so that an entry that
    outlived the counter is never read again. add() keeps a concurrent start from
    going back to an older number."""
    cache.add(GENERATION_KEY, time.time_ns() // 1_000_000, timeout=None)


def advance() -> None:
    """Move the generation on now."""
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
    belongs to the first of them and is never read."""
    advance()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(advance)


def key(kind: str, gen: int, *parts: Any) -> str:
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"catalogue:{kind}:{gen}:{digest}"


def get(kind: str, gen: int | None, *parts: Any) -> Any:
    if gen is None:
        return None
    try:
        return cache.get(key(kind, gen, *parts))
    except Exception as exc:
        log.warning("catalogue cache unavailable (%s); computing without it", exc)
        return None


def put(kind: str, gen: int | None, value: Any, *parts: Any) -> None:
    if gen is None:
        return
    try:
        cache.set(key(kind, gen, *parts), value, settings.CATALOGUE_CACHE_SECONDS)
    except Exception as exc:
        log.warning("catalogue cache unavailable (%s); result not stored", exc)
