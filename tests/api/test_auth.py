"""API tokens: made and revoked on the tokens page and in the admin, shown once, stored as
a digest; a request with a revoked, expired, unknown or malformed token is a 401."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from api.models import ApiToken
from api.services import token_create
from tests.routes import role_user

from .conftest import TokenClient

pytestmark = pytest.mark.django_db

TOKEN_RE = re.compile(r'<code id="new-token">(cvs_[^<]+)</code>')


def _make_on_page(client: Client, name="my script", lifetime="90") -> str:
    response = client.post("/api/tokens/", {"name": name, "lifetime": lifetime})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return TOKEN_RE.search(response.content.decode()).group(1)


def test_a_user_makes_a_token_on_the_page_sees_it_once_and_it_is_stored_hashed(client):
    user = role_user("viewer")
    client.force_login(user)
    raw = _make_on_page(client)
    token = ApiToken.objects.get(user=user)
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith(token.prefix + "_") and len(raw) > 40
    assert not ApiToken.objects.filter(digest=raw).exists() and raw not in str(list(ApiToken.objects.values()))
    assert token.expires_at - timezone.now() > timedelta(days=89)
    page = client.get("/api/tokens/").content.decode()
    assert token.prefix in page and raw not in page  # listed by its prefix, never shown again
    assert TokenClient(raw).get("/api/v1/summaries/").status_code == 200


def test_a_revoked_token_is_refused_with_401(client):
    user = role_user("viewer")
    client.force_login(user)
    raw = _make_on_page(client)
    api = TokenClient(raw)
    assert api.get("/api/v1/summaries/").status_code == 200
    token = ApiToken.objects.get(user=user)
    assert client.post(f"/api/tokens/{token.pk}/revoke/").status_code == 302
    response = api.get("/api/v1/summaries/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert "revoked" in client.get("/api/tokens/").content.decode()


def test_nobody_revokes_another_users_token(client):
    owner_token, _ = token_create(user=role_user("viewer", username="owner"), name="theirs")
    client.force_login(role_user("curator"))
    assert client.post(f"/api/tokens/{owner_token.pk}/revoke/").status_code == 404
    owner_token.refresh_from_db()
    assert owner_token.revoked_at is None


@pytest.mark.parametrize("header", [
    "Bearer cvs_00000000_not-a-real-token", "Bearer", "Bearer a b", "Bearer cvs_\u00e9", "Bearer x" * 300, "Bearer nope",
])
def test_unknown_and_malformed_tokens_are_401_not_anonymous(header):
    response = Client().get("/api/v1/summaries/", headers={"Authorization": header})
    assert response.status_code == 401
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_an_expired_token_is_refused():
    token, raw = token_create(user=role_user("viewer"), name="old", days=30)
    assert TokenClient(raw).get("/api/v1/summaries/").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert TokenClient(raw).get("/api/v1/summaries/").status_code == 401


def test_a_deactivated_users_token_is_refused():
    user = role_user("viewer")
    raw = token_create(user=user, name="bot")[1]
    user.is_active = False
    user.save()
    assert TokenClient(raw).get("/api/v1/summaries/").status_code == 401


def test_a_token_acts_with_its_own_users_rights_only():
    """A viewer's token cannot submit even when a curator sends it."""
    viewer_raw = token_create(user=role_user("viewer"), name="v")[1]
    response = TokenClient(viewer_raw).post("/api/v1/videos/", {"urls": ["UiX8K-xBUpE"]}, content_type="application/json")
    assert response.status_code == 403


def test_last_used_is_recorded():
    token, raw = token_create(user=role_user("viewer"), name="bot")
    TokenClient(raw).get("/api/v1/summaries/")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_session_auth_works_and_unsafe_methods_need_the_csrf_token():
    user = role_user("submitter")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/api/v1/summaries/").status_code == 200
    refused = client.post("/api/v1/videos/", {"urls": ["UiX8K-xBUpE"]}, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]["message"]
    # A token needs no CSRF token: no cookie rides along with it.
    raw = token_create(user=user, name="s")[1]
    with_token = Client(enforce_csrf_checks=True)
    response = with_token.post("/api/v1/videos/", {"urls": ["not a url"]}, content_type="application/json",
                               headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200 and response.json()["outcomes"][0]["status"] == "invalid"


def test_a_curator_makes_a_token_for_another_account_in_the_admin_and_revokes_it(client):
    bot = role_user("submitter", username="bot")
    client.force_login(role_user("curator"))
    response = client.post("/admin/api/apitoken/add/", {"user": bot.pk, "name": "chat bot", "lifetime": "never"})
    assert response.status_code == 200
    raw = TOKEN_RE.search(response.content.decode()).group(1)
    token = ApiToken.objects.get(user=bot)
    assert token.expires_at is None and token.created_by.username == "role-curator"
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert TokenClient(raw).get("/api/v1/summaries/").status_code == 200
    client.post("/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert TokenClient(raw).get("/api/v1/summaries/").status_code == 401
    # Curators keep revoked tokens as a record: they delete none.
    assert client.get(f"/admin/api/apitoken/{token.pk}/delete/").status_code == 403


def test_the_token_page_asks_for_a_login(client):
    response = client.get("/api/tokens/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
