"""Settings from the environment (django-environ).

With no configuration: SQLite in the project folder and Celery eager, so `make run` works on a fresh
machine. With DATABASE_URL / CELERY_BROKER_URL: PostgreSQL and Redis. Production hardening lives in
`loanportal.settings.production`, which has no default secret.
"""

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

# Off unless a development setting turns it on (`make run` sets DJANGO_DEBUG=1): a forgotten variable
# never shows Django's debug pages (with every URL pattern) to users.
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Development-only key; production.py refuses to start without DJANGO_SECRET_KEY.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production-0123456789")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "import_export",
    "axes",
    "csp",
    "loanportal",
    "deadlines",
    "applications",
    "renewals",
    "repayment_relief",
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
    "loanportal.middleware.SessionTimeoutMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "loanportal.middleware.RequestContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    "loanportal.error_pages.ChineseErrorPagesMiddleware",
]

ROOT_URLCONF = "loanportal.urls"
WSGI_APPLICATION = "loanportal.wsgi.application"

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
                "loanportal.context_processors.portal",
            ],
        },
    },
]

# Django's renderer with the stock input/select/textarea widgets built in Python (same HTML, a fraction of the
# time: loanportal/form_renderer.py).
FORM_RENDERER = "loanportal.form_renderer.PortalFormRenderer"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("TEST", {})
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Migrations (`manage.py migrate`) and `manage.py db_roles` connect as the schema owner given here; the
# portal itself connects with DATABASE_URL as a role that owns nothing (docs/architecture.md "Audit").
# Unset (SQLite, development, the test suite): migrations use DATABASE_URL.
DATABASE_OWNER_URL = env("DATABASE_OWNER_URL", default="")

# Audit chain: HMAC key (never stored in the database) and the directory of the signed checkpoints
# written outside the database by the daily job. Development default key only; production requires one.
AUDIT_HMAC_KEY = env("AUDIT_HMAC_KEY", default="dev-only-audit-hmac-key-do-not-use-in-production")
AUDIT_CHECKPOINT_DIR = env("AUDIT_CHECKPOINT_DIR", default=str(BASE_DIR / "var" / "audit-checkpoints"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "loanportal.User"

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
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Lockout (django-axes), two limits (loanportal/lockout.py explains why both): an account is locked after
# AXES_FAILURE_LIMIT failures for its username, an address after AXES_IP_FAILURE_LIMIT failures over any
# usernames. The address limit is the higher one: county offices share one NAT address, and locking it
# early would shut every clerk out after one colleague's typos (hence axes.W006 is silenced deliberately).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_IP_FAILURE_LIMIT = env.int("AXES_IP_FAILURE_LIMIT", default=30)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "loanportal.lockout.UsernameAndAddressHandler"
AXES_RESET_ON_SUCCESS = True
# Failures during a lockout are not counted: a locked address cannot go on locking accounts.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The dashboards' covering index (applications.Application app_year_county_status) is PostgreSQL's;
    # the development database gets the same index without its INCLUDE columns.
    SILENCED_SYSTEM_CHECKS.append("models.W040")

# Client address: X-Forwarded-For is trusted only behind NUM_PROXIES reverse proxies (the address the
# nearest NUM_PROXIES proxies saw); with the default 0 the header is ignored and REMOTE_ADDR is used.
# The API throttles and the lockout use the same function (loanportal.lockout.client_ip).
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
AXES_CLIENT_IP_CALLABLE = "loanportal.lockout.client_ip"

# API tokens expire like the session's absolute timeout (12 hours by default).
API_TOKEN_TTL_SECONDS = env.int("API_TOKEN_TTL_SECONDS", default=12 * 3600)

# Sessions: idle timeout 30 minutes, absolute 12 hours (SessionTimeoutMiddleware).
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT_SECONDS", default=12 * 3600)
# The idle clock (SessionTimeoutMiddleware) advances at most once a SESSION_ACTIVITY_RESOLUTION, and the
# session row is saved only then, not on every request; the row outlives the idle timeout by that step so
# that the middleware, not the row's expiry, decides (and says why).
SESSION_ACTIVITY_RESOLUTION = env.int("SESSION_ACTIVITY_RESOLUTION_SECONDS", default=60)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT + SESSION_ACTIVITY_RESOLUTION
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# Thousands grouped with a comma by `intcomma` and `floatformat:"2g"` (Django's zh_Hans groups none).
FORMAT_MODULE_PATH = ["loanportal.formats"]
# The UTC offset of TIME_ZONE as "+08:00" (Asia/Shanghai has had no daylight saving time since 1991).
TIME_ZONE_OFFSET = (lambda o: f"{o[:3]}:{o[3:]}")(datetime.now(ZoneInfo(TIME_ZONE)).strftime("%z"))

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Set in production (collectstatic); in development WhiteNoise serves straight from the finders.
STATIC_ROOT = env("STATIC_ROOT", default=None)
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "media"))
MEDIA_URL = "/media/"

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="loanportal@localhost")
# Notification e-mails are sent by a Celery job from the outbox (Notification.email_status), never inside a
# request: a bounded SMTP wait, then a retry (task retries, then the sweep) up to this many attempts.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
NOTIFICATION_EMAIL_MAX_ATTEMPTS = env.int("NOTIFICATION_EMAIL_MAX_ATTEMPTS", default=8)

