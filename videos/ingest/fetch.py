"""Fetch YouTube transcripts with youtube-transcript-api 1.x.

:func:`fetch_transcript` is the entry point. It never raises a library
exception: every failure becomes a :class:`FetchError` with a short stable
``code`` (see :data:`FETCH_ERROR_CODES`), a message a user understands, a
``hint`` on what to do, and whether retrying can help. Retryable failures
(YouTube blocking us, HTTP 429/5xx, network errors) are retried with
exponential backoff up to ``FetchSettings.max_retries`` times.

Transcript choice: among the preferred languages (in order) a manually
created transcript wins over a generated one; if none of the preferred
languages exists, any manual transcript is used, then any generated one, and
the result says so (``fallback`` / ``note``).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Callable, Literal, Mapping
from urllib.parse import urlsplit
from xml.etree.ElementTree import ParseError as XMLParseError

import requests
from youtube_transcript_api import YouTubeTranscriptApi
from youtube_transcript_api import _errors as yta_errors
from youtube_transcript_api.proxies import GenericProxyConfig, InvalidProxyConfig

from .types import Segment, join_segments, normalize_text
from .urls import is_valid_video_id

__all__ = [
    "FETCH_ERROR_CODES",
    "FetchError",
    "FetchSettings",
    "FetchedTranscript",
    "ForbiddenHostError",
    "YouTubeSession",
    "TranscriptClient",
    "get_client",
    "reset_client_cache",
    "error_from_exception",
    "fetch_transcript",
]

log = logging.getLogger(__name__)

ENV_LANGUAGES = "YOUTUBE_LANGUAGES"
ENV_TIMEOUT = "YOUTUBE_TIMEOUT"
ENV_PROXY_HTTP = "YOUTUBE_PROXY_HTTP"
ENV_PROXY_HTTPS = "YOUTUBE_PROXY_HTTPS"
ENV_MAX_RETRIES = "YOUTUBE_MAX_RETRIES"

Source = Literal["youtube_manual", "youtube_generated"]

# code -> human label; usable as Django model choices: list(FETCH_ERROR_CODES.items())
FETCH_ERROR_CODES: dict[str, str] = {
    "transcripts_disabled": "Subtitles are disabled for this video",
    "no_transcript": "No transcript available",
    "empty_transcript": "The transcript is empty",
    "video_unavailable": "Video unavailable",
    "video_unplayable": "Video unplayable",
    "age_restricted": "Age-restricted video",
    "invalid_video_id": "Invalid video id",
    "request_blocked": "YouTube blocked the request",
    "too_many_requests": "Too many requests to YouTube",
    "po_token_required": "YouTube requires a PO token",
    "consent_failed": "YouTube cookie consent failed",
    "data_unparsable": "YouTube's answer could not be read",
    "not_translatable": "Transcript not translatable",
    "translation_unavailable": "Translation language not available",
    "cookie_error": "Cookie authentication failed",
    "proxy_config": "Invalid proxy settings",
    "proxy_error": "Proxy error",
    "timeout": "YouTube did not answer in time",
    "network": "Network error",
    "youtube_error": "YouTube request failed",
}

_UPLOAD_HINT = "Upload a subtitle file (.srt, .vtt, .txt or .json) for this video instead."
_PROXY_ENV = f"{ENV_PROXY_HTTP} / {ENV_PROXY_HTTPS}"


class FetchError(Exception):
    """A transcript could not be fetched. ``str(exc)`` is the user-facing message."""

    def __init__(
        self,
        code: str,
        message: str,
        retryable: bool,
        hint: str = "",
        *,
        video_id: str = "",
        detail: str = "",
        attempts: int = 1,
    ):
        if code not in FETCH_ERROR_CODES:
            raise ValueError(f"unknown fetch error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable
        self.hint = hint
        self.video_id = video_id
        self.detail = detail  # technical detail for logs, not for users
        self.attempts = attempts

    @property
    def label(self) -> str:
        return FETCH_ERROR_CODES[self.code]

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "message": self.message,
            "retryable": self.retryable,
            "hint": self.hint,
            "attempts": self.attempts,
        }

    def __repr__(self) -> str:
        return f"FetchError({self.code!r}, {self.message!r}, retryable={self.retryable}, attempts={self.attempts})"


@dataclass(frozen=True)
class FetchSettings:
    """Fetch configuration, passed in explicitly (see :meth:`from_env`).

    ``max_retries`` is the number of retries after the first attempt, so at
    most ``max_retries + 1`` attempts are made. The n-th retry waits
    ``backoff_base * 2 ** (n - 1)`` seconds, capped at ``max_backoff``.
    """

    languages: tuple[str, ...] = ("en",)
    timeout: float = 20.0
    proxy_http: str | None = None
    proxy_https: str | None = None
    max_retries: int = 3
    backoff_base: float = 2.0
    max_backoff: float = 60.0

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
        if self.max_retries < 0:
            raise ValueError("FetchSettings.max_retries must be 0 or more")
        if self.backoff_base < 0 or self.max_backoff < 0:
            raise ValueError("FetchSettings backoff values must be 0 or more")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "FetchSettings":
        """Read ``YOUTUBE_LANGUAGES`` (comma list), ``YOUTUBE_TIMEOUT`` (seconds),
        ``YOUTUBE_PROXY_HTTP``, ``YOUTUBE_PROXY_HTTPS`` and ``YOUTUBE_MAX_RETRIES``.
        Unset or empty variables keep the defaults."""
        env = os.environ if environ is None else environ
        kwargs: dict = {}
        languages = (env.get(ENV_LANGUAGES) or "").strip()
        if languages:
            kwargs["languages"] = tuple(part.strip() for part in languages.split(",") if part.strip())
        timeout = (env.get(ENV_TIMEOUT) or "").strip()
        if timeout:
            try:
                kwargs["timeout"] = float(timeout)
            except ValueError:
                raise ValueError(f"{ENV_TIMEOUT}={timeout!r} is not a number of seconds") from None
            if not kwargs["timeout"] > 0:
                raise ValueError(f"{ENV_TIMEOUT}={timeout!r} must be more than 0")
        retries = (env.get(ENV_MAX_RETRIES) or "").strip()
        if retries:
            try:
                kwargs["max_retries"] = int(retries)
            except ValueError:
                raise ValueError(f"{ENV_MAX_RETRIES}={retries!r} is not a whole number") from None
            if kwargs["max_retries"] < 0:
                raise ValueError(f"{ENV_MAX_RETRIES}={retries!r} must be 0 or more")
        kwargs["proxy_http"] = (env.get(ENV_PROXY_HTTP) or "").strip() or None
        kwargs["proxy_https"] = (env.get(ENV_PROXY_HTTPS) or "").strip() or None
        return cls(**kwargs)

    @property
    def uses_proxy(self) -> bool:
        return bool(self.proxy_http or self.proxy_https)

    def proxy_config(self) -> GenericProxyConfig | None:
        if not self.uses_proxy:
            return None
        return GenericProxyConfig(http_url=self.proxy_http, https_url=self.proxy_https)

    def backoff_delay(self, retry_number: int) -> float:
        """Seconds to wait before retry number ``retry_number`` (1-based)."""
        return min(self.max_backoff, self.backoff_base * (2 ** (retry_number - 1)))


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
    attempts: int = 1

    @property
    def is_generated(self) -> bool:
        return self.source == "youtube_generated"


# --------------------------------------------------------------------------
# HTTP session: default timeout, YouTube hosts only.


class ForbiddenHostError(requests.exceptions.InvalidURL):
    """Raised instead of contacting a host that is not YouTube's."""


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
# Error mapping.


