"""The quality figures on hand-made summaries, each case built so the figure could fail."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from inference import quality

REPO_ROOT = Path(__file__).resolve().parents[2]

FIELDS = ["Algorithms and Data Structures", "Computer Architecture", "Quantum Computing"]


def summary(intro: str, bullets: list[str], topics: list[str] | None = None,
            fields: list[str] | None = None, title: str = "Section 1:") -> dict:
    """A summary with one section holding `bullets`, its title only the fixed prefix by
    default (no schema check: the figures need none)."""
    return {
        "introduction": intro,
        "sections": [{"title": title, "content": bullets, "topics": topics or []}],
        "topics": [],
        "General Topics": [{"topic": f, "complexity": 0.5} for f in (fields or [])],
    }


TRANSCRIPT = (
    "today we look at hash tables. a hash table maps keys to buckets with a hash function. "
    "when two keys land in the same bucket we resolve the collision by chaining or by open "
    "addressing. the load factor decides when the table grows and every key is rehashed."
)
EXAMPLE = summary(
    "This video provides an in-depth analysis of Mistral, a new language model developed by "
    "a leading European startup.",
    ["Comparison between Mistral and vanilla transformer models.",
     "Exploration of the sliding window attention mechanism in great detail."],
    ["Transformer Architecture", "Sliding Window Attention"],
)


# --- text and words ---------------------------------------------------------------------------


def test_summary_text_leaves_out_field_names_and_the_section_prefix():
    data = summary("An intro.", ["A bullet."], ["A topic"], fields=["Quantum Computing"],
                   title="Section 3: Hashing basics")
    data["topics"] = ["Overall topic"]
    text = quality.summary_text(data)
    assert text.splitlines() == ["An intro.", "Hashing basics", "A bullet.", "A topic", "Overall topic"]
    assert "Quantum" not in text and "Section" not in text


def test_words_are_lowercase_alphanumeric_runs():
    assert quality.words("C++ high-level API's, don’t 42x!") == ["c", "high", "level", "api's", "don't", "42x"]


@pytest.mark.parametrize("word, key", [
    ("queries", "query"), ("classes", "class"), ("networks", "network"), ("gpus", "gpu"),
    ("boxes", "box"), ("model's", "model"),
    # not plurals
    ("is", "is"), ("this", "this"), ("analysis", "analysis"), ("class", "class"), ("axis", "axis"),
])
def test_fold(word, key):
    assert quality.fold(word) == key


@pytest.mark.parametrize("plural, singular", [("caches", "cache"), ("processes", "process"),
                                              ("uses", "use"), ("databases", "database")])
def test_a_plural_and_its_singular_share_a_key(plural, singular):
    assert quality.fold(plural) == quality.fold(singular)


def test_content_words_drop_stopwords_and_numbers_and_fold():
    assert quality.content_words("The 3 queries of this table are in 2024 its networks") == [
        "query", "table", "network"]


def test_stopword_list_is_function_words():
    assert 120 <= len(quality.STOPWORDS) <= 250
    assert {"the", "of", "and", "is", "this", "don't"} <= quality.STOPWORDS
    assert not {"hash", "table", "model", "network", "data"} & quality.STOPWORDS


# --- copied and grounded ----------------------------------------------------------------------


def test_a_summary_copied_from_an_example_scores_copied_high():
    assert quality.copied(EXAMPLE, [json.dumps(EXAMPLE)], TRANSCRIPT) > 0.9
    assert quality.copied(EXAMPLE, [EXAMPLE], TRANSCRIPT) > 0.9  # a dict works the same


def test_transcript_sentences_score_copied_zero_and_grounded_high():
    data = summary("A hash table maps keys to buckets with a hash function.",
                   ["When two keys land in the same bucket we resolve the collision by chaining.",
                    "The load factor decides when the table grows."],
                   ["hash tables", "load factor"])
    assert quality.copied(data, [EXAMPLE], TRANSCRIPT) == 0.0
    assert quality.grounded(data, TRANSCRIPT) > 0.95


def test_an_example_4gram_that_is_also_in_the_transcript_is_not_copied():
    transcript = TRANSCRIPT + " the sliding window attention mechanism is not used here."
    data = summary("Exploration of the sliding window attention mechanism.", [])
    # 4-grams, all in the example: "exploration of the sliding", "of the sliding window",
    # "the sliding window attention", "sliding window attention mechanism"; the last two are
    # in the transcript too.
    assert quality.copied(data, [EXAMPLE], transcript) == pytest.approx(2 / 4)


def test_invented_words_lower_grounded_by_their_share():
    # Content words: hash, table, bucket, collision (from the transcript) + 4 invented ones.
    data = summary("Hash tables and buckets resolve collisions.",
                   ["Quasar zebra trombone marmalade."])
    assert quality.content_words(quality.summary_text(data)) == [
        "hash", "table", "bucket", "resolve", "collision", "quasar", "zebra", "trombone", "marmalade"]
    assert quality.grounded(data, TRANSCRIPT) == pytest.approx(5 / 9)


def test_grounded_counts_repetitions():
    data = summary("zebra zebra zebra hash", [])
    assert quality.grounded(data, TRANSCRIPT) == pytest.approx(1 / 4)


def test_the_real_example_answers_are_copied_from_themselves(answers):
    transcript = "rust is a memory safe compiled programming language"
    for answer in answers:
        assert quality.copied(answer, answers, transcript) > 0.9


# --- repeated ---------------------------------------------------------------------------------


def test_a_looping_summary_scores_repeated_high():
    data = summary("The minutest of " * 10, ["of minutest of minutest of minutest"])
    assert quality.repeated(data) > 0.8


def test_repeats_across_pieces_count():
    data = summary("hash tables map keys", ["hash tables map keys"])
    # 2 three-grams in each piece; the second piece's two repeat the first's.
    assert quality.repeated(data) == pytest.approx(2 / 4)


def test_a_summary_without_repeats_scores_zero():
    data = summary("A hash table maps keys to buckets.", ["Collisions are resolved by chaining."])
    assert quality.repeated(data) == 0.0


def test_figures_of_an_empty_summary():
    data = summary("Hi.", [])
    assert quality.copied(data, [EXAMPLE], TRANSCRIPT) == 0.0
    assert quality.repeated(data) == 0.0
    assert quality.grounded(summary("the of", []), TRANSCRIPT) == 0.0


# --- coverage ---------------------------------------------------------------------------------


def test_coverage_is_the_union_of_section_times():
    assert quality.coverage([(0, 50), (40, 100)], 200) == pytest.approx(0.5)
    assert quality.coverage([(40, 100), (0, 50)], 200) == pytest.approx(0.5)  # any order
    assert quality.coverage([(0, 10), (20, 30), (25, 400)], 100) == pytest.approx(0.9)  # clipped


def test_coverage_is_none_without_times_or_duration():
    assert quality.coverage(None, 200) is None
    assert quality.coverage([], 200) is None
    assert quality.coverage([(0, 50)], None) is None
    assert quality.coverage([(0, 50)], 0) is None


# --- distinct ---------------------------------------------------------------------------------


def test_distinct():
    a = summary("hash tables buckets", ["collision chaining"])
    b = summary("neural networks gradient", ["backpropagation layers"])
    half = summary("hash tables buckets", ["neural networks gradient"])
    assert quality.distinct([a, a]) == 1.0
    assert quality.distinct([a, b]) == 0.0
    # a∩half = {hash, table, bucket}, a∪half = 8 words
    assert quality.distinct([a, half]) == pytest.approx(3 / 8)
    assert quality.distinct([a, a, b]) == pytest.approx((1 + 0 + 0) / 3)
    assert quality.distinct([a]) is None
    assert quality.distinct([]) is None


# --- fields -----------------------------------------------------------------------------------


def test_field_any_and_top1():
    data = summary("x", [], fields=FIELDS)
    assert quality.field_any(data, ["Computer Architecture"]) is True
    assert quality.field_top1(data, ["Computer Architecture"]) is False
    assert quality.field_top1(data, ["Algorithms and Data Structures", "Quantum Computing"]) is True
    assert quality.field_any(data, ["Theoretical Computer Science"]) is False
    assert quality.field_top1(data, ["Theoretical Computer Science", "Algorithms and Data Structures"]) is False
    assert quality.field_any(data, []) is None
    assert quality.field_top1(data, []) is None
    assert quality.field_top1(summary("x", []), ["Quantum Computing"]) is False


def test_figures_gathers_every_figure():
    data = summary("A hash table maps keys to buckets.", [], fields=FIELDS)
    figs = quality.figures(data, transcript=TRANSCRIPT, example_answers=[EXAMPLE],
                           section_times=[(0, 50)], duration=100,
                           expected_fields=["Computer Architecture"])
    assert set(figs) == {"grounded", "copied", "repeated", "coverage", "field_any", "field_top1"}
    assert figs["coverage"] == 0.5 and figs["field_any"] is True and figs["field_top1"] is False
    assert figs["grounded"] == 1.0 and figs["copied"] == 0.0 and figs["repeated"] == 0.0


def test_quality_imports_without_torch():
    code = ("import sys, inference.quality; "
            "print(sorted(m for m in ('torch', 'transformers', 'django') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                         text=True, timeout=120, check=True).stdout
    assert out.strip() == "[]"
