"""One stack template for every cluster: each choice is a parameter, and what AWS ends up holding
follows from the parameters alone. Each test creates the stack in the local cloud and reads
back what CloudFormation made, as a person would find it in the account."""

import base64
import json
from dataclasses import replace
from types import SimpleNamespace

import boto3
import pytest

from clusters import plan
from clusters.configuration import (
    AmiFamily,
    ClusterConfiguration,
    IngressRule,
    Network,
    NewVpc,
    PublicIp,
    Spot,
    SpotAllocationStrategy,
    Tag,
)
from clusters.stack_template import (
    MAX_TEMPLATE_BODY_BYTES,
    build_template,
    stack_parameters,
    template_body,
)
from tests.conftest import REGION
from tests.lab import lab_configuration

NAME = "demo-cluster"
LAB_CONFIG = lab_configuration()
VPC_RESOURCES = {
    "Vpc",
    "PubSubnetAz1",
    "PubSubnetAz2",
    "InternetGateway",
    "AttachGateway",
    "RouteViaIgw",
    "PublicRouteViaIgw",
    "PubSubnet1RouteTableAssociation",
    "PubSubnet2RouteTableAssociation",
}
INSTANCE_RESOURCES = {"EcsSecurityGroup", "EcsInstanceLaunchTemplate", "EcsInstanceAsg"}
WINDOWS_2019 = "/aws/service/ami-windows-latest/Windows_Server-2019-English-Full-ECS_Optimized"


def with_network(config=LAB_CONFIG, **changes):
    return replace(config, network=replace(config.network, **changes))


def with_instances(config=LAB_CONFIG, **changes):
    return replace(config, instances=replace(config.instances, **changes))


def existing_network(config=LAB_CONFIG, **changes):
    """The region's default VPC and two of its subnets, as the wizard offers them."""
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])
    subnet_ids = tuple(sorted(s["SubnetId"] for s in subnets["Subnets"])[:2])
    return with_network(
        config, new_vpc=None, vpc_id=vpc["VpcId"], subnet_ids=subnet_ids, **changes
    )


def default_security_group(vpc_id):
    groups = boto3.client("ec2", region_name=REGION).describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )
    return groups["SecurityGroups"][0]["GroupId"]


def ami(name="/aws/service/ecs/optimized-ami/amazon-linux-2/recommended"):
    ssm = boto3.client("ssm", region_name=REGION)
    return json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])["image_id"]


def created(config, name=NAME):
    """Create the cluster's stack as provisioning does and read back what AWS made of it."""
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    ec2 = boto3.client("ec2", region_name=REGION)
    stack_id = plan.create_stack(name, config, "token").make(cloudformation)["StackId"]
    stack = cloudformation.describe_stacks(StackName=stack_id)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    resources = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cloudformation.describe_stack_resources(StackName=stack_id)["StackResources"]
    }
    made = SimpleNamespace(
        stack=stack,
        parameters={p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]},
        outputs={o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
        resources=resources,
        launch_template=None,
        group=None,
        instances=[],
    )
    if "EcsInstanceLaunchTemplate" in resources:
        data = ec2.describe_launch_template_versions(
            LaunchTemplateId=resources["EcsInstanceLaunchTemplate"]
        )["LaunchTemplateVersions"][0]["LaunchTemplateData"]
        data["UserData"] = base64.b64decode(data["UserData"]).decode()
        made.launch_template = data
    if "EcsInstanceAsg" in resources:
        made.group = boto3.client("autoscaling", region_name=REGION).describe_auto_scaling_groups(
            AutoScalingGroupNames=[resources["EcsInstanceAsg"]]
        )["AutoScalingGroups"][0]
        ids = [instance["InstanceId"] for instance in made.group["Instances"]]
        if ids:
            made.instances = [
                instance
                for reservation in ec2.describe_instances(InstanceIds=ids)["Reservations"]
                for instance in reservation["Instances"]
            ]
    return made


def tags(tagged):
    return {tag["Key"]: tag["Value"] for tag in tagged["Tags"]}


def test_every_cluster_gets_the_same_template_and_only_its_parameters_differ(aws):
    linux = with_instances(with_network(LAB_CONFIG), key_name="lab-key")
    other = existing_network(
        with_instances(
            LAB_CONFIG,
            ami_family=AmiFamily.WINDOWS,
            volume_size=50,
            instance_types=("t3.large", "m5.large"),
            spot=Spot(SpotAllocationStrategy.LOWEST_PRICE, "0.1"),
        ),
        security_group_id="sg-12345678",
        ingress=None,
        public_ip=PublicIp.DISABLED,
    )

    sent = [plan.create_stack(NAME, config, "token").arguments for config in (linux, other)]

    assert sent[0]["TemplateBody"] == sent[1]["TemplateBody"] == template_body()
    assert sent[0]["Parameters"] != sent[1]["Parameters"]
    assert json.loads(template_body()) == build_template()


