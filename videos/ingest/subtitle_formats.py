"""Reading each accepted subtitle format into a :class:`ParsedSubtitles`.

Every parser takes decoded text, the file's display name and its encoding,
and raises :class:`SubtitleError` with a message naming the file (and the line
where it can) when the text cannot be used. Cue text is stripped of the markup
WebVTT and SRT define (``<i>``, ``<c.yellow>``, ``<v Alice>``, ``<font>``, inline
timestamps, ``{\\an8}``), and only that: ``List<String>`` stays text. The rolling
duplicate lines of YouTube auto-caption files are collapsed.

:mod:`videos.ingest.subtitles` is the entry point; it picks the parser.
"""

from __future__ import annotations

import html
import json
import math
import re
from dataclasses import dataclass

import pysrt
import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from .types import Segment, join_segments, normalize_text

__all__ = ["PARSERS", "ParsedSubtitles", "SubtitleError", "clean_cue_text"]


class SubtitleError(ValueError):
    """The uploaded file cannot be used. ``str(exc)`` is user-facing."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class ParsedSubtitles:
    format: str  # "srt" | "vtt" | "sbv" | "txt" | "json"
    encoding: str
    segments: list[Segment]
    full_text: str
    timed: bool = True  # False for .txt: all starts and durations are 0
    collapsed_rolling: bool = False  # True when YouTube-style rolling duplicates were removed


_ASS_OVERRIDE = re.compile(r"\{\\[^{}]*\}")
# Only the tags WebVTT defines (with their classes, as in <c.yellow>, and the annotation
# of <v Alice> and <lang en>), SRT's <font ...>, and cue timestamps. Anything else in angle
# brackets is text a lecture means: "List<String>", "#include <stdio.h>", "if a<b and c>d".
_CLASSES = r"(?:\.[^\s.<>]+)*"
_TAG = re.compile(
    rf"</?(?:[biu]|c|ruby|rt){_CLASSES}>"
    rf"|<(?:v|lang){_CLASSES}(?:[ \t][^<>]*)?>|</(?:v|lang)>"
    r"|<(?i:font)(?:\s[^<>]*)?>|</(?i:font)>"
    r"|<(?:\d{2,}:)?\d{2}:\d{2}\.\d{3}>"
)
_INLINE_TIMESTAMP = re.compile(r"<\d{2}:\d{2}(?::\d{2})?\.\d{3}>")


def clean_cue_text(text: str) -> str:
    """Remove subtitle markup (see ``_TAG``, and ``{\\an8}``), then decode entities.

    Entities are decoded last so that a caption that shows a tag (``&lt;b&gt;``)
    keeps it as text instead of having it stripped as markup."""
    text = _ASS_OVERRIDE.sub("", text)
    text = _TAG.sub("", text)
    return html.unescape(text)


def _clean_lines(raw_lines: list[str]) -> list[str]:
    lines = []
    for raw in raw_lines:
        line = normalize_text(clean_cue_text(raw))
        if line:
            lines.append(line)
    return lines


@dataclass
class _Cue:
    start: float
    end: float
    lines: list[str]


def _overlap(previous: list[str], current: list[str]) -> int:
    """Largest k such that the first k lines of ``current`` are the last k of ``previous``."""
    for k in range(min(len(previous), len(current)), 0, -1):
        if previous[-k:] == current[:k]:
            return k
    return 0


def _is_rolling(cues: list[_Cue], raw_text: str) -> bool:
    if _INLINE_TIMESTAMP.search(raw_text):  # YouTube auto captions carry word timings
        return True
    if len(cues) < 3:
        return False
    repeats = sum(1 for prev, cur in zip(cues, cues[1:]) if _overlap(prev.lines, cur.lines))
    return repeats * 2 >= len(cues) - 1


def _collapse_rolling(cues: list[_Cue]) -> list[_Cue]:
    """YouTube auto captions repeat the previous line at the top of each cue
    (and add 10 ms cues that only repeat it): keep only the new lines."""
    out: list[_Cue] = []
    previous: list[str] = []
    for cue in cues:
        new_lines = cue.lines[_overlap(previous, cue.lines):]
        previous = cue.lines
        if new_lines:
            out.append(_Cue(cue.start, cue.end, new_lines))
    return out


def _cues_to_result(fmt: str, encoding: str, cues: list[_Cue], raw_text: str, name: str) -> ParsedSubtitles:
    cues = [cue for cue in cues if cue.lines]
    if not cues:
        raise SubtitleError(f"{name}: the subtitles contain no text")
    rolling = _is_rolling(cues, raw_text)
    if rolling:
        cues = _collapse_rolling(cues)
    segments = [
        Segment(start=round(cue.start, 3), duration=round(max(0.0, cue.end - cue.start), 3), text=" ".join(cue.lines))
        for cue in cues
    ]
    return ParsedSubtitles(
        format=fmt,
        encoding=encoding,
        segments=segments,
        full_text=join_segments(segments),
        timed=True,
        collapsed_rolling=rolling,
    )


def _timestamp_problem(line: str, number: int, name: str, ts_pattern: re.Pattern, expected: str) -> SubtitleError:
    left, _, right = line.partition("-->")
    tokens = [left.strip(), (right.strip().split() or [""])[0]]
    for token in tokens:
        if not ts_pattern.fullmatch(token):
            shown = token if token else "(nothing)"
            return SubtitleError(
                f"{name}: line {number}: timestamp {shown!r} is not valid (expected {expected})"
            )
    return SubtitleError(f"{name}: line {number}: {line.strip()!r} is not a valid timing line")


# --------------------------------------------------------------------------
# SRT

_SRT_TS = re.compile(r"\d{1,3}:\d{1,2}:\d{1,2}[,.]\d{1,3}")
_SRT_TIMING = re.compile(rf"^\s*({_SRT_TS.pattern})\s*-->\s*({_SRT_TS.pattern})(?:\s.*)?$")
_SRT_EXPECTED = "HH:MM:SS,mmm"


def _srt_seconds(value: str) -> float:
    h, m, rest = value.split(":")
    s, ms = re.split(r"[,.]", rest)
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms.ljust(3, "0")) / 1000


def _parse_srt(text: str, name: str, encoding: str) -> ParsedSubtitles:
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if "-->" not in line:
            continue
        match = _SRT_TIMING.match(line)
        if not match:
            raise _timestamp_problem(line, number, name, _SRT_TS, _SRT_EXPECTED)
        start, end = (_srt_seconds(match.group(i)) for i in (1, 2))
        if end < start:
            raise SubtitleError(
                f"{name}: line {number}: the cue ends ({match.group(2)}) before it starts ({match.group(1)})"
            )
    try:
        items = pysrt.SubRipFile.from_string(text, error_handling=pysrt.SubRipFile.ERROR_RAISE)
    except pysrt.Error as exc:
        # pysrt reports (index of the blank line ending the block, block text)
        index = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        block = exc.args[-1] if exc.args and isinstance(exc.args[-1], str) else ""
        block_lines = block.splitlines()
        first = block_lines[0].strip() if block_lines else ""
        where = f"line {index - len(block_lines) + 1}: " if index is not None else ""
        raise SubtitleError(
            f"{name}: {where}expected a cue number and a timing line like "
            f"'00:00:01,000 --> 00:00:04,000', found {first!r}"
        ) from None
    if not items:
        raise SubtitleError(
            f"{name}: no subtitles found (expected numbered cues with "
            f"'00:00:01,000 --> 00:00:04,000' timing lines)"
        )
    cues = [
        _Cue(item.start.ordinal / 1000, item.end.ordinal / 1000, _clean_lines(item.text.splitlines()))
        for item in items
    ]
    return _cues_to_result("srt", encoding, cues, text, name)


# --------------------------------------------------------------------------
# VTT

_VTT_TS = re.compile(r"(?:\d+:)?\d{1,2}:\d{1,2}\.\d{1,3}")
_VTT_TIMING = re.compile(rf"^\s*({_VTT_TS.pattern})\s*-->\s*({_VTT_TS.pattern})(?:\s.*)?$")
_VTT_EXPECTED = "HH:MM:SS.mmm or MM:SS.mmm"


def _vtt_blocks(lines: list[str]):
    """Yield (first line's number, lines) per block, split where webvtt-py splits: at an
    empty line, or at a timing line that cannot be the block's own (in the header, say)."""
    block: list[str] = []
    first = 0
    for number, line in enumerate(lines, start=1):
        if not line or (block and "-->" in line and (first == 1 or len(block) > 1 or "-->" in block[0])):
            if block:
                yield first, block
            block = []
        if line:
            first = first if block else number
            block.append(line)
    if block:
        yield first, block


def _check_vtt_cues_timed(lines: list[str], name: str) -> None:
    """webvtt-py skips text without a timing line, so a cue whose timing line is missing
    (or typed "->") would vanish from the transcript: refuse it, as SRT does."""
    for first, block in _vtt_blocks(lines):
        header = first == 1  # "WEBVTT" and its metadata lines
        timed = any("-->" in line for line in block)
        if header or timed or block[0].startswith(("NOTE", "STYLE", "REGION")) or not "".join(block).strip():
            continue
        raise SubtitleError(
            f"{name}: line {first}: expected a timing line like '00:00:01.000 --> 00:00:04.000' "
            f"before the cue text, found {block[0].strip()!r}"
        )


def _parse_vtt(text: str, name: str, encoding: str) -> ParsedSubtitles:
    if not text.startswith("WEBVTT"):
        raise SubtitleError(f"{name}: not a WebVTT file: the first line must be 'WEBVTT'")
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if "-->" in line and not _VTT_TIMING.match(line):
            raise _timestamp_problem(line, number, name, _VTT_TS, _VTT_EXPECTED)
    _check_vtt_cues_timed(lines, name)
    try:
        vtt = webvtt.WebVTT.from_string(text)
    except (MalformedFileError, MalformedCaptionError) as exc:
        raise SubtitleError(f"{name}: not a valid WebVTT file: {exc}") from None
    if not vtt.captions:
        raise SubtitleError(
            f"{name}: no subtitles found (expected cues with '00:00:01.000 --> 00:00:04.000' timing lines)"
        )
    cues = []
    for caption in vtt.captions:
        start = caption.start_time.in_milliseconds() / 1000
        end = caption.end_time.in_milliseconds() / 1000
        if end < start:
            raise SubtitleError(f"{name}: the cue at {caption.start} ends ({caption.end}) before it starts")
        cues.append(_Cue(start, end, _clean_lines(caption.lines)))
    return _cues_to_result("vtt", encoding, cues, text, name)


# --------------------------------------------------------------------------
# SBV (SubViewer, what YouTube Studio exports): "0:00:01.000,0:00:04.000", then the
# cue's text, a blank line between cues.

_SBV_TS = r"\d{1,3}:\d{1,2}:\d{1,2}\.\d{3}"
_SBV_TIMING = re.compile(rf"^\s*({_SBV_TS}),({_SBV_TS})\s*$")


def _sbv_blocks(lines: list[str]):
    """Yield (number of its first line, lines) for each run of non-blank lines."""
    block: list[str] = []
    for number, line in enumerate([*lines, ""], start=1):
        if line.strip():
            block.append(line)
        elif block:
            yield number - len(block), block
            block = []


def _parse_sbv(text: str, name: str, encoding: str) -> ParsedSubtitles:
    """Read each cue from its timing line, checked to name the line of a problem (webvtt-py's
    SBV reader skips a block it cannot read without a word, so it would add nothing)."""
    cues: list[_Cue] = []
    for first, block in _sbv_blocks(text.splitlines()):
        match = _SBV_TIMING.match(block[0])
        if not match:
            raise SubtitleError(
                f"{name}: line {first}: expected a timing line like '0:00:01.000,0:00:04.000', "
                f"found {block[0].strip()!r}"
            )
        start, end = (_srt_seconds(match.group(i)) for i in (1, 2))
        if end < start:
            raise SubtitleError(
                f"{name}: line {first}: the cue ends ({match.group(2)}) before it starts ({match.group(1)})"
            )
        cues.append(_Cue(start, end, _clean_lines(block[1:])))
    return _cues_to_result("sbv", encoding, cues, text, name)


# --------------------------------------------------------------------------
# TXT


def _parse_txt(text: str, name: str, encoding: str) -> ParsedSubtitles:
    segments = [
        Segment(start=0.0, duration=0.0, text=line)
        for line in (normalize_text(raw) for raw in text.splitlines())
        if line
    ]
    if not segments:
        raise SubtitleError(f"{name}: the file contains no text")
    return ParsedSubtitles(
        format="txt", encoding=encoding, segments=segments, full_text=join_segments(segments), timed=False
    )


# --------------------------------------------------------------------------
# JSON

_JSON_SHAPE = 'a list of {"text", "start", "duration"} objects'
_LIST_KEYS = ("snippets", "segments")


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def _seconds(value: object, key: str, where: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SubtitleError(f"{name}: {where}: {key!r} must be a number of seconds, not {_kind(value)}")
    if not math.isfinite(value) or value < 0:
        raise SubtitleError(f"{name}: {where}: {key!r} must be a number of seconds of 0 or more, got {value!r}")
    return float(value)


def _parse_json(text: str, name: str, encoding: str) -> ParsedSubtitles:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SubtitleError(f"{name}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:  # a transcript is 3 levels deep at most; the parser gives up on 1,000
        raise SubtitleError(f"{name}: not a transcript file: its JSON is nested far too deeply") from None
    prefix = ""
    if isinstance(data, dict):
        key = next((k for k in _LIST_KEYS if k in data), None)
        if key is None:
            keys = ", ".join(repr(k) for k in list(data)[:5]) or "no keys"
            raise SubtitleError(
                f"{name}: expected {_JSON_SHAPE} or an object with a 'snippets' list; "
                f"got an object with {keys}"
            )
        items = data[key]
        prefix = f"{key!r} "
        if not isinstance(items, list):
            raise SubtitleError(f"{name}: {key!r} must be a list, not {_kind(items)}")
    elif isinstance(data, list):
        items = data
        # JSONFormatter.format_transcripts output: a list of transcripts
        if items and all(isinstance(item, list) for item in items):
            if len(items) > 1:
                raise SubtitleError(f"{name}: contains {len(items)} transcripts; upload one transcript per file")
            items = items[0]
    else:
        raise SubtitleError(f"{name}: expected {_JSON_SHAPE}, got {_kind(data)}")
    if not items:
        raise SubtitleError(f"{name}: the {prefix}list is empty: no segments to import")

    segments = []
    for number, item in enumerate(items, start=1):
        where = f"{prefix}item {number}"
        if not isinstance(item, dict):
            raise SubtitleError(f"{name}: {where} is {_kind(item)}, expected an object with 'text', 'start' and 'duration'")
        if "text" not in item:
            raise SubtitleError(f"{name}: {where} has no 'text'")
        if not isinstance(item["text"], str):
            raise SubtitleError(f"{name}: {where}: 'text' must be a string, not {_kind(item['text'])}")
        if "start" not in item:
            raise SubtitleError(f"{name}: {where} has no 'start'")
        start = _seconds(item["start"], "start", where, name)
        duration = _seconds(item["duration"], "duration", where, name) if "duration" in item else 0.0
        line = normalize_text(clean_cue_text(item["text"]))
        if line:
            segments.append(Segment(start=start, duration=duration, text=line))
    if not segments:
        raise SubtitleError(f"{name}: the segments contain no text")
    return ParsedSubtitles(format="json", encoding=encoding, segments=segments, full_text=join_segments(segments))


# extension -> parser(text, display name, encoding)
PARSERS = {".srt": _parse_srt, ".vtt": _parse_vtt, ".sbv": _parse_sbv, ".txt": _parse_txt, ".json": _parse_json}
