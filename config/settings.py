"""Settings, read from environment variables in this one place.

Unset variables give the embedded default (SQLite, Celery in-process, debug off unless
DJANGO_DEBUG=1). Production sets DATABASE_URL, REDIS_URL, SECRET_KEY, SIGNING_KEY,
FIELD_ENCRYPTION_KEYS and ID_HASH_KEY; see README.md.
"""

import base64
import binascii
import datetime
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(int(default))).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# DJANGO_ENV=production turns on the HTTPS hardening and refuses to start without real keys.
PRODUCTION = os.environ.get("DJANGO_ENV", "development") == "production"
DEBUG = env_bool("DJANGO_DEBUG")


# The development keys: fixed and public (they are in this file), so production refuses them.
DEV_KEYS = {
    "SECRET_KEY": "dev-only-insecure-secret-key-do-not-use-in-production-0123456789",
    "FIELD_ENCRYPTION_KEYS": "ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZCE=",
    "ID_HASH_KEY": "dev-only-id-hash-key",
    "SIGNING_KEY": "ZGV2LW9ubHktc2lnbmluZy1zZWVkLTMyLWJ5dGVzISE=",
}


def _base64_of_32_bytes(value: str, *, urlsafe: bool = False) -> bool:
    try:
        return len(base64.b64decode(value, altchars=b"-_" if urlsafe else None, validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


def _key_problem(name: str, value: str) -> str | None:
    """Why a key from the environment cannot be used, or None."""
    if name == "FIELD_ENCRYPTION_KEYS":
        keys = [key.strip() for key in value.split(",")]
        if not all(_base64_of_32_bytes(key, urlsafe=True) for key in keys):
            return "must be comma-separated Fernet keys (url-safe base64 of 32 bytes each)"
        if PRODUCTION and DEV_KEYS[name] in keys:
            return "contains the public development key"
    if name == "SIGNING_KEY" and not _base64_of_32_bytes(value):
        return "must be base64 of 32 bytes (an Ed25519 seed)"
    if PRODUCTION:
        if value == DEV_KEYS[name]:
            return "is the public development value: generate a key of your own"
        if name == "SECRET_KEY" and (len(value) < 50 or len(set(value)) < 5):
            return "must be at least 50 characters with at least 5 different ones"
        if name == "ID_HASH_KEY" and len(value) < 16:
            return "must be at least 16 characters"
    return None


def secret(name: str) -> str:
    """A key from the environment; development falls back to a fixed, public value. Production
    refuses to start with a key missing, malformed or equal to the development value."""
    value = os.environ.get(name, "").strip()
    if not value:
        if PRODUCTION:
            raise ImproperlyConfigured(f"{name} must be set when DJANGO_ENV=production")
        return DEV_KEYS[name]
    problem = _key_problem(name, value)
    if problem:
        raise ImproperlyConfigured(f"{name} {problem}")
    return value


SECRET_KEY = secret("SECRET_KEY")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "registry.admin_site.RegistryAdminConfig",  # django.contrib.admin, for registry operators only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "simple_history",
    "registry",
    "assessors",
    "certification",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",  # the audit log's user (registry/audit.py)
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "registry.middleware.NoStorePersonalDataMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a login lockout into registry.auth's response
]
# Public paths whose responses carry personal data: never cached (registry/middleware.py).
NO_STORE_PATHS = ("/verify/", "/v/", "/api/verify/", "/accounts/")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.i18n",
                "registry.context_processors.nav",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
# A PostgreSQL read replica for public verification reads (registry/routers.py); in tests it
# mirrors the default database.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = {
        **dj_database_url.parse(
            os.environ["DATABASE_REPLICA_URL"], conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60"))
        ),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["registry.routers.ReplicaRouter"]
# psycopg prepares a statement run this many times on a connection, on cursors that bind on the
# server: Django's own cursors bind on the client and never prepare, so this reaches only the
# verification look-up (certification/services/certificates.py, `_lookup_cursor`).
for _database in DATABASES.values():
    if _database["ENGINE"].endswith("postgresql"):
        _database.setdefault("OPTIONS", {})["prepare_threshold"] = 5
if env_bool("DATABASE_POOLED"):
    # Behind PgBouncer in transaction mode a session does not outlive a transaction: no
    # server-side cursors, no prepared statements.
    for _database in DATABASES.values():
        _database["DISABLE_SERVER_SIDE_CURSORS"] = True
        _database.setdefault("OPTIONS", {})["prepare_threshold"] = None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "registry.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
# Each language is named in itself, never translated: a reader who cannot read the current
# language must still find their own in the switcher (Django's zh-hans catalogue would show
# "English" as 英语). base.html lists these through the i18n context processor, untranslated.
LANGUAGES = [("zh-hans", "中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = not PRODUCTION  # serve from the apps directly; production runs collectstatic

# --- Redis: cache and Celery broker. Unset means in-process (embedded default). ---
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# A killed worker must not lose a chunk: ack after the work, requeue on a lost worker.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fix-up closes the database connection around every task unless this is set, so
# each issuance chunk paid a new PostgreSQL backend (its fork, authentication and cold catalogue and
# foreign-key plan caches). Set, the fix-up leaves connections open, and config/celery.py closes
# them as Django does between requests: after DB_CONN_MAX_AGE seconds, or when unusable.
CELERY_DB_REUSE_MAX = 1_000_000
# A message whose worker died unacknowledged returns to the queue after the visibility timeout;
# kombu sweeps for such messages every interval × throttle seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
    "unacked_restore_interval": int(os.environ.get("CELERY_UNACKED_RESTORE_INTERVAL", "10")),
    "unacked_restore_throttle": int(os.environ.get("CELERY_UNACKED_RESTORE_THROTTLE", "6")),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# `celery -A config beat`: the statistics' summary tables (each issuance batch refreshes them too).
CELERY_BEAT_SCHEDULE = {
    "statistics-refresh": {
        "task": "certification.tasks.statistics_refresh",
        "schedule": float(os.environ.get("STATISTICS_REFRESH_SECONDS", "3600")),
        "args": ("schedule",),
    },
}

# --- Keys. Development values are fixed and public; production must set its own. ---
# Field encryption (MultiFernet): comma-separated keys, newest first, so keys can rotate.
FIELD_ENCRYPTION_KEYS = [key.strip() for key in secret("FIELD_ENCRYPTION_KEYS").split(",")]
# Keyed hash (HMAC-SHA256) for exact look-up of identity document numbers.
ID_HASH_KEY = secret("ID_HASH_KEY")
# Ed25519 private key for certificate signatures: base64 of the 32 raw seed bytes. To rotate, set
# a new seed: the registry keeps the public part of every key it used (certification.SigningKey),
# publishes them as retired at /.well-known/registry-key.json, and their certificates still verify.
SIGNING_KEY = secret("SIGNING_KEY")

# --- Domain settings that the sources could not confirm (docs/domain.md [I]): kept here. ---
PROVINCE_CODE = os.environ.get("PROVINCE_CODE", "31")
PUBLICITY_WORKING_DAYS = int(os.environ.get("PUBLICITY_WORKING_DAYS", "5"))
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000")

# --- REST API ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "registry.api.pagination.RegistryPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "registry.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Skill-level certification registry API",
    "DESCRIPTION": "技能等级认证登记系统 — sessions, applications, results and certificates.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "FilingStateEnum": "registry.models.Filing.State",
        "SessionStateEnum": "certification.models.Session.State",
        "ApplicationStateEnum": "certification.models.Application.State",
        "BatchStateEnum": "certification.models.IssuanceBatch.State",
        "ArchiveStateEnum": "certification.models.BatchArchive.State",
        "CorrectionStateEnum": "certification.models.ResultCorrection.State",
        "ObjectionStateEnum": "certification.models.Objection.State",
        "ApplicationStatusEnum": "certification.models.Application.Status",
    },
}

# --- Login lockout (django-axes): per username and client, see registry/auth.py ---
AUTHENTICATION_BACKENDS = ["registry.auth.LoginLockoutBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The client address by the same rule as the verification limits (the proxy's hop).
AXES_CLIENT_IP_CALLABLE = "certification.throttle.client_ip"
AXES_LOCKOUT_CALLABLE = "registry.auth.lockout_response"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "start"

# The certificate's covering look-up indexes (Certificate.Meta) carry non-key columns on
# PostgreSQL; SQLite (the embedded demo) builds them on their key alone, which is what we want.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
LOGOUT_REDIRECT_URL = "home"

# Mail (password reset): SMTP when EMAIL_HOST is set (production), else printed to the console
# in development (production without EMAIL_HOST tries the local SMTP server). EMAIL_BACKEND overrides both.
EMAIL_HOST = os.environ.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@localhost")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST") or PRODUCTION
    else "django.core.mail.backends.console.EmailBackend"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# --- Production hardening (HTTPS behind a proxy that sets X-Forwarded-Proto). ---
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Content-Security-Policy (django-csp): no inline script anywhere; pages load their scripts
# and styles from our own static files (no CDN). config/urls.py relaxes styles for Redoc only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Issuance ---
ISSUANCE_CHUNK_SIZE = int(os.environ.get("ISSUANCE_CHUNK_SIZE", "1000"))
# Without Redis (the embedded default) Celery runs tasks in-process: issuance then runs in a
# background thread, so the "issue" request returns at once and the batch page shows the progress.
# ISSUANCE_PACE_SECONDS waits before each chunk there (make demo sets it, with small chunks, so that
# the progress bar is seen moving); 0 in production.
ISSUANCE_IN_THREAD = env_bool("ISSUANCE_IN_THREAD", default=not REDIS_URL)
ISSUANCE_PACE_SECONDS = float(os.environ.get("ISSUANCE_PACE_SECONDS", "0"))
# Fault injection for the killed-worker test: a chunk sleeps this long before it commits.
ISSUANCE_TEST_DELAY_SECONDS = float(os.environ.get("ISSUANCE_TEST_DELAY_SECONDS", "0"))

# --- Reporting (数据上报) ---
# The columns, in order, of the export for the national upload (技能人才评价证书全国联网查询).
# docs/domain.md [I]: we could not confirm the national template's field order, so it is a setting
# (comma-separated names, each one of certification.services.reporting.REPORT_FIELDS); check it
# against the current national template before the first upload.
REPORT_COLUMNS = env_list(
    "REPORT_COLUMNS",
    "证书编号,姓名,证件类型,证件号码,职业编码,职业名称,工种,等级,评价类型,发证日期,评价机构,统一社会信用代码",
)

# --- Public verification ---
# (requests, seconds): per client address, and per ID number asked about.
VERIFY_RATE_LIMIT = (int(os.environ.get("VERIFY_RATE_LIMIT", "20")), 60)
# Per ID number and client: one client's failures never lock another out (certification/throttle.py).
VERIFY_RATE_LIMIT_PER_ID = (int(os.environ.get("VERIFY_RATE_LIMIT_PER_ID", "10")), 3600)
# Per certificate number, all clients together, a day: then "use the QR code" for that number.
VERIFY_RATE_LIMIT_PER_NUMBER = (int(os.environ.get("VERIFY_RATE_LIMIT_PER_NUMBER", "30")), 86400)
# Worker activation: failed attempts per person (ID number) and client, an hour.
ACTIVATION_RATE_LIMIT_PER_PERSON = (int(os.environ.get("ACTIVATION_RATE_LIMIT_PER_PERSON", "5")), 3600)
# One-time activation codes handed to the holder: days until a code expires.
ACTIVATION_CODE_DAYS = int(os.environ.get("ACTIVATION_CODE_DAYS", "60"))
# Failed activations for one person, from all clients together, after which their unused codes are void.
ACTIVATION_CODE_MAX_FAILURES = int(os.environ.get("ACTIVATION_CODE_MAX_FAILURES", "10"))
OBJECTION_RATE_LIMIT = (int(os.environ.get("OBJECTION_RATE_LIMIT", "5")), 3600)  # objections per client an hour
# Public reports about an institution (社会监督) per client an hour.
REPORT_RATE_LIMIT = (int(os.environ.get("REPORT_RATE_LIMIT", "5")), 3600)
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", PRODUCTION)
