"""The generation knobs, torch-free: the web process reads them (token budgets) without
importing torch."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GenerationConfig:
    """Every generation knob. Speed defaults are the fast path; `inference.bench` switches them
    off one by one to measure what each is worth. Quality switches (QUALITY_SWITCHES) make the
    text come from the transcript; `inference.evaluate --ablation` switches them off in turn."""

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

    # --- quality ------------------------------------------------------------------------------
    split_by_time: bool = True  # long transcripts: one section per stretch of time (map, reduce)
    part_tokens: int = 3000  # at most this much of a stretch is read (evenly spaced runs of cues)
    ground_tokens: bool = True  # free text may only use tokens found in the transcript (+ glue)
    transcript_topics: bool = True  # topics are phrases of the transcript
    no_repeat_ngram: int = 3  # block a repeated word n-gram of this size (0: off)
    examples_as_format: bool = True  # examples show the format; their content is not shown
    rank_fields: bool = True  # general topics: the fields the transcript's words point to
    extractive: bool = True  # bullets, titles, introduction: picked from the transcript's sentences

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0


# name -> the value that switches the technique off (inference.evaluate --ablation)
QUALITY_SWITCHES: dict[str, object] = {
    "split_by_time": False,
    "ground_tokens": False,
    "transcript_topics": False,
    "no_repeat_ngram": 0,
    "examples_as_format": False,
    "rank_fields": False,
    "extractive": False,
}
