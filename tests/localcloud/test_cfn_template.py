"""A template that chooses with conditions runs as on AWS: AWS::NoValue leaves list items out,
resources whose condition is false are no part of the stack, list parameters read back as
given, and the stack's tags reach an Auto Scaling group and the instances it launches."""

import inspect
import json

from moto.autoscaling.models import FakeAutoScalingGroup
from moto.cloudformation import parsing
from moto.cloudformation.models import CloudFormationBackend, Stack
from moto.cloudformation.parsing import ResourceMap

import localcloud

from .cloud import recommended, two_zone_vpc

NO_VALUE = {"Ref": "AWS::NoValue"}


def template(resources, parameters=None, conditions=None, outputs=None):
    body = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
    if parameters:
        body["Parameters"] = parameters
    if conditions:
        body["Conditions"] = conditions
    if outputs:
        body["Outputs"] = outputs
    return json.dumps(body)


def launch_template(aws, **data):
    """An AWS::EC2::LaunchTemplate of the region's ECS-optimized AMI and the data given."""
    return {
        "Type": "AWS::EC2::LaunchTemplate",
        "Properties": {"LaunchTemplateData": {"ImageId": recommended(aws)["image_id"], **data}},
    }


def security_group(vpc_id, description):
    """An AWS::EC2::SecurityGroup whose description shows what an expression resolved to."""
    return {
        "Type": "AWS::EC2::SecurityGroup",
        "Properties": {"GroupDescription": description, "VpcId": vpc_id},
    }


def create(aws, body, parameters=(), tags=()):
    stack_id = aws.cloudformation.create_stack(
        StackName="conditions",
        TemplateBody=body,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters],
        Tags=[{"Key": k, "Value": v} for k, v in tags],
    )["StackId"]
    stack = aws.cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    return stack


def physical_ids(aws, stack):
    described = aws.cloudformation.describe_stack_resources(StackName=stack["StackId"])
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in described["StackResources"]}


def test_no_value_from_fn_if_removes_the_item_from_a_list(aws):
    # The console's own template (TemplateVersion 2.0.0) sizes its volumes this way: one
    # BlockDeviceMappings item per volume, each an Fn::If whose other branch is AWS::NoValue.
    def volume(condition, device):
        return {
            "Fn::If": [condition, {"DeviceName": device, "Ebs": {"VolumeSize": 40}}, NO_VALUE]
        }

    body = template(
        {
            "Template": launch_template(
                aws,
                BlockDeviceMappings=[volume("Root", "/dev/xvda"), volume("Data", "/dev/xvdcz")],
            )
        },
        parameters={"Sized": {"Type": "String"}},
        conditions={
            "Root": {"Fn::Equals": [{"Ref": "Sized"}, "root"]},
            "Data": {"Fn::Equals": [{"Ref": "Sized"}, "data"]},
        },
    )

    stack = create(aws, body, [("Sized", "data")])

    template_id = physical_ids(aws, stack)["Template"]
    versions = aws.ec2.describe_launch_template_versions(LaunchTemplateId=template_id)
    assert versions["LaunchTemplateVersions"][0]["LaunchTemplateData"]["BlockDeviceMappings"] == [
        {"DeviceName": "/dev/xvdcz", "Ebs": {"VolumeSize": 40}}
    ]
    # An instance launched from the template gets the one volume the template kept.
    [instance] = aws.ec2.run_instances(
        LaunchTemplate={"LaunchTemplateId": template_id}, MinCount=1, MaxCount=1
    )["Instances"]
    volumes = aws.ec2.describe_volumes(
        Filters=[{"Name": "attachment.instance-id", "Values": [instance["InstanceId"]]}]
    )["Volumes"]
    assert ("/dev/xvdcz", 40) in {(v["Attachments"][0]["Device"], v["Size"]) for v in volumes}


