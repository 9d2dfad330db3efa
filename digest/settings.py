"""Paper Digest settings.

Every value a deployment may change comes from an environment variable with a
safe local default, so `make demo` works on a fresh machine with nothing set.
"""

import json
import os
import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name, default):
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name, default):
    return int(os.environ.get(name, default))


def envfloat(name, default):
    return float(os.environ.get(name, default))


# Local data (database, downloaded PDFs, extracted figures) lives under var/
# unless told otherwise.
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = envbool("DEBUG", "True")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("Set SECRET_KEY: with DEBUG off this is a deployment, and it needs its own key.")
    SECRET_KEY = "insecure-local-development-key"
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
SITE_NAME = os.environ.get("SITE_NAME", "Paper Digest")
# The authority in Atom entries' tag: ids, the same whatever host a reader used: the site's domain, the first
# of ALLOWED_HOSTS that names one (RFC 4151 wants a domain: not "*" nor "[::1]"; ".example.org" is example.org).
FEED_ID_AUTHORITY = os.environ.get("FEED_ID_AUTHORITY") or next(
    (host.lstrip(".") for host in map(str.strip, ALLOWED_HOSTS) if re.fullmatch(r"\.?[A-Za-z0-9.-]+", host)), "localhost")
SOURCE_CODE_URL = os.environ.get("SOURCE_CODE_URL", "/source/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_q",
    "papers",
    "subscribers",
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
    "papers.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "digest.urls"

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
                "papers.public.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "digest.wsgi.application"

# SQLite in WAL mode so the web server and two workers can share it: IMMEDIATE
# transactions take the write lock up front, so a read-then-write transaction
# waits for the lock (up to `timeout` seconds) instead of failing with
# "database is locked".
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DB_NAME", VAR_DIR / "digest.sqlite3"),
        # Each new connection reads and parses the whole schema again before its first query: a worker keeps
        # its connection (an uncached search took 6 ms longer behind gunicorn than in one process).
        "CONN_MAX_AGE": envint("DB_CONN_MAX_AGE", "600"),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": envint("DB_TIMEOUT", "20"),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
}

# DATABASE_URL (e.g. postgres://user:pass@host:5432/digest) moves everything to PostgreSQL.
if os.environ.get("DATABASE_URL"):
    import dj_database_url

    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60,
                                                   conn_health_checks=True)}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The interface in Chinese and English, chosen from Accept-Language or the reader's switch.
LANGUAGES = [("zh-hans", "中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# whitenoise serves static files from the app itself, with no CDN; without collectstatic
# (development, tests) it finds them where they are.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = envbool("WHITENOISE_USE_FINDERS", "True")
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

# Public pages and feeds are cached in a cache every process on the machine shares, so a publication refreshes
# them everywhere at once (papers/public/caching.py): diskcache, SQLite and files on local disk, which evicts the
# least recently stored pages past its size. (Django's FileBasedCache lists its whole folder on every write:
# 31 ms a page at 19,000 pages, against diskcache's 0.2 ms; bench/cache.py prints both.) digest/cache.py keeps
# it open between requests.
CACHES = {
    "default": {
        "BACKEND": "digest.cache.PageCache",
        "LOCATION": os.environ.get("CACHE_DIR", VAR_DIR / "cache"),
        "SHARDS": 4,
        # How long a write waits for another process's (it retries after that; a read gives up, a miss).
        "DATABASE_TIMEOUT": 0.25,
        "OPTIONS": {"size_limit": envint("CACHE_SIZE_MB", "1024") * 2**20},
    }
}
PUBLIC_CACHE_SECONDS = envint("PUBLIC_CACHE_SECONDS", "600")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "q": {"format": "%(asctime)s [Q] %(levelname)s %(message)s", "datefmt": "%H:%M:%S"},  # django-q2's own
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "q_console": {"class": "logging.StreamHandler", "formatter": "q"},
        "dropped_tasks": {"class": "papers.queue_alerts.DroppedTaskAlert", "level": "ERROR"},
    },
    "loggers": {
        "papers": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
        "django-q": {"handlers": ["q_console", "dropped_tasks"], "level": os.environ.get("LOG_LEVEL", "INFO"),
                     "propagate": False},
    },
}

