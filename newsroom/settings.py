"""Newsroom settings, read from the environment (see README, "Configuration")."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


RATE_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def env_rate(name: str, default: str) -> tuple[int, int] | None:
    """A rate such as ``30/m`` as (requests, seconds); None for ``0`` or ``off``."""
    value = (os.environ.get(name) or default).strip().lower()
    if value in {"0", "off"}:
        return None
    count, _, period = value.partition("/")
    if not count.isdigit() or period not in RATE_PERIODS:
        raise ImproperlyConfigured(
            f"{name}={value!r}: expected requests per s, m, h or d such as 30/m, or off."
        )
    return (int(count), RATE_PERIODS[period]) if int(count) else None


def read_local_env(path: Path) -> None:
    """A developer's own settings, written by ``make run`` into ``.env`` (never committed):
    ``KEY=value`` lines. The real environment wins, and the test suite ignores the file so it
    runs with production's defaults wherever it runs."""
    if os.environ.get("PYTEST_VERSION") or not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        key, separator, value = line.partition("=")
        if separator and key.strip() and not key.lstrip().startswith("#"):
            os.environ.setdefault(key.strip(), value.strip())


read_local_env(Path(os.environ.get("NEWSROOM_ENV_FILE", BASE_DIR / ".env")))

DEBUG = env_bool("DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment, or DEBUG=true "
            "for local development."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "taggit",
    "django_prose_editor",
    "articles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the request: control characters in it are a 400, never the ORM's.
    "newsroom.control_characters.RefuseControlCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Before the session and auth middleware: a cached page costs readers no session work.
    "newsroom.middleware.PublicCacheMiddleware",
    "newsroom.middleware.PrimaryDatabaseMiddleware",  # only in use with read replicas
    "newsroom.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After the page cache (hits are never limited) and authentication (staff are not).
    "newsroom.middleware.RateLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Persistent connections, checked before reuse, so a restarted PostgreSQL is picked up again
# without restarting the app (how long each wait may take: postgresql_options below).
connection_options = {
    "conn_max_age": int(os.environ.get("CONN_MAX_AGE", "60")),
    "conn_health_checks": True,
}
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'newsroom.sqlite3'}", **connection_options
    )
}
# Read replicas: comma-separated URLs; anonymous reads go to them (newsroom/db_router.py).
for number, url in enumerate(env_list("DATABASE_REPLICA_URLS"), start=1):
    DATABASES[f"replica{number}"] = {
        **dj_database_url.parse(url, **connection_options),
        "TEST": {"MIRROR": "default"},
    }


def postgresql_options(connect_timeout: int, statement_timeout: float) -> dict:
    """How long the app waits for PostgreSQL, so a database that is down, slow or frozen costs
    a reader the 503 page within seconds instead of a worker hung until gunicorn kills it.

    connect_timeout bounds opening a connection; keepalives notice a server or network that
    went away under an idle (persistent) connection within about 20 s, and tcp_user_timeout
    one that stops acknowledging what is sent. PostgreSQL cancels a statement running longer
    than statement_timeout (seconds; 0: no limit); a server that is frozen cannot, so the
    backend (newsroom/postgresql) gives up a second later by itself: query_deadline.
    """
    options = {
        "connect_timeout": connect_timeout,
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 2,
        "tcp_user_timeout": 10_000,  # milliseconds
    }
    if statement_timeout > 0:
        options["options"] = f"-c statement_timeout={round(statement_timeout * 1000)}"
        options["query_deadline"] = statement_timeout + 1
    return options


# Options given in DATABASE_URL's query string (?keepalives_idle=30, ?options=…) win.
for database in DATABASES.values():
    if database["ENGINE"] == "django.db.backends.postgresql":
        database["ENGINE"] = "newsroom.postgresql"  # the built-in backend, round trips bounded
        given = database.get("OPTIONS", {})
        options = postgresql_options(
            int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "3")),
            float(os.environ.get("DATABASE_STATEMENT_TIMEOUT", "5")),
        )
        if "options" in given and "options" in options:
            given["options"] = f"{options['options']} {given['options']}"
        database["OPTIONS"] = options | given
if len(DATABASES) > 1:
    DATABASE_ROUTERS = ["newsroom.db_router.PrimaryReplicaRouter"]

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache, answering "miss" instead of raising while Redis is down.
            "BACKEND": "newsroom.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "newsroom"),
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    # Each worker's own memory: room for the pages and page parts (articles/fragments.py)
    # of a busy site's most read few thousand addresses, not the 300 entries Django keeps.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("LOCMEM_CACHE_ENTRIES", "5000"))},
        }
    }

