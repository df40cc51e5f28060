"""Mesoclinic settings. Everything that differs between machines comes from the environment.

See docs/operator-guide.md for every variable. Missing or malformed values fail at
start-up with one message that names the variable to fix.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(os.environ.get("MESOCLINIC_HOME", PACKAGE_DIR.parent.parent)).resolve()
VAR_DIR = Path(os.environ.get("MESOCLINIC_VAR", BASE_DIR / "var")).resolve()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool = False) -> bool:
    """Read a yes/no variable; anything else is a configuration error, not a silent False."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a yes/no value; use true or false.")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production mode (DEBUG off) needs a long random "
            "SECRET_KEY in the environment, for example: "
            "export SECRET_KEY=\"$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')\""
        )
    # Development and demo only: a key kept beside the demo database, so sessions
    # survive restarts. Never used when DEBUG is off.
    _key_file = VAR_DIR / "dev-secret-key"
    if _key_file.exists():
        SECRET_KEY = _key_file.read_text().strip()
    else:
        import secrets

        VAR_DIR.mkdir(parents=True, exist_ok=True)
        SECRET_KEY = "dev-" + secrets.token_urlsafe(50)
        _key_file.write_text(SECRET_KEY)
        _key_file.chmod(0o600)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_tasks",
    # The task queue in the database (django-tasks' database backend) and its admin.
    "django_tasks_db",
    # The API docs page (/api/v1/docs) with swagger-ui served from ninja's own static files.
    "ninja",
    "mesoclinic.accounts",
    "mesoclinic.audit",
    "mesoclinic.patients",
    "mesoclinic.consultations",
    "mesoclinic.inventory",
    "mesoclinic.scheduling",
    "mesoclinic.charting",
    "mesoclinic.outcomes",
    "mesoclinic.interop",
    "mesoclinic.photos",
    "mesoclinic.api",
    "mesoclinic.jobs",
    "mesoclinic.portal",
    "mesoclinic.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Patients' sessions in their own cookie under /portal/ (before authentication).
    "mesoclinic.portal.middleware.PortalSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "mesoclinic.web.text.ControlCharacterMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mesoclinic.accounts.middleware.ScopeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that a locked-out login is answered after the session is known.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mesoclinic.urls"
WSGI_APPLICATION = "mesoclinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mesoclinic.web.context_processors.shell",
            ],
        },
    },
]