# Roles allowed to reveal a full ID number or phone (always with a reason, always audited).
REVEAL_ROLES = env.list(
    "REVEAL_ROLES",
    default=["county_staff", "county_manager", "university_manager", "province_officer", "province_manager"],
)

# Exports (导出, notice 二十一): files outside MEDIA_ROOT (never served directly), downloadable by the
# requester for EXPORT_DOWNLOAD_HOURS after generation, at most EXPORT_MAX_DOWNLOADS times.
EXPORT_ROOT = env.path("EXPORT_ROOT", default=str(BASE_DIR / "private" / "exports"))
EXPORT_DOWNLOAD_HOURS = env.int("EXPORT_DOWNLOAD_HOURS", default=24)
EXPORT_MAX_DOWNLOADS = env.int("EXPORT_MAX_DOWNLOADS", default=3)
EXPORT_STALE_MINUTES = env.int("EXPORT_STALE_MINUTES", default=10)
EXPORT_PROGRESS_REFRESH_SECONDS = env.int("EXPORT_PROGRESS_REFRESH_SECONDS", default=2)
# Uploaded lists of at least IMPORT_JOB_MIN_BYTES are imported as background jobs (progress bar, notification);
# the file waits in IMPORT_JOB_ROOT (never under MEDIA_ROOT) and is deleted when the job has finished.
IMPORT_JOB_ROOT = env.path("IMPORT_JOB_ROOT", default=str(BASE_DIR / "private" / "imports"))
IMPORT_JOB_MIN_BYTES = env.int("IMPORT_JOB_MIN_BYTES", default=512 * 1024)
# Relief case documents (还款救助要件, repayment_relief): outside MEDIA_ROOT, served only through the audited
# in-scope view; PDF/JPEG/PNG by content, at most RELIEF_DOCUMENT_MAX_BYTES each.
RELIEF_DOCUMENT_ROOT = env.path("RELIEF_DOCUMENT_ROOT", default=str(BASE_DIR / "private" / "relief"))
RELIEF_DOCUMENT_MAX_BYTES = env.int("RELIEF_DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its "Token" challenge makes a bad or expired token a 401 (not a 403).
        "loanportal.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "loanportal.api_filters.PortalFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    # Bodies are JSON objects (docs/api.md); only the uploads (imports, ledgers) name multipart themselves.
    # With DRF's default form parsers a malformed multipart body read as an empty form, i.e. `{}`.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "loanportal.api.PortalAutoSchema",
    "EXCEPTION_HANDLER": "loanportal.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"token": "20/min"},
    "NUM_PROXIES": NUM_PROXIES,
    # Times of day carry the offset of TIME_ZONE (RFC 3339 full-time), like datetimes do.
    "TIME_FORMAT": "%H:%M:%S" + TIME_ZONE_OFFSET,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "生源地信用助学贷款服务平台 API",
    "DESCRIPTION": "Scoped REST API of the loan portal. ID numbers and phones are masked.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # One name for the co-borrower relationship choices (model field and the application form's field).
    "ENUM_NAME_OVERRIDES": {
        "RelationshipEnum": "loanportal.models.Relationship",
        "ApplicationStatusEnum": "applications.models.ApplicationStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "loanportal.api_filters.allow_empty_query_values",
    ],
}

