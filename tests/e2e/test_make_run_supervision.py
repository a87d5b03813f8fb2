"""`make run` keeps every process running: with supervisord started as scripts/run starts it (on
free ports, in a data directory of its own), a process killed with SIGKILL is started again while
the others go on serving, and Ctrl+C stops them all. The web app is gunicorn, serving the static
files scripts/run collected, hashed and compressed."""

import gzip
import http.client
import os
import re
import signal
import urllib.request
from pathlib import Path

import boto3
import pytest
import redis
from botocore.config import Config
from supervisor import childutils

from ecsconsole import celery_app

from .conftest import REPO, SERVER_START_SECONDS, Server, free_port, publishing_to
from .waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

PROGRAMS = ["redis", "localcloud", "worker", "beat", "web"]
# What a person's shell would not have: the test run's own choices must not leak into make run.
NOT_INHERITED = {
    "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_PATH", "DATABASE_URL", "REDIS_URL", "LOCAL_CLOUD",
    "AWS_ENDPOINT_URL",
}


class SupervisedConsole:
    """scripts/run in its own session, as a terminal runs it, and supervisord's control API."""

    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.web_url = f"http://127.0.0.1:{free_port()}"
        self.local_cloud_url = f"http://127.0.0.1:{free_port()}"
        self.redis_port = free_port()
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
        env.update(
            DATA_DIR=str(data_dir),
            WEB_PORT=self.web_url.rsplit(":", 1)[1],
            LOCAL_CLOUD_PORT=self.local_cloud_url.rsplit(":", 1)[1],
            REDIS_PORT=str(self.redis_port),
            # Passed through to the local cloud; nothing here waits for a stack.
            LOCAL_CLOUD_PACE="instant",
        )
        self.run = Server("make-run", [str(REPO / "scripts" / "run")], env=env)

    def running(self):
        """The pid of each program supervisord has RUNNING; none while it does not answer."""
        # A proxy per call: one whose request failed cannot send another.
        supervisor = childutils.getRPCInterface(
            {"SUPERVISOR_SERVER_URL": f"unix://{self.data_dir}/supervisor.sock"}
        ).supervisor
        try:
            infos = supervisor.getAllProcessInfo()
        except (OSError, http.client.HTTPException):
            return {}
        return {info["name"]: info["pid"] for info in infos if info["statename"] == "RUNNING"}

    def stop(self):
        """Ctrl+C, as a terminal sends it to its foreground process group, if still running."""
        if self.run.process.poll() is None:
            os.killpg(self.run.process.pid, signal.SIGINT)
            self.run.process.wait(timeout=60)
        self.run.stop()

    def log(self, program):
        path = self.data_dir / "log" / f"{program}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def serves(self, program):
        """Whether the program does its job now, asked the way its users ask it."""
        return SERVES[program](self)


def web_serves(console):
    try:
        with urllib.request.urlopen(f"{console.web_url}/login/", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def local_cloud_serves(console):
    ecs = boto3.client(
        "ecs",
        endpoint_url=console.local_cloud_url,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=10),
    )
    try:
        return "clusterArns" in ecs.list_clusters()
    except Exception:
        return False


def redis_serves(console):
    client = redis.Redis(port=console.redis_port, socket_connect_timeout=0.5)
    try:
        return client.ping()
    except redis.ConnectionError:
        return False
    finally:
        client.close()


def worker_serves(console):
    with publishing_to(console.redis_url):
        try:
            return bool(celery_app.control.ping(timeout=1))
        except Exception:
            return False


def beat_serves(console):
    # Beat answers nobody: its log says when it has started its schedule, once per start.
    spawned = console.log("supervisord").count("spawned: 'beat'")
    return spawned and console.log("beat").count("beat: Starting...") == spawned


SERVES = {
    "redis": redis_serves,
    "localcloud": local_cloud_serves,
    "worker": worker_serves,
    "beat": beat_serves,
    "web": web_serves,
}


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    console = SupervisedConsole(tmp_path_factory.mktemp("make-run") / "var")
    try:
        console.run.wait_until_ready(
            lambda: set(console.running()) >= set(PROGRAMS)
            and all(console.serves(program) for program in PROGRAMS),
            timeout=SERVER_START_SECONDS * 2,
        )
        yield console
    finally:
        console.stop()


def test_it_prints_where_to_sign_in_and_labels_each_program_s_output(console):
    terminal = console.run.log()
    assert f"  ECS Console:  {console.web_url}\n" in terminal
    assert "  Sign in as:   admin / " in terminal
    assert f"  AWS endpoint: {console.local_cloud_url}\n" in terminal
    # Output reaches the terminal through supervisord's listener, a moment after it is written.
    wait_until(
        lambda: all(f"\n{program:>10} | " in console.run.log() for program in PROGRAMS),
        SERVER_START_SECONDS,
        "a line of each program's output, labelled with its name, on the terminal",
    )


def test_gunicorn_serves_the_pages_and_their_static_files_hashed_and_compressed(console):
    command_line = Path(f"/proc/{console.running()['web']}/cmdline").read_bytes().split(b"\0")
    assert any(part.endswith(b"/gunicorn") for part in command_line), command_line
    with urllib.request.urlopen(f"{console.web_url}/login/", timeout=10) as answer:
        assert answer.headers["Server"] == "gunicorn"
        page = answer.read().decode()
    # The stylesheet by its content's hash, from the manifest make run's collectstatic wrote.
    (stylesheet,) = re.findall(r'href="(/static/css/console\.[0-9a-f]{12}\.css)"', page)

    def fetch(**headers):
        request = urllib.request.Request(f"{console.web_url}{stylesheet}", headers=headers)
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.headers, answer.read()

    headers, compressed = fetch(**{"Accept-Encoding": "gzip"})
    plain_headers, plain = fetch()
    assert headers["Content-Encoding"] == "gzip"
    assert "immutable" in headers["Cache-Control"]  # the name changes when the content does
    assert gzip.decompress(compressed) == plain
    assert len(compressed) < len(plain) / 2
    assert "Content-Encoding" not in plain_headers
    assert b".skip-link {" in plain  # the console's own stylesheet


@pytest.mark.parametrize("program", PROGRAMS)
def test_a_program_killed_is_started_again_and_the_others_keep_serving(console, program):
    before = console.running()
    others = {name: pid for name, pid in before.items() if name != program}

    os.kill(before[program], signal.SIGKILL)
    wait_until(
        lambda: console.running().get(program) not in (None, before[program])
        and all(console.serves(name) for name in PROGRAMS),
        SERVER_START_SECONDS,
        f"supervisord to start {program} again and every program to serve "
        f"(their output: {console.data_dir}/log/)",
        interval=0.2,
    )

    # The others were not restarted: they served on (the worker and beat reconnect to Redis).
    assert {name: pid for name, pid in console.running().items() if name != program} == others


def test_ctrl_c_stops_every_program(console):
    # Run last in this module: it ends the console the tests above share.
    pids = console.running()
    assert set(pids) >= set(PROGRAMS)

    console.stop()

    def alive(pid):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    assert console.run.process.returncode == 0
    assert [name for name, pid in pids.items() if alive(pid)] == []
    assert "received SIGINT indicating exit request" in console.log("supervisord")
