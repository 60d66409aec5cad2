import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
INGEST = REPO_ROOT / "videos" / "ingest"


def test_ingest_modules_import_without_django():
    code = (
        "import importlib, pkgutil, sys\n"
        "import videos.ingest\n"
        "names = [m.name for m in pkgutil.iter_modules(videos.ingest.__path__)]\n"
        "for name in names:\n"
        "    importlib.import_module('videos.ingest.' + name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not loaded, loaded\n"
        "print(' '.join(sorted(names)))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT)}  # no DJANGO_SETTINGS_MODULE
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == sorted(path.stem for path in INGEST.glob("*.py") if path.stem != "__init__")


@pytest.mark.parametrize(
    "path", sorted(INGEST.glob("*.py")) + [REPO_ROOT / "videos" / "services" / "ingestion.py"], ids=lambda p: p.name
)
def test_ingestion_modules_stay_readable(path):
    # Past this size a module holds more than one subject: split it by subject.
    assert len(path.read_text().splitlines()) <= 400
