"""Launch status shows each resource's row: a spinner, then a green check or AWS's reason."""

import pytest
from django.urls import reverse

from clusters.models import Step
from clusters.tasks import run_step
from tests.lab import CLUSTER_RESOURCE_LABELS


def status_url(operation):
    return reverse("clusters:operation", args=[operation.pk])


def finish(operation):
    for step in operation.ordered_steps:
        run_step(step.pk)


@pytest.fixture
def no_queue(monkeypatch):
    monkeypatch.setattr(run_step, "delay", lambda step_id: None)


def test_a_new_launch_shows_three_spinners_and_polls(signed_in, launch):
    operation = launch()

    page = signed_in.get(status_url(operation)).content.decode()

    assert page.count('class="icon icon-spinner') == 3
    for title in ("ECS cluster", "ECS Instance IAM Policy", "CloudFormation Stack"):
        assert f'<h2 class="status-title">{title}</h2>' in page
    assert "hx-trigger=\"every 1s [document.visibilityState === 'visible']\"" in page
    assert 'aria-disabled="true">View Cluster' in page


def test_a_finished_launch_shows_the_console_success_texts_and_view_cluster(
    signed_in, launch, no_queue
):
    operation = launch()
    finish(operation)

    page = signed_in.get(status_url(operation)).content.decode()

    assert page.count('aria-label="Succeeded"') == 3
    assert "ECS cluster demo-cluster successfully created" in page
    assert "IAM Policy for the role ecsInstanceRole successfully attached" in page
    assert (
        "CloudFormation stack EC2ContainerService-demo-cluster and its resources successfully created"
        in page
    )
    assert '<a class="btn btn-primary" href="/clusters/demo-cluster/">View Cluster</a>' in page
    assert "hx-trigger" not in page


def test_cluster_resources_are_listed_in_the_console_order_with_their_ids(
    signed_in, launch, no_queue
):
    operation = launch()
    finish(operation)

    rows = operation.cluster_resources()

    assert [label for label, _ in rows] == CLUSTER_RESOURCE_LABELS
    values = dict(rows)
    assert values["Instance type"] == "t2.micro"
    assert values["VPC"].startswith("vpc-")
    assert values["ECS AMI ID"].startswith("Amazon Linux 2 AMI [ami-")
    page = signed_in.get(status_url(operation)).content.decode()
    assert values["Launch template"] in page


def test_the_poll_of_a_finished_launch_tells_htmx_to_stop(signed_in, launch, no_queue):
    operation = launch()
    finish(operation)

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
    assert fragment.count('aria-label="Not started"') == 2
    assert "Not started: an earlier step failed" in fragment
    assert "hx-trigger" not in fragment