def test_a_resource_whose_condition_is_false_is_no_part_of_the_stack(aws):
    body = template(
        {
            "Vpc": {
                "Condition": "CreateNewVpc",
                "Type": "AWS::EC2::VPC",
                "Properties": {"CidrBlock": "10.0.0.0/16"},
            },
            "Group": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {
                    "GroupDescription": "ECS Allowed Ports",
                    "VpcId": {"Fn::If": ["CreateNewVpc", {"Ref": "Vpc"}, {"Ref": "VpcId"}]},
                },
            },
        },
        parameters={"VpcId": {"Type": "String", "Default": ""}},
        conditions={"CreateNewVpc": {"Fn::Equals": [{"Ref": "VpcId"}, ""]}},
        outputs={"VpcId": {"Condition": "CreateNewVpc", "Value": {"Ref": "Vpc"}}},
    )
    vpc_id, _ = two_zone_vpc(aws)

    stack = create(aws, body, [("VpcId", vpc_id)])

    assert list(physical_ids(aws, stack)) == ["Group"]
    listed = aws.cloudformation.list_stack_resources(StackName=stack["StackId"])
    assert [r["LogicalResourceId"] for r in listed["StackResourceSummaries"]] == ["Group"]
    events = aws.cloudformation.describe_stack_events(StackName=stack["StackId"])["StackEvents"]
    assert "Vpc" not in {event["LogicalResourceId"] for event in events}
    assert "Outputs" not in stack
    assert len(aws.ec2.describe_vpcs()["Vpcs"]) == 2  # the default VPC and the test's own


def test_list_parameters_read_back_as_given_and_survive_use_previous_value(aws):
    vpc_id, subnets = two_zone_vpc(aws)
    body = template(
        {"Group": security_group(vpc_id, {"Fn::Join": [" ", {"Ref": "Types"}]})},
        parameters={
            "Types": {"Type": "CommaDelimitedList"},
            "Subnets": {"Type": "List<AWS::EC2::Subnet::Id>"},
            "Size": {"Type": "Number"},
            "Note": {"Type": "String", "Default": "kept"},
        },
    )
    given = [("Types", "t3.micro,t3a.micro"), ("Subnets", ",".join(subnets)), ("Size", "1")]

    stack = create(aws, body, given)

    shown = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert shown == {**dict(given), "Note": "kept"}
    aws.cloudformation.update_stack(
        StackName=stack["StackId"],
        UsePreviousTemplate=True,
        Parameters=[
            {"ParameterKey": "Types", "UsePreviousValue": True},
            {"ParameterKey": "Subnets", "UsePreviousValue": True},
            {"ParameterKey": "Note", "UsePreviousValue": True},
            {"ParameterKey": "Size", "ParameterValue": "3"},
        ],
    )
    updated = aws.cloudformation.describe_stacks(StackName=stack["StackId"])["Stacks"][0]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in updated["Parameters"]} == {
        **dict(given),
        "Size": "3",
        "Note": "kept",
    }


def test_an_executed_change_set_gives_the_stack_its_parameters(aws):
    # AWS: ExecuteChangeSet updates the stack "using the input information that was provided
    # when the specified change set was created" (CloudFormation API reference); DescribeStacks
    # then shows the change set's parameters.
    vpc_id, _ = two_zone_vpc(aws)
    body = template(
        {"Group": security_group(vpc_id, {"Fn::Join": [" ", [{"Ref": "Name"}, {"Ref": "Size"}]]})},
        parameters={"Name": {"Type": "String", "Default": "first"}, "Size": {"Type": "Number"}},
    )
    stack = create(aws, body, [("Size", "1")])

    aws.cloudformation.create_change_set(
        StackName=stack["StackName"],
        ChangeSetName="bigger",
        UsePreviousTemplate=True,
        ChangeSetType="UPDATE",
        Parameters=[
            {"ParameterKey": "Name", "ParameterValue": "second"},
            {"ParameterKey": "Size", "ParameterValue": "2"},
        ],
    )
    aws.cloudformation.execute_change_set(ChangeSetName="bigger", StackName=stack["StackName"])

    updated = aws.cloudformation.describe_stacks(StackName=stack["StackId"])["Stacks"][0]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in updated["Parameters"]} == {
        "Name": "second",
        "Size": "2",
    }


