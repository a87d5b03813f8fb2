"""The stack template is a pure function of the wizard's configuration."""

import json

import pytest

from dataclasses import replace

from clusters.configuration import (
    AmiFamily,
    ClusterConfiguration,
    IngressRule,
    Network,
    NewVpc,
    PublicIp,
    Tag,
)
from clusters.stack_template import build_template, stack_parameters, template_body
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


def with_network(config=LAB_CONFIG, **changes):
    return replace(config, network=replace(config.network, **changes))


def with_instances(config=LAB_CONFIG, **changes):
    return replace(config, instances=replace(config.instances, **changes))


def existing_network(**changes):
    return with_network(
        new_vpc=None, vpc_id="vpc-11112222", subnet_ids=("subnet-aaa", "subnet-bbb"), **changes
    )


def launch_template_data(config):
    return build_template(NAME, config)["Resources"]["EcsInstanceLaunchTemplate"]["Properties"][
        "LaunchTemplateData"
    ]


def test_a_new_vpc_makes_the_console_network_security_group_launch_template_and_group():
    resources = build_template(NAME, LAB_CONFIG)["Resources"]

    assert set(resources) == VPC_RESOURCES | {
        "EcsSecurityGroup",
        "EcsInstanceLaunchTemplate",
        "EcsInstanceAsg",
    }
    assert resources["Vpc"]["Properties"]["CidrBlock"] == "10.0.0.0/16"
    assert resources["PubSubnetAz1"]["Properties"]["CidrBlock"] == "10.0.0.0/24"
    assert resources["PubSubnetAz2"]["Properties"]["CidrBlock"] == "10.0.1.0/24"
    assert resources["PubSubnetAz2"]["Properties"]["AvailabilityZone"] == {
        "Fn::Select": [1, {"Fn::GetAZs": ""}]
    }


def test_an_existing_vpc_makes_no_network_and_places_the_group_in_the_chosen_subnets():
    resources = build_template(NAME, existing_network())["Resources"]

    assert not VPC_RESOURCES & set(resources)
    group = resources["EcsInstanceAsg"]["Properties"]
    assert group["VPCZoneIdentifier"] == ["subnet-aaa", "subnet-bbb"]
    assert resources["EcsSecurityGroup"]["Properties"]["VpcId"] == "vpc-11112222"


def test_an_existing_security_group_is_used_and_none_is_made():
    config = existing_network(security_group_id="sg-12345678", ingress=None)
    resources = build_template(NAME, config)["Resources"]

    assert "EcsSecurityGroup" not in resources
    assert launch_template_data(config)["SecurityGroupIds"] == ["sg-12345678"]


def test_the_new_security_group_opens_the_port_range_from_the_form():
    config = with_network(ingress=IngressRule("0.0.0.0/0", 8000, 8080))
    group = build_template(NAME, config)["Resources"]["EcsSecurityGroup"]["Properties"]

    assert group["GroupDescription"] == "ECS Allowed Ports"
    assert group["SecurityGroupIngress"] == [
        {"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8080, "CidrIp": "0.0.0.0/0"}
    ]


def test_the_user_data_is_the_classic_consoles_byte_for_byte():
    encoded = launch_template_data(LAB_CONFIG)["UserData"]["Fn::Base64"]

    # aws-facts §5: decoded from a real console launch configuration.
    assert encoded == (
        "#!/bin/bash\necho ECS_CLUSTER=demo-cluster >> /etc/ecs/ecs.config;"
        "echo ECS_BACKEND_HOST= >> /etc/ecs/ecs.config;"
    )


def test_the_launch_template_carries_the_ami_type_profile_and_root_volume():
    data = launch_template_data(LAB_CONFIG)

    assert data["ImageId"] == {"Ref": "EcsAmiId"}
    assert data["InstanceType"] == {"Ref": "EcsInstanceType"}
    assert data["IamInstanceProfile"] == {"Name": "ecsInstanceRole"}
    assert data["BlockDeviceMappings"] == [
        {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 30, "VolumeType": "gp2"}}
    ]
    assert "KeyName" not in data
    assert "CreditSpecification" not in data


