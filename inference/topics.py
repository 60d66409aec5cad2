"""Topic candidates: the phrases a transcript keeps coming back to.

With `GenerationConfig.transcript_topics` on, the grammar lets the model choose each topic
from these candidates instead of writing one, so a topic is always a phrase of the video.

A candidate is a run of one to three content words that occurs inside one cue or sentence
(no function word inside it: "hash table", not "table of the"). Spoken filler ("going",
"really", "okay") never starts, ends or fills a candidate. Each is scored by how often it
occurs, with a bonus per extra word, since a phrase that recurs whole is more specific than
its words; a candidate that is part of a better one (or holds one) is skipped, so the list
is varied. The surface form shown is the one the transcript uses most, title-cased when the
transcript writes it in lower case only (as auto-captions do).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Iterable

from .quality import STOPWORDS, fold

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")

# Words of speech that carry no subject, beside the function words.
FILLER = frozenset("""
actually ah alright anyway around back basically better big bit come comes coming could
different does done doing easy else even every everybody everyone everything example
examples fact far feel fine first get gets getting give given go goes going gone gonna good
got great guess guys happen happens hello hey hi idea important just kind know last least
let like little look looking lot lots made make makes making maybe mean means million
minute need needs new next nice now number okay ok one ones part people person point pretty
probably put question questions quite really right said say saying says second see seen
sense show sort start started stuff sure take talk talking tell thank thanks thing things
think thinking third thought three time times today together two uh um use used uses using
want wanna way ways well whatever work works yeah yes
four five six seven eight nine ten hundred thousand
lets thats youll weve theres dont doesnt isnt im ive youre theyre whats heres wont cant didnt
""".split())

MAX_WORDS = 3


def _is_subject(word: str) -> bool:
    return (len(word) > 2 and word not in STOPWORDS and word not in FILLER
            and not any(ch.isdigit() for ch in word))


def candidates(texts: Iterable[str], limit: int = 10, max_chars: int = 48) -> list[str]:
    """Up to `limit` topic phrases of `texts` (cues or sentences), best first."""
    counts: Counter[tuple[str, ...]] = Counter()
    forms: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    for text in texts:
        run: list[str] = []
        for match in list(_WORD.finditer(text)) + [None]:
            word = match.group() if match else ""
            if match and _is_subject(word.lower()):
                run.append(word)
                continue
            for n in range(1, MAX_WORDS + 1):
                for i in range(len(run) - n + 1):
                    gram = run[i:i + n]
                    key = tuple(fold(w.lower()) for w in gram)
                    counts[key] += 1
                    forms[key][" ".join(gram)] += 1
            run = []
    scored = sorted(
        ((c * (1 + 0.5 * (len(k) - 1)), k) for k, c in counts.items() if c >= (1 if len(k) == 1 else 2)),
        key=lambda item: (-item[0], item[1]),
    )
    chosen: list[tuple[str, ...]] = []
    for _, key in scored:
        if len(_surface(forms[key])) > max_chars:
            continue
        clash = [c for c in chosen if set(key) <= set(c) or set(c) <= set(key)]
        # A longer phrase that recurs takes the place of the one word it holds.
        if len(clash) == 1 and len(key) > len(clash[0]) and counts[key] * 3 >= counts[clash[0]]:
            chosen[chosen.index(clash[0])] = key
        elif not clash and len(chosen) < limit:
            chosen.append(key)
    return [_surface(forms[k]) for k in chosen]


def _surface(forms: Counter[str]) -> str:
    phrase = max(forms.items(), key=lambda item: (item[1], item[0]))[0]
    if phrase == phrase.lower():
        phrase = " ".join(w[:1].upper() + w[1:] for w in phrase.split())
    return phrase
