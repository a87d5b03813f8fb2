"""Redis dies with `kill -9` while a worker holds a create's task: the worker rides it out, and
once Redis is back on its port the create finishes."""

import contextlib
import os
import signal
import sys

import pytest
from django.utils import timezone

from clusters.models import Step
from clusters.tasks import start_operation

from .conftest import (
    free_port,
    freezable_local_cloud,
    publishing_to,
    start_celery_worker,
    start_redis,
)
from .waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


@pytest.fixture(scope="module")
def held_local_cloud():
    """A local cloud of this module's own, which a test may freeze: the worker's AWS call then
    waits for its answer, so its task is still in flight whenever the test wants."""
    with freezable_local_cloud("localcloud-held") as server:
        yield server


@pytest.fixture(scope="module")
def local_cloud_url(held_local_cloud):
    """The session's local cloud is replaced here by the one this module freezes."""
    return held_local_cloud.url


@contextlib.contextmanager
def frozen(server):
    """Stop the process (SIGSTOP) while the block runs: it accepts connections, answers none."""
    server.process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        server.process.send_signal(signal.SIGCONT)


class KillableRedis:
    """A Redis of the test's own, which it kills with SIGKILL and starts again on its port."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.server = start_redis(self.port, "redis-to-kill")

    def kill(self):
        os.kill(self.server.process.pid, signal.SIGKILL)
        self.server.stop()

    def start_again(self):
        self.server = start_redis(self.port, "redis-restarted")


@pytest.fixture
def killable_redis():
    redis = KillableRedis()
    yield redis
    redis.server.stop()


@pytest.fixture
def worker_on_killable_redis(killable_redis, local_cloud_url, test_database_path):
    worker = start_celery_worker(
        killable_redis.url, local_cloud_url, test_database_path, "worker-redis-killed"
    )
    with publishing_to(killable_redis.url):
        yield worker
    worker.stop()


def test_the_worker_survives_redis_killed_mid_create_and_the_create_finishes(
    lab_launch, held_local_cloud, killable_redis, worker_on_killable_redis
):
    worker = worker_on_killable_redis
    operation = lab_launch("redis-killed-cluster")
    first_step = operation.ordered_steps[0]

    with frozen(held_local_cloud):
        start_operation(operation)
        # The worker has taken the message and claimed the row; its call to ECS is waiting for
        # the frozen cloud, so the message is delivered and not yet acknowledged.
        wait_until(
            lambda: Step.objects.get(pk=first_step.pk).started_at,
            30,
            "the worker to claim the create's first step",
        )

        killable_redis.kill()
        wait_until(
            lambda: "Connection to broker lost" in worker.log()
            or worker.process.poll() is not None,
            30,
            "the worker to notice that Redis is gone",
        )
        killable_redis.start_again()

    wait_until(
        lambda: not operation.steps.unfinished().exists() or worker.process.poll() is not None,
        90,
        "the worker to end every step of the create (its log: "
        "test-artifacts/logs/worker-redis-killed.log)",
        interval=0.1,
    )
    # The worker that held the task is the one still running (no supervisor restarts it here).
    assert worker.process.poll() is None, f"The worker exited:\n{worker.log()[-3000:]}"
    assert [(step.kind, step.state) for step in operation.ordered_steps] == [
        ("cluster", "succeeded"),
        ("instance-role", "succeeded"),
        ("stack", "succeeded"),
        ("instances", "succeeded"),
    ]


@pytest.fixture
def beat_on_killable_redis(killable_redis, local_cloud_url, tmp_path):
    """Celery beat on the same Redis: it asks the worker to send again what is due."""
    from .conftest import Server, fake_aws_environment

    server = Server(
        "beat-redis-killed",
        [sys.executable, "-m", "celery", "-A", "ecsconsole", "beat", "--loglevel", "INFO",
         "--schedule", str(tmp_path / "beat-schedule")],
        env={**os.environ, **fake_aws_environment(local_cloud_url),
             "REDIS_URL": killable_redis.url, "PYTHONUNBUFFERED": "1"},
    )
    server.wait_until_ready(lambda: "beat: Starting..." in server.log())
    yield server
    server.stop()


def test_a_create_submitted_while_redis_is_down_is_sent_once_it_is_back(
    lab_launch, killable_redis, worker_on_killable_redis, beat_on_killable_redis,
    django_capture_on_commit_callbacks,
):
    killable_redis.kill()
    operation = lab_launch("submitted-without-redis")
    with django_capture_on_commit_callbacks(execute=True):
        start_operation(operation)  # the message cannot leave: the row keeps the create

    killable_redis.start_again()
    back = timezone.now()

    wait_until(
        lambda: not operation.steps.unfinished().exists(),
        90,
        "the create to end (its worker's log: test-artifacts/logs/worker-redis-killed.log)",
        interval=0.1,
    )
    assert [step.state for step in operation.ordered_steps] == ["succeeded"] * 4
    taken_up = (operation.ordered_steps[0].started_at - back).total_seconds()
    print(f"\nthe create's first step was taken up {taken_up:.1f} s after Redis came back")
    assert taken_up <= 30
