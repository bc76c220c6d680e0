"""Settings, read from environment variables in this one place.

Unset variables give the embedded default (SQLite, Celery in-process, debug off unless
DJANGO_DEBUG=1). Production sets DATABASE_URL, REDIS_URL, SECRET_KEY, SIGNING_KEY,
FIELD_ENCRYPTION_KEYS and ID_HASH_KEY; see README.md.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(int(default))).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# DJANGO_ENV=production turns on the HTTPS hardening and refuses to start without real keys.
PRODUCTION = os.environ.get("DJANGO_ENV", "development") == "production"
DEBUG = env_bool("DJANGO_DEBUG")


def secret(name: str, dev_default: str) -> str:
    """A key from the environment; development falls back to a fixed, public value."""
    value = os.environ.get(name, "")
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set when DJANGO_ENV=production")
    return dev_default


SECRET_KEY = secret("SECRET_KEY", "dev-only-insecure-secret-key-do-not-use-in-production-0123456789")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
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
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "registry.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
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
# A message whose worker died unacknowledged returns to the queue after the visibility timeout;
# kombu sweeps for such messages every interval × throttle seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
    "unacked_restore_interval": int(os.environ.get("CELERY_UNACKED_RESTORE_INTERVAL", "10")),
    "unacked_restore_throttle": int(os.environ.get("CELERY_UNACKED_RESTORE_THROTTLE", "6")),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Keys. Development values are fixed and public; production must set its own. ---
# Field encryption (MultiFernet): comma-separated keys, newest first, so keys can rotate.
FIELD_ENCRYPTION_KEYS = secret("FIELD_ENCRYPTION_KEYS", "ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZCE=").split(",")
# Keyed hash (HMAC-SHA256) for exact look-up of identity document numbers.
ID_HASH_KEY = secret("ID_HASH_KEY", "dev-only-id-hash-key")
# Ed25519 private key for certificate signatures: base64 of the 32 raw seed bytes.
SIGNING_KEY = secret("SIGNING_KEY", "ZGV2LW9ubHktc2lnbmluZy1zZWVkLTMyLWJ5dGVzISE=")

# --- Domain settings that the sources could not confirm (DOMAIN.md [I]): kept here. ---
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
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
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
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

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

# --- Issuance ---
ISSUANCE_CHUNK_SIZE = int(os.environ.get("ISSUANCE_CHUNK_SIZE", "1000"))
# Fault injection for the killed-worker test: a chunk sleeps this long before it commits.
ISSUANCE_TEST_DELAY_SECONDS = float(os.environ.get("ISSUANCE_TEST_DELAY_SECONDS", "0"))

# --- Reporting (数据上报) ---
# The columns, in order, of the export for the national upload (技能人才评价证书全国联网查询).
# DOMAIN.md [I]: we could not confirm the national template's field order, so it is a setting
# (comma-separated names, each one of certification.services.reporting.REPORT_FIELDS); check it
# against the current national template before the first upload.
REPORT_COLUMNS = env_list(
    "REPORT_COLUMNS",
    "证书编号,姓名,证件类型,证件号码,职业编码,职业名称,工种,等级,评价类型,发证日期,评价机构,统一社会信用代码",
)

# --- Public verification ---
# (requests, seconds): per client address, and per ID number asked about.
VERIFY_RATE_LIMIT = (int(os.environ.get("VERIFY_RATE_LIMIT", "20")), 60)
VERIFY_RATE_LIMIT_PER_ID = (int(os.environ.get("VERIFY_RATE_LIMIT_PER_ID", "10")), 3600)
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", PRODUCTION)
