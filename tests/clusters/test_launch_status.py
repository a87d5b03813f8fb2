"""Launch status shows each resource's row: a spinner, then a green check or AWS's reason."""

import pytest
from django.urls import reverse

from django.utils import timezone

from clusters import provisioning
from clusters.aws import client
from clusters.configuration import DeleteRequest, ScaleRequest
from clusters.models import Operation, Step
from clusters.tasks import run_step
from tests.lab import CLUSTER_RESOURCE_LABELS

from .conftest import REGION


def status_url(operation):
    return reverse("clusters:operation", args=[operation.pk])


def run_each_step_once(operation):
    """Each step run once by a worker, with no agent passing: the instance never registers."""
    for step in operation.ordered_steps:
        run_step(step.pk)
    operation.refresh_from_db()
    return operation


@pytest.fixture
def no_queue(monkeypatch):
    monkeypatch.setattr(run_step, "delay", lambda step_id: None)
    monkeypatch.setattr(run_step, "apply_async", lambda args, countdown=0: None)


def test_a_new_launch_shows_three_spinners_and_polls(signed_in, launch):
    operation = launch()

    page = signed_in.get(status_url(operation)).content.decode()

    assert page.count('class="icon icon-spinner') == 4
    for title in ("ECS cluster", "ECS Instance IAM Policy", "CloudFormation Stack", "ECS Instances"):
        assert f'<h2 class="status-title">{title}</h2>' in page
    assert "hx-trigger=\"every 1s [document.visibilityState === 'visible']\"" in page
    assert 'aria-disabled="true">View Cluster' in page


def test_a_finished_launch_shows_the_console_success_texts_and_view_cluster(
    signed_in, launch, finish
):
    operation = finish(launch())

    page = signed_in.get(status_url(operation)).content.decode()

    assert page.count('aria-label="Succeeded"') == 4
    assert "1 of 1 instances registered with cluster demo-cluster" in page
    assert "ECS cluster demo-cluster successfully created" in page
    assert "IAM Policy for the role ecsInstanceRole successfully attached" in page
    assert (
        "CloudFormation stack EC2ContainerService-demo-cluster and its resources successfully created"
        in page
    )
    assert '<a class="btn btn-primary" href="/clusters/demo-cluster/">View Cluster</a>' in page
    assert "hx-trigger" not in page


def test_cluster_resources_are_listed_in_the_console_order_with_their_ids(
    signed_in, launch, finish
):
    operation = finish(launch())

    rows = operation.cluster_resources()

    assert [label for label, _ in rows] == CLUSTER_RESOURCE_LABELS
    values = dict(rows)
    assert values["Instance type"] == "t2.micro"
    assert values["VPC"].startswith("vpc-")
    assert values["ECS AMI ID"].startswith("Amazon Linux 2 AMI [ami-")
    page = signed_in.get(status_url(operation)).content.decode()
    assert values["Launch template"] in page


def test_the_poll_of_a_finished_launch_tells_htmx_to_stop(signed_in, launch, finish):
    operation = finish(launch())

    response = signed_in.get(status_url(operation), headers={"HX-Request": "true"})

    assert response.status_code == 286
    assert response.content.decode().lstrip().startswith('<div id="operation-status"')


