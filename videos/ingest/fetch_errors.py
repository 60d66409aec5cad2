"""What can go wrong when fetching a transcript, in words a user understands.

Every library or transport exception is mapped to a :class:`FetchError` with a
short stable ``code`` (a key of :data:`FETCH_ERROR_CODES`), a message, a
``hint`` on what to do, and whether trying again later can help
(``retryable``). The retry policy itself is the caller's (the Celery task).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable
from xml.etree.ElementTree import ParseError as XMLParseError

import requests
from youtube_transcript_api import _errors as yta_errors
from youtube_transcript_api.proxies import InvalidProxyConfig

if TYPE_CHECKING:
    from .fetch import FetchSettings

__all__ = ["FETCH_ERROR_CODES", "FetchError", "ForbiddenHostError", "error_from_exception"]

# code -> human label
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

UPLOAD_HINT = "Upload a subtitle file (.srt, .vtt, .txt or .json) for this video instead."
_PROXY_ENV = "YOUTUBE_PROXY_HTTP / YOUTUBE_PROXY_HTTPS"


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

    def __reduce__(self):
        # Celery pickles the error it retries on; the default (message only)
        # would not rebuild it.
        return (type(self), (self.code, self.message, self.retryable, self.hint), self.__dict__)

    def __repr__(self) -> str:
        return f"FetchError({self.code!r}, {self.message!r}, retryable={self.retryable})"


class ForbiddenHostError(requests.exceptions.InvalidURL):
    """Raised instead of contacting a host that is not YouTube's."""


def _blocked_message(settings: FetchSettings) -> tuple[str, str]:
    if settings.uses_proxy:
        return (
            "YouTube is blocking transcript requests even through the configured proxy.",
            f"{UPLOAD_HINT} Or try another proxy (residential proxies work best) in {_PROXY_ENV}.",
        )
    return (
        "YouTube is blocking transcript requests from this server "
        "(it often does so for cloud and data-centre IP addresses).",
        f"{UPLOAD_HINT} Or route requests through a proxy by setting {_PROXY_ENV}.",
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
    return ("youtube_error", f"The request to YouTube failed{shown}.", False, "Try again later, or " + UPLOAD_HINT[0].lower() + UPLOAD_HINT[1:])


# Library exception class -> (code, message, retryable, hint), or a callable
# (exc, settings) -> that tuple. Every class in youtube_transcript_api._errors
# has its own entry (a test checks this); lookup follows the MRO.
_Entry = tuple[str, str, bool, str]
_ERROR_TABLE: dict[type, _Entry | Callable[[Exception, FetchSettings], _Entry]] = {
    yta_errors.TranscriptsDisabled: (
        "transcripts_disabled", "Subtitles are turned off for this video, so there is no transcript to fetch.",
        False, UPLOAD_HINT),
    yta_errors.NoTranscriptFound: (
        "no_transcript", "This video has no transcript in any language.", False, UPLOAD_HINT),
    yta_errors.VideoUnavailable: (
        "video_unavailable", "This video is not available on YouTube (it may be private or deleted).",
        False, "Check the URL or video id."),
    yta_errors.InvalidVideoId: (
        "invalid_video_id", "This is not a valid YouTube video id.", False, "Check the URL or video id."),
    yta_errors.VideoUnplayable: lambda exc, settings: (
        "video_unplayable", _unplayable_message(exc), False, UPLOAD_HINT),
    yta_errors.AgeRestricted: (
        "age_restricted", "This video is age-restricted; YouTube only shows its transcript to signed-in users.",
        False, UPLOAD_HINT),
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
        False, UPLOAD_HINT),
    yta_errors.FailedToCreateConsentCookie: (
        "consent_failed",
        "YouTube showed its cookie consent page and it could not be accepted automatically.",
        False, f"{UPLOAD_HINT} A proxy outside the EU ({_PROXY_ENV}) avoids the consent page."),
    yta_errors.YouTubeDataUnparsable: (
        "data_unparsable",
        "YouTube's page could not be read; YouTube may have changed it.",
        False, f"{UPLOAD_HINT} Updating youtube-transcript-api may help."),
    yta_errors.NotTranslatable: (
        "not_translatable", "This transcript cannot be translated.", False, UPLOAD_HINT),
    yta_errors.TranslationLanguageNotAvailable: (
        "translation_unavailable", "The transcript cannot be translated into that language.", False, UPLOAD_HINT),
    yta_errors.CookiePathInvalid: (
        "cookie_error", "The YouTube cookie file could not be loaded.", False, "Check the cookie file path."),
    yta_errors.CookieInvalid: (
        "cookie_error", "The YouTube cookies are not valid (they may have expired).", False,
        "Export fresh cookies."),
    yta_errors.CookieError: (
        "cookie_error", "The YouTube cookies could not be used.", False, "Check the cookie settings."),
    yta_errors.CouldNotRetrieveTranscript: (
        "youtube_error", "The transcript could not be retrieved from YouTube.", False, UPLOAD_HINT),
    yta_errors.YouTubeTranscriptApiException: (
        "youtube_error", "The transcript could not be retrieved from YouTube.", False, UPLOAD_HINT),
    InvalidProxyConfig: (
        "proxy_config", "The proxy settings are not valid.", False, f"Check {_PROXY_ENV}."),
    # -- transport errors (requests) ------------------------------------
    ForbiddenHostError: (
        "youtube_error", "The transcript request was sent to a host that is not YouTube and was stopped.",
        False, UPLOAD_HINT),
    requests.exceptions.ProxyError: (
        "proxy_error", "The proxy server could not be reached or refused the connection.",
        True, f"Check the proxy in {_PROXY_ENV}."),
    requests.exceptions.ConnectTimeout: lambda exc, settings: (
        "timeout", f"YouTube could not be reached within {settings.timeout:g} seconds.", True, "Try again later."),
    requests.exceptions.Timeout: lambda exc, settings: (
        "timeout", f"YouTube did not answer within {settings.timeout:g} seconds.", True, "Try again later."),
    requests.exceptions.JSONDecodeError: (
        "data_unparsable", "YouTube's answer could not be read; YouTube may have changed it.",
        False, UPLOAD_HINT),
    requests.exceptions.TooManyRedirects: (
        "youtube_error", "YouTube redirected the request too many times.", False, UPLOAD_HINT),
    requests.exceptions.ConnectionError: (
        "network", "YouTube could not be reached (network error).", True,
        "Check the server's internet connection, then try again."),
    requests.exceptions.ChunkedEncodingError: (
        "network", "The connection to YouTube broke off.", True, "Try again later."),
    requests.exceptions.RequestException: (
        "network", "The request to YouTube failed (network error).", True, "Try again later."),
    XMLParseError: (
        "data_unparsable", "YouTube's transcript data could not be read.", False, UPLOAD_HINT),
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
