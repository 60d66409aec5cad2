"""Types shared by the transcript fetcher and the subtitle parser."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

_WHITESPACE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Collapse every run of whitespace (newlines, tabs, NBSP...) to one space."""
    return _WHITESPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class Segment:
    """One timed piece of a transcript.

    ``start`` and ``duration`` are in seconds. Untimed sources (plain text
    files) use ``0.0`` for both.
    """

    start: float
    duration: float
    text: str

    def to_dict(self) -> dict:
        return {"start": self.start, "duration": self.duration, "text": self.text}


def join_segments(segments: Iterable[Segment]) -> str:
    """The full text of a transcript: segment texts joined by single spaces."""
    return normalize_text(" ".join(segment.text for segment in segments))
