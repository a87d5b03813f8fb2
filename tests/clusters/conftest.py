"""Fixtures for the cluster pages' tests: launches recorded as the wizard records them, run as
workers would, and the agent that registers their hosts. `aws`, `options`, `lab_data` and a
signed-in person come from tests/conftest.py."""

import re

import boto3
import pytest

from clusters.configuration import Tag
from clusters.forms import WizardOptions
from tests.conftest import REGION

# What one look at the lab cluster's ECS Instances tab asks AWS: the header, the wizard's stack,
# the container instances, the Auto Scaling group, and one EC2 describe for every host.
LAB_CLUSTER_TAB_CALLS = [
    "DescribeAutoScalingGroups",
    "DescribeClusters",
    "DescribeContainerInstances",
    "DescribeInstances",
    "DescribeStacks",
    "ListContainerInstances",
]

@pytest.fixture
def launch(db, user, options, lab_data):
    """A launch of the lab's cluster, recorded as the wizard records it."""
    from clusters.forms import Ec2LinuxClusterForm
    from clusters.models import Operation, Template

    def make(**changes):
        vpc = changes.get("vpc", "new")
        wizard_options = options if vpc == "new" else WizardOptions(REGION)
        form = Ec2LinuxClusterForm({**lab_data, **changes}, options=wizard_options)
        assert form.is_valid(), form.errors
        return Operation.objects.submit(
            action=Operation.Action.CREATE,
            template=Template.EC2_LINUX,
            cluster_name=form.cleaned_data["cluster_name"],
            region=REGION,
            user=user,
            request=form.configuration(tags=[Tag("team", "platform")]),
        ).operation

    return make


@pytest.fixture
def agent(aws):
    """The local cloud's ECS agent on every instance, run one pass at a time by the test."""
    from localcloud.agent import EcsAgentEmulator

    return EcsAgentEmulator(regions=[REGION])


@pytest.fixture
def finish(monkeypatch, agent, settings):
    """Run an operation's steps to their end as workers would, without a broker, the agents of
    the local cloud passing between two steps as they run beside the workers; or, with
    agents_register=False, agents that never register their instance, which the launch stops
    waiting for at once."""
    from clusters import tasks

    queued = []
    monkeypatch.setattr(tasks.run_step, "delay", queued.append)
    monkeypatch.setattr(tasks.run_step, "apply_async", lambda args, countdown=0: queued.append(args[0]))

    def run(operation, agents_register=True):
        if not agents_register:
            settings.INSTANCES_REGISTER_WITHIN_SECONDS = 0
        queued.append(operation.ordered_steps[0].pk)
        while queued:
            if agents_register:
                agent.sync()
            tasks.run_step(queued.pop(0))
        operation.refresh_from_db()
        return operation

    return run


@pytest.fixture
def lab_cluster(launch, finish, agent):
    """demo-cluster as the lab leaves it: made by the wizard, its one instance registered."""
    operation = finish(launch())
    assert operation.has_succeeded, [s.message for s in operation.steps.all()]
    agent.sync()
    return operation


@pytest.fixture
def start_hosts(aws, ec2):
    """Start hosts of the ECS-optimized AMI whose user data joins them to a cluster, as the
    lab's launch template makes them; their agents register them at the next sync."""

    def start(cluster_name, count, instance_type="t2.micro"):
        ami = boto3.client("ssm", region_name=REGION).get_parameter(
            Name="/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id"
        )["Parameter"]["Value"]
        ec2.run_instances(
            ImageId=ami,
            InstanceType=instance_type,
            MinCount=count,
            MaxCount=count,
            UserData=f"#!/bin/bash\necho ECS_CLUSTER={cluster_name} >> /etc/ecs/ecs.config\n",
        )

    return start


@pytest.fixture
def big_cluster(aws, agent, start_hosts):
    """Cluster "big" with 250 t3.small hosts, each registered by its agent."""
    boto3.client("ecs", region_name=REGION).create_cluster(clusterName="big")
    start_hosts("big", 250, "t3.small")
    agent.sync()
    return "big"


@pytest.fixture
def aws_calls(aws):
    """The name of every call the console makes to ECS, EC2, CloudFormation, Auto Scaling,
    CloudWatch, SSM and IAM from now on."""
    from clusters.aws import client

    calls = []
    for service in ("ecs", "ec2", "cloudformation", "autoscaling", "cloudwatch", "ssm", "iam"):
        client(service, REGION).meta.events.register(
            "before-call.*.*", lambda model, **kwargs: calls.append(model.name)
        )
    return calls


@pytest.fixture
def poll_twice(signed_in):
    """Poll a cluster tab as htmx does, then again sending back the digest the first answer
    carried, as the next poll does: the second answer says whether the tab rests."""

    def poll(url):
        first = signed_in.get(url, headers={"HX-Request": "true"})
        seen = re.search(r'hx-vals=\'\{"seen": "([0-9a-f]+)"\}\'', first.content.decode())
        assert seen, "the tab does not poll"
        return signed_in.get(url, {"seen": seen.group(1)}, headers={"HX-Request": "true"})

    return poll


@pytest.fixture
def lab_stack_config(aws):
    """The lab's configuration with the region's own Amazon Linux 2 AMI and its role's profile,
    for a stack created directly (without the wizard's IAM step)."""
    import json

    from tests.lab import lab_configuration

    iam = boto3.client("iam", region_name=REGION)
    iam.create_role(RoleName="ecsInstanceRole", AssumeRolePolicyDocument="{}")
    iam.create_instance_profile(InstanceProfileName="ecsInstanceRole")
    iam.add_role_to_instance_profile(
        InstanceProfileName="ecsInstanceRole", RoleName="ecsInstanceRole"
    )
    ssm = boto3.client("ssm", region_name=REGION)
    name = "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended"
    metadata = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    return lab_configuration(metadata["image_id"])
