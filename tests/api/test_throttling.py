"""Each token has its own request rate (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"],
from API_TOKEN_RATE): past it, 429 with Retry-After; another token is not held back."""

import pytest

from tests.routes import role_user

from .conftest import GENEROUS, TokenClient, token_of

pytestmark = pytest.mark.django_db


def test_past_its_rate_a_token_gets_429_with_retry_after(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**GENEROUS, "token": "3/min"}}
    user = role_user("viewer")
    first, second = TokenClient(token_of(user)), TokenClient(token_of(user))
    assert [first.get("/api/v1/summaries/").status_code for _ in range(3)] == [200, 200, 200]
    refused = first.get("/api/v1/summaries/")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    error = refused.json()["error"]
    assert error["code"] == "throttled" and "seconds" in error["message"]
    assert second.get("/api/v1/summaries/").status_code == 200  # its own count


def test_the_rate_comes_from_the_environment():
    from summarizer_site import settings as site_settings

    assert set(site_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]) == {"token", "user", "anon"}
    source = open(site_settings.__file__).read()
    assert 'env.str("API_TOKEN_RATE"' in source
