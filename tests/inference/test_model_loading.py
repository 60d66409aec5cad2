from pathlib import Path

import pytest
import torch

from inference import ModelNotFoundError, default_model_path, load_model
from inference.model import resolve_device_dtype


def test_default_model_path_points_at_the_wheel_gguf():
    path = Path(default_model_path())
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.is_file()


def test_unknown_hub_id_is_a_clear_error():
    with pytest.raises(ModelNotFoundError, match="not in the offline Hugging Face cache"):
        load_model("no-such-org/no-such-model-xyz")


def test_missing_gguf_path(tmp_path):
    missing = tmp_path / "nope.gguf"
    with pytest.raises(ModelNotFoundError, match="GGUF model file not found") as info:
        load_model(str(missing))
    assert str(missing) in str(info.value)


def test_missing_local_folder(tmp_path):
    with pytest.raises(ModelNotFoundError, match="model folder not found"):
        load_model(str(tmp_path / "absent-folder"))


def test_device_and_dtype_choice(monkeypatch):
    monkeypatch.delenv("SUMMARIZER_DTYPE", raising=False)
    monkeypatch.delenv("SUMMARIZER_DEVICE", raising=False)
    assert resolve_device_dtype("cpu") == (torch.device("cpu"), torch.float32)
    assert resolve_device_dtype("cpu", "bf16")[1] == torch.bfloat16
    monkeypatch.setenv("SUMMARIZER_DTYPE", "bfloat16")
    assert resolve_device_dtype("cpu")[1] == torch.bfloat16
    with pytest.raises(ValueError, match="unknown dtype"):
        resolve_device_dtype("cpu", "int3")
