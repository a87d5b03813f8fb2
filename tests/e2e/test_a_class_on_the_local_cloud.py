"""Two learners each create the lab's demo-cluster, each in an AWS account of their own: a real
worker assumes each one's role on the local cloud over HTTP, the local cloud's agent registers
each host in the account its instance lives in, and each learner's ECS Instances tab shows their
own host only."""

import boto3
import pytest
from django.test import Client

from accounts.models import AwsIdentity, role_arn_in
from clusters.aws import Person, acting_for
from clusters.tasks import start_operation
from tests.conftest import REGION

from .waiting import wait_until_ended

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

ACCOUNTS = {"alice": "111111111111", "bob": "222222222222"}


def in_account(account_id, service):
    """A boto3 client acting in the account, as its learner's role (the tests' keys as source)."""
    credentials = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=role_arn_in(account_id), RoleSessionName="test"
    )["Credentials"]
    return boto3.client(
        service,
        region_name=REGION,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def host_of(account_id):
    ecs = in_account(account_id, "ecs")
    arns = ecs.list_container_instances(cluster="demo-cluster")["containerInstanceArns"]
    (instance,) = ecs.describe_container_instances(cluster="demo-cluster", containerInstances=arns)[
        "containerInstances"
    ]
    return instance


def test_two_learners_each_get_demo_cluster_with_its_host_in_their_own_account(
    celery_worker, cloud, lab_launch, django_user_model
):
    learners = {}
    for name, account_id in ACCOUNTS.items():
        user = django_user_model.objects.create_user(name, password="x")
        AwsIdentity.objects.filter(user=user).update(role_arn=role_arn_in(account_id))
        learners[name] = user

    operations = {}
    for name, user in learners.items():
        with acting_for(Person(name, role_arn_in(ACCOUNTS[name]))):
            operations[name] = lab_launch("demo-cluster")
        assert operations[name].account_id == ACCOUNTS[name]
    for operation in operations.values():
        start_operation(operation)
    for name, operation in operations.items():
        wait_until_ended(operation)
        assert [step.message for step in operation.ordered_steps][-1] == (
            "1 of 1 instances registered with cluster demo-cluster"
        ), name

    hosts = {name: host_of(account_id) for name, account_id in ACCOUNTS.items()}
    for name, host in hosts.items():
        assert f":{ACCOUNTS[name]}:container-instance/demo-cluster/" in host["containerInstanceArn"]
        assert host["agentConnected"] is True
    # moto's default account, where an unknown key would have landed, has no demo-cluster.
    default = cloud("ecs").describe_clusters(clusters=["demo-cluster"])
    assert default["clusters"] == [] or default["clusters"][0]["status"] == "INACTIVE"

    for name, user in learners.items():
        browser = Client()
        browser.force_login(user)
        tab = browser.get("/clusters/demo-cluster/ecs-instances/").content.decode()
        others = [other for other in hosts if other != name]
        assert hosts[name]["ec2InstanceId"] in tab, name
        assert all(hosts[other]["ec2InstanceId"] not in tab for other in others), name
