"""YouTube video URLs: the one place that parses them and builds them.

:func:`watch_url` (optionally at a start second), :func:`canonical_url` (the
URL stored on a video) and :func:`thumbnail_url` build them;
:func:`parse_video_id` and :func:`parse_lines` read them.

:func:`parse_video_id` accepts (http, https or no scheme; extra query parameters, ``t=``
timestamps, ``si=`` share tokens and ``#t=`` fragments are ignored):

* ``https://www.youtube.com/watch?v=ID`` (also ``m.``, ``music.`` and bare
  ``youtube.com``)
* ``https://youtu.be/ID``
* ``https://www.youtube.com/shorts/ID``, ``/embed/ID``, ``/live/ID``, ``/v/ID``
* ``https://www.youtube-nocookie.com/embed/ID``
* a bare 11 character id (``[A-Za-z0-9_-]{11}``)

Whitespace inside the id of a URL (``watch?v=kxT8-C1 vmd4``) is removed, but
only when what remains is a valid id. Everything else - other hosts, lookalike
hosts, URLs with user info, playlists, channels - is refused with
:class:`InvalidVideoURL`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = [
    "InvalidVideoURL",
    "ParsedLine",
    "LineError",
    "DuplicateLine",
    "ParseReport",
    "VIDEO_ID_RE",
    "is_valid_video_id",
    "parse_video_id",
    "parse_lines",
    "canonical_url",
    "thumbnail_url",
    "watch_url",
]

VIDEO_ID_RE = re.compile(r"[A-Za-z0-9_-]{11}")

# Host -> the path kinds accepted on it.
_WATCH_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"}
_SHORT_HOSTS = {"youtu.be"}
_NOCOOKIE_HOSTS = {"youtube-nocookie.com", "www.youtube-nocookie.com"}
_PATH_KINDS = {"shorts", "embed", "live", "v"}
# Path words that are 11 characters long but are not video ids.
_NOT_IDS = {"videoseries"}
_CHANNEL_PREFIXES = ("channel", "c", "user")
_ALLOWED_PORTS = {None, 80, 443}
_WHITESPACE = re.compile(r"\s+")
_MAX_SHOWN = 80


class InvalidVideoURL(ValueError):
    """The text is not a YouTube video URL or id. ``str(exc)`` is user-facing."""

    def __init__(self, message: str, text: str = ""):
        super().__init__(message)
        self.message = message
        self.text = text


def _shown(text: str) -> str:
    text = text.strip()
    if len(text) > _MAX_SHOWN:
        text = text[: _MAX_SHOWN - 1] + "\u2026"
    return repr(text)


def is_valid_video_id(value: object) -> bool:
    return isinstance(value, str) and VIDEO_ID_RE.fullmatch(value) is not None


def _clean_id(candidate: str) -> str | None:
    """Return the id if ``candidate`` is one once whitespace is removed."""
    compact = _WHITESPACE.sub("", candidate)
    if VIDEO_ID_RE.fullmatch(compact) and compact not in _NOT_IDS:
        return compact
    return None


def _refuse(text: str, why: str = "is not a YouTube video URL or id") -> InvalidVideoURL:
    return InvalidVideoURL(f"{_shown(text)} {why}", text)


def parse_video_id(text: str) -> str:
    """Return the 11 character video id in ``text`` or raise :class:`InvalidVideoURL`."""
    if not isinstance(text, str):
        raise InvalidVideoURL("a YouTube video URL or id must be text", repr(text))
    stripped = text.strip()
    if not stripped:
        raise InvalidVideoURL("empty input: expected a YouTube video URL or id", text)
    if VIDEO_ID_RE.fullmatch(stripped) and stripped not in _NOT_IDS:
        return stripped

    url = stripped
    if url.startswith("//"):
        url = "https:" + url
    elif not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", url):
        if ":" in url.split("/", 1)[0] and not re.match(r"^[^/]+:\d+(/|$)", url):
            # e.g. "javascript:..." or "ftp:..." without "//"
            raise _refuse(text)
        url = "https://" + url

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refuse(text) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise _refuse(text)
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise _refuse(text, "is not a YouTube video URL (it hides the real host)")
    host = (parts.hostname or "").rstrip(".")
    if port not in _ALLOWED_PORTS or not host:
        raise _refuse(text)

    segments = [unquote(s) for s in parts.path.split("/") if s]
    query = parse_qs(parts.query, keep_blank_values=True)

    if host in _SHORT_HOSTS:
        if len(segments) == 1:
            found = _clean_id(segments[0])
            if found:
                return found
        raise _refuse(text)

    if host in _NOCOOKIE_HOSTS:
        if len(segments) == 2 and segments[0] == "embed":
            found = _clean_id(segments[1])
            if found:
                return found
        raise _refuse(text)

    if host not in _WATCH_HOSTS:
        if "." in host:
            raise _refuse(text, f"is not a YouTube URL (the host is {host!r})")
        raise _refuse(text)

    if segments == ["watch"]:
        values = query.get("v", [])
        ids = {_clean_id(value) for value in values}
        ids.discard(None)
        if len(ids) == 1:
            return ids.pop()
        if not values and "list" in query:
            raise _refuse(text, "is a playlist, not a single video")
        raise _refuse(text)

    if len(segments) == 2 and segments[0] in _PATH_KINDS:
        # old style embeds put parameters after "&" in the path: /v/ID&hl=en
        found = _clean_id(segments[1].split("&", 1)[0])
        if found:
            return found
        raise _refuse(text)

    if segments and segments[0] == "playlist":
        raise _refuse(text, "is a playlist, not a single video")
    if segments and (segments[0] in _CHANNEL_PREFIXES or segments[0].startswith("@")):
        raise _refuse(text, "is a channel, not a single video")
    raise _refuse(text)


def _require_id(video_id: str) -> None:
    if not is_valid_video_id(video_id):
        raise InvalidVideoURL(f"{_shown(str(video_id))} is not a YouTube video id", str(video_id))


def watch_url(video_id: str, start: float | None = None) -> str:
    """The video's page on YouTube; with ``start`` (seconds, whole seconds are
    used) it opens at that moment: ``https://www.youtube.com/watch?v=ID&t=123s``."""
    _require_id(video_id)
    url = f"https://www.youtube.com/watch?v={video_id}"
    if start is None:
        return url
    if isinstance(start, bool) or not isinstance(start, (int, float)) or not math.isfinite(start) or start < 0:
        raise ValueError(f"start must be a number of seconds of 0 or more, not {start!r}")
    return f"{url}&t={int(start)}s"


