"""Every AWS account has AWS's managed policies; the local cloud's does too, in-process included."""

import json

import boto3
from moto import mock_aws

import localcloud

ECS_FOR_EC2 = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def test_the_ecs_instance_role_policy_can_be_attached(aws):
    aws.iam.create_role(RoleName="ecsInstanceRole", AssumeRolePolicyDocument=TRUST)

    aws.iam.attach_role_policy(RoleName="ecsInstanceRole", PolicyArn=ECS_FOR_EC2)

    attached = aws.iam.list_attached_role_policies(RoleName="ecsInstanceRole")["AttachedPolicies"]
    assert attached == [
        {"PolicyName": "AmazonEC2ContainerServiceforEC2Role", "PolicyArn": ECS_FOR_EC2}
    ]
    assert aws.iam.get_policy(PolicyArn=ECS_FOR_EC2)["Policy"]["Path"] == "/service-role/"


def test_managed_policies_exist_even_when_iam_was_used_before_install(session):
    with mock_aws():
        iam = session.client("iam")
        iam.list_roles()
        localcloud.install()

        assert iam.get_policy(PolicyArn=ECS_FOR_EC2)["Policy"]["PolicyName"] == (
            "AmazonEC2ContainerServiceforEC2Role"
        )


def test_a_mock_started_after_install_has_them_from_the_start():
    localcloud.install()
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")

        assert iam.get_policy(PolicyArn=ECS_FOR_EC2)["Policy"]["Arn"] == ECS_FOR_EC2
