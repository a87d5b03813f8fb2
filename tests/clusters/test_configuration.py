"""The wizard's configuration is one typed value, stored as JSON beside the cluster's name."""

import dataclasses
import importlib
import json

import pytest

from clusters.configuration import (
    AmiFamily,
    ClusterConfiguration,
    DeleteRequest,
    Network,
    NewVpc,
    PublicIp,
    ScaleRequest,
    Spot,
    SpotAllocationStrategy,
    Tag,
)
from clusters.models import Operation, Step, Template
from tests.lab import lab_configuration

from .test_stack_template import with_instances, with_network

LAB = lab_configuration()
CONFIGURATIONS = {
    "the lab": LAB,
    "spot in an existing vpc": with_network(
        with_instances(
            instance_types=("t3.micro", "t3a.micro"),
            spot=Spot(SpotAllocationStrategy.LOWEST_PRICE, "0.02"),
            key_name="lab-key",
            t2_unlimited=True,
        ),
        new_vpc=None,
        vpc_id="vpc-1234",
        subnet_ids=("subnet-a", "subnet-b"),
        public_ip=PublicIp.ENABLED,
        security_group_id="sg-1",
        ingress=None,
    ),
    "networking only with a vpc": ClusterConfiguration(
        tags=(Tag("team", "blue"), Tag("env")),
        container_insights=True,
        capacity_providers=("FARGATE", "FARGATE_SPOT"),
        network=Network(new_vpc=NewVpc()),
    ),
    "an empty cluster": ClusterConfiguration(),
}


@pytest.mark.parametrize("configuration", CONFIGURATIONS.values(), ids=CONFIGURATIONS.keys())
def test_a_configuration_survives_its_trip_through_json(configuration):
    stored = json.loads(json.dumps(configuration.to_json()))

    assert ClusterConfiguration.from_json(stored) == configuration


def test_the_json_names_its_choices_by_their_aws_values():
    stored = CONFIGURATIONS["spot in an existing vpc"].to_json()

    assert stored["instances"]["spot"] == {"allocation_strategy": "lowestPrice", "max_price": "0.02"}
    assert stored["instances"]["ami_family"] == "amazon-linux-2"
    assert stored["network"]["public_ip"] == "enabled"
    assert "cluster_name" not in stored  # the Operation's own column holds it, once


def test_scale_and_delete_requests_are_typed_too():
    assert ScaleRequest.from_json(ScaleRequest(3).to_json()) == ScaleRequest(3)
    assert DeleteRequest.from_json(DeleteRequest().to_json()) == DeleteRequest()


def test_an_operation_reads_back_the_typed_request_it_was_given(db, django_user_model):
    user = django_user_model.objects.create_user("learner")

    operation = Operation.objects.submit(
        action=Operation.Action.CREATE,
        template=Template.EC2_LINUX,
        cluster_name="demo-cluster",
        region="us-east-1",
        user=user,
        request=LAB,
    ).operation

    operation.refresh_from_db()
    assert operation.request == LAB
    assert operation.request.instances.ami_family is AmiFamily.AMAZON_LINUX_2
    assert [s.kind for s in operation.ordered_steps] == [
        Step.Kind.CLUSTER,
        Step.Kind.INSTANCE_ROLE,
        Step.Kind.STACK,
        Step.Kind.INSTANCES,
    ]


def test_the_ami_family_knows_its_volume():
    assert (AmiFamily.AMAZON_LINUX.volume_device, AmiFamily.AMAZON_LINUX.min_volume_gib) == (
        "/dev/xvdcz",
        22,
    )
    assert AmiFamily.WINDOWS.default_volume_gib == 50
    assert AmiFamily.AMAZON_LINUX_2_ARM64.architecture == "arm64"


def test_configurations_stored_before_they_were_typed_are_read_as_typed_ones():
    migration = importlib.import_module("clusters.migrations.0003_typed_configuration")
    flat = {
        "cluster_name": "demo-cluster",
        "empty_cluster": False,
        "tags": [{"key": "team", "value": "platform"}],
        "container_insights": False,
        "provisioning_model": "on-demand",
        "instance_type": "t2.micro",
        "instance_types": ["t2.micro"],
        "t2_unlimited": False,
        "instance_count": 1,
        "ami_id": "ami-0123456789abcdef0",
        "ami_family": "amazon-linux-2",
        "ami_display": "Amazon Linux 2 AMI [ami-0123456789abcdef0]",
        "volume_size": 30,
        "key_name": "",
        "vpc": "new",
        "vpc_cidr": "10.0.0.0/16",
        "subnet1_cidr": "10.0.0.0/24",
        "subnet2_cidr": "10.0.1.0/24",
        "auto_assign_public_ip": "subnet",
        "security_group": "new",
        "ingress_cidr": "0.0.0.0/0",
        "ingress_from_port": 22,
        "ingress_to_port": 22,
        "instance_role": "ecsInstanceRole",
    }

    typed = ClusterConfiguration.from_json(migration.typed_shape(flat, "ec2-linux"))

    # Stored before the SSM option existed: its role was made without the SSM policy.
    instances = dataclasses.replace(LAB.instances, ssm_host_access=False)
    assert typed == ClusterConfiguration(tags=(Tag("team", "platform"),), instances=instances,
                                         network=LAB.network)
    fargate = migration.typed_shape(
        {"cluster_name": "f", "tags": [], "container_insights": False, "create_vpc": False},
        "fargate",
    )
    assert ClusterConfiguration.from_json(fargate) == ClusterConfiguration(
        capacity_providers=("FARGATE", "FARGATE_SPOT")
    )