def canonical_url(video_id: str) -> str:
    """The URL stored on a video: its watch URL without a start time."""
    return watch_url(video_id)


def thumbnail_url(video_id: str) -> str:
    """The video's 320x180 thumbnail (``mqdefault`` exists for every video and
    has no letterbox bars, unlike ``hqdefault``)."""
    _require_id(video_id)
    return f"https://i.ytimg.com/vi/{video_id}/mqdefault.jpg"


@dataclass(frozen=True)
class ParsedLine:
    line: int
    input: str
    video_id: str


@dataclass(frozen=True)
class LineError:
    line: int
    input: str
    message: str


@dataclass(frozen=True)
class DuplicateLine:
    line: int
    input: str
    video_id: str
    first_line: int


@dataclass
class ParseReport:
    """Result of :func:`parse_lines`.

    ``ok`` holds the first occurrence of every id, in paste order; later
    occurrences of the same id are in ``duplicates`` (not in ``ok``).
    """

    ok: list[ParsedLine] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    duplicates: list[DuplicateLine] = field(default_factory=list)


def parse_lines(text: str) -> ParseReport:
    """Parse a paste of one URL or id per line.

    Blank lines and lines starting with ``#`` are ignored. Line numbers are
    1-based and count every line of the paste.
    """
    report = ParseReport()
    first_seen: dict[str, int] = {}
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            video_id = parse_video_id(line)
        except InvalidVideoURL as exc:
            report.errors.append(LineError(number, line, f"line {number}: {exc.message}"))
            continue
        if video_id in first_seen:
            report.duplicates.append(DuplicateLine(number, line, video_id, first_seen[video_id]))
            continue
        first_seen[video_id] = number
        report.ok.append(ParsedLine(number, line, video_id))
    return report
