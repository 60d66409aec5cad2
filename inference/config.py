"""The generation knobs, torch-free: the web process reads them (token budgets) without
importing torch."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GenerationConfig:
    """Every generation knob. Defaults are the fast path; the bench switches them off one by
    one to measure what each is worth."""

    max_new_tokens: int = 1024  # also the room the prompt keeps free in the context
    temperature: float = 0.0  # 0 means greedy
    top_p: float = 1.0
    seed: int = 0
    progress_interval_ms: int = 500
    constrained: bool = True  # grammar-constrained; off = free text + json.loads + one retry
    use_prefix_cache: bool = True  # reuse the KV cache of instruction + examples
    jump_forward: bool = True  # append grammar-forced tokens without sampling them
    compact_examples: bool = True  # show example answers as compact JSON (fewer tokens to imitate)
    preallocate_cache: bool = True  # KV cache written in place instead of torch.cat per step
    max_context_tokens: int | None = None  # default: the model's max_position_embeddings

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0
