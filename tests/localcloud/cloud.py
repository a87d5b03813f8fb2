"""What the local cloud's tests do to a cloud: launch instances, read container instances."""

import json
from types import SimpleNamespace

import boto3

REGION = "us-east-1"
AL2 = "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended"


def recommended(aws, name=AL2):
    return json.loads(aws.ssm.get_parameter(Name=name)["Parameter"]["Value"])


def linux_user_data(cluster):
    return f"#!/bin/bash\necho ECS_CLUSTER={cluster} >> /etc/ecs/ecs.config\n"


def windows_user_data(cluster):
    return (
        "<powershell>Import-Module ECSTools; "
        f"Initialize-ECSAgent -Cluster '{cluster}' -EnableTaskIAMRole</powershell>"
    )


def launch(aws, user_data="", instance_type="t2.micro", image_id=None, count=1):
    """Run instances of an ECS-optimized AMI (AL2 unless told) and return their ids."""
    image_id = image_id or recommended(aws)["image_id"]
    kwargs = {"UserData": user_data} if user_data else {}
    reservation = aws.ec2.run_instances(
        ImageId=image_id, InstanceType=instance_type, MinCount=count, MaxCount=count, **kwargs
    )
    return [instance["InstanceId"] for instance in reservation["Instances"]]


def container_instances(aws, cluster, status=None):
    kwargs = {"status": status} if status else {}
    arns = aws.ecs.list_container_instances(cluster=cluster, **kwargs)["containerInstanceArns"]
    if not arns:
        return []
    return aws.ecs.describe_container_instances(cluster=cluster, containerInstances=arns)[
        "containerInstances"
    ]


def resource(container_instance, name, key="registeredResources"):
    found = next(r for r in container_instance[key] if r["name"] == name)
    return found.get("stringSetValue", found["integerValue"])


def two_zone_vpc(aws):
    """A VPC with one subnet in each of the region's first two zones: (vpc id, [subnet ids])."""
    vpc_id = aws.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        aws.ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=f"{REGION}{zone}")[
            "Subnet"
        ]["SubnetId"]
        for cidr, zone in (("10.0.0.0/24", "a"), ("10.0.1.0/24", "b"))
    ]
    return vpc_id, subnets


def auto_scaling_group(aws, subnets, desired):
    """A group named ecs launching AL2 t2.micro hosts into the subnets."""
    template = aws.ec2.create_launch_template(
        LaunchTemplateName="ecs",
        LaunchTemplateData={"ImageId": recommended(aws)["image_id"], "InstanceType": "t2.micro"},
    )["LaunchTemplate"]
    aws.autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="ecs",
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"], "Version": "$Latest"},
        MinSize=0,
        MaxSize=10,
        DesiredCapacity=desired,
        VPCZoneIdentifier=",".join(subnets),
    )


def console_stack_template(
    cluster,
    image_id,
    instance_type="t2.micro",
    subnet2_cidr="10.0.1.0/24",
    user_data=None,
    instance_profile=None,
):
    """A stack shaped like the console's EC2ContainerService-<name>: a VPC, two subnets, an ASG."""
    launch_template_data = {
        "ImageId": image_id,
        "InstanceType": instance_type,
        "SecurityGroupIds": [{"Ref": "EcsSecurityGroup"}],
        "UserData": {"Fn::Base64": linux_user_data(cluster) if user_data is None else user_data},
    }
    if instance_profile:
        launch_template_data["IamInstanceProfile"] = {"Name": instance_profile}

    def subnet(index, cidr):
        return {
            "Type": "AWS::EC2::Subnet",
            "Properties": {
                "VpcId": {"Ref": "Vpc"},
                "CidrBlock": cidr,
                "AvailabilityZone": {"Fn::Select": [index, {"Fn::GetAZs": {"Ref": "AWS::Region"}}]},
                "MapPublicIpOnLaunch": True,
            },
        }

    def association(subnet_id):
        return {
            "Type": "AWS::EC2::SubnetRouteTableAssociation",
            "Properties": {"SubnetId": {"Ref": subnet_id}, "RouteTableId": {"Ref": "RouteViaIgw"}},
        }

    return json.dumps(
        {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Parameters": {"AsgMaxSize": {"Type": "Number"}},
            "Resources": {
                "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
                "PubSubnetAz1": subnet(0, "10.0.0.0/24"),
                "PubSubnetAz2": subnet(1, subnet2_cidr),
                "InternetGateway": {"Type": "AWS::EC2::InternetGateway"},
                "AttachGateway": {
                    "Type": "AWS::EC2::VPCGatewayAttachment",
                    "Properties": {
                        "VpcId": {"Ref": "Vpc"},
                        "InternetGatewayId": {"Ref": "InternetGateway"},
                    },
                },
                "RouteViaIgw": {
                    "Type": "AWS::EC2::RouteTable",
                    "Properties": {"VpcId": {"Ref": "Vpc"}},
                },
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
                "EcsSecurityGroup": {
                    "Type": "AWS::EC2::SecurityGroup",
                    "Properties": {
                        "GroupDescription": "ECS Allowed Ports",
                        "VpcId": {"Ref": "Vpc"},
                        "SecurityGroupIngress": [
                            {
                                "IpProtocol": "tcp",
                                "FromPort": 80,
                                "ToPort": 80,
                                "CidrIp": "0.0.0.0/0",
                            }
                        ],
                    },
                },
                "EcsInstanceLaunchTemplate": {
                    "Type": "AWS::EC2::LaunchTemplate",
                    "Properties": {"LaunchTemplateData": launch_template_data},
                },
                "EcsInstanceAsg": {
                    "Type": "AWS::AutoScaling::AutoScalingGroup",
                    "Properties": {
                        "VPCZoneIdentifier": [{"Ref": "PubSubnetAz1"}, {"Ref": "PubSubnetAz2"}],
                        "LaunchTemplate": {
                            "LaunchTemplateId": {"Ref": "EcsInstanceLaunchTemplate"},
                            "Version": {
                                "Fn::GetAtt": ["EcsInstanceLaunchTemplate", "LatestVersionNumber"]
                            },
                        },
                        "MinSize": "0",
                        "MaxSize": {"Ref": "AsgMaxSize"},
                        "DesiredCapacity": {"Ref": "AsgMaxSize"},
                    },
                },
            },
            "Outputs": {"EcsInstanceAsgName": {"Value": {"Ref": "EcsInstanceAsg"}}},
        }
    )


def in_account(aws, account):
    """The fixture's clients, acting in `account` with the keys STS AssumeRole gives."""
    credentials = aws.sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/ECSConsoleLearner", RoleSessionName="learner"
    )["Credentials"]
    session = boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=aws.session.region_name,
    )
    return SimpleNamespace(
        session=session, **{s: session.client(s) for s in ("ec2", "ecs", "ssm", "cloudwatch")}
    )

