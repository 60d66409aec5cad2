import copy
import json

import pytest
import xgrammar as xgr

from inference.grammar import ebnf_grammar

from inference.schema import (
    GENERAL_TOPICS_KEY,
    ScaleBand,
    SummaryData,
    SummaryValidationError,
    TemplateShape,
    json_schema,
    validate_summary,
)


def test_curated_answers_validate(seed, shape):
    for shot in seed["shots"]:
        data = validate_summary(shape, shot["answer"])
        assert isinstance(data, SummaryData)
        assert len(data.sections) == shape.sections
        assert data.general_topics[0].topic in shape.fields
        # round trip: plain dict keeps the template's keys
        assert data.to_dict() == json.loads(shot["answer"])


def _errors(shape, data) -> list[str]:
    with pytest.raises(SummaryValidationError) as info:
        validate_summary(shape, data)
    return info.value.errors


def test_wrong_bullet_count_names_path(shape, answers):
    a = answers[0]
    a["sections"][2]["content"].pop()
    assert _errors(shape, a) == ["sections[2].content has 3 bullets; the template asks for 4"]


def test_unknown_general_topic(shape, answers):
    a = answers[0]
    a[GENERAL_TOPICS_KEY][1]["topic"] = "Cooking"
    assert _errors(shape, a) == [
        "General Topics[1].topic 'Cooking' is not one of the template's fields"
    ]


def test_repeated_general_topic(shape, answers):
    a = answers[1]
    a[GENERAL_TOPICS_KEY][2]["topic"] = a[GENERAL_TOPICS_KEY][0]["topic"]
    (msg,) = _errors(shape, a)
    assert msg.startswith("General Topics[2].topic") and "distinct" in msg


def test_invalid_json_string(shape, seed):
    (msg,) = _errors(shape, seed["shots"][0]["answer"][:-5])
    assert msg.startswith("not valid JSON: ")


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda a: a["sections"].pop(), "sections has 4 sections; the template asks for 5"),
        (lambda a: a["sections"][0].__setitem__("title", "Intro"),
         "sections[0].title 'Intro' must read 'Section 1: ...'"),
        (lambda a: a["sections"].reverse(), "sections[0].title"),
        (lambda a: a["topics"].append("Extra"), "topics has 6 topics; the template asks for 5"),
        (lambda a: a["sections"][4]["topics"].pop(),
         "sections[4].topics has 2 topics; the template asks for 3"),
        (lambda a: a[GENERAL_TOPICS_KEY][0].__setitem__("complexity", 0.895),
         "General Topics[0].complexity 0.895 has more than two decimals"),
        (lambda a: a[GENERAL_TOPICS_KEY][0].__setitem__("complexity", 1.5),
         "General Topics[0].complexity 1.5 is outside [0, 1]"),
        (lambda a: a[GENERAL_TOPICS_KEY][0].__setitem__("complexity", "0.5"),
         "General Topics[0].complexity must be a number, not str"),
        (lambda a: a[GENERAL_TOPICS_KEY].pop(), "General Topics has 2 topics; the template asks for 3"),
        (lambda a: a.pop("introduction"), "is missing the key 'introduction'"),
        (lambda a: a.__setitem__("extra", 1), "has an unexpected key 'extra'"),
        (lambda a: a["sections"][1]["content"].__setitem__(0, ""), "sections[1].content[0] is empty"),
        (lambda a: a.__setitem__("introduction", "x" * 601),
         "introduction is 601 characters; the template allows at most 600"),
    ],
)
def test_broken_variants_rejected(shape, answers, mutate, expected):
    a = answers[0]
    mutate(a)
    errors = _errors(shape, a)
    assert any(expected in e for e in errors), errors


def test_not_an_object(shape):
    assert _errors(shape, "[1, 2]") == ["the summary must be a JSON object, not list"]


def test_shape_round_trip_and_scale(shape):
    again = TemplateShape.from_dict(json.loads(json.dumps(shape.to_dict())))
    assert again == shape
    assert hash(again) == hash(shape)
    assert shape.label_for(0.55) == "Average College Lecture"
    assert shape.label_for(0.0) == "Elementary"
    assert shape.label_for(1.0) == "PhD Level Lecture"
    assert shape.label_for(0.095) == "Elementary"  # between bands: the band below
    assert TemplateShape(fields=("a",), general_topics=1).label_for(0.5) is None


def test_shape_counts_are_data(seed, answers):
    small = TemplateShape(sections=2, bullets=1, section_topics=1, topics=1, general_topics=1,
                          fields=("X", "Y"), scale=(ScaleBand(0, 1, "any"),))
    good = {
        "introduction": "i",
        "sections": [{"title": f"Section {k}: t", "content": ["b"], "topics": ["t"]} for k in (1, 2)],
        "topics": ["t"],
        GENERAL_TOPICS_KEY: [{"topic": "Y", "complexity": 1}],
    }
    assert validate_summary(small, good).general_topics[0].complexity == 1
    with pytest.raises(SummaryValidationError):
        validate_summary(small, answers[0])


def test_shape_rejects_impossible_templates():
    with pytest.raises(ValueError, match="distinct general topics"):
        TemplateShape(fields=("a", "b"), general_topics=3)
    with pytest.raises(ValueError, match="unknown TemplateShape keys"):
        TemplateShape.from_dict({"fields": ["a"], "general_topics": 1, "colour": 1})


@pytest.fixture(scope="module")
def compiler():
    # A byte-level toy vocabulary is enough to check what the grammar accepts.
    vocab = [chr(i) for i in range(32, 127)] + ["<eos>"]
    info = xgr.TokenizerInfo(vocab, stop_token_ids=[len(vocab) - 1])
    return xgr.GrammarCompiler(info, max_threads=1)


def _accepts(compiler, grammar: str, text: str) -> bool:
    matcher = xgr.GrammarMatcher(compiler.compile_grammar(grammar))
    return matcher.accept_string(text) and matcher.is_completed()


def test_grammar_accepts_compact_curated_answers(compiler, shape, seed):
    grammar = ebnf_grammar(shape)
    for shot in seed["shots"]:
        compact = validate_summary(shape, shot["answer"]).to_compact_json()
        assert _accepts(compiler, grammar, compact)
        assert not _accepts(compiler, grammar, shot["answer"])  # whitespace is not allowed


def test_grammar_rejects_what_validation_rejects(compiler, shape, answers):
    grammar = ebnf_grammar(shape)
    dump = lambda a: json.dumps(a, separators=(",", ":"))
    a = copy.deepcopy(answers[0])
    a[GENERAL_TOPICS_KEY][1]["topic"] = a[GENERAL_TOPICS_KEY][0]["topic"]
    assert not _accepts(compiler, grammar, dump(a))
    a = copy.deepcopy(answers[0])
    a[GENERAL_TOPICS_KEY][0]["complexity"] = 0.891
    assert not _accepts(compiler, grammar, dump(a))
    a = copy.deepcopy(answers[0])
    a["sections"][1]["title"] = "Section 3: wrong number"
    assert not _accepts(compiler, grammar, dump(a))


def test_json_schema_is_bounded_and_compiles(compiler, shape):
    schema = json_schema(shape)
    props = schema["properties"]
    assert props["introduction"]["maxLength"] == shape.introduction_chars
    assert props[GENERAL_TOPICS_KEY]["items"]["properties"]["topic"]["enum"] == list(shape.fields)
    assert len(props["sections"]["prefixItems"]) == shape.sections
    compiler.compile_json_schema(json.dumps(schema), any_whitespace=False)
