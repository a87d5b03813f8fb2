"""A launch reaches a real Celery worker through a real Redis and builds its cluster in the local
cloud."""

import pytest

from clusters.models import Step
from clusters.stack_template import ECS_INSTANCE_ROLE_POLICY, SSM_MANAGED_INSTANCE_POLICY
from clusters.tasks import start_operation

from .waiting import wait_until, wait_until_ended

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def rows(operation):
    return {step.kind: (step.state, step.message) for step in operation.steps.all()}


def test_it_takes_a_launch_from_four_pending_rows_to_four_succeeded_rows(
    celery_worker, lab_launch
):
    operation = lab_launch("worker-cluster")
    assert rows(operation) == {
        "cluster": ("pending", ""),
        "instance-role": ("pending", ""),
        "stack": ("pending", ""),
        "instances": ("pending", ""),
    }

    start_operation(operation)
    wait_until_ended(operation)

    assert rows(operation) == {
        "cluster": ("succeeded", "ECS cluster worker-cluster successfully created"),
        "instance-role": (
            "succeeded",
            "IAM Policy for the role ecsInstanceRole successfully attached",
        ),
        "stack": (
            "succeeded",
            "CloudFormation stack EC2ContainerService-worker-cluster and its resources "
            "successfully created",
        ),
        "instances": ("succeeded", "1 of 1 instances registered with cluster worker-cluster"),
    }
    steps = operation.ordered_steps
    assert all(step.started_at and step.finished_at for step in steps)
    # One after the other: each step starts once the one before it has succeeded.
    assert steps[0].finished_at <= steps[1].started_at
    assert steps[1].finished_at <= steps[2].started_at
    assert steps[2].finished_at <= steps[3].started_at


def test_it_leaves_an_active_cluster_a_complete_stack_and_a_registered_t2_micro(
    celery_worker, lab_launch, cloud
):
    operation = lab_launch("lab-cluster")
    start_operation(operation)
    wait_until_ended(operation)
    assert operation.has_succeeded, rows(operation)

    ecs, cloudformation, iam = cloud("ecs"), cloud("cloudformation"), cloud("iam")
    (cluster,) = ecs.describe_clusters(clusters=["lab-cluster"])["clusters"]
    assert cluster["status"] == "ACTIVE"

    (stack,) = cloudformation.describe_stacks(StackName="EC2ContainerService-lab-cluster")["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    described = cloudformation.describe_stack_resources(StackName=stack["StackId"])
    resources = {r["LogicalResourceId"]: r for r in described["StackResources"]}
    assert resources["EcsInstanceLaunchTemplate"]["ResourceType"] == "AWS::EC2::LaunchTemplate"
    assert resources["EcsInstanceAsg"]["ResourceType"] == "AWS::AutoScaling::AutoScalingGroup"
    # The status page's Cluster Resources come from these outputs.
    assert operation.step(Step.Kind.STACK).outputs["resources"]["EcsInstanceAsg"] == (
        resources["EcsInstanceAsg"]["PhysicalResourceId"]
    )

    attached = iam.list_attached_role_policies(RoleName="ecsInstanceRole")["AttachedPolicies"]
    # ECS's policy, and SSM's: the wizard's "Let ECS Console read the host" is on by default.
    assert {policy["PolicyArn"] for policy in attached} == {
        ECS_INSTANCE_ROLE_POLICY, SSM_MANAGED_INSTANCE_POLICY
    }
    profile = iam.get_instance_profile(InstanceProfileName="ecsInstanceRole")["InstanceProfile"]
    assert [role["RoleName"] for role in profile["Roles"]] == ["ecsInstanceRole"]

    # The instance's agent registers it a moment after it starts, as on AWS.
    arns = wait_until(
        lambda: ecs.list_container_instances(cluster="lab-cluster")["containerInstanceArns"],
        30,
        "the instance's ECS agent to register it with lab-cluster",
        interval=0.2,
    )
    (instance,) = ecs.describe_container_instances(cluster="lab-cluster", containerInstances=arns)[
        "containerInstances"
    ]
    registered = {r["name"]: r.get("integerValue") for r in instance["registeredResources"]}
    assert registered["CPU"] == 1024  # a t2.micro has one vCPU
    assert instance["agentConnected"] is True
