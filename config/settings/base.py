"""All settings, read from the environment. ``test.py`` holds only test overrides; nothing exists only in production.

With no variable set the service runs on the embedded default: SQLite for data and kombu's SQLAlchemy transport
on a second SQLite file as the Celery broker, both under ``DATA_DIR`` (``./var``). Every variable is listed in
``.env.example`` and the README.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

from config.settings.env import env_bool, env_float, env_int, env_list, env_str, load_env_file

ENV_FILE_READ = load_env_file()  # .env (or ENV_FILE) first: the environment wins over it

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "var"))).resolve()

DEBUG = env_bool("DEBUG", False)


SECRET_KEY_MISSING = "SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off"


def _secret_key() -> str:
    """The signing key. Left empty when unset with DEBUG off, so commands that sign nothing (``classify``,
    ``verify_evidence_pack``, ``--help``) run anywhere; Django refuses to use an empty key, the ``core`` system check
    fails every command that runs checks, and the web, worker and beat processes refuse to start without it."""
    key = env_str("SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        return ""
    # Development only: a random key kept in DATA_DIR so sessions survive restarts of `make run`.
    path = DATA_DIR / "dev-secret-key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
# localhost is always allowed so container health checks can call /healthz from inside.
ALLOWED_HOSTS = [*env_list("ALLOWED_HOSTS"), "localhost", "127.0.0.1", "[::1]"]
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_celery_beat",
    "core.apps.ImportExportConfig",  # django-import-export, openpyxl imported on use (core.spreadsheets)
    "core",
    "notifications",
    "governance",
    "audits",
    "discovery",
    "alerts",
    "evidence",
]

MIDDLEWARE = [
    "core.middleware.RequestIdMiddleware",  # first: every later log line of the request carries its request_id
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "core" / "templates"],
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

# --- Database -------------------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'db.sqlite3'}"
DATABASES = {"default": environ.Env.db_url_config(DATABASE_URL)}
# Each request is one transaction, so a model change and its audit-trail row commit or roll back together.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # web, worker and beat share the file: wait for locks instead of failing, and use WAL for concurrent readers.
    # synchronous=NORMAL is SQLite's recommended setting with WAL: the database cannot be corrupted by a crash or
    # power loss, but the last transactions before a power loss (not an application crash) may be rolled back;
    # commits no longer wait for an fsync of the WAL (the default FULL does one per commit).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ----------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if env_bool("USE_S3", False):
    # Evidence packs and uploads on S3-compatible storage (django-storages); credentials from AWS_* variables.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "default_acl": None,
            "file_overwrite": False,
        },
    }
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)

# --- Security (secure by default when DEBUG is off; `manage.py check --deploy` passes) -----------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# /metrics too: a scraper on the internal network speaks plain HTTP, and a redirect would not protect its token (it
# was already sent in the first request).
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$", r"^metrics/?$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    # Behind a TLS-terminating reverse proxy that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"

# --- Email ------------------------------------------------------------------------------------------------------
_email_url = env_str("EMAIL_URL") or ("consolemail://" if DEBUG else "smtp://localhost:25")
vars().update(environ.Env.email_url_config(_email_url))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "aigov@localhost")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# --- REST API ---------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # first: the first class's challenge is the WWW-Authenticate of every 401 (core.authentication; issue 18)
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "core.api.permissions.ModelPermissions",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "core.filters.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AI governance and shadow-AI audit API",
    "DESCRIPTION": "EU AI Act registry, fairness audits with signed evidence packs, and shadow-AI discovery.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # one schema name for the severity scale that alerts, rules, channels and findings share
    "ENUM_NAME_OVERRIDES": {
        "SeverityEnum": "notifications.choices.Severity",
        "ClassificationStatusEnum": "governance.choices.ClassificationStatus",
    },
}

# --- Celery -----------------------------------------------------------------------------------------------------
# Embedded default: kombu's SQLAlchemy transport on its own SQLite file (no server; see README for its limits).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or f"sqla+sqlite:///{DATA_DIR / 'celery-broker.sqlite3'}"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_BACKEND = None  # no result backend: tasks write their effects to the database
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # ack after the task ran: a crashed worker's task is redelivered
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # ...including when the worker process is killed mid-task
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # one task at a time per process: long audits don't hold others hostage
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 15 * 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 20 * 60)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A message not acked within this time is redelivered, so it must exceed the hard time limit (or a running task
    # would be delivered twice); just above it, a task of a killed worker is redelivered within ~25 minutes.
    CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = env_int(
        "CELERY_VISIBILITY_TIMEOUT", CELERY_TASK_TIME_LIMIT + 5 * 60
    )
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_DEFAULT_QUEUE = "default"
# django-celery-beat's DatabaseScheduler, touching BEAT_HEARTBEAT_FILE on every tick (core.beat; beat's health check)
CELERY_BEAT_SCHEDULER = "core.beat:HeartbeatDatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_SEND_SENT_EVENT = False

# --- Service-specific -------------------------------------------------------------------------------------------
# How long after the last heartbeat the worker/beat pair is reported unhealthy on /healthz.
HEARTBEAT_STALE_AFTER = timedelta(seconds=env_int("HEARTBEAT_STALE_AFTER_SECONDS", 300))
# The file celery beat touches on every tick; `manage.py beat_healthcheck` reads its age.
BEAT_HEARTBEAT_FILE = Path(env_str("BEAT_HEARTBEAT_FILE") or str(DATA_DIR / "beat-heartbeat"))
# The bearer token Prometheus sends to /metrics (Authorization: Bearer <token>); empty = the endpoint is off (404).
METRICS_TOKEN = env_str("METRICS_TOKEN")
# An audit-log event type missing from the registry (core.events): raise when strict (tests, development), else log
# an error and write the row anyway (production never loses an audit row over a naming slip).
AUDIT_LOG_STRICT_EVENT_TYPES = env_bool("AUDIT_LOG_STRICT_EVENT_TYPES", DEBUG)
# The History pages are read-only: a revert would save a past version around the services (core.admin_mixins).
SIMPLE_HISTORY_REVERT_DISABLED = True

# Discovery: the pseudonym key ring, "version:base64-secret" entries separated by commas or new lines (or the file
# DISCOVERY_PSEUDONYM_KEYS_FILE names), each version its own secret of at least 32 bytes; the version new events
# use; old versions stay for re-identification until `manage.py pseudonym_rotate` re-derived their rows (see
# discovery.pseudonyms). Empty = derived from SECRET_KEY: development only (the discovery.E001 check refuses it
# with DEBUG off). DISCOVERY_PSEUDONYM_KEY is the deprecated single key (one secret for every version).
# Then how long raw ingestion detail is kept, the upload cap and the chunk size for parallel ingestion.
DISCOVERY_PSEUDONYM_KEYS = env_str("DISCOVERY_PSEUDONYM_KEYS")
DISCOVERY_PSEUDONYM_KEY = env_str("DISCOVERY_PSEUDONYM_KEY")
DISCOVERY_PSEUDONYM_KEY_VERSION = env_int("DISCOVERY_PSEUDONYM_KEY_VERSION", 1)
DISCOVERY_RETENTION_DAYS = env_int("DISCOVERY_RETENTION_DAYS", 90)
DISCOVERY_UPLOAD_MAX_BYTES = env_int("DISCOVERY_UPLOAD_MAX_BYTES", 1024**3)
# The decompressed size a gzip/zip upload may reach (archive-bomb cap, 4 GiB: a month of a busy proxy's access.log).
# Enforced by the worker while it decompresses (the web request never decompresses); over it the batch ends failed.
DISCOVERY_MAX_UNCOMPRESSED_BYTES = env_int("DISCOVERY_MAX_UNCOMPRESSED_BYTES", 4 * 1024**3)
# 64 MiB: a chunk is one task and one transaction, and its usage rows are per (subject, service, day) within the
# chunk, so larger chunks mean fewer duplicated rows to commit and to sum; the vectorised scan reads a chunk in
# blocks of ingest.SCAN_BLOCK bytes, so memory does not grow with the chunk. Smaller chunks spread one file over
# more workers.
DISCOVERY_CHUNK_BYTES = env_int("DISCOVERY_CHUNK_BYTES", 64 * 1024 * 1024)
# Ingestion lifecycle: how many times a chunk is claimed (transient-error retries, redeliveries after a crash and
# reaper re-queues together) before it ends failed, and how long a chunk may wait in the queue, never picked up,
# before the reaper queues it again (above the longest expected backlog; a duplicate message is harmless).
DISCOVERY_CHUNK_MAX_ATTEMPTS = env_int("DISCOVERY_CHUNK_MAX_ATTEMPTS", 5)
DISCOVERY_CHUNK_PENDING_TIMEOUT = env_int("DISCOVERY_CHUNK_PENDING_TIMEOUT", 2 * 3600)
# Content checks before a source's format is trusted: a file whose records in its first PROBE_LINES lines are more
# than MAX_SHARE malformed is refused and nothing of it counted (1 turns the check off).
DISCOVERY_MALFORMED_PROBE_LINES = env_int("DISCOVERY_MALFORMED_PROBE_LINES", 10_000)
DISCOVERY_MALFORMED_MAX_SHARE = env_float("DISCOVERY_MALFORMED_MAX_SHARE", 0.5)

# Audits: the largest input file or download one audit reads, the most rows a SQL source may return, and the
# directories a server-side path source may read from (default: MEDIA_ROOT only).
AUDITS_MAX_INPUT_BYTES = env_int("AUDITS_MAX_INPUT_BYTES", 1024**3)
AUDITS_MAX_SQL_ROWS = env_int("AUDITS_MAX_SQL_ROWS", 5_000_000)
if env_list("AUDITS_INPUT_DIRS"):
    AUDITS_INPUT_DIRS = env_list("AUDITS_INPUT_DIRS")

# Evidence packs: the Ed25519 signing key as a PEM file path (preferred) or inline PEM, its optional password,
# the directory of retired public keys (*.pem) that still verify old packs, and an optional RFC 3161 TSA.
# With DEBUG on and no key configured, a development key is generated under DATA_DIR (see evidence.signing).
EVIDENCE_SIGNING_KEY_FILE = env_str("EVIDENCE_SIGNING_KEY_FILE")
EVIDENCE_SIGNING_KEY = env_str("EVIDENCE_SIGNING_KEY") if not EVIDENCE_SIGNING_KEY_FILE else ""
EVIDENCE_SIGNING_KEY_PASSWORD = env_str("EVIDENCE_SIGNING_KEY_PASSWORD")
EVIDENCE_TRUSTED_KEYS_DIR = env_str("EVIDENCE_TRUSTED_KEYS_DIR") or str(DATA_DIR / "evidence-trusted-keys")
EVIDENCE_TSA_URL = env_str("EVIDENCE_TSA_URL")
EVIDENCE_TSA_TIMEOUT = env_int("EVIDENCE_TSA_TIMEOUT_SECONDS", 10)
# The TSA's CA certificate(s) (PEM file; the TSA certificate itself also works, pinned): every token is verified
# against it before it goes into a pack (signature, timeStamping EKU, chain). Required when EVIDENCE_TSA_URL is set.
EVIDENCE_TSA_CA_CERT = env_str("EVIDENCE_TSA_CA_CERT")
# The published key page VERIFY.txt sends auditors to (public keys + fingerprints); empty = SITE_URL/evidence/keys/
EVIDENCE_KEYS_URL = env_str("EVIDENCE_KEYS_URL")

# --- Login throttling, Content-Security-Policy, API docs access (issue 12: items 7 and 9) -------------------------
# django-axes: after AXES_FAILURE_LIMIT failed logins for one user name from one address, that pair is locked out
# for AXES_COOLOFF_MINUTES (the right password is refused too); a success resets the count. It guards every
# username/password login: the admin and the API's session login (/api-auth/login/); API tokens are not passwords.
# `manage.py axes_reset` (or the admin's Access attempts) lifts a lockout early.
INSTALLED_APPS += ["axes", "csp"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before any password check
    "django.contrib.auth.backends.ModelBackend",
]
MIDDLEWARE += ["csp.middleware.CSPMiddleware", "axes.middleware.AxesMiddleware"]  # axes last, as documented
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # a wrong guess from elsewhere cannot lock a user out
AXES_RESET_ON_SUCCESS = True
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    # behind the reverse proxy the client address is the first X-Forwarded-For entry, not the proxy's
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    AXES_IPWARE_PROXY_COUNT = 1
LOGIN_URL = "rest_framework:login"

# django-csp: a strict policy, everything from our own origin (the admin, the Swagger UI assets from
# drf-spectacular-sidecar and its split init script); no inline script anywhere, no framing.
_SELF, _NONE = "'self'", "'none'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_SELF],
        "script-src": [_SELF],
        "style-src": [_SELF],
        "img-src": [_SELF, "data:"],
        "font-src": [_SELF],
        "connect-src": [_SELF],
        "object-src": [_NONE],
        "base-uri": [_SELF],
        "form-action": [_SELF],
        "frame-ancestors": [_NONE],
    }
}

# The OpenAPI schema and the Swagger UI: signed-in users only (the HTML page redirects to the login page).
SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"] = ["rest_framework.permissions.IsAuthenticated"]

# --- Logging ----------------------------------------------------------------------------------------------------
# LOG_FORMAT=text (default): one readable line per record. LOG_FORMAT=json: one JSON object per line
# (python-json-logger) with timestamp (ISO 8601, UTC), level, logger, message, and request_id in web requests
# (core.middleware) or task_id/task_name in Celery tasks (config.celery), for log shippers (Loki, Elasticsearch).
LOG_FORMAT = env_str("LOG_FORMAT", "text").strip().lower()
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, got {LOG_FORMAT!r}")
# --- Single sign-on: OpenID Connect (issue 18; the sso app, mozilla-django-oidc) ---------------------------------
# Authorization code flow with PKCE (S256), state and nonce checked, RS256 ID tokens verified against the provider's
# JWKS (audience, issuer, expiry). On when OIDC_CLIENT_ID is set (or USE_OIDC says so); OIDC_ISSUER is then required.
# Endpoints come from the issuer's discovery document unless set here. See the README's "Single sign-on" section.

from core.roles import ROLE_NAMES as _ROLE_NAMES  # noqa: E402  (plain data: core.roles imports no Django at load)
from sso.claims import RoleMapError, parse_role_map  # noqa: E402  (pure Python)

INSTALLED_APPS += ["sso"]
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID")
# empty (as in .env.example) means the default, like unset
USE_OIDC = env_bool("USE_OIDC", bool(OIDC_CLIENT_ID)) if env_str("USE_OIDC").strip() else bool(OIDC_CLIENT_ID)
OIDC_ISSUER = env_str("OIDC_ISSUER")
if USE_OIDC and not (OIDC_ISSUER and OIDC_CLIENT_ID):
    raise ImproperlyConfigured("single sign-on (USE_OIDC) needs OIDC_ISSUER and OIDC_CLIENT_ID")
OIDC_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_AUTHORIZATION_ENDPOINT = env_str("OIDC_AUTHORIZATION_ENDPOINT")
OIDC_TOKEN_ENDPOINT = env_str("OIDC_TOKEN_ENDPOINT")
OIDC_USERINFO_ENDPOINT = env_str("OIDC_USERINFO_ENDPOINT")
OIDC_JWKS_URI = env_str("OIDC_JWKS_URI")
OIDC_SCOPES = env_str("OIDC_SCOPES", "openid email profile")
OIDC_USERNAME_CLAIM = env_str("OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "groups")
try:
    OIDC_ROLE_MAP = parse_role_map(env_str("OIDC_ROLE_MAP"), known_roles=_ROLE_NAMES)
except RoleMapError as _exc:
    raise ImproperlyConfigured(str(_exc)) from _exc
OIDC_LOCAL_LOGIN = env_bool("OIDC_LOCAL_LOGIN", True)
OIDC_CREATE_USERS = env_bool("OIDC_CREATE_USERS", True)
OIDC_TOKEN_AUTH_METHOD = env_str("OIDC_TOKEN_AUTH_METHOD", "client_secret_basic")
if OIDC_TOKEN_AUTH_METHOD not in ("client_secret_basic", "client_secret_post"):
    raise ImproperlyConfigured("OIDC_TOKEN_AUTH_METHOD must be client_secret_basic or client_secret_post")
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT_SECONDS", 10)
OIDC_VERIFY_SSL: bool | str = env_str("OIDC_CA_BUNDLE") or True  # a CA bundle path for a private PKI
# mozilla-django-oidc's own settings, derived (sso.backends and sso.views supply the client id, secret and endpoints)
OIDC_RP_SCOPES = OIDC_SCOPES
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_TOKEN_USE_BASIC_AUTH = OIDC_TOKEN_AUTH_METHOD == "client_secret_basic"
OIDC_CREATE_USER = OIDC_CREATE_USERS
OIDC_AUTHENTICATION_CALLBACK_URL = "sso:callback"
# the password backend that OIDC_LOCAL_LOGIN=false turns off replaces Django's; the OpenID Connect backend follows
AUTHENTICATION_BACKENDS = [
    "sso.backends.LocalPasswordBackend" if backend == "django.contrib.auth.backends.ModelBackend" else backend
    for backend in AUTHENTICATION_BACKENDS
] + ["sso.backends.OIDCBackend"]
# django-axes counts password failures per user name and address: the SSO callback has neither password nor user name
AXES_WHITELIST_CALLABLE = "sso.backends.axes_skips_sso_callbacks"

# --- Identity: personal API tokens and MFA (issue 18) ---------------------------------------------------------------
# API tokens (core.models.ApiToken): every user creates and revokes their own; only a SHA-256 is stored, and every
# token expires: API_TOKEN_DEFAULT_DAYS when the creator names no expiry, never later than API_TOKEN_MAX_DAYS.
API_TOKEN_DEFAULT_DAYS = env_int("API_TOKEN_DEFAULT_DAYS", 90)
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365)
if not 1 <= API_TOKEN_DEFAULT_DAYS <= API_TOKEN_MAX_DAYS:
    raise ImproperlyConfigured("API_TOKEN_DEFAULT_DAYS must be between 1 and API_TOKEN_MAX_DAYS")

# MFA (core.mfa): TOTP second factor for local (password) logins with django-otp. Whoever enrolled an authenticator
# is asked for a code after the password; with MFA_REQUIRED_FOR_STAFF staff and superusers must enrol before they
# use the admin (recommended on in production). A session whose request.session["auth_method"] is "oidc" (set by
# the SSO login) is exempt: the identity provider does the second factor. API tokens are a factor of their own.
INSTALLED_APPS += ["django_otp", "django_otp.plugins.otp_totp", "django_otp.plugins.otp_static"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
MIDDLEWARE.insert(MIDDLEWARE.index("django_otp.middleware.OTPMiddleware") + 1, "core.mfa.middleware.MFAMiddleware")
MFA_REQUIRED_FOR_STAFF = env_bool("MFA_REQUIRED_FOR_STAFF", False)
# paths a signed-in but not yet verified user may reach (besides the MFA pages and the logout views): the SSO
# login's own views among them, so an SSO login can replace a half-finished password login
MFA_EXEMPT_PATH_PREFIXES = env_list("MFA_EXEMPT_PATH_PREFIXES", ["/static/", "/healthz", "/sso/"])
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "AI governance")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the django-otp admin pages never show a TOTP secret

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"log_context": {"()": "core.log_context.LogContextFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": True,
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["log_context"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
