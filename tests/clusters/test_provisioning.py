"""Each provisioning step makes the real resources, and is safe to run twice."""

import base64

import boto3
import pytest

from clusters import provisioning
from clusters.aws import AwsError
from clusters.models import Step
from localcloud.agent import EcsAgentEmulator

from .conftest import REGION

POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"


def run_to_the_end(step):
    """Run a step as a worker would: claim it, run it, and run it again while it asks to, the
    local cloud's agents passing in between as they run beside the workers."""
    for _ in range(10):
        assert step.claim()
        if not provisioning.run(step):
            step.refresh_from_db()
            return step
        step.release()
        EcsAgentEmulator(regions=[REGION]).sync()
    raise AssertionError("the step never ended")


def test_it_creates_the_cluster_with_its_tags_and_says_so(launch):
    operation = launch(container_insights="on")
    step = run_to_the_end(operation.step(Step.Kind.CLUSTER))

    assert step.state == Step.State.SUCCEEDED
    assert step.message == "ECS cluster demo-cluster successfully created"
    cluster = boto3.client("ecs", region_name=REGION).describe_clusters(
        clusters=["demo-cluster"], include=["TAGS", "SETTINGS"]
    )["clusters"][0]
    assert cluster["status"] == "ACTIVE"
    assert step.outputs["cluster_arn"] == cluster["clusterArn"]
    assert {"key": "team", "value": "platform"} in cluster["tags"]
    assert {"name": "containerInsights", "value": "enabled"} in cluster["settings"]


def test_creating_the_cluster_twice_leaves_one_cluster(launch):
    operation = launch()
    first = run_to_the_end(operation.step(Step.Kind.CLUSTER))
    Step.objects.filter(pk=first.pk).update(state=Step.State.PENDING)
    second = run_to_the_end(Step.objects.get(pk=first.pk))

    arns = boto3.client("ecs", region_name=REGION).list_clusters()["clusterArns"]
    assert arns == [first.outputs["cluster_arn"]] == [second.outputs["cluster_arn"]]


def test_it_makes_the_instance_role_with_the_managed_policy_and_its_profile(launch):
    # Let ECS Console read the host (SSM) unticked: the console's own role, ECS policy only.
    step = run_to_the_end(launch(ssm_host_access="").step(Step.Kind.INSTANCE_ROLE))

    assert step.state == Step.State.SUCCEEDED
    assert step.message == "IAM Policy for the role ecsInstanceRole successfully attached"
    iam = boto3.client("iam", region_name=REGION)
    attached = iam.list_attached_role_policies(RoleName="ecsInstanceRole")["AttachedPolicies"]
    assert [policy["PolicyArn"] for policy in attached] == [POLICY_ARN]
    profile = iam.get_instance_profile(InstanceProfileName="ecsInstanceRole")["InstanceProfile"]
    assert [role["RoleName"] for role in profile["Roles"]] == ["ecsInstanceRole"]
    trust = iam.get_role(RoleName="ecsInstanceRole")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}


def test_an_existing_role_and_profile_are_reused(launch):
    operation = launch()
    run_to_the_end(operation.step(Step.Kind.INSTANCE_ROLE))
    Step.objects.filter(operation=operation).update(state=Step.State.PENDING)

    step = run_to_the_end(operation.step(Step.Kind.INSTANCE_ROLE))

    assert step.state == Step.State.SUCCEEDED
    iam = boto3.client("iam", region_name=REGION)
    assert len(iam.list_instance_profiles()["InstanceProfiles"]) == 1


def test_aws_refusing_the_role_reaches_the_step_as_aws_reason(launch):
    iam = boto3.client("iam", region_name=REGION)
    iam.create_role(RoleName="otherRole", AssumeRolePolicyDocument="{}")
    iam.create_instance_profile(InstanceProfileName="ecsInstanceRole")
    iam.add_role_to_instance_profile(InstanceProfileName="ecsInstanceRole", RoleName="otherRole")
    step = launch().step(Step.Kind.INSTANCE_ROLE)
    assert step.claim()

    with pytest.raises(AwsError) as refused:
        provisioning.run(step)

    assert str(refused.value) == "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"


