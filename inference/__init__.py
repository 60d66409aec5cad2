"""Django-free summarization engine: few-shot prompt, constrained generation, validation.

Typical use (what the Django service calls)::

    from inference import TemplateShape, PromptSpec, Example, GenerationConfig, get_engine

    shape = TemplateShape(fields=(...), scale=(ScaleBand(0.0, 0.09, "Elementary"), ...))
    spec = PromptSpec(instruction=text, shape=shape,
                      examples=[Example(transcript=t, answer=answer_json)])
    engine = get_engine(model_id_or_path, device="auto", dtype="auto")
    # model None: the default SmolLM2 GGUF; device e.g. "cuda:1", dtype e.g. "bfloat16", or
    # "auto" for each; loaded once per process for each (model, device, dtype)
    result = engine.summarize(spec, transcript, config=GenerationConfig(),
                              progress=lambda done, budget, text, part, parts: ...,
                              should_cancel=lambda: False)
    result.data            # plain dict with the template's keys
    result.to_dict()       # everything, JSON-serialisable (metrics included)

    engine.model_id ; engine.count_tokens(text) ; engine.build_prompt(spec, transcript)
    validate_summary(shape, answer_json)   # for curated examples; raises SummaryValidationError

Errors: PromptError (EmptyTranscriptError, PromptTooLongError, ExampleInvalidError),
ModelNotFoundError, GenerationCancelled, OutputInvalidError (carries `.raw`).
Importing this package (or any module of it) sets HF_HUB_OFFLINE=1 unless already set: nothing
is downloaded. No settings are read from the environment: the caller passes device and dtype in.
"""

import os

# Set before any submodule runs, so before transformers and huggingface_hub (which reads it
# once, on import) are imported by any of them.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

# Names are imported lazily (PEP 562): the web process validates answers, counts tokens and
# builds prompt specs (`inference.schema`, `.tokens`, `.prompt`, `.config`) and must not pull
# in torch, transformers and xgrammar just for that.
_EXPORTS = {
    "ModelNotFoundError": "locate", "default_model_path": "locate", "load_model": "model",
    "Engine": "engine", "OutputInvalidError": "engine", "SummaryResult": "engine", "get_engine": "engine",
    "GenerationCancelled": "generate", "GenerationConfig": "config", "GenerationError": "generate",
    "BuiltPrompt": "prompt", "EmptyTranscriptError": "prompt", "Example": "prompt", "ExampleInvalidError": "prompt",
    "PromptError": "prompt", "PromptSpec": "prompt", "PromptTooLongError": "prompt",
    "ScaleBand": "schema", "SummaryData": "schema", "SummaryValidationError": "schema", "TemplateShape": "schema",
    "json_schema": "schema", "validate_summary": "schema", "Cue": "parts",
}


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'inference' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "BuiltPrompt", "Cue", "EmptyTranscriptError", "Engine", "Example", "ExampleInvalidError",
    "GenerationCancelled", "GenerationConfig", "GenerationError", "ModelNotFoundError",
    "OutputInvalidError", "PromptError", "PromptSpec", "PromptTooLongError", "ScaleBand",
    "SummaryData", "SummaryResult", "SummaryValidationError", "TemplateShape",
    "default_model_path", "get_engine", "json_schema", "load_model", "validate_summary",
]
