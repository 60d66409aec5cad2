"""The OpenAPI schema: valid OpenAPI 3, and the committed openapi.yaml is what the code
generates, so that every change to the API shows in review."""

from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.validation import validate_schema

COMMITTED = Path(__file__).resolve().parents[2] / "openapi.yaml"
REGENERATE = "DEBUG=1 .venv/bin/python manage.py spectacular --validate --fail-on-warn --file openapi.yaml"


def generated() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_is_valid_openapi():
    validate_schema(generated())


def test_the_committed_schema_is_the_generated_one():
    now = OpenApiYamlRenderer().render(generated(), renderer_context={}).decode()
    assert now == COMMITTED.read_text(), f"the API changed: run `{REGENERATE}` and commit openapi.yaml"


def test_every_operation_documents_the_error_shape_and_the_rate_limit():
    schema = generated()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code in ("401", "403", "429"):
                content = operation["responses"][code]["content"]["application/json"]["schema"]
                assert content == {"$ref": "#/components/schemas/Error"}, (method, path, code)
            assert "Retry-After" in operation["responses"]["429"]["headers"]


def test_the_websocket_routes_are_described():
    description = generated()["info"]["description"]
    assert "/ws/summaries/{id}/" in description and "/ws/queue/" in description
    assert '"action": "cancel"' in description


@pytest.mark.django_db
def test_the_schema_is_served_to_an_account(client, django_user_model):
    assert client.get("/api/v1/schema/").status_code == 401
    client.force_login(django_user_model.objects.create_user("reader"))
    response = client.get("/api/v1/schema/", headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.json()["openapi"].startswith("3.")
