"""What the cluster is made of, each on its own page: read from AWS after a real lab create."""

import base64
import json

import boto3
import pytest
import yaml
from django.urls import reverse

from clusters.stack_template import (
    ECS_INSTANCE_ROLE_POLICY,
    SSM_MANAGED_INSTANCE_POLICY,
    LogicalId,
)
from resources import reads
from tests.conftest import REGION

CLUSTER = "demo-cluster"
STACK = "EC2ContainerService-demo-cluster"


def made(lab_cluster, logical_id):
    return lab_cluster.step("stack").outputs["resources"][logical_id]


def page(signed_in, name, resource_id, **query):
    response = signed_in.get(reverse(f"resources:{name}", args=[CLUSTER, resource_id]), query)
    assert response.status_code == 200, response.content.decode()[:500]
    return response.content.decode()


@pytest.fixture
def host(lab_cluster):
    group = made(lab_cluster, LogicalId.AUTO_SCALING_GROUP)
    members = boto3.client("autoscaling", region_name=REGION).describe_auto_scaling_groups(
        AutoScalingGroupNames=[group]
    )["AutoScalingGroups"][0]["Instances"]
    return members[0]["InstanceId"]


def test_the_launch_template_page_shows_the_user_data_that_names_the_cluster(
    signed_in, lab_cluster
):
    template_id = made(lab_cluster, LogicalId.LAUNCH_TEMPLATE)

    html = page(signed_in, "launch_template", template_id)

    assert "#!/bin/bash\necho ECS_CLUSTER=demo-cluster &gt;&gt; /etc/ecs/ecs.config" in html
    template = reads.launch_template(REGION, template_id)
    assert template.instance_profile == "ecsInstanceRole"
    assert template.monitoring is True
    assert [(d.device, d.size_gib) for d in template.block_devices] == [("/dev/xvda", 30)]
    assert template.instance_type == "t2.micro"


def test_the_ec2_instance_page_shows_the_host_its_ecs_optimized_ami_and_its_user_data(
    signed_in, lab_cluster, host
):
    html = page(signed_in, "ec2_instance", host)

    instance = reads.instance(REGION, host)
    assert instance.image.name.startswith("amzn2-ami-ecs-hvm-")
    assert instance.image.is_ecs_optimized
    assert instance.image.name in html
    assert 'id="ecs-optimized">Yes' in html
    assert instance.user_data.text.startswith("#!/bin/bash\necho ECS_CLUSTER=demo-cluster ")
    assert "echo ECS_CLUSTER=demo-cluster &gt;&gt; /etc/ecs/ecs.config" in html
    assert instance.instance_type == "t2.micro"
    assert instance.roles == ("ecsInstanceRole",)
    assert [(v.device, v.size_gib, v.delete_on_termination) for v in instance.volumes] == [
        ("/dev/xvda", 30, True)
    ]
    security_group = made(lab_cluster, LogicalId.SECURITY_GROUP)
    assert f'href="/clusters/demo-cluster/security-groups/{security_group}/"' in html
    assert 'href="/clusters/demo-cluster/iam-roles/ecsInstanceRole/"' in html


def test_the_auto_scaling_group_page_shows_two_zones_its_instance_and_its_launch_template(
    signed_in, lab_cluster, host
):
    group_name = made(lab_cluster, LogicalId.AUTO_SCALING_GROUP)

    html = page(signed_in, "auto_scaling_group", group_name)

    group = reads.auto_scaling_group(REGION, group_name)
    assert (group.desired_capacity, group.min_size, group.max_size) == (1, 0, 1)
    assert len({subnet.availability_zone for subnet in group.subnets}) == 2
    assert [m.instance_id for m in group.members] == [host]
    assert group.members[0].health_status == "Healthy"
    assert group.launch_template.template_id == made(lab_cluster, LogicalId.LAUNCH_TEMPLATE)
    assert group.activities, "the launch of the instance is an activity"
    assert f'href="/clusters/demo-cluster/ec2-instances/{host}/"' in html
    assert "Network: 2 subnets in 2 Availability Zones" in html
    assert "ECS_CLUSTER=demo-cluster" in html


