"""The CloudFormation template of the stack EC2ContainerService-<name>, built from a configuration.

A pure function of the cleaned wizard configuration, like the console's own template (its
"TemplateVersion 2.0.0"), with a launch template where the old console had a launch
configuration: AWS accounts created since October 2024 cannot create launch configurations.
"""

import json
from enum import StrEnum

from .configuration import MADE_BY_CONSOLE, PublicIp, SpotAllocationStrategy

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


class Parameter(StrEnum):
    """The template's parameters, by the names of the console's own template where it had one."""

    CLUSTER_NAME = "EcsClusterName"
    AMI_ID = "EcsAmiId"
    INSTANCE_TYPES = "EcsInstanceType"
    INSTANCE_TYPE_COUNT = "EcsInstanceTypeCount"
    KEY_NAME = "KeyName"
    VPC_ID = "VpcId"
    SUBNET_IDS = "SubnetIds"
    SECURITY_GROUP_ID = "SecurityGroupId"
    VPC_CIDR = "VpcCidr"
    SUBNET_CIDR_1 = "SubnetCidr1"
    SUBNET_CIDR_2 = "SubnetCidr2"
    ASG_MAX_SIZE = "AsgMaxSize"
    INSTANCE_PROFILE = "IamRoleInstanceProfile"
    INGRESS_FROM_PORT = "SecurityIngressFromPort"
    INGRESS_TO_PORT = "SecurityIngressToPort"
    INGRESS_CIDR = "SecurityIngressCidrIp"
    CONFIGURE_ROOT_VOLUME = "ConfigureRootVolume"
    ROOT_VOLUME_SIZE = "RootEbsVolumeSize"
    ROOT_DEVICE_NAME = "RootDeviceName"
    CONFIGURE_DATA_VOLUME = "ConfigureDataVolume"
    DATA_VOLUME_SIZE = "EbsVolumeSize"
    DATA_DEVICE_NAME = "DeviceName"
    VOLUME_TYPE = "EbsVolumeType"
    USE_SPOT = "UseSpot"
    SPOT_ALLOCATION_STRATEGY = "SpotAllocationStrategy"
    SPOT_PRICE = "SpotPrice"
    AUTO_ASSIGN_PUBLIC_IP = "AutoAssignPublicIp"
    IS_WINDOWS = "IsWindows"
    T2_UNLIMITED = "T2Unlimited"


# The parameter that holds the desired number of instances: Scale changes only this one.
DESIRED_COUNT_PARAMETER = Parameter.ASG_MAX_SIZE

# What AutoAssignPublicIp takes: the subnet's own setting, or always, or never.
AUTO_ASSIGN_PUBLIC_IP = {
    PublicIp.SUBNET: "INHERIT",
    PublicIp.ENABLED: "ENABLED",
    PublicIp.DISABLED: "DISABLED",
}

# Amazon Linux 1 keeps Docker's images on a volume of their own; the console sized that one.
DATA_VOLUME_DEVICE = "/dev/xvdcz"

# A Spot group mixes every type of EcsInstanceType, up to the most the form allows (and Auto
# Scaling takes: 40 overrides). A template cannot loop over a list parameter, so the overrides
# are 40 slots, each present when the list is long enough. Which slots are present is a
# condition, and AWS documents only Ref, Fn::FindInMap and the condition functions inside a
# condition (no Fn::Select of the list), so EcsInstanceTypeCount says how many types there are.
INSTANCE_TYPE_SLOTS = 40

NO_VALUE = {"Ref": "AWS::NoValue"}


def _ref(name):
    return {"Ref": name}


def _if(condition, when_true, when_false=NO_VALUE):
    return {"Fn::If": [condition, when_true, when_false]}


def _equals(name, value):
    return {"Fn::Equals": [_ref(name), value]}


def _not(condition):
    return {"Fn::Not": [condition]}


def _flag(value):
    """A yes/no parameter's value: CloudFormation parameters are strings."""
    return "true" if value else "false"


def _parameter(kind, description, default=None, **constraints):
    parameter = {"Type": kind, "Description": description, **constraints}
    if default is not None:
        parameter["Default"] = default
    return parameter


