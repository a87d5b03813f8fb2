"""Delete Cluster names what will really go: the resources the wizard's stack holds, read from
the stack itself, and nothing about a stack when there is none."""

import re

import boto3
from django.utils.html import strip_tags

from .conftest import REGION

STACK = "EC2ContainerService-demo-cluster"


def stack_resources():
    found = boto3.client("cloudformation", region_name=REGION).describe_stack_resources(
        StackName=STACK
    )["StackResources"]
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in found}


def listed(page):
    """What the dialog lists, one line a resource."""
    items = re.search(r'<ul class="deleted-resources">(.*?)</ul>', page, re.S).group(1)
    return [" ".join(strip_tags(i).split()) for i in re.findall(r"<li>(.*?)</li>", items, re.S)]


def test_a_lab_cluster_lists_the_new_vpc_and_everything_else_its_stack_made(
    signed_in, lab_cluster
):
    made = stack_resources()

    page = signed_in.get("/clusters/demo-cluster/delete/").content.decode()

    assert listed(page) == [
        f"VPC {made['Vpc']}",
        f"Subnet 1 {made['PubSubnetAz1']}",
        f"Subnet 1 route table association {made['PubSubnet1RouteTableAssociation']}",
        f"Subnet 2 {made['PubSubnetAz2']}",
        f"Subnet 2 route table association {made['PubSubnet2RouteTableAssociation']}",
        f"Security group {made['EcsSecurityGroup']}",
        f"Internet gateway {made['InternetGateway']}",
        f"Route table {made['RouteViaIgw']}",
        f"Amazon EC2 route {made['PublicRouteViaIgw']}",
        f"Virtual private gateway attachment {made['AttachGateway']}",
        f"Launch template {made['EcsInstanceLaunchTemplate']}",
        f"Auto Scaling group {made['EcsInstanceAsg']}",
    ]
    assert "The Auto Scaling group terminates its EC2 instances as it goes." in page


def test_a_cluster_in_the_default_vpc_names_no_vpc(signed_in, launch, finish, ec2):
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [default_vpc["VpcId"]]}])
    chosen = sorted(subnet["SubnetId"] for subnet in subnets["Subnets"])
    operation = finish(launch(vpc=default_vpc["VpcId"], subnet_ids=chosen))
    assert operation.has_succeeded, [s.message for s in operation.steps.all()]
    made = stack_resources()

    page = signed_in.get("/clusters/demo-cluster/delete/").content.decode()

    assert listed(page) == [
        f"Security group {made['EcsSecurityGroup']}",
        f"Launch template {made['EcsInstanceLaunchTemplate']}",
        f"Auto Scaling group {made['EcsInstanceAsg']}",
    ]
    assert "VPC" not in strip_tags(page)
    assert default_vpc["VpcId"] not in page


def test_a_cluster_without_a_stack_says_only_the_cluster_goes(signed_in, aws):
    boto3.client("ecs", region_name=REGION).create_cluster(clusterName="demo-cluster")

    page = signed_in.get("/clusters/demo-cluster/delete/").content.decode()

    assert "Only the ECS cluster is deleted." in page
    assert "stack" not in strip_tags(page).lower()
    assert "CloudFormation" not in page
    assert 'class="deleted-resources"' not in page
