"""What the OpenAPI schema says beyond what drf-spectacular reads from the views: the
description (auth, errors, pagination, throttling, and the websocket routes a client can
follow), the error shape on every operation, and request bodies that take no unknown
field. Hooked in with SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]."""

from __future__ import annotations

DESCRIPTION = """\
The site's services for scripts, bots and notebooks: the same catalogue, videos, jobs, templates and
examples as the pages, with the same rights.

**Auth.** Make a token on the site's API tokens page (`/api/tokens/`) and send it as
`Authorization: Bearer cvs_…`. In a browser the session works too (unsafe methods then need the CSRF
token). Viewers read; Submitters add videos, upload subtitles, ask for summaries and cancel their own;
Curators do everything, including templates and examples. A revoked or expired token gets 401.

**Errors.** Every error has one shape: `{"error": {"code", "message", "fields"}}`; `fields` maps each
input field (or query parameter) to what is wrong with it. Unknown fields and query parameters are
refused.

**Pages.** Lists are paged by cursor: follow `next` until it is null; `page_size` is 1 to 100.

**Throttling.** Each token (or browser session) has a request rate; past it the answer is 429 with
`Retry-After` (seconds).

**Live progress (websockets).** Two routes, on the site's own origin, with the browser's session
(close codes: 4401 not logged in, 4403 no permission, 4404 no such summary or route):

- `/ws/summaries/{id}/`: first `{"type": "snapshot", …event}` (what `GET /api/v1/jobs/{id}/progress/`
  returns), then `{"type": "progress", …event}` for every event of that summary. An event has
  `summary_id, status, stage, stage_label, attempt, cancel_requested, error_code, error_message,
  position, ts`, and while generating `tokens, budget, percent, tokens_per_second, eta_seconds, part,
  parts, text`; a queued summary also gets `{"type": "progress", "kind": "position", "position": n}`.
  Send `{"action": "cancel"}` (answered by `{"type": "cancel_accepted", "summary_id", "status"}` or an
  error) or `{"action": "ping"}` (`{"type": "pong"}`). A bad message gets
  `{"type": "error", "code", "message"}`.
- `/ws/queue/`: first `{"type": "snapshot", "items": [...]}` (what `GET /api/v1/jobs/` returns), then
  `{"type": "queue", "kind": "snapshot", "items": [...], "ts"}` whenever the queue changes and
  `{"type": "queue", "kind": "summary", "summary": {...}}` as a job moves on.
"""

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string", "description": "Stable, for programs: not_found, invalid, throttled, …"},
                "message": {"type": "string", "description": "For people: what the pages would say."},
                "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            },
        }
    },
}
_ERROR = {"$ref": "#/components/schemas/Error"}

# Operations that a resource's state can refuse (409), and those that hand work to the queue (503).
CONFLICTS = {
    "summaries_make_current", "videos_transcript_upload", "videos_transcript_fetch", "jobs_create", "jobs_cancel",
    "examples_partial_update",
}
QUEUE_USERS = {"jobs_create", "videos_transcript_fetch"}

_WHY = {
    "400": "The input is not valid (see `fields`).",
    "401": "No credentials, or a token that is unknown, revoked or expired.",
    "403": "Your account may not do this.",
    "404": "No such object.",
    "409": "The object's state refuses this.",
    "413": "The body, or the file in it, is too large.",
    "415": "The body's content type is not one this operation reads.",
    "429": "Too many requests: wait `Retry-After` seconds.",
    "503": "The job queue cannot be reached; try again shortly.",
}


def _error_codes(path: str, method: str, operation: dict) -> list[str]:
    codes = ["401", "403", "429"]
    if operation.get("parameters") or "requestBody" in operation:
        codes.append("400")
    if "{" in path:
        codes.append("404")
    if "requestBody" in operation:
        codes += ["413", "415"]
    if operation.get("operationId") in CONFLICTS:
        codes.append("409")
    if operation.get("operationId") in QUEUE_USERS:
        codes.append("503")
    return codes


def _error_response(code: str) -> dict:
    response = {"description": _WHY[code], "content": {"application/json": {"schema": _ERROR}}}
    if code == "429":
        response["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}
    if code == "401":
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return response


def _closed(schema: dict, components: dict) -> None:
    """A request body's object takes no other property: the API refuses unknown fields."""
    ref = schema.get("$ref", "")
    target = components.get(ref.rsplit("/", 1)[-1]) if ref else schema
    if isinstance(target, dict) and target.get("type") == "object":
        target["additionalProperties"] = False


def postprocess(result, generator, request, public):
    """POSTPROCESSING_HOOKS: the description, the error shape on every operation, closed request bodies."""
    result["info"]["description"] = DESCRIPTION
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code in _error_codes(path, method, operation):
                responses.setdefault(code, _error_response(code))
            operation["responses"] = dict(sorted(responses.items()))
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _closed(media.get("schema", {}), components)
    return result
