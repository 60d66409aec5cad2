"""Loading the summarizer model: a hub id (offline cache only), a local folder or a GGUF file.

Models are loaded once per process and kept in a cache keyed by (model id, device, dtype).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import torch

from .locate import ModelNotFoundError, default_model_path, from_pretrained_kwargs

AUTO = "auto"  # device / dtype: let resolve_device_dtype choose

# CPU dtype when none is asked for: fp32, because on CPUs without a bf16 matmul fast path
# (AMX / AVX512-BF16) bf16 decodes no faster and is less exact. `python -m inference.bench`
# re-measures it (ablation "dtype_float32_vs_bfloat16"; the README has the figures); where
# bf16 wins, pass dtype="bfloat16" (the site's SUMMARIZER_DTYPE setting).
CPU_DEFAULT_DTYPE = torch.float32


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


_DTYPES = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16,
           "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16}


def _is_auto(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in ("", AUTO))


def resolve_device_dtype(
    device: str | torch.device | None = AUTO, dtype: str | torch.dtype | None = AUTO
) -> tuple[torch.device, torch.dtype]:
    """The device and dtype to load on. "auto" (or None, or ""): CUDA when available, else CPU;
    bf16 on CUDA, CPU_DEFAULT_DTYPE on CPU. Otherwise a torch device ("cuda:1") and a dtype
    name ("bfloat16", "bf16", "float32"...) or torch.dtype. Reads no environment variables:
    the caller passes its settings in."""
    if _is_auto(device):
        device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    if device.type == "cuda" and device.index is None and torch.cuda.is_available():
        # "cuda" and "cuda:0" are the same device: one cache entry, not two loaded copies.
        device = torch.device("cuda", torch.cuda.current_device())
    if _is_auto(dtype):
        dtype = torch.bfloat16 if device.type == "cuda" else CPU_DEFAULT_DTYPE
    elif isinstance(dtype, str):
        try:
            dtype = _DTYPES[dtype.strip().lower()]
        except KeyError:
            raise ValueError(
                f"unknown dtype {dtype!r}; use {AUTO!r} or one of {sorted(_DTYPES)}"
            ) from None
    return device, dtype


def _load(model_id: str, device: torch.device, dtype: torch.dtype) -> LoadedModel:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    where, kwargs = from_pretrained_kwargs(model_id)
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
    device: str | torch.device | None = AUTO,
    dtype: str | torch.dtype | None = AUTO,
) -> LoadedModel:
    """Load the model and tokenizer once per process for each (model, device, dtype);
    `model_id` None or "" means the default GGUF, device/dtype "auto" the automatic choice
    (see resolve_device_dtype)."""
    model_id = model_id or default_model_path()
    dev, dt = resolve_device_dtype(device, dtype)
    key = (model_id, str(dev), str(dt))
    with _lock:
        if key not in _cache:
            _cache[key] = _load(model_id, dev, dt)
        return _cache[key]
