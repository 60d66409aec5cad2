"""Fetch YouTube transcripts with youtube-transcript-api 1.x.

:func:`fetch_transcript` is the entry point: one attempt, no retries. It
never raises a library exception: every failure becomes a
:class:`~videos.ingest.fetch_errors.FetchError` that says whether trying again
later can help; the caller (the Celery task) owns the retry policy.

Transcript choice: among the preferred languages (in order) a manually
created transcript wins over a generated one; if none of the preferred
languages exists, any manual transcript is used, then any generated one, and
the result says so (``fallback`` / ``note``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import requests
from youtube_transcript_api import YouTubeTranscriptApi
from youtube_transcript_api import _errors as yta_errors
from youtube_transcript_api.proxies import GenericProxyConfig

from .fetch_errors import UPLOAD_HINT, FetchError, ForbiddenHostError, error_from_exception
from .types import Segment, join_segments, normalize_text
from .urls import is_valid_video_id

__all__ = [
    "FetchSettings",
    "FetchedTranscript",
    "YouTubeSession",
    "TranscriptClient",
    "get_client",
    "reset_client_cache",
    "fetch_transcript",
]

Source = Literal["youtube_manual", "youtube_generated"]


@dataclass(frozen=True)
class FetchSettings:
    """Fetch configuration. The Django settings (``YOUTUBE_*``) are read once,
    in summarizer_site/settings.py, and passed in by videos/ingestion.py."""

    languages: tuple[str, ...] = ("en",)
    timeout: float = 20.0
    proxy_http: str | None = None
    proxy_https: str | None = None

    def __post_init__(self) -> None:
        languages = self.languages
        if isinstance(languages, str):
            languages = (languages,)
        languages = tuple(code.strip() for code in languages if code and code.strip())
        if not languages:
            raise ValueError("FetchSettings.languages must name at least one language code")
        object.__setattr__(self, "languages", languages)
        object.__setattr__(self, "proxy_http", self.proxy_http or None)
        object.__setattr__(self, "proxy_https", self.proxy_https or None)
        if not self.timeout or self.timeout <= 0:
            raise ValueError("FetchSettings.timeout must be a positive number of seconds")

    @property
    def uses_proxy(self) -> bool:
        return bool(self.proxy_http or self.proxy_https)

    def proxy_config(self) -> GenericProxyConfig | None:
        if not self.uses_proxy:
            return None
        return GenericProxyConfig(http_url=self.proxy_http, https_url=self.proxy_https)


@dataclass
class FetchedTranscript:
    video_id: str
    source: Source
    language_code: str
    language: str
    segments: list[Segment]
    full_text: str
    fallback: bool = False  # True when none of the preferred languages was available
    note: str = ""  # user-facing remark, e.g. about the language fallback


# --------------------------------------------------------------------------
# HTTP session: default timeout, YouTube hosts only.


def _is_youtube_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host == "youtube.com" or host.endswith(".youtube.com")


class YouTubeSession(requests.Session):
    """A ``requests.Session`` that applies a default timeout to every request
    (youtube-transcript-api sets none) and refuses to contact, or be
    redirected to, any host other than youtube.com and its subdomains."""

    def __init__(self, timeout: float):
        super().__init__()
        self.default_timeout = timeout

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        # Pass the configured proxies per request: requests lets HTTP(S)_PROXY
        # environment variables override Session.proxies otherwise.
        if self.proxies and not kwargs.get("proxies"):
            kwargs["proxies"] = dict(self.proxies)
        return super().request(method, url, *args, **kwargs)

    def send(self, request, **kwargs):  # type: ignore[override]
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https") or not _is_youtube_host(parts.hostname or ""):
            raise ForbiddenHostError(f"refusing to contact {parts.hostname!r}: not a YouTube host")
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().send(request, **kwargs)


@dataclass
class TranscriptClient:
    """The library API object and the session it uses (one per thread and settings)."""

    api: YouTubeTranscriptApi
    session: YouTubeSession
    settings: FetchSettings


_local = threading.local()


def _cache() -> dict:
    cache = getattr(_local, "clients", None)
    if cache is None:
        cache = _local.clients = {}
    return cache


def get_client(settings: FetchSettings) -> TranscriptClient:
    """The thread's client for ``settings``; the library API is not thread safe."""
    cache = _cache()
    client = cache.get(settings)
    if client is None:
        session = YouTubeSession(timeout=settings.timeout)
        api = YouTubeTranscriptApi(proxy_config=settings.proxy_config(), http_client=session)
        client = cache[settings] = TranscriptClient(api, session, settings)
    return client


