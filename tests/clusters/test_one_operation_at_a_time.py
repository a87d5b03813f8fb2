"""One operation runs on a cluster at a time: a second submit of the same is the first, and a
delete asked during a create waits for it, then leaves nothing behind."""

import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from django.db import connection
from django.test import Client

from clusters import provisioning, tasks
from clusters.aws import Person, acting_for
from clusters.configuration import CleanupScope, ResetRequest, ScaleRequest
from clusters.models import ACCOUNT_WIDE, Operation, Step
from tests.conftest import LEARNER, TESTS_ROLE_ARN

from .conftest import REGION

CONFIGURE_URL = "/create-cluster/ec2-linux/"


@pytest.fixture
def sent(monkeypatch):
    """The steps sent to workers, in order, recorded instead of sent."""
    steps = []
    monkeypatch.setattr(tasks.run_step, "delay", steps.append)
    monkeypatch.setattr(
        tasks.run_step, "apply_async", lambda args, countdown=0: steps.append(args[0])
    )
    return steps


@pytest.fixture
def work_through(sent, django_capture_on_commit_callbacks):
    """Work through the queue as workers would, until it is empty, sending what each commit
    sends (an operation started when the one before it ended)."""

    def run(*step_ids, between=lambda: None):
        sent.extend(step_ids)
        while sent:
            with django_capture_on_commit_callbacks(execute=True):
                tasks.run_step(sent.pop(0))
            between()

    return run


def test_a_second_identical_create_is_the_first_one(
    signed_in, lab_data, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = signed_in.post(CONFIGURE_URL, lab_data)
        second = signed_in.post(CONFIGURE_URL, lab_data, follow=True)

    operation = Operation.objects.get()
    assert first.url == second.redirect_chain[-1][0] == operation.get_absolute_url()
    assert "Create cluster of demo-cluster was already asked for and is running" in second.text
    assert sent == [operation.step(Step.Kind.CLUSTER).pk]  # sent once


def test_two_identical_posts_at_the_same_moment_make_one_operation(
    transactional_db, aws, user, lab_data, sent
):
    def post(_):
        try:
            client = Client()
            client.force_login(user)
            return client.post(CONFIGURE_URL, lab_data)
        finally:
            connection.close()  # this thread's own: PostgreSQL drops no database still in use

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(post, range(2)))

    operation = Operation.objects.get()
    assert [answer.status_code for answer in answers] == [302, 302]
    assert {answer.url for answer in answers} == {operation.get_absolute_url()}
    assert operation.state == Operation.State.RUNNING


def test_the_database_refuses_two_running_operations_on_one_cluster(launch):
    from django.db import IntegrityError, transaction

    operation = launch()
    with pytest.raises(IntegrityError), transaction.atomic():
        Operation.objects.create(
            action=Operation.Action.SCALE,
            cluster_name=operation.cluster_name,
            region=operation.region,
            account_id=operation.account_id,
            role_arn=operation.role_arn,
            config={"instance_count": 2},
            created_by=operation.created_by,
            state=Operation.State.RUNNING,
        )


def test_a_delete_asked_during_a_create_waits_for_it_then_removes_the_stack_too(
    signed_in, launch, sent, agent, work_through, django_capture_on_commit_callbacks
):
    create = launch()
    # The create's worker has made the cluster (so its page offers Delete), not yet its stack.
    made_cluster = create.step(Step.Kind.CLUSTER)
    assert made_cluster.claim()
    provisioning.run(made_cluster)
    with django_capture_on_commit_callbacks(execute=True):
        asked = signed_in.post("/clusters/demo-cluster/delete/", {"confirmation": "delete me"})
    delete = Operation.objects.get(action=Operation.Action.DELETE)
    assert asked.status_code == 302
    assert delete.state == Operation.State.QUEUED
    assert delete.runs_behind == create
    assert [s.kind for s in delete.ordered_steps] == [
        Step.Kind.DELETE_STACK,
        Step.Kind.DELETE_CLUSTER,
    ]
    status = signed_in.get(delete.get_absolute_url()).text
    assert (
        f'waits for <a href="{create.get_absolute_url()}">Create cluster of demo-cluster</a> '
        "to end, then starts." in status
    )

    assert sent == []  # nothing of the delete yet
    work_through(create.step(Step.Kind.INSTANCE_ROLE).pk, between=agent.sync)

    create.refresh_from_db()
    delete.refresh_from_db()
    assert create.has_succeeded and create.state == Operation.State.ENDED
    assert delete.has_succeeded, [s.message for s in delete.steps.all()]
    assert delete.state == Operation.State.ENDED
    stacks = boto3.client("cloudformation", region_name=REGION).list_stacks()["StackSummaries"]
    assert {s["StackStatus"] for s in stacks if s["StackName"] == create.stack_name} == {
        "DELETE_COMPLETE"
    }
    (cluster,) = boto3.client("ecs", region_name=REGION).describe_clusters(
        clusters=["demo-cluster"]
    )["clusters"]
    assert cluster["status"] == "INACTIVE"