def test_a_list_parameters_default_is_a_list_as_a_given_value_is(aws):
    vpc_id, _ = two_zone_vpc(aws)
    body = template(
        {"Group": security_group(vpc_id, {"Fn::Select": [1, {"Ref": "Types"}]})},
        parameters={"Types": {"Type": "CommaDelimitedList", "Default": "t3.micro,t3a.micro"}},
    )

    stack = create(aws, body)

    group = aws.ec2.describe_security_groups(GroupIds=[physical_ids(aws, stack)["Group"]])
    assert group["SecurityGroups"][0]["Description"] == "t3a.micro"
    assert stack["Parameters"] == [
        {"ParameterKey": "Types", "ParameterValue": "t3.micro,t3a.micro"}
    ]


def test_the_stacks_tags_and_cloudformations_reach_the_group_and_its_instances(aws):
    _, subnets = two_zone_vpc(aws)
    body = template(
        {
            "Template": launch_template(aws, InstanceType="t2.micro"),
            "Group": {
                "Type": "AWS::AutoScaling::AutoScalingGroup",
                "Properties": {
                    "LaunchTemplate": {
                        "LaunchTemplateId": {"Ref": "Template"},
                        "Version": {"Fn::GetAtt": ["Template", "LatestVersionNumber"]},
                    },
                    "MinSize": "0",
                    "MaxSize": "1",
                    "DesiredCapacity": "1",
                    "VPCZoneIdentifier": subnets,
                    "Tags": [{"Key": "Name", "Value": "host", "PropagateAtLaunch": True}],
                },
            },
        }
    )

    stack = create(aws, body, tags=[("team", "lab"), ("Name", "from the stack")])

    group = aws.autoscaling.describe_auto_scaling_groups(
        AutoScalingGroupNames=[physical_ids(aws, stack)["Group"]]
    )["AutoScalingGroups"][0]
    expected = {
        "Name": "host",  # the template's own tag wins over the stack's of the same key
        "team": "lab",
        "aws:cloudformation:stack-name": "conditions",
        "aws:cloudformation:stack-id": stack["StackId"],
        "aws:cloudformation:logical-id": "Group",
    }
    assert {t["Key"]: t["Value"] for t in group["Tags"]} == expected
    assert all(t["PropagateAtLaunch"] for t in group["Tags"])
    [instance] = aws.ec2.describe_instances(InstanceIds=[group["Instances"][0]["InstanceId"]])[
        "Reservations"
    ][0]["Instances"]
    assert expected.items() <= {t["Key"]: t["Value"] for t in instance["Tags"]}.items()


def test_the_moto_names_the_local_cloud_patches_keep_their_signatures():
    localcloud.install()
    assert list(inspect.signature(parsing.clean_json).parameters) == [
        "resource_json",
        "resources_map",
    ]
    for name in ("__getitem__", "__iter__", "__len__", "load_conditions", "load_parameters"):
        assert hasattr(ResourceMap, name)
    assert "lazy_condition_map" in inspect.getsource(ResourceMap.load_conditions)
    assert "resolved_parameters" in inspect.getsource(ResourceMap.load_parameters)
    assert "self.input_parameters = parameters" in inspect.getsource(ResourceMap.update)
    assert isinstance(inspect.getattr_static(Stack, "parameter_list"), property)
    assert list(
        inspect.signature(CloudFormationBackend._resolve_update_parameters).parameters
    ) == ["self", "instance", "incoming_params"]
    original = FakeAutoScalingGroup._localcloud_original_create_from_cloudformation_json
    assert list(inspect.signature(original.__func__).parameters) == [
        "cls",
        "resource_name",
        "cloudformation_json",
        "account_id",
        "region_name",
        "kwargs",
    ]
