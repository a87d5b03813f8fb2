"""The local cloud's failure scenarios show in Launch status as AWS's failures would: a warning
naming each instance that never registered, a red mark with CloudFormation's reason."""

import pytest
from django.urls import reverse

from clusters.models import Step
from localcloud.scenarios import SWITCHBOARD, Switch
from tests.conftest import REGION


@pytest.fixture
def scenario():
    """Switch a scenario on in the in-process local cloud for the test, off after it."""
    switched = []

    def on(name, cluster="demo-cluster", **options):
        switch = Switch.from_json(
            {"scenario": name, "region": REGION, "cluster": cluster, "options": options}
        )
        SWITCHBOARD.switch_on(switch)
        switched.append(switch)

    yield on
    for switch in switched:
        SWITCHBOARD.switch_off(switch)


def status_page(signed_in, operation):
    return signed_in.get(reverse("clusters:operation", args=[operation.pk])).content.decode()


def test_instances_without_a_route_to_ecs_end_the_launch_with_a_warning_naming_each(
    signed_in, launch, finish, scenario, settings
):
    scenario("no-route-to-ecs")
    settings.INSTANCES_REGISTER_WITHIN_SECONDS = 0

    operation = finish(launch())
    (waiting_for,) = operation.step(Step.Kind.INSTANCES).unregistered_instances
    page = status_page(signed_in, operation)
    instance_page = signed_in.get(
        f"/clusters/demo-cluster/ec2-instances/{waiting_for.instance_id}/"
    ).content.decode()

    assert operation.has_succeeded  # the cluster and its stack are made, as AWS says
    assert "0 of 1 instances registered with cluster demo-cluster after 0 s." in page
    assert "read its host on its page (the agent&#x27;s log says why)" in page
    assert 'aria-label="Warning"' in page
    assert (
        f'<a href="/clusters/demo-cluster/ec2-instances/{waiting_for.instance_id}/">'
        f"{waiting_for.instance_id}</a> (running)" in page
    )
    assert '<dd id="instance-state">running</dd>' in instance_page
    # The cause, on the instance's page: it has no public IP to reach ECS with.
    assert "<dt>Public IPv4 address</dt><dd>–</dd>" in instance_page


def test_a_stack_whose_security_group_fails_shows_a_red_mark_with_cloudformations_reason(
    signed_in, launch, finish, scenario
):
    scenario("stack-resource-fails")

    operation = finish(launch())
    page = status_page(signed_in, operation)

    assert operation.step(Step.Kind.STACK).state == Step.State.FAILED
    assert 'aria-label="Failed"' in page
    assert "The maximum number of security groups for VPC &#x27;vpc-" in page
    assert "Error Code: SecurityGroupLimitExceeded" in page
    assert "<td>EcsSecurityGroup</td><td>AWS::EC2::SecurityGroup</td><td>CREATE_FAILED</td>" in page
