"""Configure cluster's "Let ECS Console read the host (SSM)": on by default, it attaches
AmazonSSMManagedInstanceCore to the role; Delete Cluster never takes it away."""

import boto3

from clusters.forms import Ec2LinuxClusterForm
from clusters.models import Operation
from tests.conftest import REGION

SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
ECS_FOR_EC2 = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"


def attached(role="ecsInstanceRole"):
    iam = boto3.client("iam", region_name=REGION)
    policies = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    return {policy["PolicyArn"] for policy in policies}


def test_it_is_on_when_the_page_opens_and_says_why(options):
    form = Ec2LinuxClusterForm(options=options)

    field = form["ssm_host_access"]
    assert field.value() is True
    assert field.label == "Let ECS Console read the host (SSM)"
    assert "cat /etc/ecs/ecs.config" in field.help_text
    assert "changes a role the whole account shares" in field.help_text


def test_the_wizard_attaches_the_ssm_policy_beside_the_ecs_one(launch, finish):
    operation = finish(launch())

    assert operation.request.instances.ssm_host_access is True
    assert attached() == {ECS_FOR_EC2, SSM_CORE}


def test_unticked_the_role_gets_only_the_ecs_policy(launch, finish):
    finish(launch(ssm_host_access=""))

    assert attached() == {ECS_FOR_EC2}


def test_delete_cluster_leaves_the_policy_on_the_shared_role(lab_cluster, finish, user):
    from clusters.configuration import DeleteRequest

    deleting = Operation.objects.submit(
        action=Operation.Action.DELETE,
        cluster_name="demo-cluster",
        region=REGION,
        user=user,
        request=DeleteRequest(),
    ).operation
    finish(deleting)

    assert deleting.has_succeeded, [s.message for s in deleting.steps.all()]
    assert attached() == {ECS_FOR_EC2, SSM_CORE}