# The public page cache (newsroom/middleware.py): how long a page may be kept at most (it is
# dropped at once when content changes), what browsers and CDNs are told, and which paths
# are never public.
# With DEBUG nothing is kept, so edited templates show on reload.
NEWSROOM_PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "0" if DEBUG else "3600"))
NEWSROOM_HTTP_MAX_AGE = int(os.environ.get("HTTP_MAX_AGE", "0" if DEBUG else "60"))
NEWSROOM_HTTP_STALE_WHILE_REVALIDATE = int(os.environ.get("HTTP_STALE_WHILE_REVALIDATE", "60"))
NEWSROOM_HTTP_STALE_IF_ERROR = int(os.environ.get("HTTP_STALE_IF_ERROR", "86400"))
# A CDN in front (newsroom/cdn.py, README "CDN"). s-maxage for CDNs only, when set: with a
# purger a CDN may keep pages longer than browsers do (never past a scheduled publication).
NEWSROOM_HTTP_SHARED_MAX_AGE = (
    int(os.environ["HTTP_SHARED_MAX_AGE"]) if os.environ.get("HTTP_SHARED_MAX_AGE") else None
)
# The response header naming what a page shows: Surrogate-Key (Fastly), xkey (Varnish with
# the xkey module), Cache-Tag (Cloudflare); empty for none.
NEWSROOM_SURROGATE_KEY_HEADER = os.environ.get("SURROGATE_KEY_HEADER", "Surrogate-Key").strip()
# Who purges those keys after a change: a dotted path to a newsroom.cdn.Purger subclass, or
# varnish, fastly, cloudflare; empty for no CDN. Credentials come from the environment.
cdn_purger = os.environ.get("CDN_PURGER", "").strip()
NEWSROOM_CDN_PURGER = {
    "varnish": "newsroom.cdn.VarnishPurger",
    "fastly": "newsroom.cdn.FastlyPurger",
    "cloudflare": "newsroom.cdn.CloudflarePurger",
}.get(cdn_purger, cdn_purger)
NEWSROOM_CDN_PURGE_AGAIN_SECONDS = float(os.environ.get("CDN_PURGE_AGAIN_SECONDS", "5"))
NEWSROOM_VARNISH_PURGE_URLS = env_list("VARNISH_PURGE_URLS")
NEWSROOM_FASTLY_API_URL = os.environ.get("FASTLY_API_URL", "https://api.fastly.com")
NEWSROOM_FASTLY_API_TOKEN = os.environ.get("FASTLY_API_TOKEN", "")
NEWSROOM_FASTLY_SERVICE_ID = os.environ.get("FASTLY_SERVICE_ID", "")
NEWSROOM_CLOUDFLARE_API_URL = os.environ.get(
    "CLOUDFLARE_API_URL", "https://api.cloudflare.com/client/v4"
)
NEWSROOM_CLOUDFLARE_API_TOKEN = os.environ.get("CLOUDFLARE_API_TOKEN", "")
NEWSROOM_CLOUDFLARE_ZONE_ID = os.environ.get("CLOUDFLARE_ZONE_ID", "")
# Previews too: a reader's 404 there must not be kept by a CDN (most ignore Vary: Cookie)
# and served to the staff member who then opens the preview.
NEWSROOM_PRIVATE_PATHS = ["/admin/", "/healthz", "/preview/", "/api/ingest/"]
# With replicas: for this long after content changes, pages are read from the primary.
NEWSROOM_REPLICA_LAG_SECONDS = int(os.environ.get("REPLICA_LAG_SECONDS", "5"))

# Rate limits per client address (newsroom/ratelimit.py), "<requests>/<s|m|h|d>" or "off",
# answered with 429 and Retry-After: renders the page cache cannot spare for readers not
# logged in (a query string it keys on, such as a search, or a session cookie that is no
# login), and admin login attempts. Counted in the cache: per worker process without Redis.
NEWSROOM_RATE_LIMITS = {
    "uncached": env_rate("RATE_LIMIT_UNCACHED", "30/m"),
    "login": env_rate("RATE_LIMIT_LOGIN", "10/m"),
    # Per ingest token, not per address: deliveries to POST /api/ingest/ (articles.ingest).
    "ingest": env_rate("RATE_LIMIT_INGEST", "60/m"),
}
# How many proxies in front of the app append the address they saw to X-Forwarded-For (the
# client's address is then that many entries from the right); 0 ignores the header, which
# clients can forge, and counts by REMOTE_ADDR.
NEWSROOM_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en-gb")
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
# The reader site is written in one language; without translations Django skips looking up
# the active language on every URL and date it formats (about 8 % of an article page's
# time). Turn on to show Django's own text, such as the admin's, in LANGUAGE_CODE.
USE_I18N = env_bool("USE_I18N")
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TAGGIT_CASE_INSENSITIVE = True
# Tag inputs: commas separate names, spaces never do ("Joe Biden" is one person).
TAGGIT_TAGS_FROM_STRING = "articles.editorial.forms.parse_tag_names"
TAGGIT_STRING_FROM_TAGS = "articles.editorial.forms.tag_names_text"