def test_the_security_group_page_shows_ssh_open_to_the_world_and_all_traffic_out(
    signed_in, lab_cluster
):
    group_id = made(lab_cluster, LogicalId.SECURITY_GROUP)

    html = page(signed_in, "security_group", group_id)

    group = reads.security_group(REGION, group_id)
    assert [(r.protocol, r.port_range, r.peer) for r in group.inbound] == [
        ("tcp", "22", "0.0.0.0/0")
    ]
    assert [(r.protocol, r.peer) for r in group.outbound] == [("All", "0.0.0.0/0")]
    assert "<td>SSH</td><td>tcp</td><td>22</td><td>0.0.0.0/0</td>" in html
    assert "Inbound rules (1)" in html


def test_the_role_page_shows_the_trust_policy_and_the_ecs_policy_document(
    signed_in, lab_cluster
):
    html = page(signed_in, "iam_role", "ecsInstanceRole")

    role = reads.role(REGION, "ecsInstanceRole")
    # The wizard's role holds the ECS policy, and SSM's as the lab's form asks by default.
    policies = {policy.arn: policy for policy in role.policies}
    assert set(policies) == {ECS_INSTANCE_ROLE_POLICY, SSM_MANAGED_INSTANCE_POLICY}
    policy = policies[ECS_INSTANCE_ROLE_POLICY]
    assert policy.kind == "AWS managed"
    actions = json.loads(policy.document)["Statement"][0]["Action"]
    assert "ecs:RegisterContainerInstance" in actions
    assert "ecs:Poll" in actions
    trust = json.loads(role.trust_policy)
    assert trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert "AmazonEC2ContainerServiceforEC2Role" in html
    assert "ecs:RegisterContainerInstance" in html
    assert "ec2.amazonaws.com" in html


def test_the_stack_page_shows_status_parameters_resources_events_outputs_and_template(
    signed_in, lab_cluster
):
    html = page(signed_in, "stack", STACK)

    stack = reads.stack(REGION, STACK)
    assert stack.status == "CREATE_COMPLETE"
    assert ("EcsInstanceType", "t2.micro") in stack.parameters
    assert ("UsedByECSCreateCluster", "true") in stack.outputs
    assert {r.logical_id for r in stack.resources} >= {"Vpc", "EcsSecurityGroup", "EcsInstanceAsg"}
    assert stack.events[0].logical_id == STACK  # newest first: the stack's own CREATE_COMPLETE
    assert stack.events[0].status == "CREATE_COMPLETE"
    group = made(lab_cluster, LogicalId.AUTO_SCALING_GROUP)
    assert f'href="/clusters/demo-cluster/auto-scaling-groups/{group}/"' in html
    assert 'id="resource-Vpc"' in html
    assert "AWSTemplateFormatVersion: &#x27;2010-09-09&#x27;" in html
    assert (
        f"aws cloudformation deploy --template-file {STACK}.yaml --stack-name {STACK}-copy "
        "--parameter-overrides EcsClusterName=demo-cluster EcsAmiId=ami-"
    ) in html
    assert "AsgMaxSize=1 " in html and "KeyName= " in html
    # The person's tags are the stack's: a copy gets them too.
    assert html.count("--tags team=platform") == 1
    json_html = page(signed_in, "stack", STACK, template="json")
    assert "&quot;AWSTemplateFormatVersion&quot;: &quot;2010-09-09&quot;" in json_html


@pytest.mark.parametrize("template_format, load", [("yaml", yaml.safe_load), ("json", json.loads)])
def test_the_template_downloads_as_the_stack_was_made_from_it(
    signed_in, lab_cluster, template_format, load
):
    response = signed_in.get(
        reverse(f"resources:stack_template_{template_format}", args=[CLUSTER, STACK])
    )

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="{STACK}.{template_format}"'
    )
    sent = boto3.client("cloudformation", region_name=REGION).get_template(StackName=STACK)
    assert load(response.content.decode()) == json.loads(json.dumps(sent["TemplateBody"]))


