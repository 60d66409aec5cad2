"""Grammar-constrained decoding with our own small loop (prefill, decode step, sample).

Why not `model.generate`: per token it rebuilds logits processors, masks and stopping
criteria and grows the KV cache by concatenation; here a step is one forward pass on a
preallocated cache, one xgrammar mask and one argmax. Shapes are noted as [batch, seq, ...].
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import torch
import xgrammar as xgr
from transformers.cache_utils import Cache, DynamicCache, DynamicLayer

from .config import GenerationConfig  # re-exported: `from inference.generate import GenerationConfig`

ProgressFn = Callable[[int, int, str], None]  # (tokens_so_far, token_budget, text_so_far)


class TokenConstraint(Protocol):
    def apply(self, logits: torch.Tensor) -> None: ...  # mask logits [1, V] in place

    def accept(self, ids: list[int]) -> None: ...
CancelFn = Callable[[], bool]


class GenerationError(RuntimeError):
    pass


class GenerationCancelled(GenerationError):
    """`should_cancel()` returned True; generation stopped between two tokens."""


# --- KV cache -------------------------------------------------------------------------------


class PreallocatedLayer(DynamicLayer):
    """A DynamicLayer whose keys/values live in a buffer sized for the whole request, so a
    decode step writes one slot in place instead of copying the cache with torch.cat."""

    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity = capacity
        self.length = 0
        self._k: torch.Tensor | None = None  # [B, H_kv, capacity, D]
        self._v: torch.Tensor | None = None

    def update(self, key_states, value_states, *args, **kwargs):
        # key_states: [B, H_kv, T, D]
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        t = key_states.shape[-2]
        if self._k is None or self.length + t > self._k.shape[-2]:
            self._grow(key_states, value_states, self.length + t)
        self._k[:, :, self.length:self.length + t] = key_states
        self._v[:, :, self.length:self.length + t] = value_states
        self.length += t
        self.keys = self._k[:, :, :self.length]  # view: [B, H_kv, length, D]
        self.values = self._v[:, :, :self.length]
        return self.keys, self.values

    def _grow(self, k: torch.Tensor, v: torch.Tensor, needed: int) -> None:
        size = max(needed, self.capacity, 2 * (0 if self._k is None else self._k.shape[-2]))
        new_k = k.new_empty((*k.shape[:2], size, k.shape[-1]))
        new_v = v.new_empty((*v.shape[:2], size, v.shape[-1]))
        if self._k is not None and self.length:
            new_k[:, :, :self.length] = self._k[:, :, :self.length]
            new_v[:, :, :self.length] = self._v[:, :, :self.length]
        self._k, self._v = new_k, new_v


def new_cache(model: Any, capacity: int, preallocate: bool) -> Cache:
    if not preallocate:
        return DynamicCache()
    n_layers = model.config.get_text_config(decoder=True).num_hidden_layers
    return Cache(layers=[PreallocatedLayer(capacity) for _ in range(n_layers)])


@dataclass(frozen=True)
class PrefixKV:
    """Snapshot of the KV cache after the shared prefix; never written after creation."""

    ids: tuple[int, ...]
    layers: tuple[tuple[torch.Tensor, torch.Tensor], ...] = field(repr=False)


def snapshot_prefix(cache: Cache, ids: list[int]) -> PrefixKV:
    layers = tuple((layer.keys.clone(), layer.values.clone()) for layer in cache.layers)
    return PrefixKV(ids=tuple(ids), layers=layers)


def cache_from_prefix(model: Any, prefix: PrefixKV, capacity: int, preallocate: bool) -> Cache:
    """A fresh per-request cache holding a copy of the prefix (the snapshot stays untouched)."""
    cache = new_cache(model, capacity, preallocate)
    if not preallocate:
        for idx, (k, v) in enumerate(prefix.layers):
            cache.update(k.clone(), v.clone(), idx)
        return cache
    for layer, (k, v) in zip(cache.layers, prefix.layers):
        layer.update(k, v)  # copies into the layer's own buffer
    return cache


# --- the loop -------------------------------------------------------------------------------


def forward(model: Any, cache: Cache, ids: list[int], device: torch.device) -> torch.Tensor:
    """Run `ids` through the model on top of `cache`; logits of the last position, [1, V]."""
    input_ids = torch.tensor([ids], dtype=torch.long, device=device)  # [1, T]
    out = model(input_ids=input_ids, cache=cache, use_cache=True, logits_to_keep=1)
    return out.logits[:, -1, :].float()  # [1, V]


def sample(logits: torch.Tensor, config: GenerationConfig, gen: torch.Generator | None) -> int:
    # logits: [1, V], masked positions already -inf
    if config.greedy:
        return int(torch.argmax(logits, dim=-1).item())
    probs = torch.softmax(logits / config.temperature, dim=-1)  # [1, V]
    if config.top_p < 1.0:
        sorted_p, order = torch.sort(probs, descending=True)  # [1, V]
        drop = torch.cumsum(sorted_p, dim=-1) - sorted_p > config.top_p
        sorted_p = sorted_p.masked_fill(drop, 0.0)
        probs = torch.zeros_like(probs).scatter_(-1, order, sorted_p)
    return int(torch.multinomial(probs, 1, generator=gen).item())


@dataclass
class DecodeOutput:
    ids: list[int]
    text: str
    prefill_seconds: float
    decode_seconds: float
    prefix_cache_hit: bool
    forced_tokens: int  # tokens appended by jump-forward
    forward_passes: int
    finished: bool  # grammar completed (constrained) or EOS seen (free)


class _Throttle:
    def __init__(self, fn: ProgressFn | None, interval_ms: int, budget: int, decode) -> None:
        self.fn, self.interval, self.budget, self.decode = fn, interval_ms / 1000, budget, decode
        self.last = time.monotonic()

    def __call__(self, ids: list[int], final: bool = False) -> None:
        if self.fn is None:
            return
        now = time.monotonic()
        if final or now - self.last >= self.interval:
            self.last = now
            self.fn(len(ids), self.budget, self.decode(ids))


def _jump(matcher: xgr.GrammarMatcher, room: int) -> list[int]:
    """Tokens the grammar forces from here, accepted into the matcher (at most `room`)."""
    forced = matcher.find_jump_forward_tokens()[:max(room, 0)]
    for n, tok in enumerate(forced):
        if not matcher.accept_token(tok):
            # Never expected (xgrammar builds them from the matcher), but stay exact.
            matcher.rollback(n)
            return []
    return forced


@torch.inference_mode()
def decode(
    model: Any,
    tokenizer: Any,
    *,
    prefix_ids: list[int],
    rest_ids: list[int],
    config: GenerationConfig,
    device: torch.device,
    compiled_grammar: xgr.CompiledGrammar | None = None,
    constraint: TokenConstraint | None = None,
    stop_ids: set[int] = frozenset(),
    prefix_kv: PrefixKV | None = None,
    on_prefix: Callable[[PrefixKV], None] | None = None,
    progress: ProgressFn | None = None,
    should_cancel: CancelFn | None = None,
) -> DecodeOutput:
    """Prefill prompt = prefix + rest (the prefix from `prefix_kv` when given), then decode.

    The prefix is always run as its own chunk, reused or not, so a reused cache and a fresh
    one see the same computation and give the same tokens. `constraint` narrows the grammar's
    mask further (e.g. `grounding.TextConstraint`) and is told every token appended.
    """
    budget = config.max_new_tokens
    capacity = len(prefix_ids) + len(rest_ids) + budget
    decode_text = lambda ids: tokenizer.decode(ids, skip_special_tokens=True)
    report = _Throttle(progress, config.progress_interval_ms, budget, decode_text)
    gen = None
    if not config.greedy:
        gen = torch.Generator(device=device).manual_seed(config.seed)

    t0 = time.perf_counter()
    hit = prefix_kv is not None and prefix_kv.ids == tuple(prefix_ids)
    if hit:
        cache = cache_from_prefix(model, prefix_kv, capacity, config.preallocate_cache)
    else:
        cache = new_cache(model, capacity, config.preallocate_cache)
        if prefix_ids:
            forward(model, cache, prefix_ids, device)
            if on_prefix is not None:
                on_prefix(snapshot_prefix(cache, prefix_ids))
    logits = forward(model, cache, rest_ids, device)  # [1, V]
    passes = 1 if hit else 2
    prefill_s = time.perf_counter() - t0

    matcher = xgr.GrammarMatcher(compiled_grammar) if compiled_grammar is not None else None
    bitmask = xgr.allocate_token_bitmask(1, logits.shape[-1]) if matcher is not None else None
    out: list[int] = []
    forced = 0
    finished = False
    t1 = time.perf_counter()

    if matcher is not None and config.jump_forward:
        jumped = _jump(matcher, budget)
        if jumped:
            out += jumped
            forced += len(jumped)
            if constraint is not None:
                constraint.accept(jumped)
            logits = forward(model, cache, jumped, device)
            passes += 1

    while len(out) < budget:
        if should_cancel is not None and should_cancel():
            raise GenerationCancelled(f"cancelled after {len(out)} tokens")
        if matcher is not None:
            matcher.fill_next_token_bitmask(bitmask)
            xgr.apply_token_bitmask_inplace(logits, bitmask.to(logits.device))
        if constraint is not None:
            constraint.apply(logits)
        tok = sample(logits, config, gen)
        if matcher is None and tok in stop_ids:
            finished = True
            break
        if matcher is not None and not matcher.accept_token(tok):
            raise GenerationError(f"the grammar refused token {tok} it had allowed")
        out.append(tok)
        step = [tok]
        if constraint is not None:
            constraint.accept(step)
        if matcher is not None:
            if matcher.is_completed():
                finished = True
                break
            if config.jump_forward:
                jumped = _jump(matcher, budget - len(out))
                if constraint is not None:
                    constraint.accept(jumped)
                out += jumped
                forced += len(jumped)
                step += jumped
                if matcher.is_completed():
                    finished = True
                    break
        if len(out) >= budget:
            break
        logits = forward(model, cache, step, device)  # one pass for the token + forced ones
        passes += 1
        report(out)

    decode_s = time.perf_counter() - t1
    report(out, final=True)
    return DecodeOutput(
        ids=out,
        text=decode_text(out),
        prefill_seconds=prefill_s,
        decode_seconds=decode_s,
        prefix_cache_hit=hit,
        forced_tokens=forced,
        forward_passes=passes,
        finished=finished,
    )