def created_stack(launch, **changes):
    operation = launch(**changes)
    run_to_the_end(operation.step(Step.Kind.INSTANCE_ROLE))
    return operation, run_to_the_end(operation.step(Step.Kind.STACK))


def test_it_creates_the_stack_and_records_what_it_made(launch):
    operation, step = created_stack(launch)

    assert step.state == Step.State.SUCCEEDED, step.message
    assert step.message == (
        "CloudFormation stack EC2ContainerService-demo-cluster and its resources successfully created"
    )
    stack = boto3.client("cloudformation", region_name=REGION).describe_stacks(
        StackName="EC2ContainerService-demo-cluster"
    )["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert step.outputs["stack_id"] == stack["StackId"]
    made = step.outputs["resources"]
    assert made["Vpc"].startswith("vpc-")
    assert made["EcsInstanceLaunchTemplate"].startswith("lt-")
    assert len(step.outputs["availability_zones"]) == 2


def test_the_launch_template_tells_the_agent_its_cluster(launch):
    _, step = created_stack(launch)

    ec2 = boto3.client("ec2", region_name=REGION)
    version = ec2.describe_launch_template_versions(
        LaunchTemplateId=step.outputs["resources"]["EcsInstanceLaunchTemplate"]
    )["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    user_data = base64.b64decode(version["UserData"]).decode()
    assert "echo ECS_CLUSTER=demo-cluster >> /etc/ecs/ecs.config" in user_data
    assert version["InstanceType"] == "t2.micro"
    assert version["IamInstanceProfile"] == {"Name": "ecsInstanceRole"}


def test_the_auto_scaling_group_runs_the_chosen_number_of_instances(launch):
    _, step = created_stack(launch, instance_count="2")

    group = boto3.client("autoscaling", region_name=REGION).describe_auto_scaling_groups(
        AutoScalingGroupNames=[step.outputs["resources"]["EcsInstanceAsg"]]
    )["AutoScalingGroups"][0]
    assert group["DesiredCapacity"] == 2
    assert len(group["Instances"]) == 2


def test_the_security_group_opens_the_lab_port(launch):
    _, step = created_stack(launch)

    group = boto3.client("ec2", region_name=REGION).describe_security_groups(
        GroupIds=[step.outputs["resources"]["EcsSecurityGroup"]]
    )["SecurityGroups"][0]
    rule = group["IpPermissions"][0]
    assert (rule["FromPort"], rule["ToPort"], rule["IpRanges"][0]["CidrIp"]) == (22, 22, "0.0.0.0/0")


def test_running_the_stack_step_again_does_not_make_a_second_stack(launch):
    operation, step = created_stack(launch)
    Step.objects.filter(pk=step.pk).update(state=Step.State.PENDING)

    again = run_to_the_end(Step.objects.get(pk=step.pk))

    assert again.state == Step.State.SUCCEEDED
    stacks = boto3.client("cloudformation", region_name=REGION).describe_stacks()["Stacks"]
    assert [s["StackName"] for s in stacks] == ["EC2ContainerService-demo-cluster"]


def test_an_existing_vpc_gets_only_the_security_group_launch_template_and_group(launch, ec2):
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [default_vpc["VpcId"]]}])
    chosen = sorted(subnet["SubnetId"] for subnet in subnets["Subnets"][:3])

    _, step = created_stack(launch, vpc=default_vpc["VpcId"], subnet_ids=chosen)

    assert step.state == Step.State.SUCCEEDED, step.message
    assert set(step.outputs["resources"]) == {
        "EcsSecurityGroup",
        "EcsInstanceLaunchTemplate",
        "EcsInstanceAsg",
    }
    group = boto3.client("autoscaling", region_name=REGION).describe_auto_scaling_groups()[
        "AutoScalingGroups"
    ][0]
    assert sorted(group["VPCZoneIdentifier"].split(",")) == chosen


def test_the_clusters_tags_reach_its_instances(launch, ec2):
    _, step = created_stack(launch)

    reservations = ec2.describe_instances(
        Filters=[{"Name": "instance-state-name", "Values": ["running"]}]
    )["Reservations"]
    tags = [{t["Key"]: t["Value"] for t in i["Tags"]} for r in reservations for i in r["Instances"]]
    assert tags and all(instance_tags.get("team") == "platform" for instance_tags in tags)
