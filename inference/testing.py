"""Tiny random-weight models for tests: real tokenizer and chat template, instant weights.

With schema-constrained decoding even random weights must give a valid summary, which is what
makes generation testable without a real model.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import torch

from .engine import Engine
from .locate import default_model_path
from .model import LoadedModel


@functools.lru_cache(maxsize=2)
def gguf_tokenizer(path: str | None = None) -> Any:
    """The SmolLM2 GGUF tokenizer (it carries a chat template); loaded once per process."""
    from transformers import AutoTokenizer

    gguf = Path(path or default_model_path())
    return AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)


def tiny_model(tokenizer: Any, *, seed: int = 0, layers: int = 2, hidden: int = 64,
               max_positions: int = 4096) -> Any:
    """A LlamaForCausalLM with random weights, sized for milliseconds per token."""
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=max_positions,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    return LlamaForCausalLM(config).eval()


def tiny_engine(*, seed: int = 0, max_positions: int = 4096, tokenizer: Any = None) -> Engine:
    tokenizer = tokenizer or gguf_tokenizer()
    model = tiny_model(tokenizer, seed=seed, max_positions=max_positions)
    loaded = LoadedModel(model=model, tokenizer=tokenizer, model_id=f"tiny-random-llama-{seed}",
                         device=torch.device("cpu"), dtype=torch.float32)
    return Engine(loaded)
