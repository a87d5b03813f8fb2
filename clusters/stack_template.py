"""The CloudFormation template of the stack EC2ContainerService-<name>, built from a configuration.

A pure function of the cleaned wizard configuration, like the console's own template (its
"TemplateVersion 2.0.0"), with a launch template where the old console had a launch
configuration: AWS accounts created since October 2024 cannot create launch configurations.
"""

import json

TEMPLATE_VERSION = "2.0.0"
ECS_INSTANCE_ROLE_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"

# Where each ECS-optimized AMI family keeps the volume the console lets people size.
VOLUME_DEVICES = {
    "amazon-linux-2": "/dev/xvda",
    "amazon-linux-2-arm64": "/dev/xvda",
    "amazon-linux-2-gpu": "/dev/xvda",
    "amazon-linux": "/dev/xvdcz",
    "windows": "/dev/sda1",
}


# Spot runs in the same Auto Scaling group as On-Demand, with a mixed instances policy, rather
# than in an AWS::EC2::SpotFleet as the 2019 console did: one kind of group to scale (AsgMaxSize)
# and delete, Auto Scaling's rebalancing and zone balancing, no ecsSpotFleetRole to create, and
# AWS recommends Auto Scaling groups over Spot Fleet for new work. The console's two allocation
# strategies map onto the group's: Lowest Price takes the cheapest pool, and Diversified's aim
# (not losing every instance at once) is what price-capacity-optimized, AWS's recommended
# strategy, does by choosing the pools least likely to be interrupted.
SPOT_ALLOCATION_STRATEGIES = {
    "lowestPrice": "lowest-price",
    "diversified": "price-capacity-optimized",
}


def linux_user_data(cluster_name):
    return f"#!/bin/bash\necho ECS_CLUSTER={cluster_name} >> /etc/ecs/ecs.config\n"


def windows_user_data(cluster_name):
    return (
        "<powershell>Import-Module ECSTools; "
        f"Initialize-ECSAgent -Cluster '{cluster_name}' -EnableTaskIAMRole</powershell>"
    )


def user_data(config):
    if config.get("ami_family") == "windows":
        return windows_user_data(config["cluster_name"])
    return linux_user_data(config["cluster_name"])


def creates_vpc(config):
    return config.get("vpc") == "new" or bool(config.get("create_vpc"))


def creates_security_group(config):
    return config.get("security_group") == "new"


def has_instances(config):
    return bool(config.get("instance_type"))


def uses_spot(config):
    return config.get("provisioning_model") == "spot"


def stack_parameters(config):
    """The stack's parameters: what scaling changes later, and what identifies the stack."""
    parameters = {"EcsClusterName": config["cluster_name"]}
    if has_instances(config):
        parameters.update(
            EcsAmiId=config["ami_id"],
            EcsInstanceType=config["instance_type"],
            AsgMaxSize=str(config["instance_count"]),
        )
    return [{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()]


def build_template(config):
    """The template for a configuration: VPC resources only for a new VPC, a security group
    only for a new one, instances only for EC2 templates."""
    parameters = {
        "EcsClusterName": {"Type": "String", "Description": "The ECS cluster the instances join"}
    }
    resources = {}
    outputs = {
        "UsedByECSCreateCluster": {"Value": "true"},
        "TemplateVersion": {"Value": TEMPLATE_VERSION},
    }
    if creates_vpc(config):
        resources.update(_vpc_resources(config))
    if has_instances(config):
        parameters.update(
            EcsAmiId={"Type": "String", "Description": "ECS-optimized AMI id"},
            EcsInstanceType={"Type": "String", "Description": "EC2 instance type"},
            AsgMaxSize={"Type": "Number", "Description": "Number of instances", "MinValue": 0},
        )
        if creates_security_group(config):
            resources["EcsSecurityGroup"] = _security_group(config)
        resources["EcsInstanceLaunchTemplate"] = _launch_template(config)
        resources["EcsInstanceAsg"] = _auto_scaling_group(config)
        outputs["EcsInstanceAsgName"] = {"Value": {"Ref": "EcsInstanceAsg"}}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "AWS CloudFormation template to create resources required to run tasks "
        "on an ECS cluster.",
        "Parameters": parameters,
        "Resources": resources,
        "Outputs": outputs,
    }


def template_body(config):
    return json.dumps(build_template(config), indent=2, sort_keys=True)