# The user data of each platform, the cluster's name substituted by CloudFormation. Linux's is
# the console's own, byte for byte as a console launch configuration held it (aws-facts §5).
LINUX_USER_DATA = (
    "#!/bin/bash\necho ECS_CLUSTER=${EcsClusterName} >> /etc/ecs/ecs.config;"
    "echo ECS_BACKEND_HOST= >> /etc/ecs/ecs.config;"
)
WINDOWS_USER_DATA = (
    "<powershell>Import-Module ECSTools; "
    "Initialize-ECSAgent -Cluster '${EcsClusterName}' -EnableTaskIAMRole</powershell>"
)


def stack_parameters(cluster_name, configuration):
    """Every parameter's value for a cluster, as CreateStack takes them: strings, lists joined
    with commas. Each is given, so a stack never depends on a default it did not see."""
    P = Parameter
    values = {
        P.CLUSTER_NAME: cluster_name,
        P.AMI_ID: "",
        P.INSTANCE_TYPES: "",
        P.INSTANCE_TYPE_COUNT: "0",
        P.KEY_NAME: "",
        P.VPC_ID: "",
        P.SUBNET_IDS: "",
        P.SECURITY_GROUP_ID: "",
        P.VPC_CIDR: "",
        P.SUBNET_CIDR_1: "",
        P.SUBNET_CIDR_2: "",
        P.ASG_MAX_SIZE: "0",
        P.INSTANCE_PROFILE: "",
        P.INGRESS_FROM_PORT: "0",
        P.INGRESS_TO_PORT: "65535",
        P.INGRESS_CIDR: "0.0.0.0/0",
        P.CONFIGURE_ROOT_VOLUME: "false",
        P.ROOT_VOLUME_SIZE: "30",
        P.ROOT_DEVICE_NAME: "/dev/xvda",
        P.CONFIGURE_DATA_VOLUME: "false",
        P.DATA_VOLUME_SIZE: "22",
        P.DATA_DEVICE_NAME: DATA_VOLUME_DEVICE,
        P.VOLUME_TYPE: "gp2",
        P.USE_SPOT: "false",
        P.SPOT_ALLOCATION_STRATEGY: SpotAllocationStrategy.DIVERSIFIED.value,
        P.SPOT_PRICE: "",
        P.AUTO_ASSIGN_PUBLIC_IP: "INHERIT",
        P.IS_WINDOWS: "false",
        P.T2_UNLIMITED: "false",
    }
    network, instances = configuration.network, configuration.instances
    if network and network.creates_vpc:
        values.update(
            {
                P.VPC_CIDR: network.new_vpc.cidr,
                P.SUBNET_CIDR_1: network.new_vpc.subnet1_cidr,
                P.SUBNET_CIDR_2: network.new_vpc.subnet2_cidr,
            }
        )
    elif network:
        values.update({P.VPC_ID: network.vpc_id, P.SUBNET_IDS: ",".join(network.subnet_ids)})
    if network and instances:
        values[P.AUTO_ASSIGN_PUBLIC_IP] = AUTO_ASSIGN_PUBLIC_IP[network.public_ip]
        if network.creates_security_group:
            values.update(
                {
                    P.INGRESS_FROM_PORT: str(network.ingress.from_port),
                    P.INGRESS_TO_PORT: str(network.ingress.to_port),
                    P.INGRESS_CIDR: network.ingress.cidr,
                }
            )
        else:
            values[P.SECURITY_GROUP_ID] = network.security_group_id
    if instances:
        family = instances.ami_family
        sizes_data_volume = family.volume_device == DATA_VOLUME_DEVICE
        values.update(
            {
                P.AMI_ID: instances.ami_id,
                P.INSTANCE_TYPES: ",".join(instances.instance_types),
                P.INSTANCE_TYPE_COUNT: str(len(instances.instance_types)),
                P.KEY_NAME: instances.key_name,
                P.ASG_MAX_SIZE: str(instances.count),
                P.INSTANCE_PROFILE: instances.instance_role,
                P.IS_WINDOWS: _flag(family.is_windows),
                P.T2_UNLIMITED: _flag(instances.t2_unlimited),
            }
        )
        if sizes_data_volume:
            values.update(
                {
                    P.CONFIGURE_DATA_VOLUME: "true",
                    P.DATA_VOLUME_SIZE: str(instances.volume_size),
                }
            )
        else:
            values.update(
                {
                    P.CONFIGURE_ROOT_VOLUME: "true",
                    P.ROOT_VOLUME_SIZE: str(instances.volume_size),
                    P.ROOT_DEVICE_NAME: family.volume_device,
                }
            )
        if instances.spot:
            values.update(
                {
                    P.USE_SPOT: "true",
                    P.SPOT_ALLOCATION_STRATEGY: instances.spot.allocation_strategy.value,
                    P.SPOT_PRICE: instances.spot.max_price,
                }
            )
    return [{"ParameterKey": key.value, "ParameterValue": value} for key, value in values.items()]


