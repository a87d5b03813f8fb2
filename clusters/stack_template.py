"""The CloudFormation template of the stack EC2ContainerService-<name>, built from a configuration.

A pure function of the cleaned wizard configuration, like the console's own template (its
"TemplateVersion 2.0.0"), with a launch template where the old console had a launch
configuration: AWS accounts created since October 2024 cannot create launch configurations.
"""

import json
from enum import StrEnum

from .configuration import PublicIp, SpotAllocationStrategy

TEMPLATE_VERSION = "2.0.0"
ECS_INSTANCE_ROLE_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
# What lets the host's SSM Agent talk to Systems Manager, so Run Command reaches it.
SSM_MANAGED_INSTANCE_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
STACK_NAME_PREFIX = "EC2ContainerService-"
# The parameter that holds the desired number of instances: Scale changes only this one.
DESIRED_COUNT_PARAMETER = "AsgMaxSize"
# The output that marks a stack as made by the Create Cluster wizard, and the one naming its group.
MADE_BY_CONSOLE_OUTPUT = "UsedByECSCreateCluster"
ASG_NAME_OUTPUT = "EcsInstanceAsgName"


def stack_name_for(cluster_name):
    return f"{STACK_NAME_PREFIX}{cluster_name}"


class LogicalId(StrEnum):
    """The stack's resources, by the logical ids of the console's own template."""

    VPC = "Vpc"
    SUBNET_1 = "PubSubnetAz1"
    SUBNET_2 = "PubSubnetAz2"
    INTERNET_GATEWAY = "InternetGateway"
    GATEWAY_ATTACHMENT = "AttachGateway"
    ROUTE_TABLE = "RouteViaIgw"
    ROUTE = "PublicRouteViaIgw"
    SUBNET_1_ROUTE_TABLE_ASSOCIATION = "PubSubnet1RouteTableAssociation"
    SUBNET_2_ROUTE_TABLE_ASSOCIATION = "PubSubnet2RouteTableAssociation"
    SECURITY_GROUP = "EcsSecurityGroup"
    LAUNCH_TEMPLATE = "EcsInstanceLaunchTemplate"
    AUTO_SCALING_GROUP = "EcsInstanceAsg"


# Spot runs in the same Auto Scaling group as On-Demand, with a mixed instances policy, rather
# than in an AWS::EC2::SpotFleet as the 2019 console did: one kind of group to scale (AsgMaxSize)
# and delete, Auto Scaling's rebalancing and zone balancing, no ecsSpotFleetRole to create, and
# AWS recommends Auto Scaling groups over Spot Fleet for new work. The console's two allocation
# strategies map onto the group's: Lowest Price takes the cheapest pool, and Diversified's aim
# (not losing every instance at once) is what price-capacity-optimized, AWS's recommended
# strategy, does by choosing the pools least likely to be interrupted.
SPOT_ALLOCATION_STRATEGIES = {
    SpotAllocationStrategy.LOWEST_PRICE: "lowest-price",
    SpotAllocationStrategy.DIVERSIFIED: "price-capacity-optimized",
}


def linux_user_data(cluster_name):
    """The console's own user data, byte for byte as a console launch configuration held it."""
    return (
        f"#!/bin/bash\necho ECS_CLUSTER={cluster_name} >> /etc/ecs/ecs.config;"
        "echo ECS_BACKEND_HOST= >> /etc/ecs/ecs.config;"
    )


def windows_user_data(cluster_name):
    return (
        "<powershell>Import-Module ECSTools; "
        f"Initialize-ECSAgent -Cluster '{cluster_name}' -EnableTaskIAMRole</powershell>"
    )


def user_data(cluster_name, instances):
    if instances.ami_family.is_windows:
        return windows_user_data(cluster_name)
    return linux_user_data(cluster_name)


