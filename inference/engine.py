"""The engine the Django side calls: prompt + constrained generation + validation + metrics."""

from __future__ import annotations

import hashlib
import json
import resource
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, replace
from typing import Any

import torch
import xgrammar as xgr

from .generate import (
    CancelFn,
    DecodeOutput,
    GenerationConfig,
    PrefixKV,
    ProgressFn,
    decode,
)
from .model import AUTO, LoadedModel, load_model
from .prompt import BuiltPrompt, PrefixParts, PromptSpec, build_prompt, prefix_parts
from .schema import (
    SummaryData,
    SummaryValidationError,
    TemplateShape,
    ebnf_grammar,
    validate_summary,
)

PREFIX_CACHE_SIZE = 4  # KV snapshots kept per engine (one per template/example set in use)


class OutputInvalidError(SummaryValidationError):
    """The model's output is not a valid summary; `raw` holds the text it produced."""


@dataclass
class SummaryResult:
    summary: SummaryData
    data: dict[str, Any]  # plain dict, the template's keys
    raw_text: str
    model_id: str
    prompt_tokens: int
    output_tokens: int
    forced_tokens: int  # of output_tokens, appended by jump-forward without sampling
    prefill_seconds: float
    decode_seconds: float
    tokens_per_second: float  # output tokens / decode seconds
    peak_memory_bytes: int
    peak_memory_kind: str  # "cuda_max_allocated" or "cpu_peak_rss" (process peak)
    transcript_tokens_kept: int
    transcript_tokens_dropped: int
    prefix_cache_hit: bool
    attempts: int
    layout: str

    @property
    def seconds(self) -> float:
        return self.prefill_seconds + self.decode_seconds

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["summary"] = d.pop("data")
        return json.loads(json.dumps(d))  # proves it is JSON-serialisable


def _peak_memory(device: torch.device) -> tuple[int, str]:
    if device.type == "cuda":
        return int(torch.cuda.max_memory_allocated(device)), "cuda_max_allocated"
    # ru_maxrss is in KiB on Linux
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024, "cpu_peak_rss"


def _prefix_key(model_id: str, ids: tuple[int, ...] | list[int]) -> str:
    digest = hashlib.sha256(json.dumps(list(ids)).encode()).hexdigest()
    return f"{model_id}:{digest}"