# Celery: eager (in-process) unless a broker is configured.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Broker down (issue 9 check 8): a publish from a request fails within seconds instead of hanging on a Redis
# that accepts connections but does not answer (default: no socket timeout at all); the work is already in
# the database and its sweep publishes it later (loanportal.dispatch).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 3}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# After a failed publish, a process skips publishing for this many seconds (the sweeps catch up).
BROKER_DOWN_SECONDS = env.int("BROKER_DOWN_SECONDS", default=30)
# Workers keep Django's LOGGING (its handlers carry MaskPersonalDataFilter); Celery's own root handlers would
# write full ID numbers and phones unmasked.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Cache (API throttles): Redis when configured (REDIS_URL or CACHE_URL, else the Celery broker's Redis),
# so every gunicorn worker shares the counts; local memory otherwise (development, no Redis).
CACHE_REDIS_URL = env("REDIS_URL", default="") or env("CACHE_URL", default="")
if not CACHE_REDIS_URL and CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CACHE_REDIS_URL = CELERY_BROKER_URL
if CACHE_REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="loanportal"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Dashboard cards that depend only on the role and the organisation are shared for this many seconds by
# everyone with both (loanportal.dashboard.cards_for; the page shows when they were computed); 0 turns it off.
DASHBOARD_CARD_SECONDS = env.int("DASHBOARD_CARD_SECONDS", default=15)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "loanportal.logging.MaskPersonalDataFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Every handler masks ID numbers and phones (issue 7 item 8): runserver's access lines ("django.server")
    # carry query strings, and Django's own default handlers (on "django" and "django.server") are replaced
    # here so that no unmasked handler is left from DEFAULT_LOGGING. gunicorn: see gunicorn.conf.py.
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["mask_personal_data"],
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Content-Security-Policy on every response (django-csp): scripts and styles only from our own origin, no
# inline script or style, no eval, no plugins, never framed. Templates therefore carry no inline handlers,
# no <script> without src and no style attributes: behaviour lives in static/js (data- attributes,
# json_script), looks in static/css. htmx runs with allowEval=false and no injected indicator styles
# (<meta name="htmx-config"> in base.html). img-src allows data: for Bootstrap's inline SVG icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
}

# How often the intake queue page refreshes its figures and table by itself (htmx polling).
INTAKE_QUEUE_REFRESH_SECONDS = env.int("INTAKE_QUEUE_REFRESH_SECONDS", default=20)

# Spreadsheet uploads: refuse files larger than this, compressed or uncompressed.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)
XLSX_MAX_UNCOMPRESSED_BYTES = env.int("XLSX_MAX_UNCOMPRESSED_BYTES", default=100 * 1024 * 1024)
# The bank's loan ledger (1.5 million contracts for a province) has its own limit: CSV, or .xlsx of several
# sheets; Django spools uploads above FILE_UPLOAD_MAX_MEMORY_SIZE to disk and the import streams them.
LEDGER_UPLOAD_MAX_BYTES = env.int("LEDGER_UPLOAD_MAX_BYTES", default=600 * 1024 * 1024)
LEDGER_IMPORT_CHUNK_ROWS = env.int(
    "LEDGER_IMPORT_CHUNK_ROWS", default=5000
)  # rows validated and staged at once
# Django counts form fields only here, never the uploaded files' bytes (those are spooled to disk).
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