def stack_parameters(cluster_name, configuration):
    """The stack's parameters: what scaling changes later, and what identifies the stack."""
    parameters = {"EcsClusterName": cluster_name}
    instances = configuration.instances
    if instances:
        parameters.update(
            EcsAmiId=instances.ami_id,
            EcsInstanceType=instances.instance_type,
            **{DESIRED_COUNT_PARAMETER: str(instances.count)},
        )
    return [{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()]


def build_template(cluster_name, configuration):
    """The template for a configuration: VPC resources only for a new VPC, a security group
    only for a new one, instances only for EC2 templates."""
    parameters = {
        "EcsClusterName": {"Type": "String", "Description": "The ECS cluster the instances join"}
    }
    resources = {}
    outputs = {
        MADE_BY_CONSOLE_OUTPUT: {"Value": "true"},
        "TemplateVersion": {"Value": TEMPLATE_VERSION},
    }
    network, instances = configuration.network, configuration.instances
    if network and network.creates_vpc:
        resources.update(_vpc_resources(network.new_vpc))
    if instances:
        parameters.update(
            EcsAmiId={"Type": "String", "Description": "ECS-optimized AMI id"},
            EcsInstanceType={"Type": "String", "Description": "EC2 instance type"},
            **{
                DESIRED_COUNT_PARAMETER: {
                    "Type": "Number",
                    "Description": "Number of instances",
                    "MinValue": 0,
                }
            },
        )
        if network.creates_security_group:
            resources[LogicalId.SECURITY_GROUP] = _security_group(network)
        resources[LogicalId.LAUNCH_TEMPLATE] = _launch_template(cluster_name, instances, network)
        resources[LogicalId.AUTO_SCALING_GROUP] = _auto_scaling_group(
            cluster_name, configuration
        )
        outputs[ASG_NAME_OUTPUT] = {"Value": {"Ref": LogicalId.AUTO_SCALING_GROUP}}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "AWS CloudFormation template to create resources required to run tasks "
        "on an ECS cluster.",
        "Parameters": parameters,
        "Resources": resources,
        "Outputs": outputs,
    }


def template_body(cluster_name, configuration):
    return json.dumps(build_template(cluster_name, configuration), indent=2, sort_keys=True)


def _ref(logical_id):
    return {"Ref": logical_id}


def _vpc_resources(new_vpc):
    def subnet(index, cidr):
        return {
            "Type": "AWS::EC2::Subnet",
            "Properties": {
                "VpcId": _ref(LogicalId.VPC),
                "CidrBlock": cidr,
                # "" is the stack's own region: the form of Fn::GetAZs CloudFormation documents.
                "AvailabilityZone": {"Fn::Select": [index, {"Fn::GetAZs": ""}]},
                "MapPublicIpOnLaunch": True,
            },
        }

    def association(subnet_id):
        return {
            "Type": "AWS::EC2::SubnetRouteTableAssociation",
            "Properties": {"SubnetId": _ref(subnet_id), "RouteTableId": _ref(LogicalId.ROUTE_TABLE)},
        }

    return {
        LogicalId.VPC: {
            "Type": "AWS::EC2::VPC",
            "Properties": {
                "CidrBlock": new_vpc.cidr,
                "EnableDnsSupport": True,
                "EnableDnsHostnames": True,
            },
        },
        LogicalId.SUBNET_1: subnet(0, new_vpc.subnet1_cidr),
        LogicalId.SUBNET_2: subnet(1, new_vpc.subnet2_cidr),
        LogicalId.INTERNET_GATEWAY: {"Type": "AWS::EC2::InternetGateway"},
        LogicalId.GATEWAY_ATTACHMENT: {
            "Type": "AWS::EC2::VPCGatewayAttachment",
            "Properties": {
                "VpcId": _ref(LogicalId.VPC),
                "InternetGatewayId": _ref(LogicalId.INTERNET_GATEWAY),
            },
        },
        LogicalId.ROUTE_TABLE: {
            "Type": "AWS::EC2::RouteTable",
            "Properties": {"VpcId": _ref(LogicalId.VPC)},
        },
        LogicalId.ROUTE: {
            "Type": "AWS::EC2::Route",
            "DependsOn": LogicalId.GATEWAY_ATTACHMENT,
            "Properties": {
                "RouteTableId": _ref(LogicalId.ROUTE_TABLE),
                "DestinationCidrBlock": "0.0.0.0/0",
                "GatewayId": _ref(LogicalId.INTERNET_GATEWAY),
            },
        },
        LogicalId.SUBNET_1_ROUTE_TABLE_ASSOCIATION: association(LogicalId.SUBNET_1),
        LogicalId.SUBNET_2_ROUTE_TABLE_ASSOCIATION: association(LogicalId.SUBNET_2),
    }


def _vpc_id(network):
    return _ref(LogicalId.VPC) if network.creates_vpc else network.vpc_id


