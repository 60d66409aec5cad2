"""Catalogue search: the document a summary is found by, and the query that finds it.

PostgreSQL: full-text search over a weighted tsvector (title and topics A,
section titles B, introduction C, bullets D) with a GIN index, parsed as a web
search (quotes, OR, -word; no input is a syntax error). SQLite: every word must
occur in the result's folded search text. Both fold case and accents, as topics are folded.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, SearchVectorField
from django.db import connection
from django.db.models import Case, Exists, F, FloatField, Func, IntegerField, OuterRef, QuerySet, Value, When

from ..models import Summary, SummaryTopic, normalize_topic

# The language configuration (stemming, stop words) shared by the stored vectors and the queries.
SEARCH_CONFIG = "english"
# Characters that mean something to a query language but nothing inside a word.
_SEARCH_PUNCTUATION = "\"'()&|!:<>*"
# Added to the rank of a match whose words occur in the query's order, next to each other
# (in the title, a topic, a section title or the introduction: bullets keep no positions).
# ts_rank of a query's words stays below 1, so every such match ranks above the others.
PHRASE_BONUS = 1.0


def search_document(title: str, data: dict) -> tuple[str, dict[str, str]]:
    """A summary's folded search text (SQLite) and its text by full-text weight (PostgreSQL):
    what it is about (title and topics, A) ranks above its section titles (B),
    introduction (C) and bullets (D)."""
    sections = [s for s in data.get("sections", []) if isinstance(s, dict)]
    topics = [*data.get("topics", []), *(t for s in sections for t in s.get("topics", []))]
    parts = {
        "A": [title, *topics],
        "B": [s.get("title", "") for s in sections],
        "C": [data.get("introduction", "")],
        "D": [b for s in sections for b in s.get("content", [])],
    }
    folded = {weight: normalize_topic(" ".join(p for p in texts if p)) for weight, texts in parts.items()}
    return " ".join(t for t in folded.values() if t), folded


def search_vector(parts: dict[str, str]):
    """The weighted tsvector expression (PostgreSQL), computed by the database.

    The bullets (D), most of the text, are stripped of positions: a bullet-only
    hit still matches and ranks as D, but a quoted phrase does not match inside
    bullets; the vector stays small and cheap to rank."""
    vector = None
    for weight, text in parts.items():
        if weight == "D":
            term = Func(SearchVector(Value(text), config=SEARCH_CONFIG), function="strip", output_field=SearchVectorField())
        else:
            term = SearchVector(Value(text), weight=weight, config=SEARCH_CONFIG)
        vector = term if vector is None else Func(
            vector, term, template="(%(expressions)s)", arg_joiner=" || ", output_field=SearchVectorField()
        )
    return vector


def summary_search(queryset: QuerySet[Summary], query: str) -> QuerySet[Summary]:
    """Keep the summaries matching `query` and annotate `rank` (higher is better).
    On SQLite a word found in a topic or the title ranks above one found elsewhere."""
    folded = normalize_topic(query)
    if not folded:
        return queryset
    if connection.vendor == "postgresql":
        tsquery = SearchQuery(folded, config=SEARCH_CONFIG, search_type="websearch")
        return queryset.filter(search_vector=tsquery).annotate(rank=_postgres_rank(folded))
    words = search_words(folded)
    if not words:  # nothing but operators or punctuation: nothing to narrow by
        return queryset.annotate(rank=Value(0))
    rank = Value(0)
    for word in words:
        queryset = queryset.filter(result__search_text__contains=word)
        in_topic = Exists(SummaryTopic.objects.filter(summary=OuterRef("pk"), topic__normalized__contains=word))
        rank = rank + Case(When(in_topic, then=Value(2)), default=Value(0), output_field=IntegerField())
        rank = rank + Case(When(video__title__icontains=word, then=Value(2)), default=Value(0), output_field=IntegerField())
    return queryset.annotate(rank=rank)


def _postgres_rank(folded: str):
    """ts_rank of the query's words taken one by one (weights A-D and how often each
    occurs), plus PHRASE_BONUS when they occur as a phrase: the topic named as asked
    comes first. Not ts_rank of the AND query itself, whose proximity term compares
    every position of every pair of words, for every match."""
    words = search_words(folded, negated=False)
    if not words:
        return Value(0.0, output_field=FloatField())
    any_words = SearchQuery(" or ".join(words), config=SEARCH_CONFIG, search_type="websearch")
    rank = SearchRank(F("search_vector"), any_words)
    if len(words) > 1:
        phrase = SearchQuery(" ".join(words), config=SEARCH_CONFIG, search_type="phrase")
        rank = rank + Case(When(search_vector=phrase, then=Value(PHRASE_BONUS)), default=Value(0.0), output_field=FloatField())
    return rank


def search_words(folded: str, *, negated: bool = True) -> list[str]:
    """The search's words in order, once each, without operators and punctuation;
    `negated`: with the words a leading "-" excludes (as plain words)."""
    words = []
    for raw in folded.split():
        word = raw.strip(_SEARCH_PUNCTUATION)
        if word.startswith("-"):
            if not negated:
                continue
            word = word[1:]
        if word and word != "or":
            words.append(word)
    return list(dict.fromkeys(words))