def _blocked_message(settings: FetchSettings) -> tuple[str, str]:
    if settings.uses_proxy:
        return (
            "YouTube is blocking transcript requests even through the configured proxy.",
            f"{_UPLOAD_HINT} Or try another proxy (residential proxies work best) in {_PROXY_ENV}.",
        )
    return (
        "YouTube is blocking transcript requests from this server "
        "(it often does so for cloud and data-centre IP addresses).",
        f"{_UPLOAD_HINT} Or route requests through a proxy by setting {_PROXY_ENV}.",
    )


def _unplayable_message(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or "no reason given"
    subs = [s for s in (getattr(exc, "sub_reasons", None) or []) if s]
    text = f"YouTube says the video cannot be played: {reason}"
    if subs:
        text += " (" + "; ".join(subs) + ")"
    return text


def _http_status(exc: Exception) -> int | None:
    context = exc.__context__ or exc.__cause__
    response = getattr(context, "response", None)
    status = getattr(response, "status_code", None)
    if isinstance(status, int):
        return status
    reason = getattr(exc, "reason", "") or ""
    head = str(reason)[:3]
    return int(head) if head.isdigit() else None


def _request_failed(exc: Exception, settings: FetchSettings) -> tuple[str, str, bool, str]:
    status = _http_status(exc)
    if status == 429:
        message, hint = _blocked_message(settings)
        return ("too_many_requests", "YouTube answered 'too many requests' (HTTP 429). " + message, True, hint)
    if status is not None and status >= 500:
        return ("youtube_error", f"YouTube had a server error (HTTP {status}).", True, "Try again later.")
    shown = f" (HTTP {status})" if status else ""
    return ("youtube_error", f"The request to YouTube failed{shown}.", False, "Try again later, or " + _UPLOAD_HINT[0].lower() + _UPLOAD_HINT[1:])


# Library exception class -> (code, message, retryable, hint), or a callable
# (exc, settings) -> that tuple. Every class in youtube_transcript_api._errors
# has its own entry (a test checks this); lookup follows the MRO.
_Entry = tuple[str, str, bool, str]
_ERROR_TABLE: dict[type, _Entry | Callable[[Exception, FetchSettings], _Entry]] = {
    yta_errors.TranscriptsDisabled: (
        "transcripts_disabled", "Subtitles are turned off for this video, so there is no transcript to fetch.",
        False, _UPLOAD_HINT),
    yta_errors.NoTranscriptFound: (
        "no_transcript", "This video has no transcript in any language.", False, _UPLOAD_HINT),
    yta_errors.VideoUnavailable: (
        "video_unavailable", "This video is not available on YouTube (it may be private or deleted).",
        False, "Check the URL or video id."),
    yta_errors.InvalidVideoId: (
        "invalid_video_id", "This is not a valid YouTube video id.", False, "Check the URL or video id."),
    yta_errors.VideoUnplayable: lambda exc, settings: (
        "video_unplayable", _unplayable_message(exc), False, _UPLOAD_HINT),
    yta_errors.AgeRestricted: (
        "age_restricted", "This video is age-restricted; YouTube only shows its transcript to signed-in users.",
        False, _UPLOAD_HINT),
    yta_errors.IpBlocked: lambda exc, settings: (
        "too_many_requests",
        "YouTube has temporarily blocked this server for making too many requests. " + _blocked_message(settings)[0],
        True, _blocked_message(settings)[1]),
    yta_errors.RequestBlocked: lambda exc, settings: (
        "request_blocked", _blocked_message(settings)[0], True, _blocked_message(settings)[1]),
    yta_errors.YouTubeRequestFailed: _request_failed,
    yta_errors.PoTokenRequired: (
        "po_token_required",
        "YouTube requires a proof-of-origin token for this transcript, which this server cannot provide.",
        False, _UPLOAD_HINT),
    yta_errors.FailedToCreateConsentCookie: (
        "consent_failed",
        "YouTube showed its cookie consent page and it could not be accepted automatically.",
        False, f"{_UPLOAD_HINT} A proxy outside the EU ({_PROXY_ENV}) avoids the consent page."),
    yta_errors.YouTubeDataUnparsable: (
        "data_unparsable",
        "YouTube's page could not be read; YouTube may have changed it.",
        False, f"{_UPLOAD_HINT} Updating youtube-transcript-api may help."),
    yta_errors.NotTranslatable: (
        "not_translatable", "This transcript cannot be translated.", False, _UPLOAD_HINT),
    yta_errors.TranslationLanguageNotAvailable: (
        "translation_unavailable", "The transcript cannot be translated into that language.", False, _UPLOAD_HINT),
    yta_errors.CookiePathInvalid: (
        "cookie_error", "The YouTube cookie file could not be loaded.", False, "Check the cookie file path."),
    yta_errors.CookieInvalid: (
        "cookie_error", "The YouTube cookies are not valid (they may have expired).", False,
        "Export fresh cookies."),
    yta_errors.CookieError: (
        "cookie_error", "The YouTube cookies could not be used.", False, "Check the cookie settings."),
    yta_errors.CouldNotRetrieveTranscript: (
        "youtube_error", "The transcript could not be retrieved from YouTube.", False, _UPLOAD_HINT),
    yta_errors.YouTubeTranscriptApiException: (
        "youtube_error", "The transcript could not be retrieved from YouTube.", False, _UPLOAD_HINT),
    InvalidProxyConfig: (
        "proxy_config", "The proxy settings are not valid.", False, f"Check {_PROXY_ENV}."),
    # -- transport errors (requests) ------------------------------------
    ForbiddenHostError: (
        "youtube_error", "The transcript request was sent to a host that is not YouTube and was stopped.",
        False, _UPLOAD_HINT),
    requests.exceptions.ProxyError: (
        "proxy_error", "The proxy server could not be reached or refused the connection.",
        True, f"Check the proxy in {_PROXY_ENV}."),
    requests.exceptions.ConnectTimeout: lambda exc, settings: (
        "timeout", f"YouTube could not be reached within {settings.timeout:g} seconds.", True, "Try again later."),
    requests.exceptions.Timeout: lambda exc, settings: (
        "timeout", f"YouTube did not answer within {settings.timeout:g} seconds.", True, "Try again later."),
    requests.exceptions.JSONDecodeError: (
        "data_unparsable", "YouTube's answer could not be read; YouTube may have changed it.",
        False, _UPLOAD_HINT),
    requests.exceptions.TooManyRedirects: (
        "youtube_error", "YouTube redirected the request too many times.", False, _UPLOAD_HINT),
    requests.exceptions.ConnectionError: (
        "network", "YouTube could not be reached (network error).", True,
        "Check the server's internet connection, then try again."),
    requests.exceptions.ChunkedEncodingError: (
        "network", "The connection to YouTube broke off.", True, "Try again later."),
    requests.exceptions.RequestException: (
        "network", "The request to YouTube failed (network error).", True, "Try again later."),
    XMLParseError: (
        "data_unparsable", "YouTube's transcript data could not be read.", False, _UPLOAD_HINT),
}


def _detail(exc: BaseException) -> str:
    """A one-line technical description for logs."""
    try:
        text = getattr(exc, "cause", None) if isinstance(exc, yta_errors.CouldNotRetrieveTranscript) else None
        text = text or str(exc)
    except Exception:  # noqa: BLE001 - a broken __str__ must not hide the error
        text = ""
    first = next((line.strip() for line in str(text).splitlines() if line.strip()), "")
    return f"{type(exc).__name__}: {first[:300]}" if first else type(exc).__name__


def error_from_exception(exc: BaseException, video_id: str, settings: FetchSettings) -> FetchError | None:
    """Map a library / transport exception to a :class:`FetchError` (``None``
    if the exception is not one of those)."""
    for klass in type(exc).__mro__:
        entry = _ERROR_TABLE.get(klass)
        if entry is None:
            continue
        code, message, retryable, hint = entry(exc, settings) if callable(entry) else entry
        error = FetchError(
            code, message, retryable, hint,
            video_id=video_id, detail=_detail(exc),
        )
        error.__cause__ = exc
        return error
    return None


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
            "empty_transcript", "YouTube returned an empty transcript for this video.", False, _UPLOAD_HINT,
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


def fetch_transcript(
    video_id: str,
    settings: FetchSettings | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> FetchedTranscript:
    """Fetch the transcript of ``video_id`` (an 11 character id, not a URL).

    Retries retryable failures with exponential backoff (``sleep`` is called
    with each delay) and raises :class:`FetchError` - with ``attempts`` set -
    when the failure is final or the retry bound is reached.
    """
    settings = settings or FetchSettings()
    if not is_valid_video_id(video_id):
        raise FetchError(
            "invalid_video_id", "This is not a valid YouTube video id.", False,
            "Check the URL or video id.", video_id=str(video_id), attempts=0,
        )
    attempt = 0
    while True:
        attempt += 1
        try:
            result = _fetch_once(video_id, settings)
        except FetchError as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001 - mapped below, else re-raised
            error = error_from_exception(exc, video_id, settings)
            if error is None:
                raise
        else:
            result.attempts = attempt
            return result

        error.attempts = attempt
        if not error.retryable or attempt > settings.max_retries:
            log.info("transcript fetch for %s failed after %d attempt(s): %s (%s)",
                     video_id, attempt, error.code, error.detail)
            raise error
        delay = settings.backoff_delay(attempt)
        log.warning("transcript fetch for %s failed (%s), retry %d/%d in %.1fs",
                    video_id, error.code, attempt, settings.max_retries, delay)
        # A fresh session (new connection, possibly a new proxy exit IP) for the retry.
        reset_client_cache(settings)
        sleep(delay)