def reset_client_cache(settings: FetchSettings | None = None) -> None:
    """Forget this thread's client for ``settings`` (all clients if ``None``)."""
    cache = _cache()
    clients = list(cache.values()) if settings is None else [cache.get(settings)]
    for client in clients:
        if client is not None:
            client.session.close()
            cache.pop(client.settings, None)


# --------------------------------------------------------------------------
# Fetching.


def _choose_transcript(transcript_list, languages: tuple[str, ...]):
    """Return (transcript, fallback)."""
    for finder in (transcript_list.find_manually_created_transcript, transcript_list.find_generated_transcript):
        try:
            return finder(list(languages)), False
        except yta_errors.NoTranscriptFound:
            pass
    available = list(transcript_list)
    for transcript in available:
        if not transcript.is_generated:
            return transcript, True
    for transcript in available:
        return transcript, True
    raise yta_errors.NoTranscriptFound(transcript_list.video_id, list(languages), transcript_list)


def _fetch_once(video_id: str, settings: FetchSettings) -> FetchedTranscript:
    client = get_client(settings)
    transcript_list = client.api.list(video_id)
    transcript, fallback = _choose_transcript(transcript_list, settings.languages)
    fetched = transcript.fetch()
    segments = []
    for snippet in fetched.snippets:
        text = normalize_text(snippet.text)
        if text:
            segments.append(Segment(start=float(snippet.start), duration=float(snippet.duration), text=text))
    if not segments:
        raise FetchError(
            "empty_transcript", "YouTube returned an empty transcript for this video.", False, UPLOAD_HINT,
            video_id=video_id,
        )
    source: Source = "youtube_generated" if transcript.is_generated else "youtube_manual"
    note = ""
    if fallback:
        kind = "auto-generated" if transcript.is_generated else "manually created"
        wanted = ", ".join(settings.languages)
        note = (
            f"No transcript in the preferred language(s) ({wanted}); "
            f"used the {kind} {transcript.language} ({transcript.language_code}) transcript instead."
        )
    return FetchedTranscript(
        video_id=video_id,
        source=source,
        language_code=transcript.language_code,
        language=transcript.language,
        segments=segments,
        full_text=join_segments(segments),
        fallback=fallback,
        note=note,
    )


def fetch_transcript(video_id: str, settings: FetchSettings | None = None) -> FetchedTranscript:
    """Fetch the transcript of ``video_id`` (an 11 character id, not a URL) in
    one attempt; raise :class:`FetchError` on any failure."""
    settings = settings or FetchSettings()
    if not is_valid_video_id(video_id):
        raise FetchError(
            "invalid_video_id", "This is not a valid YouTube video id.", False,
            "Check the URL or video id.", video_id=str(video_id),
        )
    try:
        return _fetch_once(video_id, settings)
    except FetchError:
        raise
    except Exception as exc:  # noqa: BLE001 - mapped below, else re-raised
        error = error_from_exception(exc, video_id, settings)
        if error is None:
            raise
    if error.retryable:
        # The next attempt gets a fresh session: a new connection and, behind
        # a rotating proxy, possibly a new exit address.
        reset_client_cache(settings)
    raise error