# --- Deployment (DEBUG off): HTTPS only, behind a TLS-terminating proxy -------------
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "True")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", str(365 * 24 * 3600))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "True")
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "True")
X_FRAME_OPTIONS = "DENY"
# Admin logins: this many failures for one account from one address lock it out for the period.
LOGIN_MAX_FAILURES = envint("LOGIN_MAX_FAILURES", "5")
LOGIN_LOCKOUT_SECONDS = envint("LOGIN_LOCKOUT_SECONDS", "900")
# How many proxies in front of the app append to X-Forwarded-For (1 behind the documented nginx). With 0 the
# lock-out keys on REMOTE_ADDR, which behind a proxy is the proxy's address for every client.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", "0")

# --- arXiv -----------------------------------------------------------------
ARXIV_API_URL = os.environ.get("ARXIV_API_URL", "https://export.arxiv.org/api/query")
# Where a paper's licence is read (OAI-PMH GetRecord, metadata format "arXiv"); paced with the API.
ARXIV_OAI_URL = os.environ.get("ARXIV_OAI_URL", "https://oaipmh.arxiv.org/oai")
# arXiv asks for one request per 3 seconds from everyone we run, not per process.
ARXIV_DELAY_SECONDS = envfloat("ARXIV_DELAY_SECONDS", "3")
ARXIV_TIMEOUT_SECONDS = envfloat("ARXIV_TIMEOUT_SECONDS", "30")
ARXIV_NUM_RETRIES = envint("ARXIV_NUM_RETRIES", "2")

# --- PDFs ----------------------------------------------------------------------
PDF_MAX_BYTES = envint("PDF_MAX_BYTES", str(50 * 1024 * 1024))
PDF_MAX_PAGES = envint("PDF_MAX_PAGES", "80")
# One deadline for a whole PDF download, not per read: a host trickling bytes cannot hold a worker. A host silent
# for PDF_STALL_SECONDS fails the download at once.
PDF_DOWNLOAD_TIMEOUT_SECONDS = envfloat("PDF_DOWNLOAD_TIMEOUT_SECONDS", "60")
PDF_STALL_SECONDS = envfloat("PDF_STALL_SECONDS", "10")
# Reading a PDF runs in a child process with these limits (papers/isolation.py).
PDF_EXTRACT_TIMEOUT_SECONDS = envfloat("PDF_EXTRACT_TIMEOUT_SECONDS", "120")
PDF_EXTRACT_MEMORY_MB = envint("PDF_EXTRACT_MEMORY_MB", "1024")
FIGURE_THUMBNAIL_WIDTH = envint("FIGURE_THUMBNAIL_WIDTH", "480")

# --- Summarizers ---------------------------------------------------------------
GEMINI_API_KEY = os.environ.get("GEMINI_API_KEY") or os.environ.get("GOOGLE_API_KEY", "")
# A name from papers.summarizers.BACKENDS or a dotted path to a class. With a Gemini key
# set and nothing chosen, Gemini is used.
SUMMARIZER = os.environ.get("SUMMARIZER") or ("gemini" if GEMINI_API_KEY else "extractive")
# An explicit model id, never a "-latest" alias: a silent model change would change the digests.
GEMINI_MODEL = os.environ.get("GEMINI_MODEL", "gemini-3.1-flash-lite")
GEMINI_BASE_URL = os.environ.get("GEMINI_BASE_URL", "")
OPENAI_BASE_URL = os.environ.get("OPENAI_BASE_URL", "")
OPENAI_MODEL = os.environ.get("OPENAI_MODEL", "")
OPENAI_API_KEY = os.environ.get("OPENAI_API_KEY", "")
# json_schema, json_object (servers without schema support), or none.
OPENAI_RESPONSE_FORMAT = os.environ.get("OPENAI_RESPONSE_FORMAT", "json_schema")
LLM_TIMEOUT_SECONDS = envfloat("LLM_TIMEOUT_SECONDS", "120")
LLM_INPUT_TOKEN_BUDGET = envint("LLM_INPUT_TOKEN_BUDGET", "12000")
LLM_MAX_OUTPUT_TOKENS = envint("LLM_MAX_OUTPUT_TOKENS", "4096")
# Shared by every worker (one pacing point in the database).
LLM_REQUESTS_PER_MINUTE = envfloat("LLM_REQUESTS_PER_MINUTE", "10")
# 0 = no limit. Past it, papers wait until the next day.
LLM_DAILY_TOKEN_BUDGET = envint("LLM_DAILY_TOKEN_BUDGET", "0")
# The longest a worker sleeps on a rate limit before handing the paper back to the queue.
LLM_MAX_WAIT_SECONDS = envfloat("LLM_MAX_WAIT_SECONDS", "60")
# US dollars per million tokens (input, output); thinking tokens are billed as output.
LLM_PRICES = json.loads(os.environ.get("LLM_PRICES", "null")) or {
    "gemini-3.1-flash-lite": [0.25, 1.50],
}

