"""Benchmark: the reference pipeline against ours, plus an ablation, in one process.

    python -m inference.bench [--videos slug,slug] [--model ID] [--seed-file PATH]
                              [--device auto|cpu|cuda:N] [--dtype auto|float32|bfloat16|...]
                              [--max-new-tokens N] [--ablation-videos N]
    # GPU, Mistral-7B-shaped random weights in bf16, fixed output lengths:
    python -m inference.bench --random-weights --config mistral-7b --fixed-output-tokens 600

(a) reference: the full prompt per video (examples as curated, pretty-printed), free greedy
    decoding with HF generate, json.loads on the output, one (sampled) retry if it fails.
(b) ours: Engine.summarize with the default GenerationConfig (constrained, prefix reuse,
    compact examples, jump-forward, own loop with a preallocated KV cache).
Ablation: (b) again with one technique switched off at a time; its extra seconds over (b) on
the same videos is that technique's share of the gain. Every figure is measured here.
The last line printed is one JSON object with all figures.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from .model import LoadedModel, load_model, resolve_device_dtype
from .engine import Engine, OutputInvalidError
from .generate import GenerationConfig
from .prompt import Example, PromptSpec, build_messages, render
from .schema import SummaryValidationError, TemplateShape, validate_summary

REPO_ROOT = Path(__file__).resolve().parents[1]
# The project's own copy of the seed, then the original in the shared folder beside the
# repository (../shared).
SEED_FILES = (
    REPO_ROOT / "videos" / "seed" / "seed.json",
    REPO_ROOT.parent / "shared" / "seeds" / "seed.json",
)
SEED_KEYS = ("prompt", "shots", "transcripts")  # what the benchmark reads from a seed

# mistralai/Mistral-7B-v0.1 config.json, written out since nothing can be downloaded.
MISTRAL_7B = dict(
    hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
    num_key_value_heads=8, vocab_size=32000, rope_theta=10000.0, max_position_embeddings=32768,
    sliding_window=4096, rms_norm_eps=1e-5, hidden_act="silu", tie_word_embeddings=False,
)


def _has_keys(path: Path, keys: tuple[str, ...]) -> bool:
    try:
        seed = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(seed, dict) and all(k in seed for k in keys)


def default_seed_file() -> Path:
    """The first of SEED_FILES that exists and holds what the benchmark needs."""
    for path in SEED_FILES:
        if _has_keys(path, SEED_KEYS):
            return path
    tried = ", ".join(str(p) for p in SEED_FILES)
    raise SystemExit(f"no seed file with {', '.join(SEED_KEYS)} found (tried {tried}); "
                     "pass --seed-file PATH")


def spec_from_seed(seed: dict) -> PromptSpec:
    p = seed["prompt"]
    shape = TemplateShape(fields=tuple(p["general_topics"]), scale=tuple(p["complexity_scale"]))
    examples = [Example(transcript=s["transcript"], answer=s["answer"]) for s in seed["shots"]]
    return PromptSpec(instruction=p["instruction"], shape=shape, examples=examples)


def peak_memory(device: torch.device) -> int:
    if device.type == "cuda":
        return int(torch.cuda.max_memory_allocated(device))
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


# --- (a) the reference way --------------------------------------------------------------------


@torch.inference_mode()
def reference_one(loaded: LoadedModel, spec: PromptSpec, transcript: str, max_new: int,
                  fixed: int | None) -> dict[str, Any]:
    tok, model, device = loaded.tokenizer, loaded.model, loaded.device
    text, _ = render(tok, build_messages(spec, transcript, compact_examples=False))
    ids = tok(text, add_special_tokens=False, return_tensors="pt")["input_ids"].to(device)
    room = loaded.context_tokens - ids.shape[1]
    max_new = max(1, min(max_new, room)) if fixed is None else fixed
    reset_peak(device)
    t0 = time.perf_counter()
    out_tokens, attempts, parsed, raw = 0, 0, None, ""
    for attempt in range(2):
        attempts += 1
        kwargs: dict[str, Any] = dict(max_new_tokens=max_new, pad_token_id=tok.eos_token_id,
                                      attention_mask=torch.ones_like(ids))
        if fixed is not None:
            kwargs["min_new_tokens"] = fixed
        if attempt == 0:
            kwargs.update(do_sample=False)
        else:
            kwargs.update(do_sample=True, temperature=0.7, top_p=0.95)
        out = model.generate(ids, **kwargs)  # [1, prompt + new]
        new = out[0, ids.shape[1]:]
        out_tokens += int(new.shape[0])
        raw = tok.decode(new, skip_special_tokens=True)
        try:
            parsed = json.loads(raw.strip())
            break
        except json.JSONDecodeError:
            parsed = None
    sync(device)
    seconds = time.perf_counter() - t0
    valid = False
    if parsed is not None:
        try:
            validate_summary(spec.shape, parsed)
            valid = True
        except SummaryValidationError:
            pass
    return dict(seconds=seconds, output_tokens=out_tokens, prompt_tokens=int(ids.shape[1]),
                attempts=attempts, json_ok=parsed is not None, valid=valid,
                peak_memory_bytes=peak_memory(device))


# --- (b) ours ---------------------------------------------------------------------------------


def ours_one(engine: Engine, spec: PromptSpec, transcript: str, cfg: GenerationConfig
             ) -> dict[str, Any]:
    device = engine.loaded.device
    reset_peak(device)
    t0 = time.perf_counter()
    try:
        r = engine.summarize(spec, transcript, config=cfg)
        sync(device)
        return dict(seconds=time.perf_counter() - t0, output_tokens=r.output_tokens,
                    forced_tokens=r.forced_tokens, prompt_tokens=r.prompt_tokens,
                    prefill_seconds=r.prefill_seconds, decode_seconds=r.decode_seconds,
                    prefix_cache_hit=r.prefix_cache_hit, attempts=r.attempts,
                    transcript_tokens_dropped=r.transcript_tokens_dropped,
                    json_ok=True, valid=True, peak_memory_bytes=peak_memory(device))
    except OutputInvalidError as exc:
        sync(device)
        return dict(seconds=time.perf_counter() - t0, output_tokens=None, valid=False,
                    json_ok=False, error=str(exc)[:200], peak_memory_bytes=peak_memory(device))


# --- reporting --------------------------------------------------------------------------------


def summarize_runs(runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    rows = list(runs.values())
    seconds = sum(r["seconds"] for r in rows)
    tokens = sum(r["output_tokens"] or 0 for r in rows)
    return dict(
        videos=len(rows),
        seconds=round(seconds, 2),
        output_tokens=tokens,
        tokens_per_second=round(tokens / seconds, 2) if seconds else 0.0,
        valid_rate=round(sum(r["valid"] for r in rows) / len(rows), 3) if rows else 0.0,
        json_rate=round(sum(r["json_ok"] for r in rows) / len(rows), 3) if rows else 0.0,
        peak_memory_mb=round(max(r["peak_memory_bytes"] for r in rows) / 2**20, 1),
        videos_per_hour=round(3600 * len(rows) / seconds, 2) if seconds else 0.0,
    )


def line(label: str, slug: str, r: dict[str, Any]) -> str:
    tps = (r["output_tokens"] or 0) / r["seconds"] if r["seconds"] else 0
    return (f"{label:<22} {slug:<22} {r['seconds']:8.2f}s  out={r['output_tokens']!s:>5} tok  "
            f"{tps:6.2f} tok/s  valid={r['valid']!s:<5}  peak={r['peak_memory_bytes'] / 2**20:8.1f} MB"
            + (f"  hit={r['prefix_cache_hit']}" if "prefix_cache_hit" in r else ""))


# --- model set-up -----------------------------------------------------------------------------


def random_weights_model(config_name: str, device: str = "auto", dtype: str = "auto") -> LoadedModel:
    from transformers import AutoModelForCausalLM, MistralConfig

    from .testing import gguf_tokenizer

    if config_name != "mistral-7b":
        raise SystemExit(f"unknown --config {config_name!r}; known: mistral-7b")
    tok = gguf_tokenizer()  # only its ids and chat template matter with random weights
    values = dict(MISTRAL_7B)
    # The SmolLM2 tokenizer has more ids than Mistral's vocabulary; the embedding must cover them.
    values["vocab_size"] = max(values["vocab_size"], len(tok))
    dev, dt = resolve_device_dtype(device, dtype)
    config = MistralConfig(**values, eos_token_id=tok.eos_token_id)
    torch.manual_seed(0)
    with torch.device(dev):
        model = AutoModelForCausalLM.from_config(config, dtype=dt)
    return LoadedModel(model=model.eval(), tokenizer=tok, model_id="random-mistral-7b",
                       device=dev, dtype=dt)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--videos", help="comma-separated slugs (default: 3 not used as examples)")
    ap.add_argument("--model", help="hub id, folder or GGUF path (default: SmolLM2 GGUF)")
    ap.add_argument("--seed-file", type=Path, default=None,
                    help="seed JSON (default: videos/seed/seed.json, else ../shared/seeds/seed.json)")
    ap.add_argument("--device", default="auto",
                    help="auto (CUDA when available, else CPU), cpu, cuda, cuda:N")
    ap.add_argument("--dtype", default="auto",
                    help="auto (bf16 on CUDA, fp32 on CPU), float32, bfloat16, float16")
    ap.add_argument("--max-new-tokens", type=int, default=GenerationConfig.max_new_tokens)
    ap.add_argument("--reference-max-new-tokens", type=int, default=1536)
    ap.add_argument("--fixed-output-tokens", type=int, default=None,
                    help="reference generates exactly N tokens; ours gets N as its budget")
    ap.add_argument("--random-weights", action="store_true")
    ap.add_argument("--config", default="mistral-7b")
    ap.add_argument("--ablation-videos", type=int, default=1,
                    help="how many of the videos each ablation variant runs (0: none)")
    ap.add_argument("--skip-dtype-ablation", action="store_true")
    args = ap.parse_args(argv)

    seed_file = args.seed_file or default_seed_file()
    seed = json.loads(Path(seed_file).read_text(encoding="utf-8"))
    spec = spec_from_seed(seed)
    shot_videos = {s["video"] for s in seed["shots"]}
    if args.videos:
        slugs = args.videos.split(",")
    else:
        slugs = [s for s in seed["transcripts"] if s not in shot_videos][:3]
    transcripts = {s: seed["transcripts"][s] for s in slugs}

    t_load = time.perf_counter()
    if args.random_weights:
        loaded = random_weights_model(args.config, args.device, args.dtype)
    else:
        loaded = load_model(args.model, device=args.device, dtype=args.dtype)
    engine = Engine(loaded)
    print(f"model {loaded.model_id} on {loaded.device} {loaded.dtype}, loaded in "
          f"{time.perf_counter() - t_load:.1f}s; seed {seed_file}; videos {slugs}", flush=True)

    fixed = args.fixed_output_tokens
    cfg = GenerationConfig(max_new_tokens=fixed or args.max_new_tokens)

    # Warm-up outside the timings (kernels, grammar compile), on a short text.
    engine.compiled_grammar(spec.shape)
    with torch.inference_mode():
        loaded.model(input_ids=torch.tensor([[1, 2, 3]], device=loaded.device))

    ref: dict[str, dict] = {}
    for slug, text in transcripts.items():
        ref[slug] = reference_one(loaded, spec, text, args.reference_max_new_tokens, fixed)
        print(line("(a) reference", slug, ref[slug]), flush=True)

    engine.clear_prefix_cache()
    ours: dict[str, dict] = {}
    for slug, text in transcripts.items():
        ours[slug] = ours_one(engine, spec, text, cfg)
        print(line("(b) ours", slug, ours[slug]), flush=True)

    a, b = summarize_runs(ref), summarize_runs(ours)
    ratio = round(b["videos_per_hour"] / a["videos_per_hour"], 2) if a["videos_per_hour"] else None
    print(f"(a) reference total: {a}", flush=True)
    print(f"(b) ours total:      {b}", flush=True)
    print(f"videos/hour ratio (b)/(a): {ratio}", flush=True)

    # Ablation: one technique off at a time, on the first N videos, prefix cache warm as in
    # (b)'s steady state (the cache itself is one of the techniques).
    ablation: dict[str, Any] = {}
    abl_slugs = slugs[1:1 + args.ablation_videos] or slugs[:args.ablation_videos]
    if args.ablation_videos > 0:
        base = sum(ours[s]["seconds"] for s in abl_slugs)
        base_ref = sum(ref[s]["seconds"] for s in abl_slugs)
        variants: dict[str, tuple[Engine, GenerationConfig]] = {
            "prefix_reuse": (engine, replace(cfg, use_prefix_cache=False)),
            "compact_json_examples": (engine, replace(cfg, compact_examples=False)),
            "jump_forward": (engine, replace(cfg, jump_forward=False)),
            "custom_loop_preallocated_kv": (engine, replace(cfg, preallocate_cache=False)),
            "constrained_no_retry": (engine, replace(cfg, constrained=False)),
        }
        if not args.skip_dtype_ablation and not args.random_weights:
            _, current = resolve_device_dtype(args.device, args.dtype)
            other = torch.bfloat16 if current == torch.float32 else torch.float32
            t = time.perf_counter()
            other_engine = Engine(load_model(args.model, device=args.device, dtype=other))
            print(f"loaded {other} copy in {time.perf_counter() - t:.1f}s", flush=True)
            variants[f"dtype_{str(current).removeprefix('torch.')}_vs_"
                     f"{str(other).removeprefix('torch.')}"] = (other_engine, cfg)
        for name, (eng, vcfg) in variants.items():
            runs = {}
            for slug in abl_slugs:
                if vcfg.use_prefix_cache and eng is not engine:
                    ours_one(eng, spec, transcripts[slug], vcfg)  # warm its prefix cache
                runs[slug] = ours_one(eng, spec, transcripts[slug], vcfg)
                print(line(f"(b) without {name}"[:22], slug, runs[slug]), flush=True)
            s = summarize_runs(runs)
            extra = s["seconds"] - base
            ablation[name] = dict(s, extra_seconds=round(extra, 2))
        gain = base_ref - base
        total_extra = sum(max(v["extra_seconds"], 0) for v in ablation.values()) or 1.0
        for v in ablation.values():
            v["share_of_measured_slowdowns"] = round(max(v["extra_seconds"], 0) / total_extra, 3)
            v["share_of_gain_vs_reference"] = round(v["extra_seconds"] / gain, 3) if gain else None
        print(f"ablation on {abl_slugs}: (b) {base:.2f}s, (a) {base_ref:.2f}s", flush=True)
        for name, v in ablation.items():
            print(f"  without {name:<30} {v['seconds']:8.2f}s  extra {v['extra_seconds']:+8.2f}s  "
                  f"share {v['share_of_measured_slowdowns']:.1%}  valid {v['valid_rate']}",
                  flush=True)

    result = dict(
        model=loaded.model_id, device=str(loaded.device), dtype=str(loaded.dtype),
        videos=slugs, max_new_tokens=cfg.max_new_tokens, fixed_output_tokens=fixed,
        reference=dict(a, per_video=ref), ours=dict(b, per_video=ours),
        videos_per_hour_ratio=ratio, ablation=dict(videos=abl_slugs, variants=ablation),
    )
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
