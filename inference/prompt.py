"""Few-shot prompt in the reference layout, cut to fit the model's context by tokens.

Layout (as in the reference pipeline's log): for each example, a user turn made of the
instruction immediately followed by the example transcript (no separator), then an assistant
turn with the curated answer; last, a user turn with the instruction and the target transcript.

The prompt is kept as three token runs, tokenized separately and concatenated:
`prefix` (everything up to and including the target's instruction, the same for every video),
the kept `transcript` tokens, and the `suffix` (end of the user turn + assistant opening).
Because the prompt ids are defined as that concatenation, the prefix ids are by construction a
true prefix of every prompt built from the same spec, which is what lets its KV cache be reused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .schema import SummaryValidationError, TemplateShape, validate_summary

# Marks where the target transcript goes in the rendered chat; never appears in real text.
_MARK = "\u2063<<TARGET-TRANSCRIPT>>\u2063"


class PromptError(ValueError):
    """The prompt cannot be built; the message says why."""


class EmptyTranscriptError(PromptError):
    pass


class PromptTooLongError(PromptError):
    """The instruction and examples leave no room for a transcript."""

    def __init__(self, message: str, *, over_by: int) -> None:
        self.over_by = over_by
        super().__init__(message)


class ExampleInvalidError(PromptError):
    """A curated example answer does not follow the template (needed for compact examples)."""


@dataclass(frozen=True)
class Example:
    transcript: str
    answer: str  # a JSON string, as curated


@dataclass(frozen=True)
class PromptSpec:
    instruction: str
    shape: TemplateShape
    examples: tuple[Example, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "examples", tuple(self.examples))


@dataclass(frozen=True)
class BuiltPrompt:
    prefix_ids: tuple[int, ...]
    transcript_ids: tuple[int, ...]  # the kept part of the target transcript
    suffix_ids: tuple[int, ...]
    text: str
    layout: str  # "chat", "merged" or "plain": which rendering the tokenizer accepted
    transcript_tokens_kept: int
    transcript_tokens_dropped: int
    output_budget: int
    context_tokens: int

    @property
    def ids(self) -> list[int]:
        return [*self.prefix_ids, *self.transcript_ids, *self.suffix_ids]

    @property
    def n_tokens(self) -> int:
        return len(self.prefix_ids) + len(self.transcript_ids) + len(self.suffix_ids)


def compact_answer(shape: TemplateShape, answer: str) -> str:
    """The curated answer re-serialized the way constrained decoding writes: keys in the
    template's order, no whitespace. Showing examples like this makes the model imitate it."""
    try:
        return validate_summary(shape, answer).to_compact_json()
    except SummaryValidationError as exc:
        raise ExampleInvalidError(f"a curated example does not follow the template: {exc}") from exc


def build_messages(
    spec: PromptSpec, transcript: str, *, compact_examples: bool
) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = []
    for example in spec.examples:
        answer = compact_answer(spec.shape, example.answer) if compact_examples else example.answer
        messages.append({"role": "user", "content": spec.instruction + example.transcript})
        messages.append({"role": "assistant", "content": answer})
    messages.append({"role": "user", "content": spec.instruction + transcript})
    return messages


def _render_chat(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def _merged(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """One user turn holding the examples as text: for templates that refuse assistant turns
    or multi-turn chats."""
    parts = []
    for m in messages[:-1]:
        label = "Example input" if m["role"] == "user" else "Example output"
        parts.append(f"{label}:\n{m['content']}")
    parts.append(messages[-1]["content"])
    return [{"role": "user", "content": "\n\n".join(parts)}]


def _render_plain(messages: list[dict[str, str]]) -> str:
    turns = [f"{m['role'].capitalize()}: {m['content']}" for m in messages]
    return "\n\n".join(turns) + "\n\nAssistant: "


def render(tokenizer: Any, messages: list[dict[str, str]]) -> tuple[str, str]:
    """Render with the tokenizer's chat template, falling back when it rejects the layout.

    Returns (text, layout)."""
    if getattr(tokenizer, "chat_template", None):
        for layout, msgs in (("chat", messages), ("merged", _merged(messages))):
            try:
                return _render_chat(tokenizer, msgs), layout
            except Exception:  # jinja TemplateError, raise_exception(...), ValueError...
                continue
    return _render_plain(messages), "plain"


def _encode(tokenizer: Any, text: str) -> list[int]:
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


@dataclass
class PrefixParts:
    """The transcript-independent parts of a prompt, tokenized (cacheable per spec)."""

    prefix_text: str
    suffix_text: str
    prefix_ids: list[int] = field(repr=False)
    suffix_ids: list[int] = field(repr=False)
    layout: str


def prefix_parts(tokenizer: Any, spec: PromptSpec, *, compact_examples: bool) -> PrefixParts:
    messages = build_messages(spec, _MARK, compact_examples=compact_examples)
    text, layout = render(tokenizer, messages)
    if text.count(_MARK) != 1:
        raise PromptError("the chat template did not keep the transcript intact")
    prefix_text, suffix_text = text.split(_MARK)
    return PrefixParts(
        prefix_text=prefix_text,
        suffix_text=suffix_text,
        prefix_ids=_encode(tokenizer, prefix_text),
        suffix_ids=_encode(tokenizer, suffix_text),
        layout=layout,
    )


def build_prompt(
    tokenizer: Any,
    spec: PromptSpec,
    transcript: str,
    *,
    context_tokens: int,
    output_budget: int,
    compact_examples: bool = True,
    parts: PrefixParts | None = None,
) -> BuiltPrompt:
    """Build the prompt, keeping as much of the transcript as fits.

    The transcript is cut by tokens so that prompt + `output_budget` <= `context_tokens`.
    """
    if not transcript or not transcript.strip():
        raise EmptyTranscriptError("the transcript is empty: there is nothing to summarize")
    parts = parts or prefix_parts(tokenizer, spec, compact_examples=compact_examples)
    transcript_ids = _encode(tokenizer, transcript)
    fixed = len(parts.prefix_ids) + len(parts.suffix_ids)
    room = context_tokens - fixed - output_budget
    if room < 1:
        n = len(spec.examples)
        raise PromptTooLongError(
            f"the instruction and {n} example{'s' if n != 1 else ''} take {fixed} tokens; with "
            f"{output_budget} tokens kept for the answer, a {context_tokens}-token context has "
            f"no room for a transcript (over by {1 - room} tokens). Use fewer or shorter "
            "examples, or a smaller max_new_tokens.",
            over_by=1 - room,
        )
    kept = transcript_ids[:room]
    kept_text = tokenizer.decode(kept) if len(kept) < len(transcript_ids) else transcript
    return BuiltPrompt(
        prefix_ids=tuple(parts.prefix_ids),
        transcript_ids=tuple(kept),
        suffix_ids=tuple(parts.suffix_ids),
        text=parts.prefix_text + kept_text + parts.suffix_text,
        layout=parts.layout,
        transcript_tokens_kept=len(kept),
        transcript_tokens_dropped=len(transcript_ids) - len(kept),
        output_budget=output_budget,
        context_tokens=context_tokens,
    )

