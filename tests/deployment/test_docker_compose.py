"""docker-compose.yml as Debian's docker-compose reads it (`config` needs no Docker engine): every
service is started again when it stops, beat runs on its own, and there is no default secret."""

import os
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


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
    answer = compose_config(SECRET_KEY="a-secret-of-the-test", CONSOLE_PASSWORD="practise")
    assert answer.returncode == 0, answer.stderr
    return yaml.safe_load(answer.stdout)["services"]


def test_it_refuses_to_start_without_a_secret_key():
    answer = compose_config(CONSOLE_PASSWORD="practise")

    assert answer.returncode != 0
    assert "set SECRET_KEY to a long random string" in answer.stderr


def test_it_uses_the_secret_key_it_is_given_everywhere(services):
    consoles = [
        name for name, service in services.items() if "SECRET_KEY" in service.get("environment", {})
    ]
    assert sorted(consoles) == ["beat", "web", "worker"]
    assert {services[name]["environment"]["SECRET_KEY"] for name in consoles} == {
        "a-secret-of-the-test"
    }


def test_every_service_is_started_again_when_it_stops(services):
    assert sorted(services) == ["beat", "localcloud", "redis", "web", "worker"]
    assert {name: service.get("restart") for name, service in services.items()} == {
        name: "unless-stopped" for name in services
    }


def test_beat_runs_as_its_own_service_and_the_worker_without_it(services):
    assert services["beat"]["command"][:4] == ["celery", "-A", "ecsconsole", "beat"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "ecsconsole", "worker"]
    assert "--beat" not in services["worker"]["command"]
    assert "-B" not in services["worker"]["command"]
