"""A summary written in parts (one call per stretch of the video, then the overview), on a
tiny random-weight model, and the time split it rests on."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inference import GenerationConfig, PromptSpec
from inference.parts import Cue, ordered, split
from inference.schema import TemplateShape, validate_summary
from inference.testing import tiny_engine

SENTENCES = [
    "A hash table stores each value under a key in an array of buckets.",
    "The hash function turns the key into the index of a bucket in the array.",
    "Two keys that land in the same bucket make a collision in the table.",
    "Chaining keeps a short list of entries in every bucket of the array.",
    "Open addressing probes the next free bucket when a collision happens.",
    "The load factor tells how full the table is before it must grow.",
    "Resizing builds a bigger array and moves every entry to its new bucket.",
    "Consistent hashing spreads the keys over many servers in a cluster.",
]


@pytest.fixture(scope="module")
def engine():
    return tiny_engine(seed=2)


@pytest.fixture(scope="module")
def spec(shape):
    small = TemplateShape(sections=3, bullets=2, section_topics=2, topics=2, general_topics=2,
                          fields=shape.fields, scale=shape.scale, introduction_chars=300,
                          title_chars=60, bullet_chars=120, topic_chars=24)
    return PromptSpec(instruction="Summarize the video as JSON.\n", shape=small, examples=())


def lecture(minutes=30, repeat=3):
    texts = SENTENCES * repeat
    step = minutes * 60 / len(texts)
    return [Cue(i * step, (i + 1) * step, t) for i, t in enumerate(texts)]


CFG = GenerationConfig(max_new_tokens=800, no_repeat_ngram=0)


def test_a_timed_transcript_is_written_in_parts_with_increasing_times(engine, spec):
    progress = []
    result = engine.summarize(spec, lecture(), config=CFG,
                              progress=lambda n, budget, text, part, parts: progress.append((part, parts)))
    assert validate_summary(spec.shape, json.dumps(result.data)) == result.summary
    times = result.section_times
    assert len(times) == 3 and times[0][0] == 0.0 and times[-1][1] == pytest.approx(1800.0)
    assert all(a[1] <= b[0] for a, b in zip(times, times[1:]))  # in order, no overlap
    assert sorted({p for p, _ in progress}) == [1, 2, 3, 4] and {n for _, n in progress} == {4}
    said = " ".join(SENTENCES)
    for section in result.data["sections"]:
        assert all(b in said for b in section["content"])  # extractive: the transcript's sentences


def test_without_times_the_sections_have_none(engine, spec):
    result = engine.summarize(spec, " ".join(SENTENCES * 3), config=CFG)
    assert result.section_times is None and len(result.data["sections"]) == 3


@pytest.mark.parametrize("cues", [
    [Cue(0.0, 2.0, "a hash table stores values under keys")],  # one cue
    [Cue(30.0, 40.0, SENTENCES[2]), Cue(0.0, 10.0, SENTENCES[0]), Cue(5.0, 20.0, SENTENCES[1])],  # unordered, overlapping
])
def test_odd_transcripts_still_give_a_valid_summary(engine, spec, cues):
    result = engine.summarize(spec, cues, config=CFG)
    assert validate_summary(spec.shape, json.dumps(result.data)) == result.summary


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 5000), st.floats(0.1, 30), st.integers(1, 12)), min_size=1, max_size=60),
       st.integers(1, 7))
def test_time_split_covers_every_cue_once_on_cue_boundaries(raw, n):
    cues = ordered([Cue(s, s + d, " ".join(["w"] * k)) for s, d, k in raw])
    parts = split(cues, n)
    assert 1 <= len(parts) <= n
    assert parts[0].first == 0 and parts[-1].last == len(cues)
    assert all(a.last == b.first for a, b in zip(parts, parts[1:]))  # no gap, no overlap
    assert all(p.first < p.last for p in parts)  # each part whole cues, never empty


def test_a_four_hour_lecture_is_read_whole(engine, spec):
    cues = lecture(minutes=240, repeat=150)  # 1,200 cues
    result = engine.summarize(spec, cues, config=CFG)
    times = result.section_times
    assert times[0][0] == 0.0 and times[-1][1] == pytest.approx(14400.0)
    assert validate_summary(spec.shape, json.dumps(result.data)) == result.summary


def test_a_transcript_in_another_language_gets_a_valid_summary(engine, spec):
    spanish = (
        "Una tabla hash guarda cada valor bajo una clave en un arreglo de cubetas. "
        "La función hash convierte la clave en el índice de una cubeta del arreglo. "
        "Dos claves que caen en la misma cubeta producen una colisión en la tabla. "
        "El encadenamiento mantiene una lista corta de entradas en cada cubeta. "
        "El direccionamiento abierto busca la siguiente cubeta libre del arreglo. "
        "El factor de carga indica cuán llena está la tabla antes de crecer. "
        "Al crecer se construye un arreglo mayor y cada entrada va a su nueva cubeta. "
        "Una buena función reparte las claves de manera uniforme entre las cubetas. "
        "Así la búsqueda de una clave toma tiempo constante en promedio. "
    )
    result = engine.summarize(spec, spanish, config=CFG)
    assert validate_summary(spec.shape, json.dumps(result.data)) == result.summary
    assert all(b in spanish for s in result.data["sections"] for b in s["content"])