def test_the_template_fits_in_a_create_stack_request():
    # CreateStack's TemplateBody: "Maximum length of 51,200 bytes" (CloudFormation API reference).
    assert len(template_body().encode()) <= MAX_TEMPLATE_BODY_BYTES


def test_every_parameter_is_given_as_the_string_cloudformation_takes():
    declared = set(build_template()["Parameters"])

    for config in (LAB_CONFIG, ClusterConfiguration(network=Network(new_vpc=NewVpc()))):
        given = stack_parameters(NAME, config)
        assert {p["ParameterKey"] for p in given} == declared
        assert all(isinstance(p["ParameterValue"], str) for p in given)


def test_a_new_vpc_makes_the_console_network_security_group_launch_template_and_group(
    lab_stack_config,
):
    made = created(lab_stack_config)

    assert set(made.resources) == VPC_RESOURCES | INSTANCE_RESOURCES
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.describe_vpcs(VpcIds=[made.resources["Vpc"]])["Vpcs"][0]
    assert vpc["CidrBlock"] == "10.0.0.0/16"
    subnets = ec2.describe_subnets(
        SubnetIds=[made.resources["PubSubnetAz1"], made.resources["PubSubnetAz2"]]
    )["Subnets"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    assert sorted((s["CidrBlock"], s["AvailabilityZone"]) for s in subnets) == [
        ("10.0.0.0/24", zones[0]),
        ("10.0.1.0/24", zones[1]),
    ]
    assert sorted(made.group["VPCZoneIdentifier"].split(",")) == sorted(
        s["SubnetId"] for s in subnets
    )
    assert made.parameters["VpcId"] == "" and made.parameters["VpcCidr"] == "10.0.0.0/16"


def test_an_existing_vpc_makes_no_network_and_places_the_group_in_the_chosen_subnets(
    lab_stack_config,
):
    config = existing_network(lab_stack_config)

    made = created(config)

    assert set(made.resources) == INSTANCE_RESOURCES
    assert made.group["VPCZoneIdentifier"] == ",".join(config.network.subnet_ids)
    assert made.parameters["SubnetIds"] == ",".join(config.network.subnet_ids)
    group = boto3.client("ec2", region_name=REGION).describe_security_groups(
        GroupIds=[made.resources["EcsSecurityGroup"]]
    )["SecurityGroups"][0]
    assert group["VpcId"] == config.network.vpc_id
    events = boto3.client("cloudformation", region_name=REGION).describe_stack_events(
        StackName=made.stack["StackId"]
    )["StackEvents"]
    # A resource whose condition is false is no part of the stack: no event names it.
    assert not VPC_RESOURCES & {event["LogicalResourceId"] for event in events}


def test_an_existing_security_group_is_used_and_none_is_made(lab_stack_config):
    config = existing_network(lab_stack_config, ingress=None)
    config = with_network(config, security_group_id=default_security_group(config.network.vpc_id))

    made = created(config)

    assert "EcsSecurityGroup" not in made.resources
    assert made.launch_template["SecurityGroupIds"] == [config.network.security_group_id]
    assert made.instances[0]["SecurityGroups"][0]["GroupId"] == config.network.security_group_id


def test_the_new_security_group_opens_the_port_range_from_the_form(lab_stack_config):
    made = created(with_network(lab_stack_config, ingress=IngressRule("0.0.0.0/0", 8000, 8080)))

    group = boto3.client("ec2", region_name=REGION).describe_security_groups(
        GroupIds=[made.resources["EcsSecurityGroup"]]
    )["SecurityGroups"][0]
    assert group["Description"] == "ECS Allowed Ports"
    assert [
        (rule["IpProtocol"], rule["FromPort"], rule["ToPort"], rule["IpRanges"])
        for rule in group["IpPermissions"]
    ] == [("tcp", 8000, 8080, [{"CidrIp": "0.0.0.0/0"}])]


def test_the_user_data_is_the_classic_consoles_byte_for_byte(lab_stack_config):
    made = created(lab_stack_config)

    # aws-facts §5: decoded from a real console launch configuration.
    assert made.launch_template["UserData"] == (
        "#!/bin/bash\necho ECS_CLUSTER=demo-cluster >> /etc/ecs/ecs.config;"
        "echo ECS_BACKEND_HOST= >> /etc/ecs/ecs.config;"
    )


def test_the_launch_template_carries_the_ami_type_profile_and_root_volume(lab_stack_config):
    made = created(lab_stack_config)

    data = made.launch_template
    assert data["ImageId"] == lab_stack_config.instances.ami_id
    assert data["InstanceType"] == "t2.micro"
    assert data["IamInstanceProfile"] == {"Name": "ecsInstanceRole"}
    assert data["BlockDeviceMappings"] == [
        {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 30, "VolumeType": "gp2"}}
    ]
    assert data["Monitoring"] == {"Enabled": True}
    assert "KeyName" not in data
    assert "CreditSpecification" not in data
    assert "NetworkInterfaces" not in data
    volumes = boto3.client("ec2", region_name=REGION).describe_volumes(
        Filters=[{"Name": "attachment.instance-id", "Values": [made.instances[0]["InstanceId"]]}]
    )["Volumes"]
    assert [(v["Attachments"][0]["Device"], v["Size"]) for v in volumes] == [("/dev/xvda", 30)]


