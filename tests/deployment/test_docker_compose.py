"""docker-compose.yml as Debian's docker-compose reads it (`config` needs no Docker engine): every
long-running service is started again when it stops, beat runs on its own, web, beat and any
number of workers share one PostgreSQL that one service migrates first, and there is no default
secret."""

import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SECRETS = {
    "SECRET_KEY": "a-secret-of-the-test",
    "CONSOLE_PASSWORD": "practise",
    "POSTGRES_PASSWORD": "database1password",
}
CONSOLE_SERVICES = ["beat", "migrate", "web", "worker"]


def compose_config(**environment):
    return subprocess.run(
        ["docker-compose", "--file", str(REPO / "docker-compose.yml"), "config"],
        cwd=REPO,
        env={"PATH": os.environ["PATH"], **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def services():
    answer = compose_config(**SECRETS)
    assert answer.returncode == 0, answer.stderr
    return yaml.safe_load(answer.stdout)["services"]


@pytest.mark.parametrize(
    "missing, reason",
    [
        ("SECRET_KEY", "set SECRET_KEY to a long random string"),
        ("POSTGRES_PASSWORD", "set POSTGRES_PASSWORD to the database's password"),
        ("CONSOLE_PASSWORD", "set CONSOLE_PASSWORD to the password you will sign in with"),
    ],
)
def test_it_refuses_to_start_without_each_secret(missing, reason):
    answer = compose_config(**{name: value for name, value in SECRETS.items() if name != missing})

    assert answer.returncode != 0
    assert reason in answer.stderr


def test_it_uses_the_secret_key_it_is_given_everywhere(services):
    consoles = [
        name for name, service in services.items() if "SECRET_KEY" in service.get("environment", {})
    ]
    assert sorted(consoles) == CONSOLE_SERVICES
    assert {services[name]["environment"]["SECRET_KEY"] for name in consoles} == {
        "a-secret-of-the-test"
    }


def test_every_long_running_service_is_started_again_when_it_stops(services):
    assert sorted(services) == [
        "beat", "localcloud", "migrate", "postgres", "redis", "web", "worker"
    ]
    assert {name: service.get("restart") for name, service in services.items()} == {
        **{name: "unless-stopped" for name in services},
        "migrate": "no",  # a one-shot: started again, it would migrate for ever
    }


def test_beat_runs_as_its_own_service_and_the_worker_without_it(services):
    assert services["beat"]["command"][:4] == ["celery", "-A", "ecsconsole", "beat"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "ecsconsole", "worker"]
    assert "--beat" not in services["worker"]["command"]
    assert "-B" not in services["worker"]["command"]


def test_web_beat_and_the_workers_share_one_postgresql(services):
    urls = {name: services[name]["environment"]["DATABASE_URL"] for name in CONSOLE_SERVICES}
    assert len(set(urls.values())) == 1, urls
    database = urlsplit(urls["web"])
    assert database.scheme == "postgres"
    assert (database.hostname, database.port, database.path) == ("postgres", 5432, "/ecsconsole")

    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:")
    assert postgres["environment"] == {
        "POSTGRES_USER": database.username,
        "POSTGRES_DB": "ecsconsole",
        "POSTGRES_PASSWORD": database.password,
    }
    assert database.password == SECRETS["POSTGRES_PASSWORD"]
    # Its data outlives the container, in a volume.
    assert [v.split(":")[1] for v in postgres["volumes"]] == ["/var/lib/postgresql/data"]
    assert "pg_isready" in postgres["healthcheck"]["test"]


def test_migrations_run_once_before_web_beat_and_the_workers_start(services):
    assert "manage.py migrate --noinput" in services["migrate"]["command"]
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in ["beat", "web", "worker"]:
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }, name
        assert services[name]["depends_on"]["postgres"] == {"condition": "service_healthy"}, name
        assert "migrate" not in " ".join(services[name]["command"]), name


def test_web_is_gunicorn(services):
    assert services["web"]["command"] == [
        "gunicorn", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000"
    ]


def test_the_worker_scales_to_any_number_of_containers(services):
    # `docker compose up --scale worker=4` starts four only when nothing in the service is one
    # of a kind: a container name, a port on the host.
    worker = services["worker"]
    assert "container_name" not in worker
    assert "ports" not in worker
    assert "hostname" not in worker
