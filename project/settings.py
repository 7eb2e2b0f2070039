"""Settings for the project: one module, driven by the environment (django-environ).

Every value can come from the process environment or from a `.env` file in the
project folder. With nothing set, the project runs for development on SQLite.
The production variables are listed in the README and in `.env.example`.
"""

import hashlib
import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

# --- Core -------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=True)

# Read as written: django-environ would take a key that starts with "$" for the name of another variable
# (one of Django's generated keys in about fifty does).
SECRET_KEY = env.ENVIRON.get("SECRET_KEY", "")
if DEBUG:
    SECRET_KEY = SECRET_KEY or "django-insecure-development-only-key-never-use-in-production"
elif not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is False (see .env.example).")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Trusted reverse proxies in front of the project (0: clients connect directly). Only with one declared are
# X-Forwarded-For (the client's address, for throttles and the sign-in lockout) and X-Forwarded-Proto
# believed; a client could send either itself.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)

INSTALLED_APPS = [
    "accounts.apps.AdminConfig",  # django.contrib.admin, whose own password change revokes API tokens
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",  # django-csp: the Content-Security-Policy header (see its section below)
    "bootstrap",  # django-bootstrap-static: Bootstrap's CSS and JS, served locally
    "import_export",  # spreadsheet import and export in the admin
    "simple_history",  # who changed what and when
    "django_tasks",  # the Django 6 tasks API (@task, .enqueue()) on 5.2
    "django_tasks_db",  # the default task backend: jobs in the database, run by `manage.py db_worker`
    "core",
    "accounts",
    "organization",
    "posts",
    "flask_import",  # manage.py import_flask: moving in from the Flask apps
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy on every response, the early answers included
    "core.middleware.RejectNullCharactersMiddleware",  # before anything reads the session, the user or the URL
    "core.middleware.DatabaseErrorMiddleware",  # outermost process_exception: the last resort
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # the language: cookie, then Accept-Language, then English
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",  # a signed-in person's saved language wins over both
    "accounts.middleware.PasswordChangeRequiredMiddleware",  # must_change_password: choose one before going on
    "simple_history.middleware.HistoryRequestMiddleware",  # history records get the request's user
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.LastSeenMiddleware",
]

ROOT_URLCONF = "project.urls"
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
WSGI_APPLICATION = "project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.i18n",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# DATABASE_URL picks the engine: sqlite:///path, postgres://…, mysql://…

DATABASE_URL = env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions avoid "database is locked" on concurrent writers; WAL lets readers go on.
    _db.setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    # Server databases: persistent connections, checked before reuse.
    _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    _db["CONN_HEALTH_CHECKS"] = True
if _db["ENGINE"] == "django.db.backends.mysql":
    _db.setdefault("OPTIONS", {}).update({"charset": "utf8mb4", "init_command": "SET sql_mode='STRICT_TRANS_TABLES'"})
    # A case-insensitive collation: unique username/email stay unique in any letter case.
    # uca1400 "as_ci" (MariaDB 10.10+): case-insensitive like PostgreSQL's LOWER(), but accents, ß and
    # emoji stay distinct (unicode_ci folds them, so names distinct elsewhere would collide here).
    _db["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_uca1400_nopad_as_ci"}
    # MariaDB cannot index expressions such as Lower("email"); the case-insensitive collation
    # together with the plain unique columns gives the same guarantee there.
    SILENCED_SYSTEM_CHECKS = ["models.W044"]

# Optional read replica: reads go there, writes (and reads inside a transaction) to the primary.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {**_db, **env.db_url_config(DATABASE_REPLICA_URL)}
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # in tests the replica is the primary
    DATABASE_ROUTERS = ["core.db_router.PrimaryReplicaRouter"]