def test_amazon_linux_1_sizes_the_docker_data_volume_instead_of_the_root(lab_stack_config):
    config = with_instances(
        lab_stack_config,
        ami_id=ami("/aws/service/ecs/optimized-ami/amazon-linux/recommended"),
        ami_family=AmiFamily.AMAZON_LINUX,
        volume_size=40,
    )

    made = created(config)

    assert made.launch_template["BlockDeviceMappings"] == [
        {"DeviceName": "/dev/xvdcz", "Ebs": {"VolumeSize": 40, "VolumeType": "gp2"}}
    ]
    assert made.parameters["ConfigureRootVolume"] == "false"


def test_a_key_pair_is_set_only_when_chosen(lab_stack_config):
    boto3.client("ec2", region_name=REGION).create_key_pair(KeyName="lab-key")

    made = created(with_instances(lab_stack_config, key_name="lab-key"))

    assert made.launch_template["KeyName"] == "lab-key"
    assert made.instances[0]["KeyName"] == "lab-key"


def test_t2_unlimited_sets_the_credit_specification(lab_stack_config):
    made = created(with_instances(lab_stack_config, t2_unlimited=True))

    assert made.launch_template["CreditSpecification"] == {"CpuCredits": "unlimited"}


@pytest.mark.parametrize("choice, expected", [(PublicIp.ENABLED, True), (PublicIp.DISABLED, False)])
def test_an_explicit_public_ip_choice_moves_the_security_group_onto_the_interface(
    lab_stack_config, choice, expected
):
    made = created(with_network(lab_stack_config, public_ip=choice))

    data = made.launch_template
    assert "SecurityGroupIds" not in data
    assert data["NetworkInterfaces"] == [
        {
            "AssociatePublicIpAddress": expected,
            "DeviceIndex": 0,
            "Groups": [made.resources["EcsSecurityGroup"]],
        }
    ]
    assert bool(made.instances[0].get("PublicIpAddress")) is expected


def test_the_auto_scaling_group_keeps_the_number_of_instances_as_max_and_desired(
    lab_stack_config,
):
    made = created(with_instances(lab_stack_config, count=2))

    assert made.parameters["AsgMaxSize"] == "2"
    group = made.group
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (0, 2, 2)
    assert len(made.instances) == 2
    assert tags(made.group)["Name"] == "ECS Instance - EC2ContainerService-demo-cluster"
    assert tags(made.group)["Description"] == (
        "This instance is the part of the Auto Scaling group which was created through ECS Console"
    )


def test_the_stack_says_it_was_made_by_the_console(lab_stack_config):
    made = created(lab_stack_config)

    assert made.outputs == {
        "EcsInstanceAsgName": made.resources["EcsInstanceAsg"],
        "UsedByECSCreateCluster": "true",
        "TemplateVersion": "2.0.0",
    }


def test_the_clusters_tags_are_the_stacks_and_reach_the_group_and_its_instances(
    lab_stack_config,
):
    made = created(replace(lab_stack_config, tags=(Tag("team", "platform"),)))

    assert made.stack["Tags"] == [
        {"Key": "team", "Value": "platform"},
        {"Key": "ecs-console:made-by", "Value": "ECS Console"},
    ]
    assert tags(made.group)["team"] == "platform"
    assert tags(made.instances[0])["team"] == "platform"
    # ECS Console's own tag reaches what the stack made too: a Reset finds its instances by it.
    assert tags(made.instances[0])["ecs-console:made-by"] == "ECS Console"
    assert tags(made.instances[0])["Name"] == "ECS Instance - EC2ContainerService-demo-cluster"


def test_a_networking_only_vpc_makes_the_vpc_resources_and_nothing_else(aws):
    config = ClusterConfiguration(network=Network(new_vpc=NewVpc()))

    made = created(config, name="fargate")

    assert set(made.resources) == VPC_RESOURCES
    assert "EcsInstanceAsgName" not in made.outputs
    assert made.parameters["EcsAmiId"] == ""


def test_windows_instances_get_powershell_user_data_and_their_volume_on_sda1(
    lab_stack_config,
):
    config = with_instances(
        lab_stack_config, ami_id=ami(WINDOWS_2019), ami_family=AmiFamily.WINDOWS, volume_size=50,
        instance_types=("t3.large",),
    )

    made = created(config)

    assert made.launch_template["UserData"] == (
        "<powershell>Import-Module ECSTools; "
        "Initialize-ECSAgent -Cluster 'demo-cluster' -EnableTaskIAMRole</powershell>"
    )
    assert made.launch_template["BlockDeviceMappings"] == [
        {"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 50, "VolumeType": "gp2"}}
    ]
    assert made.parameters["IsWindows"] == "true"
