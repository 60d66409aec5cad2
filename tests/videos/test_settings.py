"""A bad setting is one clear line at start-up, not a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _manage(env_overrides, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    env.update(env_overrides)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"DATABASE_URL": "nonsense"}, "DATABASE_URL 'nonsense'"),
        ({"REDIS_URL": "http://localhost:6379"}, "REDIS_URL 'http://localhost:6379' is not a Redis URL"),
        ({"SECRET_KEY": "", "DEBUG": "0", "SUMMARIZER_ALLOW_INSECURE_KEY": "0"}, "SECRET_KEY is not set"),
    ],
)
def test_bad_configuration_is_one_clear_line(overrides, expected):
    result = _manage(overrides, "check")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_one_clear_line():
    env = {k: v for k, v in os.environ.items()}
    env["DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/none"
    code = "import sys; from summarizer_site.launcher import check_config; check_config(dict(__import__('os').environ))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot be reached" in lines[0], result.stderr


def test_unreachable_redis_is_one_clear_line():
    env = dict(os.environ, REDIS_URL="redis://127.0.0.1:1/0")
    code = "from summarizer_site.launcher import main; main(['test', '--co', '-q'])"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "Redis at REDIS_URL redis://127.0.0.1:1/0 does not answer" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_pool_is_configured_for_postgresql_only_when_asked():
    code = "from django.conf import settings; print(settings.DATABASES['default'].get('OPTIONS', {}).get('pool'))"
    pg = {"DATABASE_URL": "postgres://someone@127.0.0.1:5432/db"}
    asked = _manage({**pg, "DATABASE_POOL_SIZE": "6"}, "shell", "-c", code)
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.strip().splitlines()[-1] == "{'min_size': 1, 'max_size': 6, 'timeout': 10}"
    for overrides in (pg, {"DATABASE_URL": "sqlite:////tmp/x.sqlite3", "DATABASE_POOL_SIZE": "6"}):
        result = _manage(overrides, "shell", "-c", code)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == "None"


# A key that passes Django's deploy check (long, varied, not "django-insecure-").
DEPLOY_KEY = "k7#Qv9!zR2@mW4$pL8^tY1&xB6*nC3(dF5)gH0_jS-eU+iO=aZ~"


def _deploy_check(**overrides):
    # As a deployment runs it, whatever the test run's environment says: DEBUG off, HTTPS
    # only when asked, and no DJANGO_ALLOW_ASYNC_UNSAFE (the browser tests set it).
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update({"SECRET_KEY": DEPLOY_KEY, "DEBUG": "0", "HTTPS": "0", "SUMMARIZER_ALLOW_INSECURE_KEY": "0", **overrides})
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    return result.returncode, result.stdout + result.stderr


def test_the_deploy_check_is_clean_with_https():
    code, output = _deploy_check(HTTPS="1")
    assert code == 0, output
    assert "System check identified no issues" in output
    assert "security.W" not in output


def test_without_https_the_deploy_check_warns_about_cookies_hsts_and_redirects():
    code, output = _deploy_check()
    assert code == 0, output
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in output


def test_https_turns_on_secure_cookies_hsts_the_redirect_and_the_proxy_header():
    code = (
        "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_PROXY_SSL_HEADER)"
    )
    on = _manage({"SECRET_KEY": DEPLOY_KEY, "HTTPS": "1"}, "shell", "-c", code)
    assert on.returncode == 0, on.stderr
    assert on.stdout.strip().splitlines()[-1] == "True True True 31536000 True ('HTTP_X_FORWARDED_PROTO', 'https')"
    short = _manage({"SECRET_KEY": DEPLOY_KEY, "HTTPS": "1", "SECURE_HSTS_SECONDS": "3600", "SECURE_HSTS_INCLUDE_SUBDOMAINS": "0"},
                    "shell", "-c", code)
    assert short.stdout.strip().splitlines()[-1] == "True True True 3600 False ('HTTP_X_FORWARDED_PROTO', 'https')"
    off = _manage({"SECRET_KEY": DEPLOY_KEY, "HTTPS": "0"}, "shell", "-c", code)
    assert off.stdout.strip().splitlines()[-1] == "False False False 0 False None"