def test_the_poll_of_a_running_launch_keeps_polling(signed_in, launch):
    operation = launch()

    response = signed_in.get(status_url(operation), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "hx-trigger" in response.content.decode()
    assert "<html" not in response.content.decode()


def test_a_failed_step_shows_a_red_mark_with_aws_reason(signed_in, launch):
    operation = launch()
    operation.step(Step.Kind.CLUSTER).mark_succeeded("ECS cluster demo-cluster successfully created")
    operation.step(Step.Kind.INSTANCE_ROLE).mark_failed(
        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"
    )

    page = signed_in.get(status_url(operation)).content.decode()

    assert 'aria-label="Failed"' in page
    assert "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1" in page
    assert 'aria-disabled="true">View Cluster' in page


def test_a_poll_reads_only_the_database_in_a_few_queries(
    signed_in, launch, django_assert_max_num_queries
):
    operation = launch()

    # the session, the user, and the operation with its steps
    with django_assert_max_num_queries(3):
        signed_in.get(status_url(operation), headers={"HX-Request": "true"})


def test_an_unknown_launch_is_a_404(signed_in, db):
    assert signed_in.get("/operations/999/").status_code == 404


def test_a_failure_ends_the_launch_and_the_steps_after_it_never_start(signed_in, launch):
    operation = launch()
    operation.step(Step.Kind.CLUSTER).mark_failed("Cluster refused")

    response = signed_in.get(status_url(operation), headers={"HX-Request": "true"})

    fragment = response.content.decode()
    assert response.status_code == 286
    assert fragment.count('aria-label="Not started"') == 3
    assert "Not started: an earlier step failed" in fragment
    assert "hx-trigger" not in fragment


def test_the_stack_row_keeps_what_cloudformation_did_folded_once_it_has_ended(
    signed_in, launch, finish
):
    operation = finish(launch())
    stack = operation.step(Step.Kind.STACK)

    page = signed_in.get(status_url(operation)).content.decode()

    events = stack.stack_events
    assert events[0].logical_id == "EC2ContainerService-demo-cluster"
    assert events[0].status == "CREATE_COMPLETE"
    assert {"EcsInstanceAsg", "EcsSecurityGroup", "Vpc"} <= {e.logical_id for e in events}
    assert '<details class="stack-events" id="stack-events-stack">' in page
    assert "<td>EcsInstanceAsg</td><td>AWS::AutoScaling::AutoScalingGroup</td><td>CREATE_COMPLETE</td>" in page


def test_a_stack_being_built_shows_its_latest_events_open_and_how_far_it_has_come(
    signed_in, launch
):
    operation = launch()
    stack = operation.step(Step.Kind.STACK)
    stack.claim()
    events = [
        {"Timestamp": timezone.now(), "LogicalResourceId": logical_id, "ResourceType": kind,
         "ResourceStatus": status}
        for logical_id, kind, status in [
            ("EcsInstanceAsg", "AWS::AutoScaling::AutoScalingGroup", "CREATE_IN_PROGRESS"),
            ("EcsInstanceLaunchTemplate", "AWS::EC2::LaunchTemplate", "CREATE_COMPLETE"),
            ("Vpc", "AWS::EC2::VPC", "CREATE_COMPLETE"),
            ("EC2ContainerService-demo-cluster", "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS"),
        ]
    ]
    aws_stack = {"StackId": "arn:stack", "StackName": "EC2ContainerService-demo-cluster"}

    class CloudFormation:
        def describe_stack_events(self, StackName):
            return {"StackEvents": events}

    provisioning._waiting_on_stack(stack, CloudFormation(), aws_stack, "Creating CloudFormation stack EC2ContainerService-demo-cluster")
    page = signed_in.get(status_url(operation), headers={"HX-Request": "true"}).content.decode()

    assert (
        "Creating CloudFormation stack EC2ContainerService-demo-cluster: "
        "2 resources done, 1 in progress" in page
    )
    assert '<details class="stack-events" id="stack-events-stack" open>' in page
    assert "<td>EcsInstanceAsg</td><td>AWS::AutoScaling::AutoScalingGroup</td><td>CREATE_IN_PROGRESS</td>" in page


def test_instances_that_never_register_end_the_launch_with_a_warning_naming_each_instance(
    signed_in, launch, no_queue, settings
):
    settings.INSTANCES_REGISTER_WITHIN_SECONDS = 0
    operation = run_each_step_once(launch())

    instances = operation.step(Step.Kind.INSTANCES)
    page = signed_in.get(status_url(operation)).content.decode()

    assert operation.has_succeeded  # the cluster and its stack are made, as AWS says
    (waiting_for,) = instances.unregistered_instances
    assert waiting_for.state == "running"
    assert "0 of 1 instances registered with cluster demo-cluster after 0 s." in page
    assert 'aria-label="Warning"' in page
    assert (
        f'<a href="/clusters/demo-cluster/ec2-instances/{waiting_for.instance_id}/">'
        f"{waiting_for.instance_id}</a> (running)" in page
    )


@pytest.fixture
def silent_steps():
    """Each (step, AWS call) where a running step had said nothing yet when the console called
    AWS: Launch status would show that row blank."""
    silent = []

    def look(model, **kwargs):
        quiet = Step.objects.filter(state=Step.State.IN_PROGRESS, message="")
        silent.extend((step.kind, model.name) for step in quiet)

    for service in ("ecs", "iam", "cloudformation", "autoscaling", "ec2"):
        client(service, REGION).meta.events.register("before-call.*.*", look)
    return silent


def test_a_running_step_says_what_it_is_doing_before_it_first_asks_aws(
    launch, finish, silent_steps, user
):
    launched = finish(launch())
    for action, request in (
        (Operation.Action.SCALE, ScaleRequest(instance_count=2)),
        (Operation.Action.DELETE, DeleteRequest()),
    ):
        operation = Operation.objects.submit(
            action=action, cluster_name="demo-cluster", region=launched.region, user=user,
            request=request,
        ).operation
        finish(operation)
        assert operation.has_succeeded, action

    assert launched.has_succeeded
    assert silent_steps == []


def test_an_instance_not_registered_yet_is_linked_while_the_launch_waits_for_it(
    signed_in, launch, no_queue, agent
):
    operation = run_each_step_once(launch())
    instances = operation.step(Step.Kind.INSTANCES)

    waiting = signed_in.get(status_url(operation), headers={"HX-Request": "true"}).content.decode()

    assert instances.state == Step.State.IN_PROGRESS
    (launched,) = instances.unregistered_instances
    assert "0 of 1 instances registered with cluster demo-cluster; 1 launched" in waiting
    assert (
        f'<a href="/clusters/demo-cluster/ec2-instances/{launched.instance_id}/">'
        f"{launched.instance_id}</a> (running)" in waiting
    )

    agent.sync()  # the agent registers it
    run_step(instances.pk)
    instances.refresh_from_db()
    registered = signed_in.get(status_url(operation)).content.decode()

    assert instances.state == Step.State.SUCCEEDED and not instances.ended_short
    assert instances.unregistered_instances == []
    assert 'aria-label="Instances not registered"' not in registered
    assert registered.count('aria-label="Succeeded"') == 4


def test_a_delete_asked_while_the_launch_waits_for_its_instances_does_not_wait_behind_it(
    launch, no_queue, user
):
    operation = run_each_step_once(launch())
    instances = operation.step(Step.Kind.INSTANCES)
    assert instances.state == Step.State.IN_PROGRESS
    delete = Operation.objects.submit(
        action=Operation.Action.DELETE, cluster_name="demo-cluster", region=operation.region,
        user=user, request=DeleteRequest(),
    ).operation
    assert delete.state == Operation.State.QUEUED

    run_step(instances.pk)

    instances.refresh_from_db()
    delete.refresh_from_db()
    assert instances.ended_short
    assert delete.state == Operation.State.RUNNING