def test_a_yaml_template_with_short_forms_reads_as_their_long_forms():
    body = "Resources:\n  G:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n" \
        "      VpcId: !Ref Vpc\n      GroupDescription: !Sub '${AWS::StackName} group'\n" \
        "      Tags:\n        - Key: Zone\n          Value: !GetAtt Subnet.AvailabilityZone\n"

    properties = reads.parse_template(body)["Resources"]["G"]["Properties"]

    assert properties["VpcId"] == {"Ref": "Vpc"}
    assert properties["GroupDescription"] == {"Fn::Sub": "${AWS::StackName} group"}
    assert properties["Tags"][0]["Value"] == {"Fn::GetAtt": ["Subnet", "AvailabilityZone"]}


@pytest.mark.parametrize(
    "name, resource_id, reason",
    [
        ("ec2_instance", "i-0123456789abcdef0", "does not exist"),
        ("security_group", "sg-0123456789abcdef0", "does not exist"),
        ("launch_template", "lt-0123456789abcdef0", ""),
        ("auto_scaling_group", "no-such-group", "There is no Auto Scaling group named"),
        ("iam_role", "noSuchRole", "found"),  # AWS: "cannot be found"; moto: "not found"
        ("stack", "NoSuchStack", "does not exist"),
    ],
)
def test_an_unknown_id_is_the_console_404_with_aws_reason(
    signed_in, lab_cluster, name, resource_id, reason
):
    response = signed_in.get(reverse(f"resources:{name}", args=[CLUSTER, resource_id]))

    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Not found</h1>" in html
    assert resource_id in html
    assert reason in html
    assert 'href="/clusters/demo-cluster/"' in html


@pytest.mark.parametrize(
    "path",
    [
        "ec2-instances/i-nothex/",
        "ec2-instances/sg-0123456789abcdef0/",
        "security-groups/i-0123456789abcdef0/",
        "launch-templates/lt-short/",
        "auto-scaling-groups/a:b/",
        "iam-roles/" + "r" * 65 + "/",
        "iam-roles/bad%20name/",
        "stacks/1-starts-with-a-digit/",
        "stacks/1-starts-with-a-digit/template.json",
    ],
)
def test_an_id_that_aws_could_not_have_made_is_refused_before_aws_hears_of_it(
    signed_in, lab_cluster, path, monkeypatch
):
    asked = []
    monkeypatch.setattr(reads, "client", lambda *args: asked.append(args))

    response = signed_in.get(f"/clusters/{CLUSTER}/{path}")

    assert response.status_code == 404
    assert "that is not how AWS names one" in response.content.decode()
    assert asked == []


def test_a_resource_page_of_a_cluster_that_is_not_there_is_a_404(signed_in, aws, db):
    response = signed_in.get(reverse("resources:security_group", args=["gone", "sg-0123456789abcdef0"]))

    assert response.status_code == 404
    assert "There is no cluster gone" in response.content.decode()


def test_user_data_that_is_gzipped_or_binary_is_shown_for_what_it_is():
    import gzip

    gzipped = base64.b64encode(gzip.compress(b"#!/bin/bash\necho hi\n")).decode()
    binary = base64.b64encode(b"\xff\xfe\x00").decode()

    assert reads.UserData.from_base64(gzipped).text == "#!/bin/bash\necho hi\n"
    assert reads.UserData.from_base64(binary).text is None
    assert reads.UserData.from_base64("").is_empty


def test_a_spot_groups_page_shows_the_launch_template_of_its_mixed_instances_policy(
    signed_in, launch, finish
):
    spot = finish(launch(provisioning_model="spot", instance_type=["t3.micro", "t3a.micro"]))
    assert spot.has_succeeded, [s.message for s in spot.steps.all()]
    group_name = made(spot, LogicalId.AUTO_SCALING_GROUP)

    html = page(signed_in, "auto_scaling_group", group_name)

    group = reads.auto_scaling_group(REGION, group_name)
    assert group.launch_template.template_id == made(spot, LogicalId.LAUNCH_TEMPLATE)
    assert "echo ECS_CLUSTER=demo-cluster &gt;&gt; /etc/ecs/ecs.config" in html