def stack_tags(configuration):
    """The person's tags and ECS Console's own (configuration.MADE_BY_CONSOLE), given to
    CreateStack rather than written into the template.

    A tag list differs from cluster to cluster and a template has no loop, so the person's tags
    are the stack's own tags: "CloudFormation also propagates these tags to the resources created
    in the stack" (CloudFormation API reference, CreateStack, Tags), and stack-level tags reach
    the instances an Auto Scaling group launches whatever its PropagateAtLaunch says
    (CloudFormation template reference, "CloudFormation resource tagging", https://docs.aws.
    amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-resource-tags.html).
    """
    tags = (*configuration.tags, MADE_BY_CONSOLE)
    return [{"Key": tag.key, "Value": tag.value} for tag in tags]


def build_template():
    """The stack's template: one for every cluster, each choice a parameter and a condition.

    Modelled on the console's own template (TemplateVersion 2.0.0: the same parameter names,
    conditions and logical ids), with a launch template where it had a launch configuration,
    and Spot in the Auto Scaling group where it had a Spot Fleet.
    """
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "AWS CloudFormation template to create a new VPC or use an existing VPC "
        "for ECS deployment in Create Cluster Wizard.",
        "Parameters": _parameters(),
        "Mappings": {
            "SpotAllocationStrategies": {
                strategy.value: {"AutoScaling": SPOT_ALLOCATION_STRATEGIES[strategy]}
                for strategy in SpotAllocationStrategy
            }
        },
        "Conditions": _conditions(),
        "Resources": {
            **_vpc_resources(),
            LogicalId.SECURITY_GROUP: _security_group(),
            LogicalId.LAUNCH_TEMPLATE: _launch_template(),
            LogicalId.AUTO_SCALING_GROUP: _auto_scaling_group(),
        },
        "Outputs": {
            ASG_NAME_OUTPUT: {
                "Condition": "LaunchInstances",
                "Description": "Auto Scaling Group Name for ECS Instances",
                "Value": _ref(LogicalId.AUTO_SCALING_GROUP),
            },
            MADE_BY_CONSOLE_OUTPUT: {
                "Description": "Flag used by ECS Create Cluster Wizard",
                "Value": "true",
            },
            "TemplateVersion": {
                "Description": "The version of the template used by Create Cluster Wizard",
                "Value": TEMPLATE_VERSION,
            },
        },
    }


# CreateStack takes a TemplateBody of at most 51,200 bytes: the template goes without the
# indentation that would double its size (the preview and the stack page indent it to show it).
MAX_TEMPLATE_BODY_BYTES = 51_200


def template_body():
    return json.dumps(build_template(), separators=(",", ":"))


