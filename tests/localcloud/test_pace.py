"""At `lab` pace time passes as on AWS, compressed: a stack builds resource by resource in
dependency order while every other call answers at once, instances go pending then running,
and their agents register only once they have booted."""

import time
from types import SimpleNamespace

import pytest

from localcloud import pace
from localcloud.server import CATALOGUE_WRITTEN_LINE, running_local_cloud, start_local_cloud
from tests.e2e.waiting import wait_until

from .cloud import REGION, console_stack_template, container_instances, recommended

STACK = "EC2ContainerService-demo"
# Others are told apart by region: a call there must not wait for the stack being built here.
OTHER_REGION = "eu-west-1"


def clients(session, endpoint_url, region=REGION):
    return SimpleNamespace(
        **{
            service: session.client(service, endpoint_url=endpoint_url, region_name=region)
            for service in ("ecs", "ec2", "ssm", "cloudformation")
        }
    )


def create_the_stack(aws, template, count=1):
    return aws.cloudformation.create_stack(
        StackName=STACK,
        TemplateBody=template,
        Parameters=[{"ParameterKey": "AsgMaxSize", "ParameterValue": str(count)}],
    )["StackId"]


def stack_status(aws, stack_id):
    return aws.cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]


def stack_events(aws, stack_id):
    """Oldest first (AWS lists the newest first)."""
    events = aws.cloudformation.describe_stack_events(StackName=stack_id)["StackEvents"]
    return list(reversed(events))


def instance_states(aws):
    return {
        instance["InstanceId"]: instance["State"]["Name"]
        for reservation in aws.ec2.describe_instances()["Reservations"]
        for instance in reservation["Instances"]
    }


@pytest.fixture(scope="module")
def watched_create(session):
    """The console's stack created at lab pace, watched every 0.2 s until its instance has
    registered, then deleted and watched until it is gone: what each look saw, and when."""
    seen = SimpleNamespace(
        statuses=[],
        events_while_building=set(),
        resources_while_building=[],
        other_calls=[],
        instance_states={},
        first_running=None,
        running_at_first_registration=None,
        registered=None,
    )
    cloud = start_local_cloud(pace="lab")
    try:
        endpoint_url = cloud.endpoint_url
        # It asks itself for every instance type just after start: not the stack's doing.
        wait_until(
            lambda: cloud.has_printed(CATALOGUE_WRITTEN_LINE), 30, "the catalogue", interval=0.2
        )
        aws = clients(session, endpoint_url)
        other = clients(session, endpoint_url, OTHER_REGION)
        aws.ecs.create_cluster(clusterName="demo")
        template = console_stack_template("demo", recommended(aws)["image_id"])
        # Its first calls make the other region's backends (its default VPC), at any pace.
        other.ecs.list_clusters()
        other.ec2.describe_vpcs()
        started = time.monotonic()
        stack_id = create_the_stack(aws, template)
        seen.answered_in = time.monotonic() - started
        deadline = started + 60
        while time.monotonic() < deadline:
            status = stack_status(aws, stack_id)
            if not seen.statuses or seen.statuses[-1][1] != status:
                seen.statuses.append((time.monotonic() - started, status))
            if status == "CREATE_IN_PROGRESS":
                seen.events_while_building |= {
                    (e["LogicalResourceId"], e["ResourceStatus"])
                    for e in stack_events(aws, stack_id)
                }
                seen.resources_while_building.append(
                    {
                        r["LogicalResourceId"]: r["ResourceStatus"]
                        for r in aws.cloudformation.list_stack_resources(StackName=stack_id)[
                            "StackResourceSummaries"
                        ]
                    }
                )
                asked = time.monotonic()
                other.ecs.list_clusters()
                other.ec2.describe_vpcs()
                seen.other_calls.append(time.monotonic() - asked)
            states = instance_states(aws)
            for instance_id, state in states.items():
                history = seen.instance_states.setdefault(instance_id, [])
                if not history or history[-1] != state:
                    history.append(state)
            if "running" in states.values() and seen.first_running is None:
                seen.first_running = time.monotonic() - started
            registered = container_instances(aws, "demo")
            if registered and seen.registered is None:
                seen.registered = time.monotonic() - started
                seen.running_at_first_registration = states
            if registered and status == "CREATE_COMPLETE":
                break
            time.sleep(0.2)
        seen.events = stack_events(aws, stack_id)

        aws.cloudformation.delete_stack(StackName=stack_id)
        seen.status_after_delete = stack_status(aws, stack_id)
        wait_until(
            lambda: stack_status(aws, stack_id) == "DELETE_COMPLETE",
            60,
            "the stack to be deleted",
            interval=0.5,
        )
        seen.events_after_delete = stack_events(aws, stack_id)
    finally:
        cloud.stop()
    return seen