for _alias in DATABASES.values():
    if _alias["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, with a health check that needs no `SELECT 1` while the connection is quiet.
        _alias["ENGINE"] = "core.backends.postgresql"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users and passwords ----------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
# ModelBackend with the sign-in failure limit: the site, the API token, the admin and the browsable API alike.
AUTHENTICATION_BACKENDS = ["accounts.signin_guard.GuardedModelBackend"]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    # Fallbacks so that existing hashes still verify (and are upgraded on sign-in).
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    # Werkzeug hashes brought over from the Flask apps (manage.py import_flask): verified, then replaced.
    "accounts.hashers.WerkzeugScryptPasswordHasher",
    "accounts.hashers.WerkzeugPBKDF2PasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "index"
LOGOUT_REDIRECT_URL = "index"
SIGNIN_FAILURE_LIMIT = env.int("SIGNIN_FAILURE_LIMIT", default=5)  # failed sign-ins per username and address
SIGNIN_FAILURE_WINDOW = env.int("SIGNIN_FAILURE_WINDOW", default=15 * 60)  # seconds they are remembered
LAST_SEEN_INTERVAL = 60  # seconds: last_seen is written at most this often per person

# --- Internationalization ---------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("hi", "हिन्दी")]  # each named in its own language, for the switcher
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files (whitenoise) -----------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"  # hashed names, compressed copies
        )
    },
}

# --- Email and cache ----------------------------------------------------------

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
if EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":  # noqa: F821 (set by the line above)
    EMAIL_BACKEND = "core.mail.ConsoleEmailBackend"  # attachments named, not printed as base64
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="webmaster@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# One cache shared by every worker process: throttles, the sign-in lockout, sessions and the cached reads
# (core.caching) all use it. By default Django's file-based cache in CACHE_DIR (shared by the processes of
# one node, no server needed; core.cache_backends makes its counters atomic); CACHE_URL=redis://… (Django's
# RedisCache) shares it between nodes. A per-process cache with DEBUG=False is a warning of `check --deploy`.


def memory_cache_dir(base_dir: Path, environ=os.environ) -> Path:
    """Where the file cache lives by default: a folder of this checkout on a RAM filesystem, else var/cache.

    What the cache holds is throwaway (counters, versions, cached reads; sessions are written through to the
    database). On a disk every counter write is a journaled rename: a cache hit of the API took 1.4 ms per
    request from an ext4 folder and 0.7 ms from tmpfs here. The per-user runtime folder ($XDG_RUNTIME_DIR)
    first, then /dev/shm (a folder named after the user and the checkout; core.cache_backends refuses a
    folder of another user, or one that others can write to).
    """
    tag = hashlib.sha256(str(base_dir).encode()).hexdigest()[:12]
    runtime = environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isdir(runtime):
        return Path(runtime) / f"microblog-{tag}"
    if os.path.isdir("/dev/shm") and hasattr(os, "geteuid"):
        return Path("/dev/shm") / f"microblog-{os.geteuid()}-{tag}"
    return base_dir / "var" / "cache"


CACHE_DIR = Path(env.str("CACHE_DIR", default="") or memory_cache_dir(BASE_DIR))
if env.str("CACHE_URL", default=""):
    CACHES = {"default": env.cache_url("CACHE_URL")}
    if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        CACHES["default"]["BACKEND"] = "core.cache_backends.RedisCache"  # counters in one round trip
    CACHES["state"] = CACHES["counters"] = CACHES["default"]
else:
    _file_cache = {"BACKEND": "core.cache_backends.FileBasedCache", "TIMEOUT": 24 * 60 * 60}
    CACHES = {
        "default": {
            **_file_cache,
            "LOCATION": str(CACHE_DIR),
            # Django's file cache lists its folder on every write, to decide whether to cull it: 0.8 ms at
            # 1,000 entries, 3.6 ms at 5,000, 17 ms at 20,000 (measured here). A cull removes a third.
            "OPTIONS": {"MAX_ENTRIES": env.int("CACHE_MAX_ENTRIES", default=3_000)},
        },
        # Small entries written often, each kind in a small folder of its own, so that writing them stays cheap:
        # the versions of the cached reads (written by every write; one per scope read), and the throttle and
        # sign-in counters (written by every API request; the throttles delete each window's counter when
        # they open the next, so the folder holds one per client and rate, not one per window).
        "state": {**_file_cache, "LOCATION": str(CACHE_DIR / "state"), "OPTIONS": {"MAX_ENTRIES": 3_000}},
        # The counters count by appending to a file each (core.cache_backends.FileCounters): no lock, no rename.
        "counters": {
            "BACKEND": "core.cache_backends.FileCounters",
            "LOCATION": str(CACHE_DIR / "counters"),
            "TIMEOUT": 24 * 60 * 60,
            "OPTIONS": {"MAX_ENTRIES": 3_000},
        },
    }