NEWSROOM_SITE_NAME = os.environ.get("SITE_NAME", "Newsroom")
# Benchmarking (bench/run): NEWSROOM_BENCH=1 routes a hello-world baseline at /_bench/hello;
# NEWSROOM_PAGE_CACHE=off makes the server skip its public-page cache (the "uncached" runs).
NEWSROOM_BENCH = env_bool("NEWSROOM_BENCH")
NEWSROOM_PAGE_CACHE = env_bool("NEWSROOM_PAGE_CACHE", default=True)
# Parts of public pages kept between requests and pages while what they show holds
# (articles/fragments.py): a story's body, a hub's list, a feed item; each no longer than
# PAGE_CACHE_SECONDS. Off with DEBUG, so edited templates show on reload.
NEWSROOM_FRAGMENT_CACHE = env_bool("NEWSROOM_FRAGMENT_CACHE", default=not DEBUG)
# Deliveries to POST /api/ingest/ larger than this are refused (413) unread.
NEWSROOM_INGEST_MAX_BYTES = int(os.environ.get("INGEST_MAX_BYTES", str(1024 * 1024)))
# Seed files larger than this are refused by the importer.
NEWSROOM_IMPORT_MAX_BYTES = 5 * 1024 * 1024
# Lead images a story file names are refused above these sizes (a photo from a 45-megapixel
# camera fits; a decompression bomb does not).
NEWSROOM_IMPORT_MAX_IMAGE_BYTES = 25_000_000
NEWSROOM_IMPORT_MAX_IMAGE_PIXELS = 50_000_000
# Renditions in AVIF too (besides WebP and JPEG): a tenth smaller than WebP, twice the time
# to make (articles.images). Changing it makes `manage.py make_renditions` remake them all.
NEWSROOM_IMAGE_AVIF = env_bool("IMAGE_AVIF")
# The host named in feed item ids (tag URIs); set it when the site answers on several
# names, so every feed gives a story the same id. Empty: the requested host.
NEWSROOM_FEED_ID_HOST = os.environ.get("FEED_ID_HOST", "")
# The site's public address, e.g. https://news.example.org: absolute URLs made outside a
# request (WebSub topics, feeds' rel=self while WebSub is on). Empty: the requested host.
NEWSROOM_BASE_URL = os.environ.get("BASE_URL", "").strip().rstrip("/")
# A WebSub hub (https://www.w3.org/TR/websub/) that every feed names and that is told, after
# each change, which feeds changed (articles.websub). Empty: off. Needs BASE_URL.
NEWSROOM_WEBSUB_HUB_URL = os.environ.get("WEBSUB_HUB_URL", "").strip()
if NEWSROOM_WEBSUB_HUB_URL and not NEWSROOM_BASE_URL:
    raise ImproperlyConfigured(
        "WEBSUB_HUB_URL needs BASE_URL (e.g. https://news.example.org): the hub is told the "
        "feeds' absolute addresses, with no request to take the host from."
    )
# How often a live story's page asks for new entries, in seconds (its script reads it from
# the page: tests make it short).
NEWSROOM_LIVE_POLL_SECONDS = int(os.environ.get("LIVE_POLL_SECONDS", "30"))

# Production hardening; everything here follows DEBUG unless the environment says otherwise.
# SECURE_SSL_REDIRECT is off for the test suite (Makefile), whose client speaks plain HTTP.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
# Only behind a proxy that sets X-Forwarded-Proto itself; otherwise clients could forge it.
if env_bool("TRUSTED_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Content Security Policy: only our own scripts, styles and fonts, nothing inline on public
# pages (which are cached whole, so they carry no nonces).
MEDIA_ORIGIN = os.environ.get("MEDIA_ORIGIN", "")  # e.g. https://media.example.org
SECURE_CSP = {
    "default-src": [CSP.SELF],
    # A nonce only where a page asks for one (the admin's prose editor); public pages have
    # no inline script, and cached pages carry none.
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", *([MEDIA_ORIGIN] if MEDIA_ORIGIN else [])],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# `manage.py link_health` fails on pending links older than this (7d, 48h, 2w …).
NEWSROOM_LINK_MAX_PENDING_AGE = os.environ.get("LINK_MAX_PENDING_AGE", "7d")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