def _parameters():
    P = Parameter
    flag = {"AllowedValues": ["true", "false"]}
    return {
        P.CLUSTER_NAME: _parameter("String", "The ECS cluster the instances join"),
        P.AMI_ID: _parameter(
            "String", "The ECS-optimized AMI of the instances; empty for a cluster without", ""
        ),
        P.INSTANCE_TYPES: _parameter(
            "CommaDelimitedList",
            "The instance types: the launch template's first, then the others a Spot group mixes",
            "",
        ),
        P.INSTANCE_TYPE_COUNT: _parameter(
            "String", f"How many types {P.INSTANCE_TYPES} lists", "0", AllowedPattern="^[0-9]+$"
        ),
        P.KEY_NAME: _parameter("String", "Optional - An EC2 key pair for SSH or RDP", ""),
        P.VPC_ID: _parameter("String", "Optional - An existing VPC; empty for a new one", ""),
        P.SUBNET_IDS: _parameter(
            "CommaDelimitedList", "Optional - The existing VPC's subnets for the instances", ""
        ),
        P.SECURITY_GROUP_ID: _parameter(
            "String", "Optional - An existing security group; empty for a new one", ""
        ),
        P.VPC_CIDR: _parameter("String", "Optional - The CIDR block of a new VPC", ""),
        P.SUBNET_CIDR_1: _parameter("String", "Optional - The CIDR block of subnet 1", ""),
        P.SUBNET_CIDR_2: _parameter("String", "Optional - The CIDR block of subnet 2", ""),
        P.ASG_MAX_SIZE: _parameter(
            "Number", "The number of instances to launch and register to the cluster", "1",
            MinValue=0,
        ),
        P.INSTANCE_PROFILE: _parameter("String", "The instance profile of the instances", ""),
        P.INGRESS_FROM_PORT: _parameter(
            "Number", "Optional - The first port a new security group opens", "0"
        ),
        P.INGRESS_TO_PORT: _parameter(
            "Number", "Optional - The last port a new security group opens", "65535"
        ),
        P.INGRESS_CIDR: _parameter(
            "String", "Optional - Where a new security group lets traffic in from", "0.0.0.0/0"
        ),
        P.CONFIGURE_ROOT_VOLUME: _parameter(
            "String", "Whether the root volume is sized", "false", **flag
        ),
        P.ROOT_VOLUME_SIZE: _parameter("Number", "The size of the root volume (GiB)", "30"),
        P.ROOT_DEVICE_NAME: _parameter("String", "The device of the root volume", "/dev/xvda"),
        P.CONFIGURE_DATA_VOLUME: _parameter(
            "String", "Whether Amazon Linux 1's Docker data volume is sized", "false", **flag
        ),
        P.DATA_VOLUME_SIZE: _parameter("Number", "The size of the data volume (GiB)", "22"),
        P.DATA_DEVICE_NAME: _parameter(
            "String", "The device of the data volume", DATA_VOLUME_DEVICE
        ),
        P.VOLUME_TYPE: _parameter(
            "String", "The EBS volume type", "gp2",
            AllowedValues=["standard", "io1", "gp2", "gp3", "sc1", "st1"],
        ),
        P.USE_SPOT: _parameter("String", "Whether the instances are Spot", "false", **flag),
        P.SPOT_ALLOCATION_STRATEGY: _parameter(
            "String", "How Spot instances are chosen", SpotAllocationStrategy.DIVERSIFIED.value,
            AllowedValues=[strategy.value for strategy in SpotAllocationStrategy],
        ),
        P.SPOT_PRICE: _parameter(
            "String", "Optional - The most to pay for a Spot instance an hour (USD)", ""
        ),
        P.AUTO_ASSIGN_PUBLIC_IP: _parameter(
            "String", "Public IP addresses: the subnet's setting, always or never", "INHERIT",
            AllowedValues=list(AUTO_ASSIGN_PUBLIC_IP.values()),
        ),
        P.IS_WINDOWS: _parameter("String", "Whether the AMI is Windows", "false", **flag),
        P.T2_UNLIMITED: _parameter(
            "String", "Whether burstable instances may burst beyond their credits", "false", **flag
        ),
    }


def _has_instance_type(slot):
    """The condition that EcsInstanceType has a slot-th type (slot 0 always has one)."""
    return f"HasInstanceType{slot + 1}"


def _conditions():
    P = Parameter
    conditions = {
        "LaunchInstances": _not(_equals(P.AMI_ID, "")),
        "CreateNewVpc": _equals(P.VPC_ID, ""),
        "CreateNewSecurityGroup": {
            "Fn::And": [{"Condition": "LaunchInstances"}, _equals(P.SECURITY_GROUP_ID, "")]
        },
        "CreateEC2LCWithKeyPair": _not(_equals(P.KEY_NAME, "")),
        "CreateWithSpot": _equals(P.USE_SPOT, "true"),
        "CreateWithSpotPrice": _not(_equals(P.SPOT_PRICE, "")),
        "IsLowestPriceSpot": _equals(
            P.SPOT_ALLOCATION_STRATEGY, SpotAllocationStrategy.LOWEST_PRICE.value
        ),
        "IsWindows": _equals(P.IS_WINDOWS, "true"),
        "SetAutoAssignPublicIp": _not(_equals(P.AUTO_ASSIGN_PUBLIC_IP, "INHERIT")),
        "AssignPublicIp": _equals(P.AUTO_ASSIGN_PUBLIC_IP, "ENABLED"),
        "IsConfiguringRootVolume": _equals(P.CONFIGURE_ROOT_VOLUME, "true"),
        "IsConfiguringDataVolume": _equals(P.CONFIGURE_DATA_VOLUME, "true"),
        "EnableT2Unlimited": _equals(P.T2_UNLIMITED, "true"),
    }
    # More than `slot` types: more than slot - 1 of them, and not exactly `slot`.
    for slot in range(1, INSTANCE_TYPE_SLOTS):
        fewer = _not(_equals(P.INSTANCE_TYPE_COUNT, str(slot)))
        conditions[_has_instance_type(slot)] = (
            fewer
            if slot == 1
            else {"Fn::And": [{"Condition": _has_instance_type(slot - 1)}, fewer]}
        )
    return conditions