def times(events, status):
    return {e["LogicalResourceId"]: e["Timestamp"] for e in events if e["ResourceStatus"] == status}


def test_create_stack_answers_at_once_with_the_stack_in_progress(watched_create):
    assert watched_create.answered_in < 2
    assert watched_create.statuses[0][1] == "CREATE_IN_PROGRESS"
    assert watched_create.statuses[-1][1] == "CREATE_COMPLETE"


def test_the_lab_stack_takes_tens_of_seconds_not_one(watched_create):
    completed_after = watched_create.statuses[-1][0]

    assert 10 < completed_after < 40


def test_resources_in_progress_are_visible_before_the_stack_completes(watched_create):
    seen = watched_create.events_while_building

    assert ("Vpc", "CREATE_COMPLETE") in seen
    assert ("EcsInstanceAsg", "CREATE_IN_PROGRESS") in seen
    assert ("EcsInstanceAsg", "CREATE_COMPLETE") not in seen


def test_the_stack_lists_only_the_resources_it_has_started_each_with_its_own_status(
    watched_create,
):
    first, *_ = looks = watched_create.resources_while_building

    assert "EcsInstanceAsg" not in first
    assert set(first.values()) == {"CREATE_IN_PROGRESS"}
    # The last look may see the group complete: it can finish between the look at the stack's
    # status and the look at its resources. Some look saw the two apart.
    assert any(
        look.get("Vpc") == "CREATE_COMPLETE" and look.get("EcsInstanceAsg") == "CREATE_IN_PROGRESS"
        for look in looks
    )


def test_each_resource_starts_only_after_what_it_refers_to_is_complete(watched_create):
    started = times(watched_create.events, "CREATE_IN_PROGRESS")
    completed = times(watched_create.events, "CREATE_COMPLETE")
    refers_to = {
        "PubSubnetAz1": ["Vpc"],
        "EcsSecurityGroup": ["Vpc"],
        "AttachGateway": ["Vpc", "InternetGateway"],
        "PublicRouteViaIgw": ["AttachGateway", "RouteViaIgw"],
        "PubSubnet1RouteTableAssociation": ["PubSubnetAz1", "RouteViaIgw"],
        # moto made the group first, before the launch template it names.
        "EcsInstanceLaunchTemplate": ["EcsSecurityGroup"],
        "EcsInstanceAsg": ["EcsInstanceLaunchTemplate", "PubSubnetAz1", "PubSubnetAz2"],
    }

    for resource, dependencies in refers_to.items():
        for dependency in dependencies:
            assert started[resource] >= completed[dependency], (resource, dependency)


def test_resources_that_do_not_wait_for_each_other_are_made_side_by_side(watched_create):
    started = times(watched_create.events, "CREATE_IN_PROGRESS")
    completed = times(watched_create.events, "CREATE_COMPLETE")

    # The gateway waits for nothing: it is under way while the VPC is.
    assert started["InternetGateway"] < completed["Vpc"]
    assert started["PubSubnetAz2"] < completed["PubSubnetAz1"]


