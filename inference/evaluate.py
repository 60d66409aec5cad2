"""Summary quality on real lectures: the corpus's subtitle files and the seed's transcripts.

    python -m inference.evaluate [--corpus DIR] [--seed-file PATH] [--seeds slug,slug|all|none]
                                 [--videos name,name] [--model ID] [--device D] [--dtype T]
                                 [--max-new-tokens N] [--limit-seconds S] [--ablation]
                                 [--all-off] [--dump DIR]

Corpus: DIR/corpus.json (default ../shared/corpus beside the repository) lists subtitle files
with their duration and expected general topics; each file is parsed with the project's
subtitle parser and summarized as timed cues. Seeds: the seed file's plain-text transcripts
(default: all but 'catan'), expected topics from the manifest's `seed_fields`. A video is
named by its file's stem or its seed slug; --videos keeps only the names given.

Everything given is checked before the model is loaded (exit code 2 on a bad manifest, a
missing file, an unknown name). Per video one line of figures (defined in inference.quality),
then their means over the valid summaries and `distinct` over them. --ablation reruns every
video with each of GenerationConfig's QUALITY_SWITCHES off in turn. The last line printed is
one JSON object with the configuration, every video's figures and the means.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from videos.ingest.subtitles import SubtitleError, parse_subtitle_file

from . import quality
from .config import QUALITY_SWITCHES, GenerationConfig
from .parts import Cue
from .prompt import PromptError
from .schema import SummaryValidationError

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpus"
MANIFEST = "corpus.json"
SUBTITLE_MAX_BYTES = 64 * 2**20  # our own corpus: no upload cap
EXCLUDED_SEEDS = ("catan",)  # a board-game video, outside every field
FIGURES = ("grounded", "copied", "repeated", "coverage", "field_any", "field_top1")


class InputError(Exception):
    """Something given on the command line or in the manifest is wrong (exit code 2)."""


@dataclass
class Video:
    name: str
    source: str  # the subtitle file, or "seed:<slug>"
    transcript: str | list[Cue]
    text: str  # the transcript as plain text, for the figures
    duration: float | None  # seconds; None for untimed transcripts
    expected_fields: list[str]


# --- inputs -------------------------------------------------------------------------------------


def load_manifest(corpus: Path) -> dict[str, Any]:
    """corpus.json, checked: every video has a file that exists, a duration and fields."""
    path = corpus / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the manifest {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise InputError(f"{path} is not valid JSON: {exc}") from exc
    videos = manifest.get("videos") if isinstance(manifest, dict) else None
    if not isinstance(videos, list):
        raise InputError(f"{path} has no 'videos' list")
    for i, v in enumerate(videos):
        if not (isinstance(v, dict) and isinstance(v.get("file"), str)
                and isinstance(v.get("duration_s"), (int, float))
                and isinstance(v.get("fields"), list)):
            raise InputError(f"{path}: videos[{i}] needs 'file', 'duration_s' and 'fields'")
        if not (corpus / v["file"]).is_file():
            raise InputError(f"{path} names {v['file']}, which is not a file in {corpus}")
    if not isinstance(manifest.get("seed_fields", {}), dict):
        raise InputError(f"{path}: 'seed_fields' must be an object")
    return manifest


def read_cues(path: Path, limit_seconds: float | None = None) -> tuple[list[Cue], bool]:
    """The subtitle file's cues (untimed ones with start=end=None) and whether it is timed;
    with `limit_seconds`, only the cues that start before it."""
    try:
        parsed = parse_subtitle_file(path.name, path.read_bytes(), max_bytes=SUBTITLE_MAX_BYTES)
    except SubtitleError as exc:
        raise InputError(str(exc)) from exc
    if not parsed.timed:
        return [Cue(None, None, s.text) for s in parsed.segments], False
    cues = [Cue(s.start, s.start + s.duration, s.text) for s in parsed.segments]
    if limit_seconds is not None:
        cues = [c for c in cues if c.start < limit_seconds]
    return cues, True


def corpus_videos(corpus: Path, manifest: dict[str, Any], limit: float | None) -> list[Video]:
    out = []
    for v in manifest["videos"]:
        cues, timed = read_cues(corpus / v["file"], limit)
        duration = float(v["duration_s"]) if timed else None
        if duration is not None and limit is not None:
            duration = min(duration, limit)
        out.append(Video(name=Path(v["file"]).stem, source=v["file"], transcript=cues,
                         text=" ".join(c.text for c in cues), duration=duration,
                         expected_fields=list(v["fields"])))
    return out


def seed_videos(seed: dict[str, Any], choice: str, seed_fields: dict[str, Any]) -> list[Video]:
    transcripts = seed.get("transcripts", {})
    if choice == "all-but-catan":
        slugs = [s for s in transcripts if s not in EXCLUDED_SEEDS]
    elif choice == "all":
        slugs = list(transcripts)
    elif choice == "none":
        slugs = []
    else:
        slugs = [s for s in choice.split(",") if s]
        unknown = [s for s in slugs if s not in transcripts]
        if unknown:
            raise InputError(f"unknown seed transcript(s) {unknown}; known: {sorted(transcripts)}")
    return [Video(name=s, source=f"seed:{s}", transcript=transcripts[s], text=transcripts[s],
                  duration=None, expected_fields=list(seed_fields.get(s, [])))
            for s in slugs]


def select(videos: list[Video], names: str | None) -> list[Video]:
    seen: dict[str, Video] = {}
    for v in videos:
        if v.name in seen:
            raise InputError(f"two videos are named {v.name!r} ({seen[v.name].source}, {v.source})")
        seen[v.name] = v
    if not names:
        return videos
    wanted = [n for n in names.split(",") if n]
    unknown = [n for n in wanted if n not in seen]
    if unknown:
        raise InputError(f"--videos names {unknown}, not among {sorted(seen)}")
    return [seen[n] for n in wanted]


def check_fields(videos: list[Video], known: tuple[str, ...]) -> None:
    for v in videos:
        bad = [f for f in v.expected_fields if f not in known]
        if bad:
            raise InputError(f"{v.source}: expected field(s) {bad} are not among the seed's "
                             f"general topics {list(known)}")


def load_seed(seed_file: Path | None) -> tuple[Path, dict[str, Any]]:
    from .bench import default_seed_file  # imports torch: only once the manifest is checked

    path = Path(seed_file or default_seed_file())
    try:
        return path, json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the seed file {path}: {exc}") from exc


def load_engine(model: str | None, device: str, dtype: str) -> Any:
    from .engine import get_engine

    return get_engine(model, device=device, dtype=dtype)


# --- running ------------------------------------------------------------------------------------


def run_one(engine: Any, spec: Any, video: Video, cfg: GenerationConfig,
            example_answers: list[str]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """One video's row of figures, and its summary dump (None when invalid)."""
    t0 = time.perf_counter()
    row: dict[str, Any] = dict(name=video.name, source=video.source, duration_s=video.duration)
    try:
        result = engine.summarize(spec, video.transcript, config=cfg)
    except (SummaryValidationError, PromptError) as exc:  # OutputInvalidError is the first
        row.update(valid=False, error=str(exc)[:500], **dict.fromkeys(FIGURES),
                   seconds=time.perf_counter() - t0, output_tokens=None)
        row["seconds_per_hour"] = per_hour(row["seconds"], video.duration)
        return row, None
    times = getattr(result, "section_times", None)
    times = [(float(s), float(e)) for s, e in times] if times else None
    figs = quality.figures(result.data, transcript=video.text, example_answers=example_answers,
                           section_times=times, duration=video.duration,
                           expected_fields=video.expected_fields)
    row.update(valid=True, error=None, **figs, seconds=float(result.seconds),
               output_tokens=result.output_tokens)
    row["seconds_per_hour"] = per_hour(row["seconds"], video.duration)
    return row, dict(row, data=result.data, section_times=times)


