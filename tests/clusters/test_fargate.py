"""Networking only: a Fargate cluster with its capacity providers, and a VPC only when asked."""

import boto3
import pytest

from clusters.configuration import ClusterConfiguration, Network, NewVpc, Tag
from clusters.forms import NetworkingOnlyClusterForm, WizardOptions
from clusters.models import Operation, Step, Template

from .conftest import REGION
from .test_provisioning import run_to_the_end

NEW_VPC = {"create_vpc": "on", "vpc_cidr": "10.0.0.0/16", "subnet1_cidr": "10.0.0.0/24",
           "subnet2_cidr": "10.0.1.0/24"}


@pytest.fixture
def fargate_options(aws):
    return WizardOptions(REGION, template=Template.NETWORKING_ONLY)


def fargate_form(options, **data):
    form = NetworkingOnlyClusterForm({"cluster_name": "fargate", **data}, options=options)
    form.is_valid()
    return form


def test_without_a_vpc_it_needs_only_a_name(fargate_options):
    form = fargate_form(fargate_options, vpc_cidr="not a cidr")

    assert form.errors == {}
    assert form.configuration(tags=[]) == ClusterConfiguration(
        capacity_providers=("FARGATE", "FARGATE_SPOT")
    )


def test_it_asks_aws_for_no_instance_drop_downs(fargate_options):
    assert (fargate_options.instance_types, fargate_options.amis, fargate_options.vpcs) == ({}, [], [])


def test_a_new_vpc_keeps_its_cidr_blocks(fargate_options):
    config = fargate_form(fargate_options, **NEW_VPC).configuration(tags=[])

    assert config.network == Network(new_vpc=NewVpc("10.0.0.0/16", "10.0.0.0/24", "10.0.1.0/24"))


def test_a_new_vpc_follows_the_ec2_templates_cidr_rules(fargate_options):
    form = fargate_form(fargate_options, **{**NEW_VPC, "subnet2_cidr": "10.0.0.128/25",
                                           "vpc_cidr": "10.0.0.0/16"})

    assert form.errors == {"subnet2_cidr": ["10.0.0.128/25 overlaps Subnet 1 (10.0.0.0/24)."]}
    assert fargate_form(fargate_options, **{**NEW_VPC, "vpc_cidr": "10.0.0.0/8"}).errors[
        "vpc_cidr"
    ] == ["A VPC CIDR block must be between /16 and /28; 10.0.0.0/8 is /8."]


def test_the_name_of_an_active_cluster_is_refused(fargate_options):
    boto3.client("ecs", region_name=REGION).create_cluster(clusterName="fargate")

    assert fargate_form(fargate_options).errors["cluster_name"] == [
        "A cluster named fargate already exists in us-east-1. Choose another name."
    ]


def start(user, options, **data):
    form = fargate_form(options, **data)
    assert form.is_valid(), form.errors
    return Operation.objects.submit(
        action=Operation.Action.CREATE,
        template=Template.NETWORKING_ONLY,
        cluster_name="fargate",
        region=REGION,
        user=user,
        request=form.configuration(tags=[Tag("team", "platform")]),
    ).operation


def test_the_cluster_gets_the_fargate_and_fargate_spot_capacity_providers(db, user, fargate_options):
    operation = start(user, fargate_options)

    assert [s.kind for s in operation.ordered_steps] == [Step.Kind.CLUSTER]
    assert run_to_the_end(operation.step(Step.Kind.CLUSTER)).state == Step.State.SUCCEEDED
    cluster = boto3.client("ecs", region_name=REGION).describe_clusters(clusters=["fargate"])[
        "clusters"
    ][0]
    assert cluster["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]


def test_a_new_vpc_is_a_stack_of_vpc_resources_tagged_as_the_cluster(db, user, fargate_options):
    operation = start(user, fargate_options, **NEW_VPC)

    assert [s.kind for s in operation.ordered_steps] == [Step.Kind.CLUSTER, Step.Kind.STACK]
    for step in operation.ordered_steps:
        assert run_to_the_end(step).state == Step.State.SUCCEEDED
    stack = operation.step(Step.Kind.STACK)
    assert "EcsInstanceAsg" not in stack.outputs["resources"]
    vpc = boto3.client("ec2", region_name=REGION).describe_vpcs(
        VpcIds=[stack.outputs["resources"]["Vpc"]]
    )["Vpcs"][0]
    assert vpc["CidrBlock"] == "10.0.0.0/16"
    assert {"Key": "team", "Value": "platform"} in vpc["Tags"]
    labels = [label for label, _ in operation.cluster_resources()]
    assert labels[:2] == ["VPC", "Subnet 1"] and "Auto Scaling group" not in labels
