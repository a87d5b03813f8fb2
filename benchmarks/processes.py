"""The console's own processes as `make run` starts them, for the benchmarks: a Celery worker with
the console's pool settings, gunicorn, and its management commands, on the benchmark's database,
Redis and local cloud."""

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.e2e.conftest import Server, fake_aws_environment, free_port

REPO = Path(__file__).resolve().parent.parent


def console_worker(redis_url, endpoint_url, database_path):
    """A Celery worker as `make run` starts it, its pool from the console's settings."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        **fake_aws_environment(endpoint_url),
        "REDIS_URL": redis_url,
        "DATABASE_PATH": database_path,
        "PYTHONUNBUFFERED": "1",
    }
    server = Server(
        "bench-worker",
        [sys.executable, "-m", "celery", "-A", "ecsconsole", "worker", "--loglevel", "INFO",
         "--without-mingle", "--without-gossip", "--without-heartbeat"],
        env=env,
    )
    server.wait_until_ready(lambda: " ready." in server.log())
    return server


def web_environment(database_path, redis_url, **settings):
    """The environment the web app and its management commands run in; `settings` are the
    console's environment settings besides."""
    from django.conf import settings as test_settings

    return {
        **os.environ,
        "DATABASE_PATH": database_path,
        "REDIS_URL": redis_url,
        "SECRET_KEY": test_settings.SECRET_KEY,
        "DATA_DIR": str(REPO / "var"),
        "STATIC_ROOT": str(REPO / "var" / "bench-staticfiles"),
        **settings,
    }


def manage(environment, *args):
    """`manage.py` with those arguments, as an admin runs it beside `make run`; its output."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO, env=environment, check=True, capture_output=True, text=True,
    ).stdout


def gunicorn(database_path, redis_url, **settings):
    """The web app under gunicorn as `make run` serves it (gunicorn.conf.py where it is)."""
    port = free_port()
    config = ["--config", "gunicorn.conf.py"] if (REPO / "gunicorn.conf.py").exists() else [
        "--worker-class", "gthread", "--workers", str(len(os.sched_getaffinity(0))),
        "--threads", "8",
    ]
    env = web_environment(database_path, redis_url, **settings)
    # The hashed, compressed static files it serves, collected first as make run does.
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    server = Server(
        "bench-gunicorn",
        [str(Path(sys.executable).parent / "gunicorn"), *config, "--bind", f"127.0.0.1:{port}",
         "--access-logfile", "/dev/null", "ecsconsole.wsgi:application"],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    server.wait_until_ready(lambda: _answers(f"{url}/login/"))
    return server, url


def _answers(url):
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:
            return answer.status == 200
    except OSError:
        return False
