"""The layers under the Django app stay under it.

* `inference` (generation) and `videos.ingest` (URLs, transcript fetching, subtitle files)
  import without Django: every module of both packages, found by walking them, so a module
  added or split later is checked too.
* What the web process imports from `inference` to count tokens, validate answers and build
  prompt specs does not import torch: torch is for the worker that holds the model.

Each check runs in a fresh interpreter: this test process has Django and torch loaded already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

DJANGO_FREE_PACKAGES = ("inference", "videos.ingest")

# Imports each package given on the command line and every module under it, then prints
# what it imported and which django modules ended up loaded. An import error fails the run.
_IMPORT_ALL = """
import importlib, json, pkgutil, sys

imported = []
for name in sys.argv[1:]:
    package = importlib.import_module(name)
    imported.append(name)
    for info in pkgutil.walk_packages(package.__path__, name + "."):
        importlib.import_module(info.name)
        imported.append(info.name)
loaded = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
print(json.dumps({"imported": imported, "django": loaded}))
"""

_LOADED = """
import json, sys

{statement}
print(json.dumps(sorted(m for m in ("torch", "transformers", "xgrammar", "django")
                        if m in sys.modules)))
"""


def _run(code: str, *args: str) -> str:
    env = dict(os.environ)
    # No Django settings either: these layers must not need them.
    env.pop("DJANGO_SETTINGS_MODULE", None)
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc.stdout.strip().splitlines()[-1]


def test_inference_and_ingest_import_without_django():
    result = json.loads(_run(_IMPORT_ALL, *DJANGO_FREE_PACKAGES))
    imported = set(result["imported"])
    # The walk found the modules (a walk that finds nothing would prove nothing).
    assert {"inference.engine", "inference.tokens", "inference.bench"} <= imported
    assert {"videos.ingest.fetch", "videos.ingest.subtitles"} <= imported
    assert result["django"] == [], (
        f"importing every module of {DJANGO_FREE_PACKAGES} loaded {result['django'][:5]}"
    )


@pytest.mark.parametrize(
    "statement",
    [
        "import inference.tokens",
        "import inference.config, inference.locate, inference.prompt, inference.schema",
        "from inference import Example, GenerationConfig, ModelNotFoundError, PromptSpec, "
        "TemplateShape, validate_summary",
    ],
)
def test_what_the_web_process_imports_leaves_torch_out(statement):
    loaded = json.loads(_run(_LOADED.format(statement=statement)))
    assert loaded == [], f"{statement!r} imported {loaded}"