def _vpc_resources():
    P = Parameter

    def subnet(index, cidr):
        return {
            "Condition": "CreateNewVpc",
            "Type": "AWS::EC2::Subnet",
            "Properties": {
                "VpcId": _ref(LogicalId.VPC),
                "CidrBlock": _ref(cidr),
                # "" is the stack's own region: the form of Fn::GetAZs CloudFormation documents.
                "AvailabilityZone": {"Fn::Select": [index, {"Fn::GetAZs": ""}]},
                "MapPublicIpOnLaunch": True,
            },
        }

    def association(subnet_id):
        return {
            "Condition": "CreateNewVpc",
            "Type": "AWS::EC2::SubnetRouteTableAssociation",
            "Properties": {
                "SubnetId": _ref(subnet_id),
                "RouteTableId": _ref(LogicalId.ROUTE_TABLE),
            },
        }

    return {
        LogicalId.VPC: {
            "Condition": "CreateNewVpc",
            "Type": "AWS::EC2::VPC",
            "Properties": {
                "CidrBlock": _ref(P.VPC_CIDR),
                "EnableDnsSupport": True,
                "EnableDnsHostnames": True,
            },
        },
        LogicalId.SUBNET_1: subnet(0, P.SUBNET_CIDR_1),
        LogicalId.SUBNET_2: subnet(1, P.SUBNET_CIDR_2),
        LogicalId.INTERNET_GATEWAY: {
            "Condition": "CreateNewVpc",
            "Type": "AWS::EC2::InternetGateway",
        },
        LogicalId.GATEWAY_ATTACHMENT: {
            "Condition": "CreateNewVpc",
            "Type": "AWS::EC2::VPCGatewayAttachment",
            "Properties": {
                "VpcId": _ref(LogicalId.VPC),
                "InternetGatewayId": _ref(LogicalId.INTERNET_GATEWAY),
            },
        },
        LogicalId.ROUTE_TABLE: {
            "Condition": "CreateNewVpc",
            "Type": "AWS::EC2::RouteTable",
            "Properties": {"VpcId": _ref(LogicalId.VPC)},
        },
        LogicalId.ROUTE: {
            "Condition": "CreateNewVpc",
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


def _security_group_ids():
    return [
        _if(
            "CreateNewSecurityGroup",
            _ref(LogicalId.SECURITY_GROUP),
            _ref(Parameter.SECURITY_GROUP_ID),
        )
    ]


def _security_group():
    P = Parameter
    return {
        "Condition": "CreateNewSecurityGroup",
        "Type": "AWS::EC2::SecurityGroup",
        "Properties": {
            "GroupDescription": "ECS Allowed Ports",
            "VpcId": _if("CreateNewVpc", _ref(LogicalId.VPC), _ref(P.VPC_ID)),
            "SecurityGroupIngress": [
                {
                    "IpProtocol": "tcp",
                    "FromPort": _ref(P.INGRESS_FROM_PORT),
                    "ToPort": _ref(P.INGRESS_TO_PORT),
                    "CidrIp": _ref(P.INGRESS_CIDR),
                }
            ],
        },
    }


def _instance_type(slot):
    return {"Fn::Select": [slot, _ref(Parameter.INSTANCE_TYPES)]}


def _launch_template():
    P = Parameter

    def volume(condition, device, size):
        return _if(
            condition,
            {
                "DeviceName": _ref(device),
                "Ebs": {"VolumeSize": _ref(size), "VolumeType": _ref(P.VOLUME_TYPE)},
            },
        )

    data = {
        "ImageId": _ref(P.AMI_ID),
        "InstanceType": _instance_type(0),
        "IamInstanceProfile": {"Name": _ref(P.INSTANCE_PROFILE)},
        "KeyName": _if("CreateEC2LCWithKeyPair", _ref(P.KEY_NAME)),
        # Choosing the public IP needs an explicit network interface, which then carries the
        # security groups (EC2 refuses them in both places at once).
        "SecurityGroupIds": _if("SetAutoAssignPublicIp", NO_VALUE, _security_group_ids()),
        "NetworkInterfaces": _if(
            "SetAutoAssignPublicIp",
            [
                {
                    "DeviceIndex": 0,
                    "AssociatePublicIpAddress": _if("AssignPublicIp", True, False),
                    "Groups": _security_group_ids(),
                }
            ],
        ),
        # The volume people size: the root one, or Amazon Linux 1's Docker data volume.
        "BlockDeviceMappings": [
            volume("IsConfiguringRootVolume", P.ROOT_DEVICE_NAME, P.ROOT_VOLUME_SIZE),
            volume("IsConfiguringDataVolume", P.DATA_DEVICE_NAME, P.DATA_VOLUME_SIZE),
        ],
        "Monitoring": {"Enabled": True},
        "CreditSpecification": _if("EnableT2Unlimited", {"CpuCredits": "unlimited"}),
        "UserData": {
            "Fn::Base64": _if(
                "IsWindows", {"Fn::Sub": WINDOWS_USER_DATA}, {"Fn::Sub": LINUX_USER_DATA}
            )
        },
    }
    return {
        "Condition": "LaunchInstances",
        "Type": "AWS::EC2::LaunchTemplate",
        "Properties": {"LaunchTemplateData": data},
    }


def _auto_scaling_group():
    P = Parameter
    launch_template = {
        "LaunchTemplateId": _ref(LogicalId.LAUNCH_TEMPLATE),
        "Version": {"Fn::GetAtt": [LogicalId.LAUNCH_TEMPLATE, "LatestVersionNumber"]},
    }
    properties = {
        "VPCZoneIdentifier": _if(
            "CreateNewVpc",
            [_ref(LogicalId.SUBNET_1), _ref(LogicalId.SUBNET_2)],
            _ref(P.SUBNET_IDS),
        ),
        "LaunchTemplate": _if("CreateWithSpot", NO_VALUE, launch_template),
        "MixedInstancesPolicy": _if("CreateWithSpot", _mixed_instances_policy(launch_template)),
        "MinSize": "0",
        "MaxSize": _ref(DESIRED_COUNT_PARAMETER),
        "DesiredCapacity": _ref(DESIRED_COUNT_PARAMETER),
        "Tags": [
            {
                "Key": "Name",
                "Value": {"Fn::Sub": "ECS Instance - ${AWS::StackName}"},
                "PropagateAtLaunch": True,
            },
            {
                "Key": "Description",
                "Value": "This instance is the part of the Auto Scaling group which was "
                "created through ECS Console",
                "PropagateAtLaunch": True,
            },
        ],
    }
    return {
        "Condition": "LaunchInstances",
        "Type": "AWS::AutoScaling::AutoScalingGroup",
        "Properties": properties,
    }


def _mixed_instances_policy(launch_template):
    """Every instance Spot, of any of the chosen types."""
    P = Parameter
    overrides = [{"InstanceType": _instance_type(0)}] + [
        _if(_has_instance_type(slot), {"InstanceType": _instance_type(slot)})
        for slot in range(1, INSTANCE_TYPE_SLOTS)
    ]
    return {
        "LaunchTemplate": {"LaunchTemplateSpecification": launch_template, "Overrides": overrides},
        "InstancesDistribution": {
            "OnDemandBaseCapacity": 0,
            "OnDemandPercentageAboveBaseCapacity": 0,
            "SpotAllocationStrategy": {
                "Fn::FindInMap": [
                    "SpotAllocationStrategies",
                    _ref(P.SPOT_ALLOCATION_STRATEGY),
                    "AutoScaling",
                ]
            },
            # The Spot Fleet's lowestPrice drew from the single cheapest pool.
            "SpotInstancePools": _if("IsLowestPriceSpot", 1),
            "SpotMaxPrice": _if("CreateWithSpotPrice", _ref(P.SPOT_PRICE)),
        },
    }
