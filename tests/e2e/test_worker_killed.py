"""A worker is killed with `kill -9` during a create, ten times: half of them while it holds a
step (its lease live, its AWS call in flight), half just after a step ended. Each time another
worker comes up, the step is taken up again within 30 s of that worker being ready (the beat's
re-sender finds the lapsed lease or the step nobody sent), the create ends green, and AWS holds
exactly one of everything.
"""

import os
import signal
import sys
import time

import pytest

from clusters.models import Operation, Step
from clusters.tasks import run_step
from tests.clusters.test_provisioning import run_to_the_end

from .conftest import (
    Server,
    fake_aws_environment,
    free_port,
    freezable_local_cloud,
    publishing_to,
    start_celery_worker,
    start_redis,
)
from .waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

RECLAIMED_WITHIN_SECONDS = 30


@pytest.fixture(scope="module")
def held_local_cloud():
    """A local cloud this module can freeze (SIGSTOP): a worker's call to it then waits, so the
    worker is killed while it holds its step."""
    with freezable_local_cloud("localcloud-for-killed-workers") as server:
        yield server


@pytest.fixture(scope="module")
def local_cloud_url(held_local_cloud):
    return held_local_cloud.url


@pytest.fixture(scope="module")
def redis_url():
    """A Redis of this module's own: the session's worker, which may still be running, must not
    take these tests' tasks and run them against the session's local cloud."""
    port = free_port()
    server = start_redis(port, "redis-for-killed-workers")
    yield f"redis://127.0.0.1:{port}/0"
    server.stop()


@pytest.fixture(scope="module")
def beat(redis_url, local_cloud_url, tmp_path_factory):
    """Celery beat as `make run` runs it, on its own: it asks a worker to re-send due work."""
    schedule = tmp_path_factory.mktemp("beat") / "schedule"
    server = Server(
        "beat-for-killed-workers",
        [sys.executable, "-m", "celery", "-A", "ecsconsole", "beat", "--loglevel", "INFO",
         "--schedule", str(schedule)],
        env={**os.environ, **fake_aws_environment(local_cloud_url), "REDIS_URL": redis_url,
             "PYTHONUNBUFFERED": "1"},
    )
    server.wait_until_ready(lambda: "beat: Starting..." in server.log())
    yield server
    server.stop()


class Workers:
    """One worker at a time, killed with its whole process group and replaced."""

    def __init__(self, redis_url, local_cloud_url, database_path):
        self.arguments = (redis_url, local_cloud_url, database_path)
        self.count = 0
        self.current = self._start()

    def _start(self):
        self.count += 1
        return start_celery_worker(*self.arguments, name=f"worker-killed-{self.count}")

    def kill(self):
        os.killpg(self.current.process.pid, signal.SIGKILL)
        self.current.process.wait(10)

    def replace(self):
        """Start another worker; return when it was ready."""
        self.current = self._start()
        return time.monotonic()

    def stop(self):
        self.current.stop()


@pytest.fixture
def workers(redis_url, local_cloud_url, test_database_path):
    running = Workers(redis_url, local_cloud_url, test_database_path)
    with publishing_to(redis_url):
        yield running
    running.stop()


def claim_of(step):
    return Step.objects.values_list("claim_token", "state").get(pk=step.pk)


def assert_one_of_everything(cloud, cluster_name):
    stacks = [
        s for s in cloud("cloudformation").list_stacks()["StackSummaries"]
        if s["StackName"] == f"EC2ContainerService-{cluster_name}"
    ]
    assert [s["StackStatus"] for s in stacks] == ["CREATE_COMPLETE"]
    (cluster,) = cloud("ecs").describe_clusters(clusters=[cluster_name])["clusters"]
    assert cluster["status"] == "ACTIVE"
    groups = [
        g for g in cloud("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
        if g["AutoScalingGroupName"].startswith(f"EC2ContainerService-{cluster_name}-")
    ]
    assert len(groups) == 1 and len(groups[0]["Instances"]) == 1
    profile = cloud("iam").get_instance_profile(InstanceProfileName="ecsInstanceRole")
    assert [role["RoleName"] for role in profile["InstanceProfile"]["Roles"]] == ["ecsInstanceRole"]


def wait_for_green(operation):
    wait_until(
        lambda: Operation.objects.get(pk=operation.pk).state == Operation.State.ENDED,
        120,
        f"{operation} to end (worker logs: test-artifacts/logs/worker-killed-*.log)",
        interval=0.1,
    )
    states = [(s.kind, s.state, s.message) for s in operation.ordered_steps]
    assert all(state == "succeeded" for _, state, _ in states), states


@pytest.mark.parametrize("run", range(5))
def test_a_worker_killed_while_it_holds_a_step_is_replaced_and_the_step_taken_up_again(
    run, cloud, lab_launch, held_local_cloud, beat, workers
):
    operation = lab_launch(f"held-{run}")
    # Each run holds another step: the ones before it are run here, for real, then the held one
    # goes to the worker, whose AWS call waits on the frozen cloud.
    held = operation.ordered_steps[run % len(operation.ordered_steps)]
    for step in operation.ordered_steps[: held.position]:
        assert run_to_the_end(step).state == Step.State.SUCCEEDED
    held_local_cloud.process.send_signal(signal.SIGSTOP)
    run_step.delay(held.pk)
    try:
        token, state = wait_until(
            lambda: (claim := claim_of(held))[0] and claim,
            30,
            f"a worker to claim {held}",
        )
        assert state == Step.State.IN_PROGRESS
        workers.kill()
    finally:
        held_local_cloud.process.send_signal(signal.SIGCONT)

    back = workers.replace()
    wait_until(
        lambda: claim_of(held)[0] != token or claim_of(held)[1] == Step.State.SUCCEEDED,
        RECLAIMED_WITHIN_SECONDS + 15,
        f"{held} to be taken up again",
        interval=0.1,
    )
    taken_up_after = time.monotonic() - back
    print(f"\n{held} taken up again {taken_up_after:.1f} s after the new worker was ready")
    assert taken_up_after <= RECLAIMED_WITHIN_SECONDS
    wait_for_green(operation)
    assert_one_of_everything(cloud, operation.cluster_name)


@pytest.mark.parametrize("run", range(5))
def test_a_worker_killed_just_after_a_step_ended_is_replaced_and_the_create_goes_on(
    run, cloud, lab_launch, beat, workers
):
    operation = lab_launch(f"between-{run}")
    ended = operation.ordered_steps[run % 2]  # the cluster step, or the IAM policy step

    run_step.delay(operation.ordered_steps[0].pk)
    wait_until(
        lambda: claim_of(ended)[1] == Step.State.SUCCEEDED,
        60,
        f"{ended} to succeed",
        interval=0.02,
    )
    workers.kill()
    back = workers.replace()

    following = operation.step_after(ended)
    wait_until(
        lambda: claim_of(following)[0],
        RECLAIMED_WITHIN_SECONDS + 15,
        f"{following} to be taken up",
        interval=0.1,
    )
    taken_up_after = time.monotonic() - back
    print(f"\n{following} taken up {taken_up_after:.1f} s after the new worker was ready")
    assert taken_up_after <= RECLAIMED_WITHIN_SECONDS
    wait_for_green(operation)
    assert_one_of_everything(cloud, operation.cluster_name)