# --- Pipeline --------------------------------------------------------------------
# A step that fails this many times in a row leaves the paper in "failed" until
# an editor retries it. The waits between attempts grow to an hour (pipeline.BACKOFF_SECONDS):
# 8 attempts span about 3 h 50 min, longer than a usual arXiv or LLM outage.
PAPER_MAX_ATTEMPTS = envint("PAPER_MAX_ATTEMPTS", "8")
# The review page marks a paper as being reviewed by its editor for this long after they last had it open.
REVIEW_HOLD_MINUTES = envint("REVIEW_HOLD_MINUTES", "15")

# --- django-q2 ---------------------------------------------------------------------
# `retry` must exceed `timeout`, or a slow paper is handed to a second worker
# while the first is still on it. A paper's own claim (papers.pipeline) lasts
# as long as `timeout`, so a retried task after a killed worker can take over.
Q_TIMEOUT = envint("Q_TIMEOUT", "600")
# REDIS_URL makes Redis the django-q2 broker (several clusters on several machines); the
# database (ORM broker) otherwise.
REDIS_URL = os.environ.get("REDIS_URL", "")
Q_CLUSTER = {
    "name": "digest",
    "workers": envint("Q_WORKERS", "2"),
    "timeout": Q_TIMEOUT,
    "retry": envint("Q_RETRY", str(Q_TIMEOUT + 120)),
    "max_attempts": envint("Q_MAX_ATTEMPTS", "3"),
    **({"redis": REDIS_URL} if REDIS_URL else {"orm": "default"}),
    "catch_up": False,
    "save_limit": 250,
    "sync": envbool("Q_SYNC", "False"),
    "poll": envfloat("Q_POLL", "0.5"),
}

# Mail. The standard settings, from the environment: SMTP by default. `make demo` sets EMAIL_BACKEND to Django's
# file backend, which writes each mail under EMAIL_FILE_PATH. An API backend (django-anymail, say) is an
# EMAIL_BACKEND away.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_FILE_PATH = Path(os.environ.get("EMAIL_FILE_PATH", VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", "25")
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "False")
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", "False")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", "30")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <digest@{FEED_ID_AUTHORITY}>")
# The site's address as mail links to it (a mail has no request to build URLs from).
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000").rstrip("/")

# Digests by mail: sent each day at DIGEST_SEND_TIME (DIGEST_TIME_ZONE) for the day before, and weekly on
# DIGEST_WEEKLY_DAY (1 = Monday) for the seven days before (Monday to Sunday, with the default). Periods due in
# the last DIGEST_CATCH_UP_DAYS are still made, so a schedule that was down skips none.
DIGEST_SEND_TIME = os.environ.get("DIGEST_SEND_TIME", "07:00")
DIGEST_TIME_ZONE = os.environ.get("DIGEST_TIME_ZONE", TIME_ZONE)
DIGEST_WEEKLY_DAY = envint("DIGEST_WEEKLY_DAY", "1")
DIGEST_CATCH_UP_DAYS = envint("DIGEST_CATCH_UP_DAYS", "3")
DIGEST_BATCH_SIZE = envint("DIGEST_BATCH_SIZE", "50")  # mails per SMTP connection
# A delivery claimed this long ago by a worker that never finished it is taken up again.
DIGEST_CLAIM_SECONDS = envint("DIGEST_CLAIM_SECONDS", "600")
DIGEST_MAX_ATTEMPTS = envint("DIGEST_MAX_ATTEMPTS", "6")
DIGEST_RETRY_SECONDS = envint("DIGEST_RETRY_SECONDS", "300")  # doubled after each temporary failure
SUBSCRIBE_CONFIRM_DAYS = envint("SUBSCRIBE_CONFIRM_DAYS", "3")
# Confirmation mails one address may be sent, and subscriptions one client may ask for, per day.
SUBSCRIBE_MAX_PER_ADDRESS = envint("SUBSCRIBE_MAX_PER_ADDRESS", "3")
SUBSCRIBE_MAX_PER_CLIENT = envint("SUBSCRIBE_MAX_PER_CLIENT", "20")