def per_hour(seconds: float, duration: float | None) -> float | None:
    """Seconds of summarizing per hour of transcript; None for untimed transcripts."""
    return seconds / (duration / 3600) if duration else None


def _mean(values: list[Any]) -> float | None:
    values = [float(v) for v in values if v is not None]
    return sum(values) / len(values) if values else None


def means(rows: list[dict[str, Any]], summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """Means over the valid videos (booleans as rates, None left out), the valid rate over
    all videos, and `distinct` over the valid summaries."""
    valid = [r for r in rows if r["valid"]]
    keys = (*FIGURES, "seconds", "seconds_per_hour", "output_tokens")
    out: dict[str, Any] = dict(videos=len(rows),
                               valid=_mean([r["valid"] for r in rows]))
    out.update({k: _mean([r[k] for r in valid]) for k in keys})
    out["distinct"] = quality.distinct(summaries)
    return out


def run_all(engine: Any, spec: Any, videos: list[Video], cfg: GenerationConfig,
            example_answers: list[str], label: str, dump: Path | None) -> dict[str, Any]:
    rows, datas = [], []
    for video in videos:
        row, summary = run_one(engine, spec, video, cfg, example_answers)
        rows.append(row)
        print(format_row(label, row), flush=True)
        if summary is not None:
            datas.append(summary["data"])
            if dump is not None:
                dump.mkdir(parents=True, exist_ok=True)
                (dump / f"{video.name}.json").write_text(
                    json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    result = dict(per_video=rows, means=means(rows, datas))
    print(format_means(label, result["means"]), flush=True)
    return result


# --- printing -----------------------------------------------------------------------------------


def _fmt(value: Any, width: int = 6) -> str:
    if value is None:
        return f"{'-':>{width}}"
    if isinstance(value, bool):
        return f"{'yes' if value else 'no':>{width}}"
    if isinstance(value, float):
        return f"{value:>{width}.3f}"
    return f"{value!s:>{width}}"


HEADER = (f"{'run':<22} {'video':<22} {'valid':>6} {'ground':>6} {'copied':>6} {'repeat':>6} "
          f"{'cover':>6} {'f_any':>6} {'f_top1':>6} {'sec':>8} {'sec/h':>8} {'out':>6}")


def format_row(label: str, r: dict[str, Any]) -> str:
    cells = " ".join(_fmt(r[k]) for k in ("valid", *FIGURES))
    line = (f"{label:<22} {r['name']:<22} {cells} {_fmt(r['seconds'], 8)} "
            f"{_fmt(r['seconds_per_hour'], 8)} {_fmt(r['output_tokens'])}")
    return line + (f"  error: {r['error'][:120]}" if r.get("error") else "")


def format_means(label: str, m: dict[str, Any]) -> str:
    cells = " ".join(_fmt(m[k]) for k in ("valid", *FIGURES))
    return (f"{label:<22} {'MEAN (' + str(m['videos']) + ' videos)':<22} {cells} "
            f"{_fmt(m['seconds'], 8)} {_fmt(m['seconds_per_hour'], 8)} "
            f"{_fmt(m['output_tokens'])}  distinct={_fmt(m['distinct'], 0).strip()}")


# --- command line -------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                    help=f"folder with {MANIFEST} and the subtitle files (default: {DEFAULT_CORPUS})")
    ap.add_argument("--seed-file", type=Path, default=None,
                    help="seed JSON (default: videos/seed/seed.json, else ../shared/seeds/seed.json)")
    ap.add_argument("--seeds", default="all-but-catan",
                    help="seed transcripts to summarize: slug,slug | all | all-but-catan | none")
    ap.add_argument("--videos", default=None, help="keep only these names (file stems, slugs)")
    ap.add_argument("--model", default=None, help="hub id, folder or GGUF path (default: SmolLM2)")
    ap.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    ap.add_argument("--dtype", default="auto", help="auto, float32, bfloat16, float16")
    ap.add_argument("--max-new-tokens", type=int, default=GenerationConfig.max_new_tokens)
    ap.add_argument("--limit-seconds", type=float, default=None,
                    help="only the first S seconds of each corpus lecture (quick runs)")
    ap.add_argument("--ablation", action="store_true",
                    help="rerun with each of QUALITY_SWITCHES off in turn")
    ap.add_argument("--all-off", action="store_true",
                    help="every quality switch off: the pipeline as it was before them (the README's baseline)")
    ap.add_argument("--dump", type=Path, default=None,
                    help="write each summary (data, section times, figures) to DIR/<name>.json")
    return ap.parse_args(argv)


def prepare(args: argparse.Namespace) -> tuple[list[Video], Path, dict[str, Any]]:
    """Every input, checked, before any model is loaded."""
    manifest = load_manifest(args.corpus)
    videos = corpus_videos(args.corpus, manifest, args.limit_seconds)
    seed_file, seed = load_seed(args.seed_file)
    for key in ("prompt", "shots"):
        if key not in seed:
            raise InputError(f"the seed file {seed_file} has no '{key}'")
    videos += seed_videos(seed, args.seeds, manifest.get("seed_fields", {}))
    videos = select(videos, args.videos)
    if not videos:
        raise InputError("no video to summarize")
    check_fields(videos, tuple(seed["prompt"]["general_topics"]))
    return videos, seed_file, seed


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        videos, seed_file, seed = prepare(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from .bench import spec_from_seed

    spec = spec_from_seed(seed)
    example_answers = [e.answer for e in spec.examples]
    cfg = GenerationConfig(max_new_tokens=args.max_new_tokens)
    if args.all_off:
        cfg = replace(cfg, **QUALITY_SWITCHES)
    label = "all-off" if args.all_off else "default"

    t0 = time.perf_counter()
    engine = load_engine(args.model, args.device, args.dtype)
    loaded = getattr(engine, "loaded", None)
    config = dict(model=getattr(engine, "model_id", args.model),
                  device=str(getattr(loaded, "device", args.device)),
                  dtype=str(getattr(loaded, "dtype", args.dtype)),
                  corpus=str(args.corpus), seed_file=str(seed_file),
                  limit_seconds=args.limit_seconds, videos=[v.name for v in videos],
                  generation=asdict(cfg))
    print(f"model {config['model']} on {config['device']} {config['dtype']}, loaded in "
          f"{time.perf_counter() - t0:.1f}s; seed {seed_file}; videos {config['videos']}",
          flush=True)
    print(HEADER, flush=True)

    default = run_all(engine, spec, videos, cfg, example_answers, label, args.dump)
    ablation = {}
    if args.ablation:
        for name, off in QUALITY_SWITCHES.items():
            dump = args.dump / f"without_{name}" if args.dump else None
            run = run_all(engine, spec, videos, replace(cfg, **{name: off}), example_answers,
                          f"off:{name}"[:22], dump)
            ablation[name] = dict(off_value=off, **run)
        print(format_means(label, default["means"]), flush=True)
        for name, run in ablation.items():
            print(format_means(f"off:{name}"[:22], run["means"]), flush=True)
    print(json.dumps(dict(config=config, **default, ablation=ablation), default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
