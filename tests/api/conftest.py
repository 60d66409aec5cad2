"""Fixtures for the API tests: users of each role (the groups as the migrations made
them), their tokens, and a client that sends a token."""

from __future__ import annotations

import pytest
from django.test import Client

from api.services import token_create
from tests.routes import role_user

# High enough that no test but the throttling one meets it (the limits live in Redis,
# which outlives each test's database).
GENEROUS = {"token": "100000/min", "user": "100000/min", "anon": "100000/min"}


@pytest.fixture(autouse=True)
def generous_rates(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": GENEROUS}


class TokenClient(Client):
    """A test client whose every request carries `Authorization: Bearer <token>`."""

    def __init__(self, token: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.token = token

    def request(self, **request):
        if self.token:
            request.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.token}")
        return super().request(**request)


def token_of(user, **kwargs) -> str:
    return token_create(user=user, name="test", **kwargs)[1]


@pytest.fixture
def as_role(db):
    """as_role("viewer") -> a client with a token of a new user of that role."""

    def make(role: str, username: str | None = None) -> TokenClient:
        user = role_user(role, username=username)
        client = TokenClient(token_of(user) if user is not None else None)
        client.user = user
        return client

    return make
