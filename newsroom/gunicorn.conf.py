"""gunicorn settings for ``make serve``; each can be overridden from the environment."""

import multiprocessing
import os

wsgi_app = "newsroom.wsgi:application"
bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Load Django once in the master and fork the workers from it: they start in milliseconds and
# share the loaded code, so recycling one costs next to nothing.
preload_app = True
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = 10000
max_requests_jitter = 1000
accesslog = "-"
errorlog = "-"
# gunicorn would itself believe X-Forwarded-Proto from these addresses; by default from none,
# so that Django's TRUSTED_PROXY_SSL_HEADER is the one switch for it.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")
