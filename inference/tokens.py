"""Token figures without loading model weights: for curators' screens in the
web process, which must not hold a model in memory.

`prompt_budget` tells how many tokens the instruction and each example take in
the prompt, and how many are left for a video's transcript.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

# Torch-free imports only: the web process counts tokens without loading torch
# (tests/test_layers_django_free.py checks it).
from .config import GenerationConfig
from .locate import ModelNotFoundError, default_model_path, from_pretrained_kwargs
from .prompt import PromptSpec, compact_answer, prefix_parts

_lock = threading.Lock()
_tokenizers: dict[str, Any] = {}
_contexts: dict[str, int] = {}


def load_tokenizer(model_id: str | None = None) -> Any:
    """The model's tokenizer alone, once per process (`None`: the default GGUF)."""
    from transformers import AutoTokenizer

    model_id = model_id or default_model_path()
    with _lock:
        if model_id not in _tokenizers:
            where, kwargs = from_pretrained_kwargs(model_id)
            try:
                _tokenizers[model_id] = AutoTokenizer.from_pretrained(where, **kwargs)
            except (OSError, ValueError) as exc:
                raise ModelNotFoundError(f"no tokenizer for model {model_id!r} on this machine: {exc}") from exc
        return _tokenizers[model_id]


def context_tokens(model_id: str | None = None) -> int:
    """The model's context length, read from its config (no weights loaded)."""
    from transformers import AutoConfig

    model_id = model_id or default_model_path()
    with _lock:
        if model_id not in _contexts:
            where, kwargs = from_pretrained_kwargs(model_id)
            try:
                config = AutoConfig.from_pretrained(where, **kwargs)
            except (OSError, ValueError) as exc:
                raise ModelNotFoundError(f"no config for model {model_id!r} on this machine: {exc}") from exc
            _contexts[model_id] = int(getattr(config, "max_position_embeddings", 0) or 2048)
        return _contexts[model_id]


def count_tokens(text: str, model_id: str | None = None) -> int:
    return len(load_tokenizer(model_id)(text, add_special_tokens=False)["input_ids"])


@dataclass(frozen=True)
class PromptBudget:
    context_tokens: int
    output_budget: int  # tokens kept free for the answer
    fixed_tokens: int  # instruction + examples + chat markup: the same for every video
    example_tokens: tuple[int, ...]  # each example's input + answer, as the prompt shows them
    instruction_tokens: int

    @property
    def transcript_room(self) -> int:
        """Tokens left for a video's transcript; negative when the examples do not fit."""
        return self.context_tokens - self.fixed_tokens - self.output_budget


def prompt_budget(spec: PromptSpec, model_id: str | None = None, config: GenerationConfig | None = None) -> PromptBudget:
    cfg = config or GenerationConfig()
    tokenizer = load_tokenizer(model_id)
    parts = prefix_parts(tokenizer, spec, compact_examples=cfg.compact_examples)

    def n(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    per_example = tuple(
        n(spec.instruction + ex.transcript)
        + n(compact_answer(spec.shape, ex.answer) if cfg.compact_examples else ex.answer)
        for ex in spec.examples
    )
    return PromptBudget(
        context_tokens=cfg.max_context_tokens or context_tokens(model_id),
        output_budget=cfg.max_new_tokens,
        fixed_tokens=len(parts.prefix_ids) + len(parts.suffix_ids),
        example_tokens=per_example,
        instruction_tokens=n(spec.instruction),
    )
