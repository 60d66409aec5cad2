"""A transcript as timed cues, and its split into parts that each fit the model."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cue:
    """One caption. `start`/`end` in seconds, None when the transcript has no times."""

    start: float | None
    end: float | None
    text: str
