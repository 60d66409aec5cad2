"""Sentences of the transcript worth quoting: the choices of an extractive summary.

With `GenerationConfig.extractive` on, a section's bullets are sentences of its stretch and
its title one of the stretch's key phrases; the introduction is sentences of the whole video.
The grammar offers only these choices (the prompt lists them), and the model picks among
them. A small model cannot write a faithful sentence of its own, but it can pick one.

A *sentence* is cut from the transcript's text at . ? ! when the transcript is punctuated;
auto-captions often are not, and are then cut at cue boundaries into runs of
`MIN_WORDS`..`MAX_WORDS` words. A short stretch that gives fewer sentences than are needed
is cut again into shorter runs (down to `SHORTEST` words). Spoken filler ("um", "uh", "you
know") and caption marks ("[Music]", ">>") are dropped, and so are openers that only link it
to the sentence before ("So", "And", "Okay"); the first letter is capitalized and a full stop
added. A sentence longer than the template allows is cut at a word boundary, ending with "…".

Each sentence is scored by the key phrases of its stretch (`inference.topics.candidates`)
it contains, more for a phrase ranked higher, divided by the square root of its length so
that a long sentence does not win by length alone. A sentence with fewer than three content
words is skipped; one that opens with a word pointing outside it ("this", "it", "so")
scores lower. The best `limit` are offered in the order they are said. A sentence that says
again much of what a better one, or one of `avoid` (sentences already used elsewhere in the
summary), says is skipped: more than `OVERLAP` of its word 3-grams already taken; so is one
that repeats itself.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

from .parts import Cue
from .quality import STOPWORDS, content_words, fold, ngrams, words
from .topics import FILLER

MIN_WORDS = 8
MAX_WORDS = 30
SHORTEST = 5
OVERLAP = 0.15
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
_MARKS = re.compile(r"\[[^\]]*\]|\([^)]*\)|>>+|&gt;&gt;|♪")
_FILLER = re.compile(r"\b(?:um+|uh+|er|erm|hmm+|you know|i mean|sort of|kind of)\b[,.]?\s*", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
# Spoken openers that only link a sentence to the one before it.
_OPENER = re.compile(r"^(?:(?:so|and|but|okay|ok|alright|all right|now|well|right|yeah|oh)\b[,.]?\s+)+", re.IGNORECASE)
_DANGLING = frozenset({"this", "that", "these", "those", "it", "they", "he", "she", "so", "and", "but", "or"})


@dataclass(frozen=True)
class Sentence:
    text: str
    order: int  # position in the transcript
    score: float


def clean(text: str) -> str:
    """One sentence as it is shown: without caption marks and filler, capitalized, ended."""
    text = _MARKS.sub(" ", text)
    text = _FILLER.sub("", text)
    text = _SPACES.sub(" ", text).strip(" ,;:-")
    text = _OPENER.sub("", text)
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".?!" else text + "."


def fit(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return cut + "…"


def split_sentences(cues: Sequence[Cue], run: int = MIN_WORDS * 2) -> list[str]:
    """The transcript's sentences, raw (see the module docstring); unpunctuated text is cut
    into runs of about `run` words (punctuated text too, when `run` is below MIN_WORDS)."""
    text = " ".join(c.text for c in cues)
    n_words = len(text.split())
    punctuated = [s for s in _SENTENCE_END.split(text) if s.strip()]
    if run >= MIN_WORDS * 2 and punctuated and n_words / len(punctuated) <= MAX_WORDS * 1.5:
        out = []
        for s in punctuated:  # an over-long one is cut into runs too
            w = s.split()
            out += [" ".join(w[i:i + MAX_WORDS]) for i in range(0, len(w), MAX_WORDS)]
        return out
    out, pending = [], []
    for cue in cues:
        pending += cue.text.split()
        while len(pending) >= run:  # at a cue's end: up to MAX_WORDS; shorter runs exactly
            size = min(len(pending), MAX_WORDS) if run >= MIN_WORDS * 2 else run
            out.append(" ".join(pending[:size]))
            pending = pending[size:]
    if pending:
        out.append(" ".join(pending))
    return out


def sentences(cues: Sequence[Cue], phrases: Sequence[str], limit: int, max_chars: int,
              need: int = 1, avoid: Sequence[str] = ()) -> list[str]:
    """Up to `limit` sentences of `cues` worth quoting, in transcript order, each at most
    `max_chars` long; `phrases` are the stretch's key phrases, best first. Shorter runs are
    tried when fewer than `need` are found."""
    found: list[str] = []
    for run in (MIN_WORDS * 2, MIN_WORDS, SHORTEST):
        found = _sentences(cues, phrases, limit, max_chars, run, avoid)
        if len(found) >= need:
            break
    return found


def _trigrams(text: str) -> set[tuple[str, ...]]:
    return set(ngrams(words(text), 3))


def _sentences(cues: Sequence[Cue], phrases: Sequence[str], limit: int, max_chars: int,
               run: int, avoid: Sequence[str]) -> list[str]:
    weights: dict[tuple[str, ...], float] = {}
    for rank, phrase in enumerate(phrases):
        key = tuple(fold(w) for w in words(phrase))
        if key:
            weights[key] = 1.0 / math.log2(rank + 2)
    scored, seen = [], set()
    shortest = min(MIN_WORDS, run)
    for order, raw in enumerate(split_sentences(cues, run)):
        text = clean(raw)
        ws = [fold(w) for w in words(text)]
        content = content_words(text)
        if len(ws) < shortest or len(set(content)) < min(3, shortest // 2):
            continue
        own = ngrams(words(text), 3)
        if len(set(own)) < 0.85 * len(own):  # it says the same thing twice
            continue
        key = frozenset(content)
        if key in seen:
            continue
        seen.add(key)
        hits = sum(weight for phrase, weight in weights.items()
                   for i in range(len(ws) - len(phrase) + 1) if tuple(ws[i:i + len(phrase)]) == phrase)
        filler = sum(1 for w in words(text) if w in FILLER and w not in STOPWORDS)
        score = (hits + 0.1 * len(set(content)) - 0.2 * filler) / math.sqrt(len(ws))
        if words(text)[0] in _DANGLING:
            score *= 0.7
        scored.append(Sentence(fit(text, max_chars), order, score))
    taken = set().union(*(_trigrams(a) for a in avoid)) if avoid else set()
    best = []
    for s in sorted(scored, key=lambda s: (-s.score, s.order)):
        grams = _trigrams(s.text)
        if grams and len(grams & taken) > OVERLAP * len(grams):
            continue
        best.append(s)
        taken |= grams
        if len(best) == limit:
            break
    return [s.text for s in sorted(best, key=lambda s: s.order)]
