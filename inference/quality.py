"""Quality figures of one summary (and of a set of summaries), as pure functions.

Every figure is defined once, here; `inference.evaluate` prints them. Nothing here imports
torch or transformers. A summary is the plain dict the engine returns (`SummaryResult.data`):
introduction, sections (title, content bullets, topics), topics and "General Topics".

Words and n-grams
-----------------
* A *word* is a lowercase run of letters and digits, optionally followed by one apostrophe
  part ("don't", "model's"). Every other character separates words, so "c++" is the word
  "c" and "high-level" is "high" and "level". Curly apostrophes count as straight ones.
* A *content word* is a word that is not in STOPWORDS and is not made of digits only, taken
  in its folded form (`fold`).
* N-grams never span two pieces of a summary (the introduction, one title, one bullet, one
  topic): each piece is a separate run of words. A transcript is one run.
"""

from __future__ import annotations

import json
import re
from itertools import combinations
from typing import Any, Iterable, Sequence

GENERAL_TOPICS_KEY = "General Topics"
_TITLE_PREFIX = re.compile(r"^\s*Section\s+\d+\s*:\s*", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

# English function words: articles, pronouns, auxiliaries, prepositions, conjunctions,
# determiners and common contractions. Content-bearing words (verbs, nouns) are not here.
STOPWORDS: frozenset[str] = frozenset("""
a about above after again against all also am an and any are aren't as at
be because been before being below between both but by
can can't cannot could couldn't
did didn't do does doesn't doing don't down during
each either etc few for from further
had hadn't has hasn't have haven't having he he's her here here's hers herself him himself
his how how's however
i i'd i'll i'm i've if in into is isn't it it's its itself
just let's many may me might more most much must mustn't my myself
neither no nor not now of off on once only or other others our ours ourselves out over own
per same shall she she's should shouldn't so some such
than that that's the their theirs them themselves then there there's these they they'd
they'll they're they've this those though through thus to too
under until up upon us very via
was wasn't we we'd we'll we're we've were weren't what what's when when's where where's
whether which while who who's whom whose why why's will with within without won't would
wouldn't yet you you'd you'll you're you've your yours yourself yourselves
""".split())

# Words ending in "s" that are not plurals, past the three-letter limit of `fold`.
_NOT_PLURAL = frozenset({"this", "thus", "does", "plus"})


# --- text of a summary --------------------------------------------------------------------------


def summary_pieces(data: dict[str, Any]) -> list[str]:
    """The free-text pieces the model wrote, in reading order: the introduction, then per
    section its title (without the template's fixed "Section k: " prefix), its bullets and its
    topics, then the overall topics. Not the general-topic field names: those come from the
    template's fixed list, as do the complexities."""
    pieces = [data.get("introduction", "")]
    for section in data.get("sections", []):
        pieces.append(_TITLE_PREFIX.sub("", section.get("title", "")))
        pieces.extend(section.get("content", []))
        pieces.extend(section.get("topics", []))
    pieces.extend(data.get("topics", []))
    return [p for p in pieces if isinstance(p, str) and p.strip()]


def summary_text(data: dict[str, Any]) -> str:
    """All free text the model wrote (see `summary_pieces`), one piece per line."""
    return "\n".join(summary_pieces(data))


# --- words --------------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    """The words of `text` in order (see the module docstring for what a word is)."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def fold(word: str) -> str:
    """A matching key that puts a plural and its singular together.

    Rules, in order: a trailing possessive "'s" is dropped. Kept as they are: words of three
    letters or fewer, words ending in "ss", "sis" or "xis" (class, analysis, axis) and the
    few in _NOT_PLURAL (this, thus, does, plus). Otherwise "-ies" becomes "-y" (queries ->
    query) and a final "s" is dropped (networks -> network, gpus -> gpu). Then, for
    singulars and plurals alike, a final "e" after s, x, z, ch or sh is dropped, so that
    "classes"/"class", "boxes"/"box" and "caches"/"cache" meet (as "class", "box", "cach").
    The key is not always an English word; it is only compared with other keys.
    """
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 3 and word not in _NOT_PLURAL and not word.endswith(("ss", "sis", "xis")):
        if word.endswith("ies") and len(word) > 4:
            word = word[:-3] + "y"
        elif word.endswith("s"):
            word = word[:-1]
    if len(word) > 3 and word.endswith(("se", "xe", "ze", "che", "she")):
        word = word[:-1]
    return word


def content_words(text: str) -> list[str]:
    """The folded content words of `text` in order, with repetition: words that are not
    STOPWORDS and not digits only, each passed through `fold`."""
    return [fold(w) for w in words(text) if w not in STOPWORDS and not w.isdigit()]


def ngrams(seq: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """The n-grams of one run of words, in order, with repetition."""
    return [tuple(seq[i:i + n]) for i in range(len(seq) - n + 1)]


def _summary_ngrams(data: dict[str, Any], n: int) -> list[tuple[str, ...]]:
    return [g for piece in summary_pieces(data) for g in ngrams(words(piece), n)]


def _answer_pieces(answer: str | dict[str, Any]) -> list[str]:
    """An example answer as pieces: a dict (or a JSON string of one) like a summary, any
    other string as one piece."""
    if isinstance(answer, str):
        try:
            answer = json.loads(answer)
        except ValueError:
            return [answer]
    return summary_pieces(answer) if isinstance(answer, dict) else [str(answer)]


# --- figures of one summary ---------------------------------------------------------------------


def copied(data: dict[str, Any], example_answers: Iterable[str | dict[str, Any]],
           transcript: str) -> float:
    """Share of the summary's word 4-grams (counted with repetition) that occur in some
    few-shot example answer but not in the transcript: wording taken from the examples
    instead of the video. 0.0 when the summary has no 4-gram. Lower is better."""
    grams = _summary_ngrams(data, 4)
    if not grams:
        return 0.0
    from_examples = {g for a in example_answers for p in _answer_pieces(a) for g in ngrams(words(p), 4)}
    in_transcript = set(ngrams(words(transcript), 4))
    hits = sum(1 for g in grams if g in from_examples and g not in in_transcript)
    return hits / len(grams)


def grounded(data: dict[str, Any], transcript: str) -> float:
    """Share of the summary's content words (counted with repetition, folded) that occur,
    folded, among the transcript's content words. 0.0 when the summary has no content word.
    Higher is better."""
    tokens = [w for piece in summary_pieces(data) for w in content_words(piece)]
    if not tokens:
        return 0.0
    known = set(content_words(transcript))
    return sum(1 for w in tokens if w in known) / len(tokens)


def repeated(data: dict[str, Any]) -> float:
    """Share of the summary's word 3-grams (in reading order, with repetition) that repeat
    a 3-gram seen earlier in the same summary. 0.0 when the summary has no 3-gram. Lower is
    better."""
    grams = _summary_ngrams(data, 3)
    if not grams:
        return 0.0
    seen: set[tuple[str, ...]] = set()
    repeats = 0
    for g in grams:
        repeats += g in seen
        seen.add(g)
    return repeats / len(grams)


def coverage(section_times: Sequence[tuple[float, float]] | None,
             duration: float | None) -> float | None:
    """Share of [0, duration] covered by the union of the sections' (start, end) time
    ranges, each clipped to [0, duration]. None when there are no section times or no
    positive duration. Higher is better."""
    if not section_times or not duration or duration <= 0:
        return None
    spans = sorted((max(0.0, float(s)), min(float(duration), float(e))) for s, e in section_times)
    covered, reach = 0.0, 0.0
    for start, end in spans:
        start = max(start, reach)
        if end > start:
            covered += end - start
            reach = end
    return covered / duration


def general_topics(data: dict[str, Any]) -> list[str]:
    """The field names the summary chose as general topics, in its order."""
    return [g.get("topic") for g in data.get(GENERAL_TOPICS_KEY, []) if isinstance(g, dict)]


def field_any(data: dict[str, Any], expected: Sequence[str]) -> bool | None:
    """Whether any expected field is among the summary's general topics. None when no field
    is expected (a video outside every field)."""
    if not expected:
        return None
    chosen = set(general_topics(data))
    return any(field in chosen for field in expected)


def field_top1(data: dict[str, Any], expected: Sequence[str]) -> bool | None:
    """Whether the summary's first general topic is the first (most relevant) expected
    field. None when no field is expected."""
    if not expected:
        return None
    chosen = general_topics(data)
    return bool(chosen) and chosen[0] == expected[0]


def figures(data: dict[str, Any], *, transcript: str,
            example_answers: Iterable[str | dict[str, Any]],
            section_times: Sequence[tuple[float, float]] | None, duration: float | None,
            expected_fields: Sequence[str]) -> dict[str, Any]:
    """Every per-summary figure of this module, by name."""
    return dict(
        grounded=grounded(data, transcript),
        copied=copied(data, example_answers, transcript),
        repeated=repeated(data),
        coverage=coverage(section_times, duration),
        field_any=field_any(data, expected_fields),
        field_top1=field_top1(data, expected_fields),
    )


# --- figures of a set of summaries --------------------------------------------------------------


def jaccard(a: set[str], b: set[str]) -> float:
    """|a & b| / |a | b|; 1.0 for two empty sets (they are identical)."""
    union = a | b
    return len(a & b) / len(union) if union else 1.0


def distinct(datas: Sequence[dict[str, Any]]) -> float | None:
    """Mean Jaccard similarity, over every pair, of the sets of content words of summaries
    of different videos: how alike the summaries are. None with fewer than two summaries.
    Lower is better (summaries that say the same of every video score high)."""
    if len(datas) < 2:
        return None
    sets = [set(content_words(summary_text(d))) for d in datas]
    pairs = [jaccard(a, b) for a, b in combinations(sets, 2)]
    return sum(pairs) / len(pairs)