def test_a_delete_looks_for_a_stack_even_when_there_is_none(signed_in, aws, work_through):
    boto3.client("ecs", region_name=REGION).create_cluster(clusterName="demo-cluster")
    signed_in.post("/clusters/demo-cluster/delete/", {"confirmation": "delete me"})
    delete = Operation.objects.get()

    work_through(delete.step(Step.Kind.DELETE_STACK).pk)

    delete.refresh_from_db()
    assert delete.has_succeeded and delete.state == Operation.State.ENDED
    assert delete.step(Step.Kind.DELETE_STACK).message == (
        "No CloudFormation stack EC2ContainerService-demo-cluster to delete"
    )


def test_an_operation_ends_when_a_step_fails_and_lets_the_next_one_run(launch, user, work_through):
    iam = boto3.client("iam", region_name=REGION)
    iam.create_role(RoleName="otherRole", AssumeRolePolicyDocument="{}")
    iam.create_instance_profile(InstanceProfileName="ecsInstanceRole")
    iam.add_role_to_instance_profile(InstanceProfileName="ecsInstanceRole", RoleName="otherRole")
    create = launch()
    scale = Operation.objects.submit(
        action=Operation.Action.SCALE, cluster_name="demo-cluster", region=REGION, user=user,
        request=ScaleRequest(instance_count=2),
    ).operation

    work_through(create.step(Step.Kind.CLUSTER).pk)

    create.refresh_from_db()
    scale.refresh_from_db()
    assert create.has_failed and create.state == Operation.State.ENDED
    # The scale ran after it (and found no stack to scale).
    assert scale.state == Operation.State.ENDED
    assert scale.step(Step.Kind.SCALE).message == (
        "Stack EC2ContainerService-demo-cluster does not exist"
    )


def test_the_re_sender_ends_an_operation_whose_worker_died_before_ending_it(
    launch, user, sent, django_capture_on_commit_callbacks
):
    create = launch()
    for step in create.steps.all():
        step.mark_succeeded("done")  # its worker died right after the last step
    scale = Operation.objects.submit(
        action=Operation.Action.SCALE, cluster_name="demo-cluster", region=REGION, user=user,
        request=ScaleRequest(instance_count=2),
    ).operation
    assert scale.state == Operation.State.QUEUED

    with django_capture_on_commit_callbacks(execute=True):
        tasks.resume_unfinished_work()

    create.refresh_from_db()
    scale.refresh_from_db()
    assert create.state == Operation.State.ENDED
    assert scale.state == Operation.State.RUNNING
    assert sent == [scale.step(Step.Kind.SCALE).pk]


def test_the_beat_starts_a_queued_operation_whose_wait_ended_without_starting_it(
    launch, user, sent, django_capture_on_commit_callbacks
):
    create = launch()
    scale = Operation.objects.submit(
        action=Operation.Action.SCALE, cluster_name="demo-cluster", region=REGION, user=user,
        request=ScaleRequest(instance_count=2),
    ).operation
    # The create ended, but what would have started the scale was lost with its worker.
    Operation.objects.filter(pk=create.pk).update(state=Operation.State.ENDED)

    with django_capture_on_commit_callbacks(execute=True):
        tasks.resume_unfinished_work()

    scale.refresh_from_db()
    assert scale.state == Operation.State.RUNNING
    assert sent == [scale.step(Step.Kind.SCALE).pk]


