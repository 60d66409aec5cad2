"""A transcript as timed cues, and its split into stretches of time, one per section.

A section summarizes its own stretch of the video. The stretches are cut on cue boundaries:
each cue belongs to exactly one stretch, in order, so together they cover the transcript with
no gap and no overlap. Timed transcripts are cut into equal lengths of time; untimed ones
(plain text) into equal numbers of words, and carry no times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Cue:
    """One caption. `start`/`end` in seconds, None when the transcript has no times."""

    start: float | None
    end: float | None
    text: str


@dataclass(frozen=True)
class Part:
    """A stretch of the transcript: cues [first, last) of the whole."""

    index: int
    first: int
    last: int
    start: float | None
    end: float | None
    text: str

    @property
    def timed(self) -> bool:
        return self.start is not None and self.end is not None


def is_timed(cues: Sequence[Cue]) -> bool:
    return bool(cues) and all(c.start is not None and c.end is not None for c in cues) and any(
        c.end > 0 for c in cues
    )


def cues_from_text(text: str, words_per_cue: int = 40) -> list[Cue]:
    """Untimed cues from plain text: sentences, with long runs cut every `words_per_cue` words."""
    cues: list[Cue] = []
    for sentence in _SENTENCE_END.split(text.strip()):
        words = sentence.split()
        for i in range(0, len(words), words_per_cue):
            cues.append(Cue(None, None, " ".join(words[i:i + words_per_cue])))
    return cues


def ordered(cues: Sequence[Cue]) -> list[Cue]:
    """Timed cues sorted by start (stable), with empty cues dropped; an end before its start
    is raised to the start. Overlaps are kept: a cue belongs to the stretch its start is in."""
    kept = [c for c in cues if c.text.strip()]
    if not is_timed(kept):
        return kept
    kept = sorted(kept, key=lambda c: c.start)
    return [c if c.end >= c.start else Cue(c.start, c.start, c.text) for c in kept]


def refined(cues: Sequence[Cue], n: int) -> list[Cue]:
    """`cues` with the longest cut in two (by words, times shared in proportion) until there
    are at least `n`, so that a transcript of one long cue still gives `n` stretches."""
    out = list(cues)
    while len(out) < n:
        i = max(range(len(out)), key=lambda j: len(out[j].text.split()))
        words = out[i].text.split()
        if len(words) < 2:
            break
        half = len(words) // 2
        c = out[i]
        mid = None if c.start is None else c.start + (c.end - c.start) * half / len(words)
        out[i:i + 1] = [Cue(c.start, mid, " ".join(words[:half])), Cue(mid, c.end, " ".join(words[half:]))]
    return out


def split(cues: Sequence[Cue], n: int) -> list[Part]:
    """Cut `cues` (as `ordered` returns them) into at most `n` consecutive parts.

    Timed: part k starts with the first cue whose start is at or after k/n of the duration.
    Untimed: the same by cumulative word count. A part is never empty, so a transcript of
    fewer than `n` cues gives fewer parts.
    """
    if not cues or n < 1:
        return []
    timed = is_timed(cues)
    if timed:
        origin = cues[0].start
        total = max(c.end for c in cues) - origin
        positions = [c.start - origin for c in cues]
    else:
        counts = [len(c.text.split()) for c in cues]
        total = float(sum(counts))
        positions, acc = [], 0
        for count in counts:
            positions.append(float(acc))
            acc += count
    bounds = [0]
    for k in range(1, n):
        cut = next((i for i, p in enumerate(positions) if p >= total * k / n), len(cues))
        if bounds[-1] < cut < len(cues):
            bounds.append(cut)
    bounds.append(len(cues))
    parts = []
    for index, (first, last) in enumerate(zip(bounds, bounds[1:])):
        chunk = cues[first:last]
        # The first part starts with the video, before its first cue.
        start = (0.0 if index == 0 else chunk[0].start) if timed else None
        # A part ends where the next begins, and the last where the video does.
        end = (cues[last].start if last < len(cues) else max(c.end for c in cues)) if timed else None
        text = " ".join(c.text.strip() for c in chunk)
        parts.append(Part(index, first, last, start, end, text))
    return parts


def condensed(cues: Sequence[Cue], limit: int, count: Callable[[str], int]) -> str:
    """The text of `cues`, at most `limit` tokens (by `count`): all of it when it fits, else
    evenly spaced runs of consecutive cues, so the model reads every stretch of the part."""
    texts = [c.text.strip() for c in cues]
    whole = " ".join(texts)
    total = count(whole)
    if total <= limit:
        return whole
    sizes = [count(t) + 1 for t in texts]
    keep_share = limit / total
    runs = max(1, min(8, len(texts) // 4))
    run_len = len(texts) / runs
    kept: list[str] = []
    used = 0
    for r in range(runs):
        lo = int(r * run_len)
        hi = int((r + 1) * run_len)
        take = lo + max(1, int((hi - lo) * keep_share))
        for i in range(lo, min(take, hi)):
            if used + sizes[i] > limit:
                break
            kept.append(texts[i])
            used += sizes[i]
    return " ".join(kept)
