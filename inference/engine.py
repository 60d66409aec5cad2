"""The engine the Django side calls: prompt + constrained generation + validation + metrics."""

from __future__ import annotations

import hashlib
import json
import resource
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, replace
from typing import Any, Callable, Sequence

import torch
import xgrammar as xgr

from . import passes
from .generate import CancelFn, DecodeOutput, GenerationConfig, PrefixKV, ProgressFn, decode
from .grammar import INTRO_SENTENCES, Grammar, ebnf_grammar
from .grounding import History, Lexicon, TextConstraint, Vocabulary, word_list
from .model import AUTO, LoadedModel, load_model
from .parts import Cue, cues_from_text, ordered, refined, split
from .prompt import BuiltPrompt, EmptyTranscriptError, PrefixParts, PromptSpec, build_prompt, prefix_parts
from .schema import GENERAL_TOPICS_KEY, SummaryData, SummaryValidationError, TemplateShape, validate_summary

PREFIX_CACHE_SIZE = 4  # KV snapshots kept per engine (one per template/example set in use)
GRAMMAR_CACHE_SIZE = 32  # compiled grammars kept (topic choices make one per stretch)

# (tokens_so_far, token_budget, text_so_far, part, parts): part counts from 1, per model call
SummaryProgressFn = Callable[[int, int, str, int, int], None]


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
    section_times: list[tuple[float, float]] | None = None  # per section, seconds; None untimed
    parts: int = 1  # model calls made

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
        self._grammars: OrderedDict[str, xgr.CompiledGrammar] = OrderedDict()  # by EBNF
        self._vocab: Vocabulary | None = None
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
        """The compiled grammar of a whole summary of `shape` with free topics."""
        return self._compile(ebnf_grammar(shape))

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
        transcript: str | Sequence[Cue],
        config: GenerationConfig | None = None,
        progress: SummaryProgressFn | None = None,
        should_cancel: CancelFn | None = None,
    ) -> SummaryResult:
        """Summarize one transcript: plain text, or timed cues (`parts.Cue`). Raises
        PromptError subclasses (empty transcript, examples too long), GenerationCancelled, or
        OutputInvalidError (with the raw text). See `inference.passes` for the calls made."""
        cfg = config or GenerationConfig()
        cues = cues_from_text(transcript) if isinstance(transcript, str) else ordered(transcript)
        if not cues:
            raise EmptyTranscriptError("the transcript is empty: there is nothing to summarize")
        with self._lock:
            device = self.loaded.device
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            if not cfg.constrained:
                return self._free_pass(spec, " ".join(c.text for c in cues), cfg, progress, should_cancel)
            history = History(cfg.no_repeat_ngram)
            whole = passes.whole_call(spec, cues, cfg)
            budget = self._budget(whole.grammar, cfg) if cfg.split_by_time else cfg.max_new_tokens
            if not passes.splits(cues, cfg, self._fits(whole, budget, cfg)):
                run = self._run(whole, cfg, budget, history, _part(progress, 1, 1), should_cancel)
                return self._result(spec.shape, json.loads(run.out.text), [run], None, cues)
            return self._map_reduce(spec, cues, cfg, history, progress, should_cancel)

    def _room(self, call: passes.Call, budget: int, cfg: GenerationConfig) -> int:
        """Tokens of the context left for the call's text, beside its prompt and `budget`."""
        prefix = self._prefix_parts(call.spec, cfg.compact_examples)
        return self._context(cfg) - len(prefix.prefix_ids) - len(prefix.suffix_ids) - budget

    def _fits(self, call: passes.Call, budget: int, cfg: GenerationConfig) -> bool:
        """Whether the call's prompt, its whole text and `budget` fit the context."""
        return self._room(call, budget, cfg) >= self.count_tokens(call.text)

    def _map_reduce(self, spec, cues, cfg, history, progress, should_cancel) -> SummaryResult:
        shape = spec.shape
        # Fail before the sections are written if the overview's instruction cannot fit.
        probe = passes.overview_call(spec, cues[:1], [], None, replace(cfg, extractive=False))
        self.build_prompt(probe.spec, "-", replace(cfg, max_new_tokens=self._budget(probe.grammar, cfg)))
        cues = refined(cues, shape.sections)  # the stretches index these cues
        stretches = split(cues, shape.sections)
        stretches += [stretches[-1]] * (shape.sections - len(stretches))  # a transcript of few words
        timed = stretches[0].timed
        times = [(p.start, p.end) for p in stretches] if timed else None
        total = shape.sections + 1
        runs, sections = [], []
        for k, stretch in enumerate(stretches, start=1):
            probe = passes.section_call(spec, k, [], cfg, 0, self.count_tokens)
            room = self._room(probe, self._budget(probe.grammar, cfg), cfg)
            call = passes.section_call(spec, k, cues[stretch.first:stretch.last], cfg,
                                       min(cfg.part_tokens, room), self.count_tokens,
                                       used=[b for s in sections for b in s["content"]],
                                       titles_used=[s["title"] for s in sections])
            run = self._run(call, cfg, self._budget(call.grammar, cfg), history,
                            _part(progress, k, total), should_cancel)
            runs.append(run)
            section = json.loads(run.out.text)
            if call.order:  # extractive: the bullets as the video says them
                section["content"] = passes.in_order(section["content"], call.order)
            sections.append(section)
        call = passes.overview_call(spec, cues, sections, times, cfg)
        run = self._run(call, cfg, self._budget(call.grammar, cfg), history,
                        _part(progress, total, total), should_cancel)
        runs.append(run)
        overview = json.loads(run.out.text)
        if call.order:  # extractive: the introduction's sentences as the video says them
            picked = [s for s in call.order if s in overview["introduction"]]
            if len(picked) == INTRO_SENTENCES:
                overview["introduction"] = " ".join(picked)
        data = {"introduction": overview["introduction"], "sections": sections,
                "topics": overview["topics"], GENERAL_TOPICS_KEY: overview[GENERAL_TOPICS_KEY]}
        return self._result(shape, data, runs, times, cues)

    def _budget(self, g: Grammar, cfg: GenerationConfig) -> int:
        """Tokens that always fit the grammar's longest output: one character per token when
        grounding masks out byte pieces, else one byte per token."""
        return g.max_chars if cfg.ground_tokens else g.max_bytes

    def _context(self, cfg: GenerationConfig) -> int:
        return cfg.max_context_tokens or self.loaded.context_tokens

    def _vocabulary(self) -> Vocabulary:
        if self._vocab is None:
            self._vocab = Vocabulary(self.tokenizer, self.loaded.vocab_size)
        return self._vocab

    def _constraint(self, call: passes.Call, cfg: GenerationConfig, history: History) -> TextConstraint | None:
        if not cfg.ground_tokens and cfg.no_repeat_ngram < 1:
            return None
        vocab = self._vocabulary()
        words = word_list(call.words_from) if cfg.ground_tokens else None
        return TextConstraint(vocab, Lexicon(vocab, words), history, call.free_keys)

    def _run(self, call: passes.Call, cfg, budget, history, progress, should_cancel) -> _Run:
        run_cfg = replace(cfg, max_new_tokens=budget)
        prompt = self.build_prompt(call.spec, call.text, run_cfg)
        out = self._decode(prompt, run_cfg, self._compile(call.grammar.ebnf),
                           self._constraint(call, cfg, history), progress, should_cancel)
        if not out.finished:
            raise OutputInvalidError([f"output stopped at the {budget}-token budget"], raw=out.text)
        return _Run(prompt, out)

    def _result(self, shape, data, runs: list[_Run], times, cues) -> SummaryResult:
        raw = "\n".join(r.out.text for r in runs)
        try:
            summary = validate_summary(shape, data)
        except SummaryValidationError as exc:
            raise OutputInvalidError(exc.errors, raw=raw) from exc
        peak, kind = _peak_memory(self.loaded.device)
        n_out = sum(len(r.out.ids) for r in runs)
        decode_s = sum(r.out.decode_seconds for r in runs)
        kept = sum(r.prompt.transcript_tokens_kept for r in runs if len(runs) == 1 or r is not runs[-1])
        total = self.count_tokens(" ".join(c.text for c in cues))
        return SummaryResult(
            summary=summary,
            data=summary.to_dict(),
            raw_text=raw,
            model_id=self.model_id,
            prompt_tokens=sum(r.prompt.n_tokens for r in runs),
            output_tokens=n_out,
            forced_tokens=sum(r.out.forced_tokens for r in runs),
            prefill_seconds=sum(r.out.prefill_seconds for r in runs),
            decode_seconds=decode_s,
            tokens_per_second=n_out / decode_s if decode_s else 0.0,
            peak_memory_bytes=peak,
            peak_memory_kind=kind,
            transcript_tokens_kept=min(kept, total),
            transcript_tokens_dropped=max(0, total - kept),
            prefix_cache_hit=any(r.out.prefix_cache_hit for r in runs),
            attempts=1,
            layout=runs[-1].prompt.layout,
            section_times=[(round(a, 3), round(b, 3)) for a, b in times] if times else None,
            parts=len(runs),
        )

    def _free_pass(self, spec, transcript: str, cfg, progress, should_cancel) -> SummaryResult:
        """Unconstrained (an ablation of `inference.bench`): free text, json.loads, and the
        reference pipeline's recovery, one more sampled try (a greedy retry would repeat)."""
        prompt = self.build_prompt(spec, transcript, cfg)
        report = _part(progress, 1, 1)
        out = self._decode(prompt, cfg, None, None, report, should_cancel)
        attempts = 1
        summary, errors = self._parse(spec.shape, out.text)
        if summary is None:
            retry = replace(cfg, temperature=cfg.temperature or 0.7, top_p=0.95)
            again = self._decode(prompt, retry, None, None, report, should_cancel)
            out = _merge_timings(out, again)
            attempts = 2
            summary, errors = self._parse(spec.shape, again.text)
        if summary is None:
            if not out.finished:
                errors = [f"output stopped at the {cfg.max_new_tokens}-token budget", *errors]
            raise OutputInvalidError(errors, raw=out.text)
        result = self._result(spec.shape, summary.to_dict(), [_Run(prompt, out)], None, cues_from_text(transcript))
        return replace(result, raw_text=out.text, attempts=attempts)

    def _compile(self, ebnf: str) -> xgr.CompiledGrammar:
        with self._lock:
            if self._compiler is None:
                info = xgr.TokenizerInfo.from_huggingface(
                    self.tokenizer, vocab_size=self.loaded.vocab_size,
                    stop_token_ids=sorted(self.stop_ids) or None,
                )
                self._compiler = xgr.GrammarCompiler(info, max_threads=2)
            hit = self._grammars.get(ebnf)
            if hit is None:
                hit = self._grammars[ebnf] = self._compiler.compile_grammar(ebnf)
                while len(self._grammars) > GRAMMAR_CACHE_SIZE:
                    self._grammars.popitem(last=False)
            self._grammars.move_to_end(ebnf)
            return hit

    def _decode(self, prompt: BuiltPrompt, cfg, compiled, constraint, progress, should_cancel) -> DecodeOutput:
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
            compiled_grammar=compiled,
            constraint=constraint,
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


@dataclass
class _Run:
    prompt: BuiltPrompt
    out: DecodeOutput


def _part(progress: SummaryProgressFn | None, part: int, parts: int) -> ProgressFn | None:
    if progress is None:
        return None
    return lambda tokens, budget, text: progress(tokens, budget, text, part, parts)


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
