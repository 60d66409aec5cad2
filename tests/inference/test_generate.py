"""Generation with a tiny random-weight model: constrained decoding must still give a valid
summary, and the speed techniques must not change what comes out."""

import json
from dataclasses import replace

import pytest
import torch

from inference import (
    Example,
    GenerationCancelled,
    GenerationConfig,
    OutputInvalidError,
    PromptSpec,
    TemplateShape,
    validate_summary,
)
from inference.testing import tiny_engine

TRANSCRIPT = "today we look at hash tables and how open addressing resolves collisions " * 8


@pytest.fixture(scope="module")
def small_shape(shape) -> TemplateShape:
    # The seed's fields and scale with small counts, so a random model finishes quickly.
    return TemplateShape(sections=2, bullets=2, section_topics=1, topics=2, general_topics=2,
                         fields=shape.fields, scale=shape.scale, introduction_chars=60,
                         title_chars=40, bullet_chars=40, topic_chars=16)


@pytest.fixture(scope="module")
def spec(small_shape) -> PromptSpec:
    answer = {
        "introduction": "A video about sorting.",
        "sections": [
            {"title": "Section 1: Basics", "content": ["What sorting is.", "Why order matters."],
             "topics": ["Sorting"]},
            {"title": "Section 2: Quicksort", "content": ["Pivot choice.", "Partitioning."],
             "topics": ["Quicksort"]},
        ],
        "topics": ["Sorting", "Quicksort"],
        "General Topics": [{"topic": "Algorithms and Data Structures", "complexity": 0.35},
                           {"topic": "Theoretical Computer Science", "complexity": 0.4}],
    }
    return PromptSpec(instruction="Summarize the transcript as JSON.\n", shape=small_shape,
                      examples=[Example("we sort numbers with quicksort " * 5,
                                        json.dumps(answer, indent=2))])


@pytest.fixture(scope="module")
def engine():
    return tiny_engine(seed=1)


# One pass (not extractive, so a short untimed transcript is not split): what these tests of
# the decoding machinery look at. The parts are tested in test_parts_engine.py.
CFG = GenerationConfig(max_new_tokens=600, extractive=False)


@pytest.mark.parametrize("jump_forward", [True, False])
def test_random_model_gives_valid_summary(engine, spec, jump_forward):
    cfg = GenerationConfig(max_new_tokens=600, jump_forward=jump_forward)
    result = engine.summarize(spec, TRANSCRIPT, config=cfg)
    # Written in parts (a call per section, then the overview): raw_text holds each part's JSON.
    assert validate_summary(spec.shape, json.dumps(result.data)) == result.summary
    assert len(result.summary.sections) == 2
    assert result.data["General Topics"][0]["topic"] in spec.shape.fields
    assert (result.forced_tokens > 0) == jump_forward
    d = result.to_dict()
    assert d["output_tokens"] == result.output_tokens > 0
    assert d["summary"] == result.data and json.dumps(d)


def test_prefix_reuse_is_token_identical(engine, spec):
    engine.clear_prefix_cache()
    fresh = engine.summarize(spec, TRANSCRIPT, config=replace(CFG, use_prefix_cache=False))
    first = engine.summarize(spec, TRANSCRIPT, config=CFG)  # computes and stores the prefix
    (snapshot,) = engine._prefix_kv.values()
    before = [k.clone() for k, _ in snapshot.layers]
    reused = engine.summarize(spec, TRANSCRIPT, config=CFG)
    assert not fresh.prefix_cache_hit and not first.prefix_cache_hit
    assert reused.prefix_cache_hit
    assert fresh.raw_text == first.raw_text == reused.raw_text
    assert fresh.output_tokens == reused.output_tokens
    # the request wrote into its own copy, never into the stored prefix
    assert all(torch.equal(a, k) for a, (k, _) in zip(before, snapshot.layers))
    # a different video reuses the same prefix
    other = engine.summarize(spec, "binary search halves the range " * 6, config=CFG)
    assert other.prefix_cache_hit and other.raw_text != reused.raw_text


def test_preallocated_cache_matches_dynamic_cache(engine, spec):
    a = engine.summarize(spec, TRANSCRIPT, config=GenerationConfig(
        max_new_tokens=600, preallocate_cache=True, use_prefix_cache=False))
    b = engine.summarize(spec, TRANSCRIPT, config=GenerationConfig(
        max_new_tokens=600, preallocate_cache=False, use_prefix_cache=False))
    assert a.raw_text == b.raw_text


def test_sampling_is_seeded_and_valid(engine, spec):
    cfg = GenerationConfig(max_new_tokens=600, temperature=1.0, top_p=0.9, seed=7)
    a = engine.summarize(spec, TRANSCRIPT, config=cfg)
    b = engine.summarize(spec, TRANSCRIPT, config=cfg)
    assert a.raw_text == b.raw_text


def test_progress_and_cancel(engine, spec):
    calls = []
    cfg = replace(CFG, progress_interval_ms=0)
    result = engine.summarize(spec, TRANSCRIPT, config=cfg,
                              progress=lambda n, budget, text, part, parts: calls.append((n, budget, text, part, parts)))
    n, budget, text, part, parts = calls[-1]
    # A short untimed transcript is one pass: part 1 of 1, within the budget.
    assert (n, text, part, parts) == (result.output_tokens, result.raw_text, 1, 1) and n <= budget
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)

    checks = []
    with pytest.raises(GenerationCancelled):
        engine.summarize(spec, TRANSCRIPT, config=cfg,
                         should_cancel=lambda: checks.append(1) or len(checks) > 3)
    assert len(checks) == 4


def test_budget_too_small_is_a_typed_error_with_raw_text(engine, spec):
    with pytest.raises(OutputInvalidError) as info:
        # The budget binds when the grammar's own bound is not used (split_by_time off).
        engine.summarize(spec, TRANSCRIPT, config=GenerationConfig(max_new_tokens=20, split_by_time=False))
    assert info.value.raw.startswith('{"introduction":"')
    assert "20-token budget" in info.value.errors[0]


def test_unconstrained_random_output_is_rejected_after_one_retry(engine, spec):
    cfg = GenerationConfig(max_new_tokens=30, constrained=False)
    with pytest.raises(OutputInvalidError) as info:
        engine.summarize(spec, TRANSCRIPT, config=cfg)
    assert info.value.raw is not None
    assert any("not valid JSON" in e for e in info.value.errors)
