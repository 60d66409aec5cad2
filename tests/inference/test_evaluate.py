"""`python -m inference.evaluate` with a fake engine: inputs checked first, figures reported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from inference import evaluate
from inference.config import QUALITY_SWITCHES
from inference.parts import Cue

REPO_ROOT = Path(__file__).resolve().parents[2]

SRT = """1
00:00:00,000 --> 00:00:30,000
today we study hash tables and buckets

2
00:00:30,000 --> 00:01:40,000
collisions are resolved by chaining
"""
VTT = """WEBVTT

00:00:00.000 --> 00:00:20.000
recursion calls the function again

00:00:20.000 --> 00:00:50.000
every recursion needs a base case
"""
TXT = "graphs have nodes and edges\nsearch visits every node\n"


@pytest.fixture
def corpus(tmp_path, seed) -> tuple[Path, Path]:
    """A corpus folder with three small subtitle files, and a seed file with two transcripts."""
    fields = seed["prompt"]["general_topics"]
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "hashing.srt").write_text(SRT)
    (folder / "recursion.vtt").write_text(VTT)
    (folder / "graphs.txt").write_text(TXT)
    manifest = {
        "videos": [
            {"file": "hashing.srt", "duration_s": 100, "fields": [fields[0]]},
            {"file": "recursion.vtt", "duration_s": 50, "fields": [fields[6], fields[0]]},
            {"file": "graphs.txt", "duration_s": 60, "fields": [fields[0]]},
        ],
        "seed_fields": {"catan": [], "rust": [fields[6]]},
    }
    (folder / "corpus.json").write_text(json.dumps(manifest))
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps(dict(
        prompt=seed["prompt"], shots=seed["shots"],
        transcripts={"catan": "settlers trade wheat and sheep",
                     "rust": "rust is a memory safe compiled language with a borrow checker"},
    )))
    return folder, seed_file


@dataclass
class FakeResult:
    data: dict
    section_times: list[tuple[float, float]] | None
    output_tokens: int
    seconds: float


class FakeEngine:
    """Summarizes by quoting the transcript; fails on transcripts that mention 'graphs'."""

    model_id = "fake-model"

    def __init__(self, fields: list[str]) -> None:
        self.fields = fields
        self.calls: list[tuple[object, object]] = []  # (transcript, config)

    def summarize(self, spec, transcript, config=None):
        from inference.engine import OutputInvalidError

        self.calls.append((transcript, config))
        if isinstance(transcript, list):
            text = " ".join(c.text for c in transcript)
            times = [(transcript[0].start, transcript[-1].end)] if transcript[0].start is not None else None
        else:
            text, times = transcript, None
        if "graphs" in text:
            raise OutputInvalidError(["output stopped at the budget"], raw="{")
        data = {
            "introduction": text,
            "sections": [{"title": "Section 1: " + " ".join(text.split()[:3]), "content": [text], "topics": []}],
            "topics": [],
            "General Topics": [{"topic": f, "complexity": 0.5} for f in self.fields[:3]],
        }
        return FakeResult(data=data, section_times=times, output_tokens=42, seconds=2.0)


@pytest.fixture
def fake(monkeypatch, seed) -> FakeEngine:
    engine = FakeEngine(seed["prompt"]["general_topics"])
    monkeypatch.setattr(evaluate, "load_engine", lambda model, device, dtype: engine)
    return engine


def run_main(capsys, *argv) -> tuple[int, list[str], dict]:
    rc = evaluate.main([str(a) for a in argv])
    lines = capsys.readouterr().out.strip().splitlines()
    return rc, lines, json.loads(lines[-1])


# --- inputs are checked before any model ------------------------------------------------------


def test_a_manifest_naming_a_missing_file_exits_2_before_torch(tmp_path):
    (tmp_path / "corpus.json").write_text(json.dumps(
        {"videos": [{"file": "nowhere_to_be_found.srt", "duration_s": 10, "fields": []}]}))
    code = ("import sys\n"
            "from inference import evaluate\n"
            f"rc = evaluate.main(['--corpus', {str(tmp_path)!r}])\n"
            "print('torch' in sys.modules)\n"
            "sys.exit(rc)\n")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "nowhere_to_be_found.srt" in proc.stderr
    assert proc.stdout.strip() == "False"


def test_the_cli_exits_2_on_a_missing_file(tmp_path):
    (tmp_path / "corpus.json").write_text(json.dumps(
        {"videos": [{"file": "gone.vtt", "duration_s": 10, "fields": []}]}))
    proc = subprocess.run([sys.executable, "-m", "inference.evaluate", "--corpus", str(tmp_path)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "gone.vtt" in proc.stderr


@pytest.mark.parametrize("argv, message", [
    (["--videos", "nosuch"], "nosuch"),
    (["--seeds", "rust,atlantis"], "atlantis"),
])
def test_unknown_names_exit_2_without_loading_a_model(corpus, monkeypatch, capsys, argv, message):
    folder, seed_file = corpus
    monkeypatch.setattr(evaluate, "load_engine", lambda *a: pytest.fail("model loaded"))
    assert evaluate.main(["--corpus", str(folder), "--seed-file", str(seed_file), *argv]) == 2
    assert message in capsys.readouterr().err


def test_an_unknown_expected_field_exits_2(corpus, monkeypatch, capsys):
    folder, seed_file = corpus
    manifest = json.loads((folder / "corpus.json").read_text())
    manifest["videos"][0]["fields"] = ["Basket Weaving"]
    (folder / "corpus.json").write_text(json.dumps(manifest))
    monkeypatch.setattr(evaluate, "load_engine", lambda *a: pytest.fail("model loaded"))
    assert evaluate.main(["--corpus", str(folder), "--seed-file", str(seed_file)]) == 2
    assert "Basket Weaving" in capsys.readouterr().err


def test_cues_from_each_subtitle_format(corpus):
    folder, _ = corpus
    cues, timed = evaluate.read_cues(folder / "hashing.srt")
    assert timed and cues == [Cue(0.0, 30.0, "today we study hash tables and buckets"),
                              Cue(30.0, 100.0, "collisions are resolved by chaining")]
    cues, timed = evaluate.read_cues(folder / "recursion.vtt", limit_seconds=10)
    assert timed and [c.text for c in cues] == ["recursion calls the function again"]
    cues, timed = evaluate.read_cues(folder / "graphs.txt")
    assert not timed and cues == [Cue(None, None, "graphs have nodes and edges"),
                                  Cue(None, None, "search visits every node")]


# --- a run ------------------------------------------------------------------------------------


def test_a_run_reports_every_video_and_the_means(corpus, fake, capsys, tmp_path):
    folder, seed_file = corpus
    rc, lines, result = run_main(capsys, "--corpus", folder, "--seed-file", seed_file,
                                 "--dump", tmp_path / "dump")
    assert rc == 0
    rows = {r["name"]: r for r in result["per_video"]}
    assert list(rows) == ["hashing", "recursion", "graphs", "rust"]  # catan left out
    # Corpus videos are passed as cues, seeds as text.
    transcripts = [t for t, _ in fake.calls]
    assert isinstance(transcripts[0], list) and isinstance(transcripts[0][0], Cue)
    assert transcripts[3] == "rust is a memory safe compiled language with a borrow checker"

    hashing = rows["hashing"]
    assert hashing["valid"] is True and hashing["grounded"] == 1.0 and hashing["copied"] == 0.0
    assert hashing["coverage"] == 1.0  # one section over 0-100 s of 100 s
    assert hashing["field_any"] is True and hashing["field_top1"] is True
    assert hashing["seconds_per_hour"] == pytest.approx(2.0 / (100 / 3600))
    assert rows["recursion"]["coverage"] == 1.0 and rows["recursion"]["field_top1"] is False
    assert rows["rust"]["coverage"] is None and rows["rust"]["seconds_per_hour"] is None
    graphs = rows["graphs"]
    assert graphs["valid"] is False and "budget" in graphs["error"]
    assert graphs["grounded"] is None and graphs["output_tokens"] is None

    means = result["means"]
    assert means["videos"] == 4 and means["valid"] == 0.75
    assert means["grounded"] == 1.0 and means["coverage"] == 1.0
    assert means["field_top1"] == pytest.approx(1 / 3)  # hashing yes, recursion no, rust no
    assert means["field_any"] == pytest.approx(2 / 3)  # rust's field is not chosen
    assert means["output_tokens"] == 42
    assert means["distinct"] == 0.0  # three valid summaries, no content word in common
    assert result["config"]["model"] == "fake-model" and result["ablation"] == {}
    # One printed line per video before the JSON.
    assert sum(line.startswith("default") and " graphs " in line for line in lines) == 1

    dumped = json.loads((tmp_path / "dump" / "hashing.json").read_text())
    assert dumped["section_times"] == [[0.0, 100.0]] and dumped["grounded"] == 1.0
    assert dumped["data"]["introduction"].startswith("today we study")
    assert not (tmp_path / "dump" / "graphs.json").exists()


def test_limit_seconds_cuts_the_lectures(corpus, fake, capsys):
    folder, seed_file = corpus
    _, _, result = run_main(capsys, "--corpus", folder, "--seed-file", seed_file,
                            "--seeds", "none", "--videos", "hashing", "--limit-seconds", "20")
    (row,) = result["per_video"]
    assert row["duration_s"] == 20
    assert [c.text for c in fake.calls[0][0]] == ["today we study hash tables and buckets"]


def test_ablation_reruns_with_each_quality_switch_off(corpus, fake, capsys):
    folder, seed_file = corpus
    _, _, result = run_main(capsys, "--corpus", folder, "--seed-file", seed_file,
                            "--seeds", "rust", "--videos", "rust,hashing", "--ablation")
    assert list(result["ablation"]) == list(QUALITY_SWITCHES)
    for name, run in result["ablation"].items():
        assert run["off_value"] == QUALITY_SWITCHES[name]
        assert run["means"]["videos"] == 2 and len(run["per_video"]) == 2
    configs = [cfg for _, cfg in fake.calls]
    assert len(configs) == 2 * (1 + len(QUALITY_SWITCHES))
    for i, (name, off) in enumerate(QUALITY_SWITCHES.items(), start=1):
        switched = configs[2 * i]
        assert getattr(switched, name) == off
        assert getattr(configs[0], name) != off