def _vpc_resources(config):
    def subnet(index, cidr):
        return {
            "Type": "AWS::EC2::Subnet",
            "Properties": {
                "VpcId": {"Ref": "Vpc"},
                "CidrBlock": cidr,
                # "" is the stack's own region: the form of Fn::GetAZs CloudFormation documents.
                "AvailabilityZone": {"Fn::Select": [index, {"Fn::GetAZs": ""}]},
                "MapPublicIpOnLaunch": True,
            },
        }

    def association(subnet_id):
        return {
            "Type": "AWS::EC2::SubnetRouteTableAssociation",
            "Properties": {"SubnetId": {"Ref": subnet_id}, "RouteTableId": {"Ref": "RouteViaIgw"}},
        }

    return {
        "Vpc": {
            "Type": "AWS::EC2::VPC",
            "Properties": {
                "CidrBlock": config["vpc_cidr"],
                "EnableDnsSupport": True,
                "EnableDnsHostnames": True,
            },
        },
        "PubSubnetAz1": subnet(0, config["subnet1_cidr"]),
        "PubSubnetAz2": subnet(1, config["subnet2_cidr"]),
        "InternetGateway": {"Type": "AWS::EC2::InternetGateway"},
        "AttachGateway": {
            "Type": "AWS::EC2::VPCGatewayAttachment",
            "Properties": {"VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "InternetGateway"}},
        },
        "RouteViaIgw": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
        "PublicRouteViaIgw": {
            "Type": "AWS::EC2::Route",
            "DependsOn": "AttachGateway",
            "Properties": {
                "RouteTableId": {"Ref": "RouteViaIgw"},
                "DestinationCidrBlock": "0.0.0.0/0",
                "GatewayId": {"Ref": "InternetGateway"},
            },
        },
        "PubSubnet1RouteTableAssociation": association("PubSubnetAz1"),
        "PubSubnet2RouteTableAssociation": association("PubSubnetAz2"),
    }


def _vpc_id(config):
    return {"Ref": "Vpc"} if creates_vpc(config) else config["vpc"]


def _subnet_ids(config):
    if creates_vpc(config):
        return [{"Ref": "PubSubnetAz1"}, {"Ref": "PubSubnetAz2"}]
    return list(config["subnet_ids"])


def _security_group_ids(config):
    if creates_security_group(config):
        return [{"Ref": "EcsSecurityGroup"}]
    return [config["security_group"]]


def _security_group(config):
    return {
        "Type": "AWS::EC2::SecurityGroup",
        "Properties": {
            "GroupDescription": "ECS Allowed Ports",
            "VpcId": _vpc_id(config),
            "SecurityGroupIngress": [
                {
                    "IpProtocol": "tcp",
                    "FromPort": config["ingress_from_port"],
                    "ToPort": config["ingress_to_port"],
                    "CidrIp": config["ingress_cidr"],
                }
            ],
        },
    }


def _launch_template(config):
    data = {
        "ImageId": {"Ref": "EcsAmiId"},
        "InstanceType": {"Ref": "EcsInstanceType"},
        "IamInstanceProfile": {"Name": config["instance_role"]},
        "BlockDeviceMappings": [
            {
                "DeviceName": VOLUME_DEVICES[config["ami_family"]],
                "Ebs": {"VolumeSize": config["volume_size"], "VolumeType": "gp2"},
            }
        ],
        "Monitoring": {"Enabled": True},
        "UserData": {"Fn::Base64": user_data(config)},
    }
    if config.get("key_name"):
        data["KeyName"] = config["key_name"]
    public_ip = config.get("auto_assign_public_ip", "subnet")
    if public_ip == "subnet":
        data["SecurityGroupIds"] = _security_group_ids(config)
    else:
        # Choosing the public IP needs an explicit network interface, which then carries the
        # security groups (EC2 refuses both places at once).
        data["NetworkInterfaces"] = [
            {
                "DeviceIndex": 0,
                "AssociatePublicIpAddress": public_ip == "enabled",
                "Groups": _security_group_ids(config),
            }
        ]
    if config.get("t2_unlimited"):
        data["CreditSpecification"] = {"CpuCredits": "unlimited"}
    return {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": data}}


def _auto_scaling_group(config):
    stack_name = f"EC2ContainerService-{config['cluster_name']}"
    launch_template = {
        "LaunchTemplateId": {"Ref": "EcsInstanceLaunchTemplate"},
        "Version": {"Fn::GetAtt": ["EcsInstanceLaunchTemplate", "LatestVersionNumber"]},
    }
    properties = {
        "VPCZoneIdentifier": _subnet_ids(config),
        "MinSize": "0",
        "MaxSize": {"Ref": "AsgMaxSize"},
        "DesiredCapacity": {"Ref": "AsgMaxSize"},
        "Tags": [
            {"Key": "Name", "Value": f"ECS Instance - {stack_name}", "PropagateAtLaunch": True},
            {
                "Key": "Description",
                "Value": "This instance is the part of the Auto Scaling group which was "
                "created through ECS Console",
                "PropagateAtLaunch": True,
            },
        ]
        + [
            {"Key": tag["key"], "Value": tag["value"], "PropagateAtLaunch": True}
            for tag in config.get("tags", [])
        ],
    }
    if uses_spot(config):
        properties["MixedInstancesPolicy"] = _mixed_instances_policy(config, launch_template)
    else:
        properties["LaunchTemplate"] = launch_template
    return {"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": properties}


def _mixed_instances_policy(config, launch_template):
    """Every instance Spot, of any of the chosen types."""
    strategy = SPOT_ALLOCATION_STRATEGIES[config["spot_allocation_strategy"]]
    distribution = {
        "OnDemandBaseCapacity": 0,
        "OnDemandPercentageAboveBaseCapacity": 0,
        "SpotAllocationStrategy": strategy,
    }
    if strategy == "lowest-price":
        # The Spot Fleet's lowestPrice drew from the single cheapest pool.
        distribution["SpotInstancePools"] = 1
    if config.get("spot_max_price"):
        distribution["SpotMaxPrice"] = config["spot_max_price"]
    return {
        "LaunchTemplate": {
            "LaunchTemplateSpecification": launch_template,
            "Overrides": [{"InstanceType": name} for name in config["instance_types"]],
        },
        "InstancesDistribution": distribution,
    }
