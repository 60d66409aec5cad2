"""Extractive choices and field ranking, on hand-made transcripts."""

import json

import pytest
import xgrammar as xgr

from inference import fields
from inference.extract import clean, fit, sentences, split_sentences
from inference.grammar import INTRO_SENTENCES, Part, grammar
from inference.parts import Cue

LECTURE = (
    "Today we talk about hash tables. A hash table stores values under keys in an array. "
    "Um, the hash function turns a key into an index of the array. "
    "When two keys land on the same index we have a collision in the hash table. "
    "Chaining keeps a list of values at each index of the array. "
    "So that's it. "
    "Open addressing looks for the next free slot of the array instead of chaining. "
    "The load factor says how full the hash table is and when to resize the array."
)


def cues(text, seconds=5.0):
    parts = [p.strip() + "." for p in text.split(".") if p.strip()]
    return [Cue(i * seconds, (i + 1) * seconds, p) for i, p in enumerate(parts)]


def test_clean_drops_filler_and_caption_marks():
    assert clean("um so [Music] the hash function >> maps keys") == "The hash function maps keys."
    assert clean("Okay, so and now we hash") == "We hash."


def test_fit_cuts_at_a_word():
    assert fit("one two three four", 12) == "one two…"
    assert fit("short", 12) == "short"


def test_sentences_come_from_the_transcript_in_its_order():
    found = sentences(cues(LECTURE), ["Hash Table", "Array", "Index"], limit=4, max_chars=200)
    assert len(found) == 4
    text = LECTURE.replace("Um, ", "").lower()
    positions = [text.index(s.rstrip(".").lower()) for s in found]
    assert positions == sorted(positions)  # verbatim, and in the order they are said
    assert "So that's it." not in found  # no content


def test_a_sentence_already_used_is_not_offered_again():
    first = sentences(cues(LECTURE), ["Hash Table"], limit=2, max_chars=200)
    again = sentences(cues(LECTURE), ["Hash Table"], limit=8, max_chars=200, avoid=first)
    assert not set(first) & set(again)


def test_unpunctuated_captions_are_cut_at_cues_and_short_stretches_more_finely():
    words = [f"word{i}" for i in range(40)]
    caps = [Cue(i, i + 1, " ".join(words[i * 4:(i + 1) * 4])) for i in range(10)]
    runs = split_sentences(caps)
    assert " ".join(runs).split() == words and all(len(r.split()) <= 30 for r in runs)
    fine = split_sentences(caps, run=5)
    assert " ".join(fine).split() == words and len(fine) > len(runs)


def _accepts(g, value) -> bool:
    vocab = [chr(i) for i in range(32, 127)] + ["<eos>"]
    compiler = xgr.GrammarCompiler(xgr.TokenizerInfo(vocab, stop_token_ids=[len(vocab) - 1]), max_threads=1)
    matcher = xgr.GrammarMatcher(compiler.compile_grammar(g.ebnf))
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return matcher.accept_string(text) and matcher.is_completed() and len(text) <= g.max_chars


def test_a_section_grammar_offers_only_the_choices(shape):
    bullets = tuple(f"Sentence {i} about \"quotes\"." for i in range(6))
    g = grammar(shape, Part.SECTION, section=2, topics=("A", "B", "C"), bullets=bullets, titles=("Hash Table",))
    section = {"title": "Section 2: Hash Table", "content": list(bullets[2:6]), "topics": ["C", "A", "B"]}
    assert _accepts(g, section)
    assert not _accepts(g, dict(section, title="Section 2: Something else"))
    assert not _accepts(g, dict(section, content=[bullets[0], bullets[0], bullets[1], bullets[2]]))  # distinct
    assert not _accepts(g, dict(section, content=["Made up.", *bullets[:3]]))


def test_an_overview_grammar_takes_the_ranked_fields_and_chosen_sentences(shape):
    FIELDS = shape.fields
    said = ("First sentence.", "Second one.", "Third one.")
    g = grammar(shape, Part.OVERVIEW, topics=tuple("ABCDE"), intro=said, fields=FIELDS[3:6])
    general = [{"topic": f, "complexity": 0.5} for f in FIELDS[3:6]]
    overview = {"introduction": "Third one. First sentence.", "topics": list("EDCBA"), "General Topics": general}
    assert INTRO_SENTENCES == 2 and _accepts(g, overview)
    assert not _accepts(g, dict(overview, introduction="Third one. Third one."))
    assert not _accepts(g, dict(overview, **{"General Topics": general[::-1]}))  # the ranked order


@pytest.mark.parametrize("text, first", [
    ("the neural network is trained by gradient descent on the loss; training the model takes epochs",
     "Artificial Intelligence (AI) and Machine Learning"),
    ("the sql query joins two tables; an index on the column makes the query fast; the transaction commits",
     "Database Systems and Management"),
])
def test_fields_ranked_by_the_transcripts_words(shape, text, first):
    ranked = fields.rank(shape.fields, text, 3)
    assert ranked is not None and ranked[0] == first and len(set(ranked)) == 3


def test_no_evidence_or_unknown_fields_leave_the_choice_to_the_model(shape):
    assert fields.rank(shape.fields, "we play a board game with sheep and wheat", 3) is None
    assert fields.rank(("Cooking", "Gardening", "Music"), "neural network training", 3) is None
