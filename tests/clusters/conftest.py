"""Fixtures for the cluster pages' tests: launches recorded as the wizard records them, run as
workers would, and the agent that registers their hosts. `aws`, `options`, `lab_data` and a
signed-in person come from tests/conftest.py."""

import boto3
import pytest

from clusters.configuration import Tag
from clusters.forms import WizardOptions
from tests.conftest import REGION

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
def finish(monkeypatch):
    """Run an operation's steps to their end as workers would, without a broker."""
    from clusters import tasks

    queued = []
    monkeypatch.setattr(tasks.run_step, "delay", queued.append)
    monkeypatch.setattr(tasks.run_step, "apply_async", lambda args, countdown=0: queued.append(args[0]))

    def run(operation):
        queued.append(operation.ordered_steps[0].pk)
        while queued:
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
def big_cluster(aws, agent, ec2):
    """Cluster "big" with 250 t3.small hosts, each registered by its agent."""
    ami = boto3.client("ssm", region_name=REGION).get_parameter(
        Name="/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id"
    )["Parameter"]["Value"]
    boto3.client("ecs", region_name=REGION).create_cluster(clusterName="big")
    ec2.run_instances(
        ImageId=ami,
        InstanceType="t3.small",
        MinCount=250,
        MaxCount=250,
        UserData="#!/bin/bash\necho ECS_CLUSTER=big >> /etc/ecs/ecs.config\n",
    )
    agent.sync()
    return "big"
