import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


def run_settings(env_overrides, code="from django.conf import settings; print(settings.DEBUG)"):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env.update(env_overrides, DJANGO_SETTINGS_MODULE="newsroom.settings")
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_secret_key_refuses_to_start():
    """DEBUG off and no SECRET_KEY: a clear message, not a site with a guessable key."""
    result = run_settings({})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_runs_without_a_key_and_reads_database_url():
    """Development needs nothing set; DATABASE_URL picks the database."""
    result = run_settings(
        {"DEBUG": "true", "DATABASE_URL": "postgres://u:p@db.example:5433/news"},
        "from django.conf import settings; d = settings.DATABASES['default'];"
        "print(d['ENGINE'], d['HOST'], d['PORT'], d['NAME'])",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "db.example", "5433", "news"]


def test_redis_url_selects_the_redis_cache():
    result = run_settings(
        {"DEBUG": "true", "REDIS_URL": "redis://127.0.0.1:6379/3"},
        "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])",
    )
    assert result.stdout.strip() == "newsroom.cache.ResilientRedisCache"


@pytest.mark.django_db
def test_ensure_editor_creates_one_account_once():
    """make run creates an editor with a random password printed once, and never again."""
    out = io.StringIO()
    call_command("ensure_editor", stdout=out)
    password = out.getvalue().split("password ", 1)[1].split()[0]
    editor = get_user_model().objects.get()
    assert editor.is_superuser and editor.check_password(password)
    again = io.StringIO()
    call_command("ensure_editor", stdout=again)
    assert password not in again.getvalue()
    assert get_user_model().objects.count() == 1