def _subnet_ids(network):
    if network.creates_vpc:
        return [_ref(LogicalId.SUBNET_1), _ref(LogicalId.SUBNET_2)]
    return list(network.subnet_ids)


def _security_group_ids(network):
    if network.creates_security_group:
        return [_ref(LogicalId.SECURITY_GROUP)]
    return [network.security_group_id]


def _security_group(network):
    rule = network.ingress
    return {
        "Type": "AWS::EC2::SecurityGroup",
        "Properties": {
            "GroupDescription": "ECS Allowed Ports",
            "VpcId": _vpc_id(network),
            "SecurityGroupIngress": [
                {
                    "IpProtocol": "tcp",
                    "FromPort": rule.from_port,
                    "ToPort": rule.to_port,
                    "CidrIp": rule.cidr,
                }
            ],
        },
    }


def _launch_template(cluster_name, instances, network):
    data = {
        "ImageId": _ref("EcsAmiId"),
        "InstanceType": _ref("EcsInstanceType"),
        "IamInstanceProfile": {"Name": instances.instance_role},
        "BlockDeviceMappings": [
            {
                "DeviceName": instances.ami_family.volume_device,
                "Ebs": {"VolumeSize": instances.volume_size, "VolumeType": "gp2"},
            }
        ],
        "Monitoring": {"Enabled": True},
        "UserData": {"Fn::Base64": user_data(cluster_name, instances)},
    }
    if instances.key_name:
        data["KeyName"] = instances.key_name
    if network.public_ip is PublicIp.SUBNET:
        data["SecurityGroupIds"] = _security_group_ids(network)
    else:
        # Choosing the public IP needs an explicit network interface, which then carries the
        # security groups (EC2 refuses both places at once).
        data["NetworkInterfaces"] = [
            {
                "DeviceIndex": 0,
                "AssociatePublicIpAddress": network.public_ip is PublicIp.ENABLED,
                "Groups": _security_group_ids(network),
            }
        ]
    if instances.t2_unlimited:
        data["CreditSpecification"] = {"CpuCredits": "unlimited"}
    return {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": data}}


def _auto_scaling_group(cluster_name, configuration):
    instances, network = configuration.instances, configuration.network
    launch_template = {
        "LaunchTemplateId": _ref(LogicalId.LAUNCH_TEMPLATE),
        "Version": {"Fn::GetAtt": [LogicalId.LAUNCH_TEMPLATE, "LatestVersionNumber"]},
    }
    properties = {
        "VPCZoneIdentifier": _subnet_ids(network),
        "MinSize": "0",
        "MaxSize": _ref(DESIRED_COUNT_PARAMETER),
        "DesiredCapacity": _ref(DESIRED_COUNT_PARAMETER),
        "Tags": [
            {
                "Key": "Name",
                "Value": f"ECS Instance - {stack_name_for(cluster_name)}",
                "PropagateAtLaunch": True,
            },
            {
                "Key": "Description",
                "Value": "This instance is the part of the Auto Scaling group which was "
                "created through ECS Console",
                "PropagateAtLaunch": True,
            },
        ]
        + [
            {"Key": tag.key, "Value": tag.value, "PropagateAtLaunch": True}
            for tag in configuration.tags
        ],
    }
    if instances.spot:
        properties["MixedInstancesPolicy"] = _mixed_instances_policy(instances, launch_template)
    else:
        properties["LaunchTemplate"] = launch_template
    return {"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": properties}


def _mixed_instances_policy(instances, launch_template):
    """Every instance Spot, of any of the chosen types."""
    strategy = SPOT_ALLOCATION_STRATEGIES[instances.spot.allocation_strategy]
    distribution = {
        "OnDemandBaseCapacity": 0,
        "OnDemandPercentageAboveBaseCapacity": 0,
        "SpotAllocationStrategy": strategy,
    }
    if strategy == "lowest-price":
        # The Spot Fleet's lowestPrice drew from the single cheapest pool.
        distribution["SpotInstancePools"] = 1
    if instances.spot.max_price:
        distribution["SpotMaxPrice"] = instances.spot.max_price
    return {
        "LaunchTemplate": {
            "LaunchTemplateSpecification": launch_template,
            "Overrides": [{"InstanceType": name} for name in instances.instance_types],
        },
        "InstancesDistribution": distribution,
    }