class Engine:
    """One loaded model plus its caches (compiled grammars, prompt prefixes, prefix KV)."""

    def __init__(self, loaded: LoadedModel) -> None:
        self.loaded = loaded
        self.model_id = loaded.model_id
        self._lock = threading.RLock()
        self._grammars: dict[TemplateShape, xgr.CompiledGrammar] = {}
        self._parts: OrderedDict[tuple[PromptSpec, bool], PrefixParts] = OrderedDict()
        self._prefix_kv: OrderedDict[str, PrefixKV] = OrderedDict()
        self._compiler: xgr.GrammarCompiler | None = None
        tok = loaded.tokenizer
        stop = {tok.eos_token_id} if tok.eos_token_id is not None else set()
        gen_eos = getattr(getattr(loaded.model, "generation_config", None), "eos_token_id", None)
        stop |= set(gen_eos if isinstance(gen_eos, list) else [gen_eos] if gen_eos else [])
        self.stop_ids = frozenset(stop)

    @property
    def tokenizer(self) -> Any:
        return self.loaded.tokenizer

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    # --- caches -----------------------------------------------------------------------------

    def compiled_grammar(self, shape: TemplateShape) -> xgr.CompiledGrammar:
        with self._lock:
            if self._compiler is None:
                info = xgr.TokenizerInfo.from_huggingface(
                    self.tokenizer, vocab_size=self.loaded.vocab_size,
                    stop_token_ids=sorted(self.stop_ids) or None,
                )
                self._compiler = xgr.GrammarCompiler(info, max_threads=2)
            if shape not in self._grammars:
                self._grammars[shape] = self._compiler.compile_grammar(ebnf_grammar(shape))
            return self._grammars[shape]

    def _prefix_parts(self, spec: PromptSpec, compact: bool) -> PrefixParts:
        key = (spec, compact)
        if key not in self._parts:
            self._parts[key] = prefix_parts(self.tokenizer, spec, compact_examples=compact)
            while len(self._parts) > 16:
                self._parts.popitem(last=False)
        self._parts.move_to_end(key)
        return self._parts[key]

    def _store_prefix(self, kv: PrefixKV) -> None:
        self._prefix_kv[_prefix_key(self.model_id, kv.ids)] = kv
        while len(self._prefix_kv) > PREFIX_CACHE_SIZE:
            self._prefix_kv.popitem(last=False)

    def clear_prefix_cache(self) -> None:
        with self._lock:
            self._prefix_kv.clear()

    # --- public -----------------------------------------------------------------------------

    def build_prompt(
        self, spec: PromptSpec, transcript: str, config: GenerationConfig | None = None
    ) -> BuiltPrompt:
        cfg = config or GenerationConfig()
        return build_prompt(
            self.tokenizer, spec, transcript,
            context_tokens=cfg.max_context_tokens or self.loaded.context_tokens,
            output_budget=cfg.max_new_tokens,
            compact_examples=cfg.compact_examples,
            parts=self._prefix_parts(spec, cfg.compact_examples),
        )

    def summarize(
        self,
        spec: PromptSpec,
        transcript: str,
        config: GenerationConfig | None = None,
        progress: ProgressFn | None = None,
        should_cancel: CancelFn | None = None,
    ) -> SummaryResult:
        """Summarize one transcript. Raises PromptError subclasses (empty transcript, examples
        too long), GenerationCancelled, or OutputInvalidError (with the raw text)."""
        cfg = config or GenerationConfig()
        with self._lock:
            prompt = self.build_prompt(spec, transcript, cfg)
            device = self.loaded.device
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            out = self._decode(spec, prompt, cfg, progress, should_cancel)
            attempts = 1
            summary, errors = self._parse(spec.shape, out.text)
            if summary is None and not cfg.constrained:
                # The reference pipeline's recovery: one more try; sampled, since a greedy
                # retry would repeat the same text.
                retry = replace(cfg, temperature=cfg.temperature or 0.7, top_p=0.95)
                again = self._decode(spec, prompt, retry, progress, should_cancel)
                out = _merge_timings(out, again)
                attempts = 2
                summary, errors = self._parse(spec.shape, again.text)
            if summary is None:
                if not out.finished:
                    errors = [f"output stopped at the {cfg.max_new_tokens}-token budget", *errors]
                raise OutputInvalidError(errors, raw=out.text)
            peak, kind = _peak_memory(device)
            n_out = len(out.ids)
            return SummaryResult(
                summary=summary,
                data=summary.to_dict(),
                raw_text=out.text,
                model_id=self.model_id,
                prompt_tokens=prompt.n_tokens,
                output_tokens=n_out,
                forced_tokens=out.forced_tokens,
                prefill_seconds=out.prefill_seconds,
                decode_seconds=out.decode_seconds,
                tokens_per_second=n_out / out.decode_seconds if out.decode_seconds else 0.0,
                peak_memory_bytes=peak,
                peak_memory_kind=kind,
                transcript_tokens_kept=prompt.transcript_tokens_kept,
                transcript_tokens_dropped=prompt.transcript_tokens_dropped,
                prefix_cache_hit=out.prefix_cache_hit,
                attempts=attempts,
                layout=prompt.layout,
            )

    def _decode(self, spec, prompt: BuiltPrompt, cfg, progress, should_cancel) -> DecodeOutput:
        prefix_kv = None
        if cfg.use_prefix_cache:
            key = _prefix_key(self.model_id, prompt.prefix_ids)
            prefix_kv = self._prefix_kv.get(key)
            if prefix_kv is not None:
                self._prefix_kv.move_to_end(key)
        return decode(
            self.loaded.model, self.tokenizer,
            prefix_ids=list(prompt.prefix_ids),
            rest_ids=[*prompt.transcript_ids, *prompt.suffix_ids],
            config=cfg,
            device=self.loaded.device,
            compiled_grammar=self.compiled_grammar(spec.shape) if cfg.constrained else None,
            stop_ids=self.stop_ids,
            prefix_kv=prefix_kv,
            on_prefix=self._store_prefix if cfg.use_prefix_cache else None,
            progress=progress,
            should_cancel=should_cancel,
        )

    @staticmethod
    def _parse(shape: TemplateShape, text: str) -> tuple[SummaryData | None, list[str]]:
        try:
            return validate_summary(shape, text.strip()), []
        except SummaryValidationError as exc:
            return None, exc.errors


def _merge_timings(first: DecodeOutput, second: DecodeOutput) -> DecodeOutput:
    """The retry's output, charged with both attempts' time and tokens."""
    return replace(
        second,
        prefill_seconds=first.prefill_seconds + second.prefill_seconds,
        decode_seconds=first.decode_seconds + second.decode_seconds,
        ids=second.ids,
    )


_engines: dict[tuple[str, str, str], Engine] = {}
_engines_lock = threading.Lock()


def get_engine(
    model_id: str | None = None,
    *,
    device: str | torch.device | None = AUTO,
    dtype: str | torch.dtype | None = AUTO,
) -> Engine:
    """The process-wide engine for a (model, device, dtype), loaded once.

    `model_id` None or "": the default GGUF. `device` / `dtype` "auto" (or None): CUDA with bf16
    when available, else CPU with CPU_DEFAULT_DTYPE; else e.g. "cuda:1", "bfloat16". The
    Django side passes settings.SUMMARIZER_DEVICE / SUMMARIZER_DTYPE; nothing here reads the
    environment. Engines are cached under the resolved device and dtype, as models are, so
    "auto" and its explicit equivalent share one loaded model.
    """
    loaded = load_model(model_id, device=device, dtype=dtype)
    key = (loaded.model_id, str(loaded.device), str(loaded.dtype))
    with _engines_lock:
        if key not in _engines:
            _engines[key] = Engine(loaded)
        return _engines[key]
