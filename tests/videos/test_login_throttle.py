"""Failed logins are throttled (django-axes): AXES_FAILURE_LIMIT wrong passwords for a
username lock that username out (from any address), and as many from one address lock
that address out (for any username); even the right password is then refused with a page
that says why, and an admin's `axes_reset_username` unlocks it."""

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.http import HttpRequest
from django.urls import reverse

from .factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
PASSWORD = "pw-for-tests-1"


@pytest.fixture
def alice():
    return UserFactory(username="alice")


def log_in(client, password, username="alice", address="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_twenty_wrong_passwords_are_not_all_answered(client, alice):
    limit = settings.AXES_FAILURE_LIMIT
    codes = [log_in(client, f"wrong-{i}").status_code for i in range(20)]
    # The form answers until the limit; the failure that reaches it and every later try get the lockout page.
    assert codes == [200] * (limit - 1) + [429] * (20 - limit + 1)


def test_a_locked_out_user_is_refused_even_the_right_password(client, alice):
    for i in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, f"wrong-{i}")
    response = log_in(client, PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)
    html = response.content.decode()
    assert "Too many failed logins" in html and "<strong>alice</strong>" in html
    assert 'class="topbar"' in html  # in the site's layout
    assert f"for {settings.AXES_COOLOFF_TIME.seconds // 60} minutes" in html


def test_a_user_is_locked_out_from_every_address(client, alice):
    """Guessing one password from many addresses is stopped."""
    for i in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, f"wrong-{i}", address=f"10.0.1.{i}")
    assert log_in(client, PASSWORD, address="10.0.0.99").status_code == 429
    assert not logged_in(client)


def test_an_address_is_locked_out_for_every_username(client, alice):
    """Trying many usernames from one address is stopped; alice elsewhere is not."""
    for i in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "wrong", username=f"guess-{i}")
    assert log_in(client, PASSWORD).status_code == 429
    response = log_in(client, PASSWORD, address="10.0.0.2")
    assert response.status_code == 302 and logged_in(client)


@pytest.mark.parametrize("command, args", [("axes_reset_username", ["alice"]), ("axes_reset", [])])
def test_an_admin_unlocks_the_user(client, alice, command, args):
    for i in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, f"wrong-{i}")
    assert log_in(client, PASSWORD).status_code == 429
    call_command(command, *args, stdout=io.StringIO())
    response = log_in(client, PASSWORD)
    assert response.status_code == 302 and logged_in(client)


def test_a_good_login_forgets_the_typos_before_it(client, alice):
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, f"wrong-{i}")
    assert log_in(client, PASSWORD).status_code == 302
    client.logout()
    assert log_in(client, "wrong-again").status_code == 200  # counted from zero again


def test_the_admin_login_is_throttled_too(client, alice):
    url = reverse("admin:login")
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "alice", "password": f"wrong-{i}"}, REMOTE_ADDR="10.0.0.1")
    assert client.post(url, {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1").status_code == 429


def test_tests_log_in_with_force_login_or_with_a_request(client, alice):
    """django-axes needs the request to count a login: the test client's login()
    must be given one; force_login() does not authenticate at all."""
    with pytest.raises(ValueError):
        client.login(username="alice", password=PASSWORD)
    assert client.login(request=HttpRequest(), username="alice", password=PASSWORD)
    client.logout()
    client.force_login(alice)
    assert client.get(LOGIN).wsgi_request.user == alice  # the session's backend is still one Django knows
