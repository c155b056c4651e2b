"""Production settings: the deploy check, HTTPS, security headers, the Content Security
Policy (admin included), no debug pages, and static files served hashed and compressed."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import include, path

from tests.factories import ArticleFactory

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "news.example.org",
    "DEBUG": "false",
    "DATABASE_URL": f"sqlite:///{BASE_DIR / 'unused.sqlite3'}",
}


def broken_view(request):
    raise ValueError("a bug with a secret: hunter2")


urlpatterns = [
    path("test/broken/", broken_view),
    path("", include("newsroom.urls")),
]


def run_django(*args, **env):
    """Run manage.py in a fresh process with the production environment (plus ``env``)."""
    # Nothing inherited from the test run but the basics (it sets variables of its own).
    clean = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    return subprocess.run(  # noqa: S603 (our own arguments)
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, **PRODUCTION_ENV, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_settings(**env) -> dict:
    names = [
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_REFERRER_POLICY",
        "SECURE_CONTENT_TYPE_NOSNIFF",
    ]
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    result = run_django("shell", "--no-imports", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.slow
def test_deploy_check_is_clean_in_production():
    """`manage.py check --deploy` finds nothing with the production environment."""
    result = run_django("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def run_gunicorn_check(**env):
    """`make serve`'s gunicorn command with --check-config: loads the config and the app."""
    clean = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    return subprocess.run(  # noqa: S603 (our own arguments)
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--check-config",
            "--config",
            "newsroom/gunicorn.conf.py",
        ],
        cwd=BASE_DIR,
        env={**clean, **PRODUCTION_ENV, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_gunicorn_config_loads_the_app_in_production():
    """The gunicorn config `make serve` uses is valid and loads the WSGI app under the
    production environment; the check really imports Django (no key, no start)."""
    result = run_gunicorn_check()
    assert result.returncode == 0, result.stdout + result.stderr
    broken = run_gunicorn_check(SECRET_KEY="")
    assert broken.returncode != 0
    assert "SECRET_KEY" in broken.stdout + broken.stderr


@pytest.mark.slow
def test_production_settings_are_secure_by_default():
    """With DEBUG off: HTTPS redirect, a year of HSTS, secure cookies, and the proxy's
    X-Forwarded-Proto not trusted unless the operator says so."""
    values = production_settings()
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] is None


@pytest.mark.slow
def test_proxy_header_is_trusted_when_the_operator_says_so():
    """TRUSTED_PROXY_SSL_HEADER=1 makes Django believe X-Forwarded-Proto."""
    values = production_settings(TRUSTED_PROXY_SSL_HEADER="1")
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


@pytest.mark.slow
def test_refuses_to_start_without_a_secret_key():
    """No key and DEBUG off: the site does not start with a guessable key."""
    result = run_django("check", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_plain_http_is_redirected_to_https(client, db, settings):
    """Readers on http:// are sent to https://, where HSTS pins them."""
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/"
    secure = client.get("/", secure=True)
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


@pytest.mark.parametrize("trusted", [True, False])
def test_forwarded_proto_counts_only_when_trusted(client, db, settings, trusted):
    """Behind a TLS-terminating proxy X-Forwarded-Proto says the request was HTTPS; without
    the operator's say-so a client could forge it, so it is ignored."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if trusted else None
    response = client.get("/", headers={"x-forwarded-proto": "https"})
    assert response.status_code == (200 if trusted else 301)


@pytest.mark.parametrize("hit", [False, True], ids=["miss", "hit"])
def test_security_headers_on_public_pages(client, db, hit):
    """Public pages, fresh or from the cache, carry the CSP and the other security headers,
    and the policy allows nothing inline."""
    story = ArticleFactory()
    for url in ("/", story.get_absolute_url()):
        response = client.get(url)
        if hit:
            response = client.get(url)
            assert response["X-Cache"] == "hit"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy
        assert "unsafe-eval" not in policy


@pytest.mark.urls("tests.test_security")
def test_errors_show_no_debug_page(db, settings):
    """A bug gives a plain 500: no traceback, no settings, no secret."""
    client = Client(raise_request_exception=False)
    response = client.get("/test/broken/")
    assert response.status_code == 500
    for leak in ("Traceback", "hunter2", "SECRET_KEY", "ValueError", "settings"):
        assert leak not in response.text
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert "URLconf" not in missing.text
    assert "Using the URLconf" not in missing.text


def test_unknown_host_is_refused(client, db, settings):
    """Requests for a host we do not serve get a 400, not a page with poisoned links."""
    settings.ALLOWED_HOSTS = ["news.example.org"]
    assert client.get("/", headers={"host": "evil.example.com"}).status_code == 400
    assert client.get("/", headers={"host": "news.example.org"}).status_code == 200


def test_static_files_are_hashed_compressed_and_kept_forever(db, settings, tmp_path):
    """collectstatic writes hashed, gzip-compressed files; whitenoise serves them with
    far-future, immutable caching, and pages link the hashed names."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())
    hashed = manifest["paths"]["admin/css/base.css"]
    assert hashed != "admin/css/base.css"
    assert (tmp_path / f"{hashed}.gz").exists()

    client = Client()  # a new client: whitenoise reads STATIC_ROOT when it starts
    response = client.get(f"/static/{hashed}", headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "immutable" in response["Cache-Control"]
    assert "max-age=315360000" in response["Cache-Control"]
    assert f"/static/{hashed}" in client.get("/admin/login/").text


@pytest.mark.slow
@pytest.mark.browser
def test_admin_works_under_the_content_security_policy(page, live_server, admin_user, settings):
    """The admin's own scripts and styles run under our CSP: logging in and using a form
    with JavaScript widgets raises no policy violation."""
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # plain-HTTP server
    Group.objects.create(name="Editors")
    page.add_init_script(
        "window.violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", admin_user.username)
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    response = page.goto(f"{live_server.url}/admin/auth/user/{admin_user.pk}/change/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # SelectFilter2.js builds the two-list permission chooser; it only exists if JS ran.
    page.wait_for_selector("#id_user_permissions_filter")
    page.fill("#id_user_permissions_input", "article")
    assert page.evaluate("window.violations") == []