# Sessions in the cache, written through to the database (a cache hit reads no row; a lost cache loses none).
SESSION_ENGINE = env.str("SESSION_ENGINE", default="django.contrib.sessions.backends.cached_db")

# --- Background tasks and their files ----------------------------------------------
# TASKS_BACKEND: "database" (default; `manage.py db_worker` runs the jobs, on any of the three
# engines), "rq" (Redis at REDIS_URL; `manage.py rqworker --job-class django_tasks_rq.Job`) or
# "immediate" (run at once, inside the request: for tests and demos).

TASKS_BACKEND = env.str("TASKS_BACKEND", default="database")
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(f"TASKS_BACKEND must be one of {', '.join(_TASK_BACKENDS)}, not {TASKS_BACKEND!r}.")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND], "QUEUES": ["default"]}}
if TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": env.str("REDIS_URL", default="redis://127.0.0.1:6379/0"), "DEFAULT_TIMEOUT": 600}}

# Uploaded and generated files (post exports). Never served as a public folder: a view checks the owner.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
POST_EXPORT_CHUNK = 500  # posts written between two progress updates
# An admin import keeps its file between the preview and the confirmation: on several nodes, set
# import_export.tmp_storages.CacheStorage (with a shared Redis CACHE_URL) so either node finds it.
IMPORT_EXPORT_TMP_STORAGE_CLASS = env.str(
    "IMPORT_EXPORT_TMP_STORAGE_CLASS", default="import_export.tmp_storages.TempFolderStorage"
)

# --- REST framework -----------------------------------------------------------

REST_FRAMEWORK = {
    # DRF's own default is AllowAny: say explicitly what a view needs.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "core.filters.FilterBackend",
        "core.filters.SearchFilter",  # DRF's, with bounds on the search (core.search)
    ],
    "DEFAULT_THROTTLE_CLASSES": ["core.throttling.AnonRateThrottle"],  # DRF's, counted in fixed windows
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="120/minute"),
        "token": env.str("THROTTLE_TOKEN", default="10/minute"),
        "register": env.str("THROTTLE_REGISTER", default="10/hour"),  # new accounts per client address
    },
    "NUM_PROXIES": NUM_PROXIES,  # whose X-Forwarded-For to believe (see Core above)
    # JSON only, as the schema says (issue #20): any other body is a 415. The browsable API posts its
    # "Raw data" form as JSON.
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",  # DRF's, with a 400 for JSON nested too deeply
    ],
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Microblog API",
    "DESCRIPTION": "People, their posts and follows, and the organization they belong to.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",  # assets served locally, no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security (production defaults follow DEBUG; each can be overridden) -------

if NUM_PROXIES:  # the proxy says whether the client came over HTTPS
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Content-Security-Policy (django-csp) -------------------------------------------
# Every asset is the site's own (no CDN) and no page runs inline script or applies inline style: the scripts and
# styles are static files, and the templates of DRF, drf-spectacular, django-import-export and
# django-simple-history that had inline code are overridden in templates/. `data:` images: the icons that
# Bootstrap's and Swagger UI's stylesheets draw inline. ReDoc's page alone adds a nonce for the <style> elements
# it writes and blob: workers for its search (project/urls.py). No 'unsafe-inline' and no 'unsafe-eval' anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],  # with X_FRAME_OPTIONS for older browsers
    },
}
# Swagger UI shows a badge from validator.swagger.io (an image the policy refuses, with the schema's address sent
# there) wherever the site is not on localhost: no validator.
SPECTACULAR_SETTINGS["SWAGGER_UI_SETTINGS"] = {
    **SPECTACULAR_SETTINGS.get("SWAGGER_UI_SETTINGS", {"deepLinking": True}),  # drf-spectacular's default
    "validatorUrl": None,
}

# --- Logging --------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Django's own loggers print through the root's handler, once: without this, Django's default
    # console handler printed every warning of runserver a second time, without its time.
    "loggers": {"django": {"handlers": [], "propagate": True}},
}
