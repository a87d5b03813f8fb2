"""The tasks claim a step, run it, and hand success on to the next step."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from kombu.exceptions import OperationalError
from django.db import connection
from django.utils import timezone

from clusters import provisioning, tasks
from clusters.aws import forget_clients
from clusters.models import Step


@pytest.fixture
def queue(monkeypatch):
    """What the tasks send to the broker, recorded instead of sent (the worker test sends)."""
    sent = []
    monkeypatch.setattr(tasks.run_step, "delay", lambda step_id: sent.append((step_id, 0)))
    monkeypatch.setattr(
        tasks.run_step,
        "apply_async",
        lambda args, countdown=0: sent.append((args[0], countdown)),
    )
    return sent


def test_a_successful_step_runs_the_next_in_the_same_task_without_the_broker(
    launch, queue, settings
):
    operation = launch()

    tasks.run_step(operation.step(Step.Kind.CLUSTER).pk)

    operation.refresh_from_db()
    cluster, role, stack, instances = operation.ordered_steps
    assert [cluster.state, role.state, stack.state] == [Step.State.SUCCEEDED] * 3
    # No agent has passed yet: the instance is not registered, so its row waits, handed back
    # to the broker to look again shortly, and the operation goes on.
    assert instances.state == Step.State.IN_PROGRESS
    assert instances.message == (
        "0 of 1 instances registered with cluster demo-cluster; 1 launched (0 pending, 1 running)"
    )
    assert operation.state == operation.State.RUNNING
    ((sent_again, countdown),) = queue
    assert sent_again == instances.pk
    assert settings.STACK_POLL_FIRST_SECONDS <= countdown <= settings.STACK_POLL_SECONDS


def test_a_step_that_follows_another_worker_claim_is_left_to_that_worker(launch, queue):
    operation = launch()
    role = operation.step(Step.Kind.INSTANCE_ROLE)
    assert role.claim()  # the beat sent it again and another worker took it

    tasks.run_step(operation.step(Step.Kind.CLUSTER).pk)

    role.refresh_from_db()
    assert operation.step(Step.Kind.CLUSTER).state == Step.State.SUCCEEDED
    assert (role.state, role.message) == (Step.State.IN_PROGRESS, "")
    assert queue == []


def test_a_stack_still_being_built_is_looked_at_again_soon_then_less_often(launch, settings):
    settings.STACK_POLL_FIRST_SECONDS, settings.STACK_POLL_SECONDS = 1, 5
    stack = launch().step(Step.Kind.STACK)
    waits = []
    for waited in (0, 1, 3, 6, 60):
        stack.started_at = timezone.now() - timedelta(seconds=waited)
        waits.append(round(provisioning.look_again_in(stack), 1))

    assert waits == [1, 1, 1.5, 3, 5]


def test_a_step_another_worker_holds_is_left_alone(launch, queue):
    step = launch().step(Step.Kind.CLUSTER)
    assert step.claim()

    tasks.run_step(step.pk)

    step.refresh_from_db()
    assert step.state == Step.State.IN_PROGRESS
    assert step.message == ""
    assert queue == []


def test_two_workers_claiming_a_step_at_the_same_moment_never_both_win(transactional_db, launch):
    # Two workers handed the same step (a message delivered twice, the re-sender and a retry),
    # each in a thread with its own database connection, let go together by a barrier: the
    # conditional UPDATE must give the step to exactly one of them, every time, on SQLite and
    # on PostgreSQL alike (make test runs this on both).
    step = launch().step(Step.Kind.CLUSTER)
    unclaimed = {"state": Step.State.PENDING, "claimed_until": None, "claim_token": ""}

    def race():
        copies = [Step.objects.get(pk=step.pk) for _ in range(2)]  # each worker's own copy
        together = threading.Barrier(len(copies), timeout=10)

        def claim(copy):
            try:
                together.wait()
                return copy.claim()
            finally:
                connection.close()  # this thread's own connection

        with ThreadPoolExecutor(max_workers=len(copies)) as workers:
            won = list(workers.map(claim, copies))
        holder = Step.objects.get(pk=step.pk).claim_token
        return won, [copy.claim_token == holder for copy in copies]

    for _ in range(100):
        Step.objects.filter(pk=step.pk).update(**unclaimed)
        won, holds_the_lease = race()
        assert sorted(won) == [False, True]
        assert holds_the_lease == won  # the winner's token is the one in the database


def test_an_ended_step_is_not_run_again(launch, queue):
    step = launch().step(Step.Kind.CLUSTER)
    step.mark_failed("An earlier reason")

    tasks.run_step(step.pk)

    step.refresh_from_db()
    assert (step.state, step.message) == (Step.State.FAILED, "An earlier reason")


def test_an_aws_refusal_fails_the_step_and_the_launch_stops_there(launch, queue):
    import boto3

    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_role(RoleName="otherRole", AssumeRolePolicyDocument="{}")
    iam.create_instance_profile(InstanceProfileName="ecsInstanceRole")
    iam.add_role_to_instance_profile(InstanceProfileName="ecsInstanceRole", RoleName="otherRole")
    operation = launch()
    tasks.run_step(operation.step(Step.Kind.CLUSTER).pk)
    queue.clear()

    tasks.run_step(operation.step(Step.Kind.INSTANCE_ROLE).pk)

    role = operation.step(Step.Kind.INSTANCE_ROLE)
    role.refresh_from_db()
    assert role.state == Step.State.FAILED
    assert role.message == "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"
    assert role.finished_at is not None
    assert queue == []


def test_an_unreachable_endpoint_hands_the_step_back_to_be_retried(
    launch, queue, monkeypatch, settings
):
    operation = launch()
    step = operation.step(Step.Kind.CLUSTER)
    settings.AWS_MAX_ATTEMPTS = 1
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    forget_clients()

    with pytest.raises(Exception) as raised:
        tasks.run_step(step.pk)

    forget_clients()
    step.refresh_from_db()
    assert "Could not reach AWS" in str(raised.value)
    assert step.state == Step.State.IN_PROGRESS
    assert step.message.startswith("AWS did not answer, trying again: Could not reach AWS")
    assert step.claimed_until is None


@pytest.mark.parametrize("fault", [KeyError("ami_id"), TypeError("'NoneType' is not iterable")])
def test_a_step_that_breaks_on_its_own_error_ends_failed_and_is_not_sent_again(
    launch, queue, monkeypatch, caplog, fault
):
    def broken_step(step):
        step.mark_in_progress("Creating cluster demo-cluster")
        raise fault

    monkeypatch.setitem(provisioning.STEPS, Step.Kind.CLUSTER, broken_step)
    operation = launch()
    step = operation.step(Step.Kind.CLUSTER)

    tasks.run_step(step.pk)

    step.refresh_from_db()
    assert step.state == Step.State.FAILED
    assert step.message == (
        "ECS Console stopped here on an error of its own, not a refusal from AWS "
        f"({type(fault).__name__}: {fault}). It will not try this step again. Anything AWS "
        "already made is still there: look at the cluster, then delete it or try again. "
        "The worker's log has the details."
    )
    assert step.finished_at is not None and step.claimed_until is None
    assert operation.has_ended and operation.has_failed
    assert queue == []
    [logged] = [r for r in caplog.records if r.exc_info and r.exc_info[1] is fault]
    assert logged.getMessage().startswith(f"Step {step.pk} (ECS cluster of operation")

    an_hour_later = timezone.now() - timedelta(hours=1)  # any claim has long run out
    Step.objects.filter(pk=step.pk).update(updated_at=an_hour_later, claimed_until=an_hour_later)
    tasks.resume_unfinished_work()

    assert queue == []


def test_resume_sends_again_only_stalled_steps_that_are_ready(launch, queue):
    stalled_launch, fresh_launch = launch(), launch(cluster_name="other-cluster")
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Step.objects.filter(operation=stalled_launch).update(updated_at=an_hour_ago)

    tasks.resume_unfinished_work()

    # Only the first step of the stalled launch: the later ones wait for it, the fresh launch's
    # message is presumably still on its way.
    assert queue == [(stalled_launch.step(Step.Kind.CLUSTER).pk, 0)]


def test_a_submission_survives_a_broker_that_is_away(
    launch, django_capture_on_commit_callbacks, monkeypatch
):
    def broker_away(step_id):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    monkeypatch.setattr(tasks.run_step, "delay", broker_away)
    operation = launch()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tasks.start_operation(operation)

    assert len(callbacks) == 1
    assert {step.state for step in operation.steps.all()} == {Step.State.PENDING}


def test_a_claim_is_a_short_lease_that_only_its_holder_renews(launch):
    step = launch().step(Step.Kind.CLUSTER)
    before = timezone.now()

    assert step.claim()

    assert step.claimed_until - before <= timedelta(seconds=Step.LEASE_SECONDS + 1)
    rival = Step.objects.get(pk=step.pk)
    rival.claim_token = "not-the-holder"
    assert not rival.renew_lease()
    assert step.renew_lease()


def test_the_lease_is_renewed_while_a_long_step_runs_and_writing_progress_keeps_it(
    transactional_db, launch, monkeypatch
):
    # transactional_db: the heartbeat writes from a thread of its own, on its own connection.
    from tests.e2e.waiting import wait_until

    monkeypatch.setattr(Step, "LEASE_SECONDS", 0.6)  # renewed every 0.2 s
    step = launch().step(Step.Kind.CLUSTER)
    assert step.claim()
    first_lease = step.claimed_until

    def lease_in_database():
        return Step.objects.values_list("claimed_until", flat=True).get(pk=step.pk)

    with tasks.keeping_the_lease(step):
        later = wait_until(
            lambda: lease_in_database() > first_lease + timedelta(seconds=0.3)
            and lease_in_database(),
            10,
            "the heartbeat to renew the lease",
        )
        step.mark_in_progress("Creating cluster demo-cluster")  # written from an older copy
        assert lease_in_database() >= later

    assert not Step.objects.unclaimed(timezone.now()).filter(pk=step.pk).exists()


def test_a_database_busy_for_one_renewal_does_not_stop_the_heartbeat(
    transactional_db, launch, monkeypatch
):
    # SQLite answers "database is locked" when another writer holds it past the timeout: the
    # heartbeat must try again at its next tick rather than die and let the lease lapse.
    from django.db import OperationalError

    from tests.e2e.waiting import wait_until

    monkeypatch.setattr(Step, "LEASE_SECONDS", 0.6)
    step = launch().step(Step.Kind.CLUSTER)
    assert step.claim()
    renew_lease = Step.renew_lease
    attempts = []

    def busy_the_first_time(self):
        attempts.append(self.pk)
        if len(attempts) == 1:
            raise OperationalError("database is locked")
        return renew_lease(self)

    monkeypatch.setattr(Step, "renew_lease", busy_the_first_time)

    with tasks.keeping_the_lease(step):
        wait_until(lambda: len(attempts) >= 3, 10, "the heartbeat to keep renewing")


def test_a_step_whose_worker_died_is_sent_again_once_its_lease_lapses(launch, queue):
    step = launch().step(Step.Kind.CLUSTER)
    assert step.claim()
    Step.objects.filter(pk=step.pk).update(updated_at=timezone.now() - timedelta(minutes=1))

    tasks.resume_unfinished_work()
    assert queue == []  # its lease is still live: a worker may be at it

    lapsed = timezone.now() - timedelta(seconds=1)
    Step.objects.filter(pk=step.pk).update(claimed_until=lapsed)
    tasks.resume_unfinished_work()

    assert queue == [(step.pk, 0)]


def test_a_step_due_later_is_not_sent_again_before_it_is_due(launch, queue):
    step = launch().step(Step.Kind.CLUSTER)
    assert step.claim()
    step.release(due_in=60)
    Step.objects.filter(pk=step.pk).update(updated_at=timezone.now() - timedelta(minutes=5))

    tasks.resume_unfinished_work()
    assert queue == []

    Step.objects.filter(pk=step.pk).update(not_before=timezone.now() - timedelta(seconds=1))
    tasks.resume_unfinished_work()
    assert queue == [(step.pk, 0)]