def test_amazon_linux_1_sizes_the_docker_data_volume_instead_of_the_root():
    data = launch_template_data(
        with_instances(ami_family=AmiFamily.AMAZON_LINUX, volume_size=22)
    )

    assert data["BlockDeviceMappings"][0]["DeviceName"] == "/dev/xvdcz"


def test_a_key_pair_is_set_only_when_chosen():
    assert launch_template_data(with_instances(key_name="lab-key"))["KeyName"] == "lab-key"


def test_t2_unlimited_sets_the_credit_specification():
    data = launch_template_data(with_instances(t2_unlimited=True))

    assert data["CreditSpecification"] == {"CpuCredits": "unlimited"}


@pytest.mark.parametrize("choice, expected", [(PublicIp.ENABLED, True), (PublicIp.DISABLED, False)])
def test_an_explicit_public_ip_choice_moves_the_security_group_onto_the_interface(choice, expected):
    data = launch_template_data(with_network(public_ip=choice))

    assert "SecurityGroupIds" not in data
    assert data["NetworkInterfaces"] == [
        {
            "DeviceIndex": 0,
            "AssociatePublicIpAddress": expected,
            "Groups": [{"Ref": "EcsSecurityGroup"}],
        }
    ]


def test_the_auto_scaling_group_keeps_the_number_of_instances_as_max_and_desired():
    group = build_template(NAME, LAB_CONFIG)["Resources"]["EcsInstanceAsg"]["Properties"]

    assert group["MinSize"] == "0"
    assert group["MaxSize"] == group["DesiredCapacity"] == {"Ref": "AsgMaxSize"}
    assert {"Key": "Name", "Value": "ECS Instance - EC2ContainerService-demo-cluster",
            "PropagateAtLaunch": True} in group["Tags"]
    assert {"Key": "AsgMaxSize", "Value": "1"} == {
        "Key": "AsgMaxSize",
        "Value": dict(
            (p["ParameterKey"], p["ParameterValue"]) for p in stack_parameters(NAME, LAB_CONFIG)
        )[
            "AsgMaxSize"
        ],
    }


def test_the_template_says_it_was_made_by_the_console():
    outputs = build_template(NAME, LAB_CONFIG)["Outputs"]

    assert outputs["UsedByECSCreateCluster"] == {"Value": "true"}
    assert outputs["EcsInstanceAsgName"] == {"Value": {"Ref": "EcsInstanceAsg"}}
    assert json.loads(template_body(NAME, LAB_CONFIG)) == build_template(NAME, LAB_CONFIG)


def test_the_clusters_tags_reach_the_instances_through_the_auto_scaling_group():
    config = replace(LAB_CONFIG, tags=(Tag("team", "platform"),))

    tags = build_template(NAME, config)["Resources"]["EcsInstanceAsg"]["Properties"]["Tags"]

    assert {"Key": "team", "Value": "platform", "PropagateAtLaunch": True} in tags


def test_a_networking_only_vpc_makes_the_vpc_resources_and_nothing_else():
    config = ClusterConfiguration(network=Network(new_vpc=NewVpc()))

    template = build_template("fargate", config)

    assert set(template["Resources"]) == VPC_RESOURCES
    assert "EcsInstanceAsgName" not in template["Outputs"]
    assert stack_parameters("fargate", config) == [{"ParameterKey": "EcsClusterName", "ParameterValue": "fargate"}]


def test_windows_instances_get_powershell_user_data_and_their_volume_on_sda1():
    data = launch_template_data(
        with_instances(ami_family=AmiFamily.WINDOWS, volume_size=50)
    )

    assert data["UserData"]["Fn::Base64"] == (
        "<powershell>Import-Module ECSTools; "
        "Initialize-ECSAgent -Cluster 'demo-cluster' -EnableTaskIAMRole</powershell>"
    )
    assert data["BlockDeviceMappings"] == [
        {"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 50, "VolumeType": "gp2"}}
    ]