CLEAN_UP_URL = "/account/clean-up/"


def assert_shown_waiting(browser, queued, before, before_named):
    """The operation is queued behind `before`, and its status page says so, naming it."""
    assert queued.state == Operation.State.QUEUED
    assert queued.runs_behind == before
    status = browser.get(queued.get_absolute_url()).text
    assert (
        f'waits for <a href="{before.get_absolute_url()}">{before_named}</a> to end, then starts.'
        in status
    )


def active_clusters():
    ecs = boto3.client("ecs", region_name=REGION)
    arns = ecs.list_clusters()["clusterArns"]
    described = ecs.describe_clusters(clusters=arns)["clusters"] if arns else []
    return [cluster["clusterName"] for cluster in described if cluster["status"] == "ACTIVE"]


def test_a_clean_up_asked_during_a_create_waits_for_it_then_removes_what_it_made(
    signed_in, launch, sent, agent, work_through, django_capture_on_commit_callbacks
):
    create = launch()
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(CLEAN_UP_URL, {"confirmation": "clean up"})
    clean_up = Operation.objects.get(action=Operation.Action.RESET)

    assert_shown_waiting(signed_in, clean_up, create, "Create cluster of demo-cluster")
    assert sent == []  # nothing of the clean-up yet: it would remove what is being made

    work_through(create.ordered_steps[0].pk, between=agent.sync)

    create.refresh_from_db()
    clean_up.refresh_from_db()
    assert create.has_succeeded
    assert clean_up.has_succeeded, [step.message for step in clean_up.ordered_steps]
    assert active_clusters() == []


def test_a_create_asked_during_a_clean_up_waits_for_it_then_makes_the_cluster(
    signed_in, launch, sent, agent, work_through, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(CLEAN_UP_URL, {"confirmation": "clean up"})
    clean_up = Operation.objects.get(action=Operation.Action.RESET)
    assert clean_up.state == Operation.State.RUNNING
    clean_up_steps = list(sent)
    sent.clear()

    create = launch()

    assert_shown_waiting(signed_in, create, clean_up, "the clean-up of the account")
    work_through(*clean_up_steps, between=agent.sync)

    create.refresh_from_db()
    assert clean_up.steps.unfinished().count() == 0
    assert create.has_succeeded, [step.message for step in create.ordered_steps]
    assert active_clusters() == ["demo-cluster"]


def test_creates_of_two_clusters_still_run_side_by_side(launch):
    first = launch()
    second = launch(cluster_name="other-cluster")

    assert first.state == second.state == Operation.State.RUNNING


def test_a_clean_up_and_a_scale_asked_at_the_same_moment_never_both_run(transactional_db, user):
    # Each in a thread with its own database connection, let go together by a barrier, 30
    # times: the account's lock decides, on SQLite and on PostgreSQL alike (make test runs this
    # on both), so that one of the two waits for the other every time.
    asks = {
        Operation.Action.RESET: dict(
            cluster_name=ACCOUNT_WIDE,
            region=ACCOUNT_WIDE,
            request=ResetRequest(scope=CleanupScope.MADE_BY_CONSOLE, owner=user.username),
        ),
        Operation.Action.SCALE: dict(
            cluster_name="demo-cluster", region=REGION, request=ScaleRequest(instance_count=2)
        ),
    }

    def race():
        together = threading.Barrier(len(asks), timeout=10)

        def ask(action):
            try:
                with acting_for(Person(LEARNER, TESTS_ROLE_ARN)):
                    together.wait()
                    return Operation.objects.submit(action=action, user=user, **asks[action])
            finally:
                connection.close()  # this thread's own connection

        with ThreadPoolExecutor(max_workers=len(asks)) as askers:
            return list(askers.map(ask, asks))

    for _ in range(30):
        race()
        states = sorted(Operation.objects.values_list("state", flat=True))
        assert states == [Operation.State.QUEUED, Operation.State.RUNNING]
        Operation.objects.all().delete()
