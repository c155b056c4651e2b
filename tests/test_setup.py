import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


def run_settings(env_overrides, code="from django.conf import settings; print(settings.DEBUG)"):
    env = {
        k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "PYTEST_VERSION"}
    }
    env["NEWSROOM_ENV_FILE"] = "/nonexistent/.env"  # this checkout's own .env plays no part
    env.update(env_overrides, DJANGO_SETTINGS_MODULE="newsroom.settings")
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow
def test_production_without_secret_key_refuses_to_start():
    """DEBUG off and no SECRET_KEY: a clear message, not a site with a guessable key."""
    result = run_settings({})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


@pytest.mark.slow
def test_debug_runs_without_a_key_and_reads_database_url():
    """Development needs nothing set; DATABASE_URL picks the database."""
    result = run_settings(
        {"DEBUG": "true", "DATABASE_URL": "postgres://u:p@db.example:5433/news"},
        "from django.conf import settings; d = settings.DATABASES['default'];"
        "print(d['ENGINE'], d['HOST'], d['PORT'], d['NAME'])",
    )
    assert result.returncode == 0, result.stderr
    # Django's PostgreSQL backend with its round trips bounded (newsroom/postgresql).
    assert result.stdout.split() == ["newsroom.postgresql", "db.example", "5433", "news"]


def database_options(**env) -> dict:
    result = run_settings(
        {"DEBUG": "true", **env},
        "import json; from django.conf import settings;"
        "print(json.dumps(settings.DATABASES['default']['OPTIONS']))",
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.slow
def test_postgresql_waits_are_bounded_as_shipped():
    """Connecting, idle connections (keepalives), sending, and every statement (server side,
    and a second later on the client's side) have limits; the environment sets the two that
    matter to readers, and options in DATABASE_URL's query string win."""
    assert database_options(DATABASE_URL="postgres://db.example/news") == {
        "connect_timeout": 3,
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 2,
        "tcp_user_timeout": 10000,
        "options": "-c statement_timeout=5000",
        "query_deadline": 6.0,
    }
    tuned = database_options(
        DATABASE_URL="postgres://db.example/news?keepalives_idle=60&options=-c%20search_path%3Dnews",
        DATABASE_CONNECT_TIMEOUT="2",
        DATABASE_STATEMENT_TIMEOUT="1.5",
    )
    assert tuned["connect_timeout"] == 2
    assert tuned["keepalives_idle"] == 60
    assert tuned["options"] == "-c statement_timeout=1500 -c search_path=news"
    assert tuned["query_deadline"] == 2.5


@pytest.mark.slow
def test_statement_timeout_zero_means_no_limit():
    """For a one-off long job, e.g. a migration rewriting a million rows."""
    options = database_options(
        DATABASE_URL="postgres://db.example/news", DATABASE_STATEMENT_TIMEOUT="0"
    )
    assert "options" not in options
    assert "query_deadline" not in options
    assert options["connect_timeout"] == 3


@pytest.mark.slow
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


@pytest.mark.slow
def test_local_env_file_configures_a_checkout_and_the_environment_wins(tmp_path):
    """make run's .env lets manage.py run in a checkout; real environment variables win."""
    env_file = tmp_path / ".env"
    env_file.write_text("# local\nDEBUG=true\nSECRET_KEY=from-the-file\nTIME_ZONE=Asia/Kolkata\n")
    code = "from django.conf import settings as s; print(s.DEBUG, s.SECRET_KEY, s.TIME_ZONE)"
    result = run_settings({"NEWSROOM_ENV_FILE": str(env_file), "TIME_ZONE": "UTC"}, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "from-the-file", "UTC"]


@pytest.mark.slow
def test_test_runs_ignore_the_local_env_file(tmp_path):
    """Under pytest the suite keeps production's defaults even where a .env says DEBUG=true."""
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=true\n")
    result = run_settings(
        {"NEWSROOM_ENV_FILE": str(env_file), "PYTEST_VERSION": "9", "SECRET_KEY": "k"}
    )
    assert result.stdout.strip() == "False"


def test_make_run_serves_on_the_port_given():
    """`make run PORT=8080` picks the port; 8000 without it (dry run: nothing is started)."""

    def runserver_line(*args):
        result = subprocess.run(
            ["make", "-n", "run", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        return next(line for line in result.stdout.splitlines() if "runserver" in line)

    assert runserver_line().endswith("runserver 127.0.0.1:8000")
    assert runserver_line("PORT=8080").endswith("runserver 127.0.0.1:8080")