def _database_from_env() -> dict:
    default_sqlite = f"sqlite:///{VAR_DIR / 'mesoclinic.sqlite3'}"
    url = os.environ.get("DATABASE_URL", "").strip() or default_sqlite
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except (ValueError, KeyError) as exc:
        raise ImproperlyConfigured(
            f"DATABASE_URL={url!r} is not a database URL Mesoclinic can use ({exc}). "
            "Examples: sqlite:////srv/mesoclinic/var/mesoclinic.sqlite3 or "
            "postgres://user:password@127.0.0.1:5432/mesoclinic"
        ) from exc
    engine = config.get("ENGINE", "")
    if engine not in ("django.db.backends.sqlite3", "django.db.backends.postgresql"):
        raise ImproperlyConfigured(
            f"DATABASE_URL uses {engine or 'an unknown engine'}; Mesoclinic supports "
            "SQLite (sqlite:///path) and PostgreSQL (postgres://...)."
        )
    if engine == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            # WAL lets readers go on while a session is signed; IMMEDIATE makes a
            # writing transaction take the write lock up front, so two concurrent
            # writers queue instead of failing half-way.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;",
            "transaction_mode": "IMMEDIATE",
        }
        # A file (not memory) so live-server threads share it; one per test process so
        # that parallel runs on one machine never share a test database.
        config["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
        name = config.get("NAME") or ""
        if name and name != ":memory:":
            Path(name).parent.mkdir(parents=True, exist_ok=True)
    else:
        config.setdefault("OPTIONS", {})["connect_timeout"] = 5
        config["TEST"] = {"NAME": f"test_{config.get('NAME') or 'mesoclinic'}_{os.getpid()}"}
    config["ATOMIC_REQUESTS"] = False
    return config


DATABASES = {"default": _database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout after repeated failed logins (django-axes): per username and address.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Patient portal sign-in: failures (passwords, codes, code requests) per address and per
# client before a pause of PORTAL_SIGNIN_COOLOFF_MINUTES. Counted in the shared cache.
PORTAL_SIGNIN_FAILURE_LIMIT = int(os.environ.get("PORTAL_SIGNIN_FAILURE_LIMIT", "5"))
PORTAL_SIGNIN_COOLOFF_SECONDS = 60 * int(os.environ.get("PORTAL_SIGNIN_COOLOFF_MINUTES", "15"))

# Text-message reminders: a console (default), file or HTTP gateway backend (portal/sms.py).
SMS_BACKEND = os.environ.get("SMS_BACKEND", "mesoclinic.portal.sms.ConsoleBackend")
SMS_FILE_PATH = os.environ.get("SMS_FILE_PATH", str(VAR_DIR / "sms.log"))
SMS_HTTP_URL = os.environ.get("SMS_HTTP_URL", "")
SMS_HTTP_TOKEN = os.environ.get("SMS_HTTP_TOKEN", "")
# The public address of this site (https://clinic.example), for links in reminders and on
# a clinic's booking page; empty: reminders carry no link.
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "").rstrip("/")

# How far ahead the front desk may book or move an appointment (days from today).
BOOKING_HORIZON_DAYS = int(os.environ.get("BOOKING_HORIZON_DAYS", "365"))

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# Formats by clinic locale: the active code is "<language>-<clinic region>" (accounts.locales).
FORMAT_MODULE_PATH = ["mesoclinic.formats"]
USE_I18N = True
USE_TZ = True
# The server's zone; each clinic's own zone is activated per request.
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
# The version of the privacy notice patients consent to at registration; stored with each
# patient's consent. Change it when the notice changes.
PRIVACY_NOTICE_VERSION = os.environ.get("PRIVACY_NOTICE_VERSION", "2026-11")

# Years signed clinical records are kept after the last of them when a patient asks for
# erasure, per jurisdiction (the clinic's locale: ru -> RU, en-gb -> GB, en-us -> US).
# Defaults and their sources: docs/data-rights.md. Check them with your lawyer.
RETENTION_YEARS = {
    "RU": int(os.environ.get("RETENTION_YEARS_RU", "25")),
    "GB": int(os.environ.get("RETENTION_YEARS_GB", "8")),
    "US": int(os.environ.get("RETENTION_YEARS_US", "10")),
    "default": int(os.environ.get("RETENTION_YEARS_DEFAULT", "25")),
}

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
# WhiteNoise expects the folder to exist even before the first collectstatic.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Hashed, compressed static files (collected by `mesoclinic serve`) unless DEBUG; the
# test suite turns the manifest off so that it needs no collectstatic run.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
# Clinical photographs go through the default storage: MEDIA_ROOT on local disk (never
# served by URL: authorised views stream them). Clinics running several app servers set
# PHOTO_S3_BUCKET (and the S3_* variables) to use an S3-compatible bucket through
# django-storages, which must then be installed; without the variable it is not needed.
PHOTO_MAX_UPLOAD_MB = int(os.environ.get("PHOTO_MAX_UPLOAD_MB", "25"))
if os.environ.get("PHOTO_S3_BUCKET", "").strip():
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["PHOTO_S3_BUCKET"].strip(),
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("S3_REGION") or None,
            "access_key": os.environ.get("S3_ACCESS_KEY_ID", ""),
            "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY", ""),
            "location": os.environ.get("S3_PREFIX", "mesoclinic"),
            # Private objects only: the bytes are streamed by the app, never linked.
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Mesoclinic <noreply@localhost>")

# Background work (reminders, imports, e-mailed PDFs, planner runs) through the Django
# tasks interface. "database" (the default) keeps the queue in the database and needs a
# running `mesoclinic worker`; "immediate" runs each task inside the request (the test
# suite's choice); any other value is a backend's dotted path.
TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
_tasks_backend = os.environ.get("TASKS_BACKEND", "database").strip() or "database"
if "." not in _tasks_backend and _tasks_backend not in TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND={_tasks_backend!r}: use database, immediate or a backend's dotted path."
    )
TASKS = {"default": {"BACKEND": TASK_BACKENDS.get(_tasks_backend, _tasks_backend)}}


def _caches_from_env() -> dict:
    """A cache every app process shares: Redis when REDIS_URL is set, else the database.

    Several app servers behind one address must see the same cache (rate limits, locks,
    anything remembered between requests); a per-process memory cache would not.
    """
    redis_url = os.environ.get("REDIS_URL", "").strip()
    if redis_url:
        try:
            import redis  # noqa: F401
        except ImportError:
            raise ImproperlyConfigured(
                "REDIS_URL is set but the Python package 'redis' is not installed; "
                "install it (pip install redis) or unset REDIS_URL to use the database cache."
            ) from None
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "mesoclinic"),
            }
        }
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "mesoclinic_cache",
        }
    }


CACHES = _caches_from_env()

# How long the clinic planner searches before it keeps the best plan found (seconds).
PLANNER_TIME_LIMIT_S = float(os.environ.get("PLANNER_TIME_LIMIT_S", "60"))

# Security: production values unless DEBUG; HTTPS is terminated in front of us.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Reverse proxies whose X-Forwarded-For the audit trail and the sign-in lockout believe
# (addresses or networks, e.g. "127.0.0.1,10.0.0.0/8"). Empty: the peer address is the client.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")
try:
    import ipaddress as _ipaddress

    for _proxy in TRUSTED_PROXIES:
        _ipaddress.ip_network(_proxy, strict=False)
except ValueError as _exc:
    raise ImproperlyConfigured(
        f"TRUSTED_PROXIES: {_exc}; give addresses or networks separated by commas."
    ) from None
AXES_CLIENT_IP_CALLABLE = "mesoclinic.audit.services.client_ip"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
