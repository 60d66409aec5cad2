import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

import inference
from inference import ModelNotFoundError, default_model_path, get_engine, load_model
from inference import engine as engine_module
from inference import model as model_module
from inference.model import LoadedModel, resolve_device_dtype


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


def test_device_and_dtype_choice():
    assert resolve_device_dtype("cpu") == (torch.device("cpu"), torch.float32)
    assert resolve_device_dtype("cpu", "auto") == resolve_device_dtype("cpu", None)
    assert resolve_device_dtype("cpu", "bf16")[1] == torch.bfloat16
    assert resolve_device_dtype("cpu", torch.float16)[1] == torch.float16
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    for auto in ("auto", "AUTO", "", None):
        assert resolve_device_dtype(auto, "float32")[0].type == expected
    with pytest.raises(ValueError, match="unknown dtype"):
        resolve_device_dtype("cpu", "int3")


def test_settings_are_parameters_not_environment(monkeypatch):
    """The caller (the Django side: settings.SUMMARIZER_DEVICE / _DTYPE) passes them in."""
    monkeypatch.setenv("SUMMARIZER_DEVICE", "meta")
    monkeypatch.setenv("SUMMARIZER_DTYPE", "float16")
    device, dtype = resolve_device_dtype()
    assert device.type != "meta" and dtype != torch.float16
    # The one use of the environment in the package is writing HF_HUB_OFFLINE's default.
    package = Path(inference.__file__).parent
    for source in package.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        uses = re.findall(r"environ\b.*|getenv\b.*", text)
        assert all(u.startswith('environ.setdefault("HF_HUB_OFFLINE"') for u in uses), (source.name, uses)


def test_one_model_and_engine_per_model_device_and_dtype(monkeypatch):
    loads = []

    def fake_load(model_id, device, dtype):
        loads.append((model_id, device, dtype))
        return LoadedModel(model=None, tokenizer=None, model_id=model_id, device=device,
                           dtype=dtype)

    monkeypatch.setattr(model_module, "_load", fake_load)
    monkeypatch.setattr(model_module, "_cache", {})
    monkeypatch.setattr(engine_module, "_engines", {})
    monkeypatch.setattr(engine_module, "Engine", lambda loaded: SimpleNamespace(loaded=loaded))

    fp32 = get_engine("some/model", device="cpu", dtype="auto")
    assert get_engine("some/model", device="cpu", dtype="float32") is fp32  # "auto" resolved
    assert load_model("some/model", device="cpu", dtype="fp32") is fp32.loaded
    bf16 = get_engine("some/model", device="cpu", dtype="bfloat16")
    assert bf16 is not fp32 and bf16.loaded.dtype == torch.bfloat16
    assert get_engine("other/model", device="cpu", dtype="auto") is not fp32
    assert [(m, str(d), dt) for m, d, dt in loads] == [
        ("some/model", "cpu", torch.float32),
        ("some/model", "cpu", torch.bfloat16),
        ("other/model", "cpu", torch.float32),
    ]


def test_offline_before_transformers_is_imported():
    """Any module of the package, imported first, makes huggingface_hub start offline."""
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    code = ("import inference.generate, huggingface_hub.constants as c, os; "
            "print(c.HF_HUB_OFFLINE, os.environ.get('HF_HUB_OFFLINE'))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         cwd=Path(inference.__file__).parents[1], timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "1"]
