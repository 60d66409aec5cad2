"""Django-free summarization engine: few-shot prompt, constrained generation, validation.

Typical use (what the Django service calls)::

    from inference import TemplateShape, PromptSpec, Example, GenerationConfig, get_engine

    shape = TemplateShape(fields=(...), scale=(ScaleBand(0.0, 0.09, "Elementary"), ...))
    spec = PromptSpec(instruction=text, shape=shape,
                      examples=[Example(transcript=t, answer=answer_json)])
    engine = get_engine(model_id_or_path)          # None: default SmolLM2 GGUF; loaded once
    result = engine.summarize(spec, transcript, config=GenerationConfig(),
                              progress=lambda done, budget, text: ...,
                              should_cancel=lambda: False)
    result.data            # plain dict with the template's keys
    result.to_dict()       # everything, JSON-serialisable (metrics included)

    engine.model_id ; engine.count_tokens(text) ; engine.build_prompt(spec, transcript)
    validate_summary(shape, answer_json)   # for curated examples; raises SummaryValidationError

Errors: PromptError (EmptyTranscriptError, PromptTooLongError, ExampleInvalidError),
ModelNotFoundError, GenerationCancelled, OutputInvalidError (carries `.raw`).
Importing this package sets HF_HUB_OFFLINE=1 unless already set: nothing is downloaded.
"""

# Names are imported lazily (PEP 562): `inference.schema` and `inference.tokens`
# are used by the web process to validate answers and count tokens, and must not
# pull in torch, transformers and xgrammar just for that.
_EXPORTS = {
    "ModelNotFoundError": "model", "default_model_path": "model", "load_model": "model",
    "Engine": "engine", "OutputInvalidError": "engine", "SummaryResult": "engine", "get_engine": "engine",
    "GenerationCancelled": "generate", "GenerationConfig": "generate", "GenerationError": "generate",
    "BuiltPrompt": "prompt", "EmptyTranscriptError": "prompt", "Example": "prompt", "ExampleInvalidError": "prompt",
    "PromptError": "prompt", "PromptSpec": "prompt", "PromptTooLongError": "prompt",
    "ScaleBand": "schema", "SummaryData": "schema", "SummaryValidationError": "schema", "TemplateShape": "schema",
    "json_schema": "schema", "validate_summary": "schema",
}


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'inference' has no attribute {name!r}")
    import importlib

    if module != "schema":
        # Before transformers is imported anywhere: nothing is ever downloaded.
        importlib.import_module(".model", __name__)
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "BuiltPrompt", "EmptyTranscriptError", "Engine", "Example", "ExampleInvalidError",
    "GenerationCancelled", "GenerationConfig", "GenerationError", "ModelNotFoundError",
    "OutputInvalidError", "PromptError", "PromptSpec", "PromptTooLongError", "ScaleBand",
    "SummaryData", "SummaryResult", "SummaryValidationError", "TemplateShape",
    "default_model_path", "get_engine", "json_schema", "load_model", "validate_summary",
]
