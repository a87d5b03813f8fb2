"""Served for real, the console's settings come from the environment, and with the values the
README's "Serving it for real" lists, Django's deployment checks find nothing."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# README, "Serving it for real": the console behind a proxy that ends HTTPS.
SERVED_FOR_REAL = {
    "DEBUG": "false",
    "ALLOWED_HOSTS": "ecs-console.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://ecs-console.example.org",
    "SECURE_SSL_REDIRECT": "true",
    "SESSION_COOKIE_SECURE": "true",
    "CSRF_COOKIE_SECURE": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
}
SETTINGS_VARIABLES = [*SERVED_FOR_REAL, "SECRET_KEY"]


def manage(*arguments, **environment):
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env["DJANGO_SETTINGS_MODULE"] = "ecsconsole.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env={**env, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_the_settings_the_readme_lists():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        SECRET_KEY=secrets.token_urlsafe(50), **SERVED_FOR_REAL,
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_without_them_check_deploy_names_what_is_missing():
    result = manage("check", "--deploy", SECRET_KEY=secrets.token_urlsafe(50))

    for warning in ("W004", "W008", "W012", "W016"):
        assert f"security.{warning}" in result.stderr


def test_the_readme_lists_every_variable_the_check_needs():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Serving it for real", 1)[1].split("\n## ", 1)[0]

    for name, value in SERVED_FOR_REAL.items():
        assert f"{name}={value}" in section


@pytest.mark.parametrize(
    "name, value",
    [("SECURE_HSTS_SECONDS", "a year"), ("SECURE_SSL_REDIRECT", "sometimes"),
     ("SECURE_PROXY_SSL_HEADER", "HTTP_X_FORWARDED_PROTO")],
)
def test_a_bad_value_stops_the_console_with_the_variable_named(name, value):
    result = manage("check", SECRET_KEY=secrets.token_urlsafe(50), **{name: value})

    assert result.returncode != 0
    assert name in result.stderr


def test_a_command_run_beside_make_run_signs_with_the_key_make_run_kept(tmp_path):
    # make run (scripts/run) keeps its secret key in DATA_DIR/secret-key; the README tells an
    # admin to add learners with `.venv/bin/python manage.py add_learners`, in another shell.
    (tmp_path / "secret-key").write_text(secrets.token_urlsafe(50) + "\n")

    result = manage("check", DATA_DIR=str(tmp_path))

    assert result.returncode == 0, result.stderr


def test_with_no_key_given_nor_kept_the_console_says_where_one_goes(tmp_path):
    result = manage("check", DATA_DIR=str(tmp_path))

    assert result.returncode != 0
    assert f"Set SECRET_KEY, or keep one in {tmp_path / 'secret-key'}" in result.stderr
