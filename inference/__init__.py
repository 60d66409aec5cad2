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

from .model import (  # noqa: I001 - model first: it sets HF_HUB_OFFLINE before transformers
    ModelNotFoundError,
    default_model_path,
    load_model,
)
from .engine import Engine, OutputInvalidError, SummaryResult, get_engine
from .generate import GenerationCancelled, GenerationConfig, GenerationError
from .prompt import (
    BuiltPrompt,
    EmptyTranscriptError,
    Example,
    ExampleInvalidError,
    PromptError,
    PromptSpec,
    PromptTooLongError,
)
from .schema import (
    ScaleBand,
    SummaryData,
    SummaryValidationError,
    TemplateShape,
    json_schema,
    validate_summary,
)

__all__ = [
    "BuiltPrompt", "EmptyTranscriptError", "Engine", "Example", "ExampleInvalidError",
    "GenerationCancelled", "GenerationConfig", "GenerationError", "ModelNotFoundError",
    "OutputInvalidError", "PromptError", "PromptSpec", "PromptTooLongError", "ScaleBand",
    "SummaryData", "SummaryResult", "SummaryValidationError", "TemplateShape",
    "default_model_path", "get_engine", "json_schema", "load_model", "validate_summary",
]
