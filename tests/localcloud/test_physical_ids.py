"""A stack's resources have the physical ids and generated names CloudFormation gives them."""

import inspect
import re

from moto.ec2.models.launch_templates import LaunchTemplate

from localcloud.physical_ids import random_suffix

from .test_cloudformation import STACK, create

# Name type, CloudFormation user guide: <stack name>-<logical id>-<random suffix>; an Auto
# Scaling group's suffix is 12 or 13 upper-case letters and digits.
GENERATED = re.escape(STACK) + r"-{logical_id}-[0-9A-Z]{{12,13}}"


def physical_ids(aws, stack_id):
    resources = aws.cloudformation.describe_stack_resources(StackName=stack_id)["StackResources"]
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}


def test_the_auto_scaling_group_is_named_for_the_stack_and_its_logical_id(aws):
    ids = physical_ids(aws, create(aws, count=0))

    assert re.fullmatch(GENERATED.format(logical_id="EcsInstanceAsg"), ids["EcsInstanceAsg"])
    groups = aws.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
    assert [g["AutoScalingGroupName"] for g in groups] == [ids["EcsInstanceAsg"]]


def test_a_launch_template_without_a_name_is_named_for_the_stack_and_its_logical_id(aws):
    ids = physical_ids(aws, create(aws, count=0))

    # Ref, and the physical id, of an AWS::EC2::LaunchTemplate is its lt- id.
    [template] = aws.ec2.describe_launch_templates()["LaunchTemplates"]
    assert ids["EcsInstanceLaunchTemplate"] == template["LaunchTemplateId"]
    assert re.fullmatch(
        GENERATED.format(logical_id="EcsInstanceLaunchTemplate"), template["LaunchTemplateName"]
    ), template["LaunchTemplateName"]


def test_the_gateway_attachment_and_the_route_have_cloudformations_composite_ids(aws):
    ids = physical_ids(aws, create(aws, count=0))

    # The resource schemas' primary identifiers: AttachmentType|VpcId, RouteTableId|CidrBlock.
    assert ids["AttachGateway"] == f"IGW|{ids['Vpc']}"
    assert ids["PublicRouteViaIgw"] == f"{ids['RouteViaIgw']}|0.0.0.0/0"
    events = aws.cloudformation.describe_stack_events(StackName=STACK)["StackEvents"]
    completed = {
        e["LogicalResourceId"]: e["PhysicalResourceId"]
        for e in events
        if e["ResourceStatus"] == "CREATE_COMPLETE"
    }
    assert completed["AttachGateway"] == ids["AttachGateway"]
    assert completed["PublicRouteViaIgw"] == ids["PublicRouteViaIgw"]


def test_a_stack_with_composite_ids_still_deletes_everything_it_made(aws):
    ids = physical_ids(aws, create(aws, count=0))

    aws.cloudformation.delete_stack(StackName=STACK)

    assert ids["Vpc"] not in [v["VpcId"] for v in aws.ec2.describe_vpcs()["Vpcs"]]
    gateways = aws.ec2.describe_internet_gateways()["InternetGateways"]
    assert ids["InternetGateway"] not in [g["InternetGatewayId"] for g in gateways]
    assert aws.ec2.describe_launch_templates()["LaunchTemplates"] == []


def test_the_random_suffix_is_a_64_bit_number_in_upper_case_base_36():
    suffixes = {random_suffix() for _ in range(2000)}

    assert all(re.fullmatch(r"[0-9A-Z]{12,13}", s) for s in suffixes)
    assert all(int(s, 36) < 2**64 for s in suffixes)
    # A 13-character one starts with 1, 2 or 3; a number below 36**11 is padded with zeros.
    assert all(s[0] in "123" for s in suffixes if len(s) == 13)
    assert any(s.startswith("0") for s in suffixes)


def test_the_names_the_local_cloud_replaces_are_still_there_in_moto():
    from moto.cloudformation import parsing

    assert "random_suffix" in inspect.getsource(parsing.generate_resource_name)
    create = LaunchTemplate._localcloud_original_create_from_cloudformation_json.__func__
    assert list(inspect.signature(create).parameters)[:5] == [
        "cls",
        "resource_name",
        "cloudformation_json",
        "account_id",
        "region_name",
    ]
    assert "LaunchTemplateName" in inspect.getsource(create)
