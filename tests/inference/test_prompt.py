import pytest

from inference.prompt import (
    EmptyTranscriptError,
    Example,
    PromptSpec,
    PromptTooLongError,
    build_prompt,
    prefix_parts,
)
from inference.testing import gguf_tokenizer


@pytest.fixture(scope="module")
def tok():
    return gguf_tokenizer()


@pytest.fixture
def spec(seed, shape):
    return PromptSpec(
        instruction=seed["prompt"]["instruction"],
        shape=shape,
        examples=[Example(s["transcript"], s["answer"]) for s in seed["shots"]],
    )


def test_reference_layout(tok, spec, seed):
    transcript = seed["transcripts"]["rust"]
    prompt = build_prompt(tok, spec, transcript, context_tokens=8192, output_budget=1024,
                          compact_examples=False)
    assert prompt.layout == "chat"
    # Same text as rendering the whole conversation at once: instruction + transcript, no
    # separator, each example a user/assistant pair, the target last.
    messages = []
    for s in seed["shots"]:
        messages += [{"role": "user", "content": spec.instruction + s["transcript"]},
                     {"role": "assistant", "content": s["answer"]}]
    messages.append({"role": "user", "content": spec.instruction + transcript})
    expected = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert prompt.text == expected
    assert prompt.transcript_tokens_dropped == 0
    assert prompt.ids[: len(prompt.prefix_ids)] == list(prompt.prefix_ids)
    assert tok.decode(prompt.ids) == expected  # the separately tokenized runs spell the prompt


def test_prefix_is_shared_between_videos(tok, spec, seed):
    a = build_prompt(tok, spec, seed["transcripts"]["rust"], context_tokens=8192, output_budget=1024)
    b = build_prompt(tok, spec, seed["transcripts"]["react"], context_tokens=8192, output_budget=1024)
    assert a.prefix_ids == b.prefix_ids
    assert a.ids[: len(a.prefix_ids)] == b.ids[: len(b.prefix_ids)]
    assert a.transcript_ids != b.transcript_ids


def test_compact_examples_are_shorter(tok, spec):
    compact = prefix_parts(tok, spec, compact_examples=True)
    pretty = prefix_parts(tok, spec, compact_examples=False)
    assert '{"introduction":"' in compact.prefix_text
    assert len(compact.prefix_ids) < len(pretty.prefix_ids) - 150


def test_truncation_by_tokens(tok, spec, seed):
    transcript = seed["transcripts"]["catan"]
    n_transcript = len(tok(transcript, add_special_tokens=False)["input_ids"])
    parts = prefix_parts(tok, spec, compact_examples=True)
    fixed = len(parts.prefix_ids) + len(parts.suffix_ids)
    context, budget, room = fixed + 300 + 500, 500, 300
    prompt = build_prompt(tok, spec, transcript, context_tokens=context, output_budget=budget)
    assert prompt.transcript_tokens_kept == room
    assert prompt.transcript_tokens_dropped == n_transcript - room
    assert prompt.n_tokens + budget == context  # fits exactly, with room for the answer
    assert transcript.startswith(tok.decode(list(prompt.transcript_ids)).strip()[:200])


def test_empty_transcript(tok, spec):
    with pytest.raises(EmptyTranscriptError, match="empty"):
        build_prompt(tok, spec, "  \n", context_tokens=8192, output_budget=1024)


def test_examples_leave_no_room(tok, spec):
    parts = prefix_parts(tok, spec, compact_examples=True)
    fixed = len(parts.prefix_ids) + len(parts.suffix_ids)
    with pytest.raises(PromptTooLongError) as info:
        build_prompt(tok, spec, "some words", context_tokens=fixed + 100, output_budget=150)
    assert info.value.over_by == 51
    assert "over by 51 tokens" in str(info.value) and "2 examples" in str(info.value)


class _StrictTemplate:
    """A tokenizer wrapper whose chat template refuses assistant turns."""

    def __init__(self, tok, template):
        self._tok, self.chat_template = tok, template

    def apply_chat_template(self, messages, **kw):
        if self.chat_template is None:
            raise ValueError("no template")
        if any(m["role"] != "user" for m in messages):
            raise ValueError("Conversation roles must alternate user/assistant/user/...")
        return self._tok.apply_chat_template(messages, **kw)

    def __call__(self, *a, **kw):
        return self._tok(*a, **kw)

    def decode(self, *a, **kw):
        return self._tok.decode(*a, **kw)


@pytest.mark.parametrize("template, layout", [("strict", "merged"), (None, "plain")])
def test_template_fallbacks(tok, spec, seed, template, layout):
    strict = _StrictTemplate(tok, template)
    prompt = build_prompt(strict, spec, seed["transcripts"]["rust"], context_tokens=8192,
                          output_budget=1024)
    assert prompt.layout == layout
    assert prompt.text.count(spec.instruction) == 3
    assert prompt.transcript_tokens_kept > 0