def test_another_call_answers_at_once_while_the_stack_builds(watched_create):
    calls = sorted(watched_create.other_calls)

    # Two calls, as quick as at instant pace; the slowest waited for one step of the stack.
    assert calls[len(calls) // 2] < 0.2, calls
    assert calls[-1] < 1, calls


def test_instances_are_pending_before_they_run(watched_create):
    [history] = watched_create.instance_states.values()

    assert history[:2] == ["pending", "running"]


def test_the_agent_registers_only_after_the_instance_has_run_a_while(watched_create):
    assert set(watched_create.running_at_first_registration.values()) == {"running"}
    # It boots first: 60 s on AWS, 15 s at lab pace.
    assert watched_create.registered - watched_create.first_running > 10


def test_delete_stack_answers_with_the_stack_delete_in_progress(watched_create):
    assert watched_create.status_after_delete == "DELETE_IN_PROGRESS"
    deleted = times(watched_create.events_after_delete, "DELETE_COMPLETE")
    started = times(watched_create.events_after_delete, "DELETE_IN_PROGRESS")
    # The group goes first, and the VPC only once its subnets are gone.
    assert started["EcsInstanceLaunchTemplate"] >= deleted["EcsInstanceAsg"]
    assert started["Vpc"] >= deleted["PubSubnetAz1"]


def test_a_stack_under_way_when_the_cloud_is_killed_completes_after_a_restart(session, tmp_path):
    cloud = start_local_cloud(state_dir=tmp_path, pace="lab")
    try:
        aws = clients(session, cloud.endpoint_url)
        template = console_stack_template("demo", recommended(aws)["image_id"])
        stack_id = create_the_stack(aws, template)
        wait_until(
            lambda: ("Vpc", "CREATE_COMPLETE")
            in {(e["LogicalResourceId"], e["ResourceStatus"]) for e in stack_events(aws, stack_id)},
            30,
            "the VPC to be complete",
            interval=0.2,
        )
    finally:
        cloud.kill()

    with running_local_cloud(state_dir=tmp_path, pace="lab") as endpoint_url:
        aws = clients(session, endpoint_url)
        assert stack_status(aws, stack_id) == "CREATE_IN_PROGRESS"
        wait_until(
            lambda: stack_status(aws, stack_id) == "CREATE_COMPLETE",
            40,
            "the stack to complete",
            interval=0.5,
        )
        events = stack_events(aws, stack_id)

    completed = [e["LogicalResourceId"] for e in events if e["ResourceStatus"] == "CREATE_COMPLETE"]
    assert sorted(completed) == sorted(set(completed))
    assert "EcsInstanceAsg" in completed


def test_a_failing_resource_cancels_those_under_way_and_the_stack_rolls_back_at_the_pace(
    session,
):
    with running_local_cloud(pace="lab") as endpoint_url:
        aws = clients(session, endpoint_url)
        bad_subnet = console_stack_template(
            "demo", recommended(aws)["image_id"], subnet2_cidr="10.9.0.0/24"
        )
        stack_id = create_the_stack(aws, bad_subnet)

        wait_until(
            lambda: stack_status(aws, stack_id) == "ROLLBACK_IN_PROGRESS",
            20,
            "the rollback to start",
            interval=0.1,
        )
        wait_until(
            lambda: stack_status(aws, stack_id) == "ROLLBACK_COMPLETE",
            20,
            "the rollback to end",
            interval=0.2,
        )
        failed = [
            (e["LogicalResourceId"], e["ResourceStatusReason"])
            for e in stack_events(aws, stack_id)
            if e["ResourceStatus"] == "CREATE_FAILED"
        ]

    reason = "Resource handler returned message: \"The CIDR '10.9.0.0/24' is invalid.\""
    assert failed[0] == ("PubSubnetAz2", reason)
    # The gateway was under way beside the subnets.
    assert ("InternetGateway", "Resource creation cancelled") in failed[1:]


def test_windows_hosts_take_longer_to_boot_than_linux_ones():
    assert pace.WINDOWS_BOOT_SECONDS > pace.LINUX_BOOT_SECONDS


def test_an_unknown_pace_is_refused():
    with pytest.raises(ValueError, match="instant"):
        pace.set_pace("fast")
