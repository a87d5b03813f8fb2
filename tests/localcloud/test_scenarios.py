"""Failure scenarios switched on in a running local cloud behave as AWS does when that goes
wrong, only where they were switched on, and stay on across a restart."""

import inspect
import json
import subprocess
import sys
import urllib.parse
import urllib.request
from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

from clusters.plan import EC2_TRUST_POLICY
from localcloud.scenarios import PATH
from localcloud.server import running_local_cloud, start_local_cloud
from tests.e2e.waiting import wait_until

from .cloud import REGION, console_stack_template, container_instances, linux_user_data, recommended

ACCOUNT = "123456789012"
ROLE = "ecsInstanceRole"
ECS_FOR_EC2 = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
SERVICES = ("ecs", "ec2", "ssm", "iam", "cloudformation", "autoscaling")


@pytest.fixture(scope="module")
def cloud(session, tmp_path_factory):
    """One local cloud for the module (each test uses clusters of its own), its instances
    launched with a role that has the ECS and SSM policies."""
    with running_local_cloud(state_dir=tmp_path_factory.mktemp("state")) as endpoint_url:
        aws = SimpleNamespace(
            endpoint_url=endpoint_url,
            **{s: session.client(s, endpoint_url=endpoint_url) for s in SERVICES},
        )
        aws.iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(EC2_TRUST_POLICY))
        for policy in (ECS_FOR_EC2, SSM_CORE):
            aws.iam.attach_role_policy(RoleName=ROLE, PolicyArn=policy)
        aws.iam.create_instance_profile(InstanceProfileName=ROLE)
        aws.iam.add_role_to_instance_profile(InstanceProfileName=ROLE, RoleName=ROLE)
        yield aws


def switch(endpoint_url, action, scenario, cluster, account=ACCOUNT, **options):
    """Switch a scenario through the local cloud's page, asking for JSON as the CLI does."""
    fields = dict(
        action=action, scenario=scenario, account=account, region=REGION, cluster=cluster,
        **options,
    )
    request = urllib.request.Request(
        endpoint_url + PATH,
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Accept": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def launch_host(aws, cluster):
    """An instance of the recommended AMI whose agent joins `cluster`, with the role."""
    [instance] = aws.ec2.run_instances(
        ImageId=recommended(aws)["image_id"],
        InstanceType="t2.micro",
        MinCount=1,
        MaxCount=1,
        UserData=linux_user_data(cluster),
        IamInstanceProfile={"Name": ROLE},
    )["Instances"]
    return instance["InstanceId"]


def registered(aws, cluster, timeout=20):
    return wait_until(lambda: container_instances(aws, cluster), timeout, f"{cluster} to register")


def registered_host(aws, cluster):
    """A new cluster with one host, once its agent has registered it."""
    aws.ecs.create_cluster(clusterName=cluster)
    launch_host(aws, cluster)
    return registered(aws, cluster)


def after_an_agent_pass(aws, control_cluster):
    """Launch a host in a cluster no scenario touches and wait for it to register: the agent
    has then looked at every instance launched before it."""
    registered_host(aws, control_cluster)


def run(aws, instance_id, command):
    command_id = aws.ssm.send_command(
        InstanceIds=[instance_id],
        DocumentName="AWS-RunShellScript",
        Parameters={"commands": [command]},
    )["Command"]["CommandId"]

    def finished():
        answer = aws.ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
        return answer if answer["Status"] not in ("Pending", "InProgress") else None

    return wait_until(finished, 10, f"the host to answer {command}")


def test_with_no_route_to_ecs_the_instance_runs_but_never_registers_and_ssm_cannot_reach_it(
    cloud,
):
    switch(cloud.endpoint_url, "on", "no-route-to-ecs", "private")
    cloud.ecs.create_cluster(clusterName="private")
    instance_id = launch_host(cloud, "private")

    after_an_agent_pass(cloud, "private-control")

    assert container_instances(cloud, "private") == []
    [reservation] = cloud.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    [instance] = reservation["Instances"]
    assert instance["State"]["Name"] == "running"
    # Its page says why: it launched without a public IP (the control host, in the same
    # default subnet, has one).
    assert "PublicIpAddress" not in instance
    [control] = container_instances(cloud, "private-control")
    [[control_host]] = [
        r["Instances"]
        for r in cloud.ec2.describe_instances(InstanceIds=[control["ec2InstanceId"]])[
            "Reservations"
        ]
    ]
    assert control_host["PublicIpAddress"]
    with pytest.raises(ClientError) as refused:
        cloud.ssm.send_command(
            InstanceIds=[instance_id],
            DocumentName="AWS-RunShellScript",
            Parameters={"commands": ["docker logs ecs-agent"]},
        )
    assert refused.value.response["Error"]["Code"] == "InvalidInstanceId"
    assert refused.value.response["Error"]["Message"] == (
        f"Instances [[{instance_id}]] not in a valid state for account {ACCOUNT}"
    )

    # A route once there (a NAT gateway, say), the agent registers at its next try.
    switch(cloud.endpoint_url, "off", "no-route-to-ecs", "private")
    [container_instance] = registered(cloud, "private")
    assert container_instance["ec2InstanceId"] == instance_id


def test_a_scenario_of_one_account_leaves_another_accounts_cluster_of_that_name_alone(cloud):
    switch(cloud.endpoint_url, "on", "no-route-to-ecs", "twin", account="111111111111")
    cloud.ecs.create_cluster(clusterName="twin")
    instance_id = launch_host(cloud, "twin")

    [container_instance] = registered(cloud, "twin")

    assert container_instance["ec2InstanceId"] == instance_id


def test_without_the_ecs_policy_registration_is_denied_as_the_agents_log_shows(cloud):
    switch(cloud.endpoint_url, "on", "instance-role-without-ecs-policy", "denied")
    cloud.ecs.create_cluster(clusterName="denied")
    instance_id = launch_host(cloud, "denied")

    after_an_agent_pass(cloud, "denied-control")

    assert container_instances(cloud, "denied") == []
    denied = (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/{instance_id} is not authorized to "
        f"perform: ecs:RegisterContainerInstance on resource: "
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/denied"
    )
    with pytest.raises(ClientError) as refused:
        cloud.ecs.register_container_instance(
            cluster="denied",
            instanceIdentityDocument=json.dumps({"instanceId": instance_id}),
        )
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert refused.value.response["Error"]["Message"] == denied
    log = run(cloud, instance_id, "docker logs ecs-agent")["StandardOutputContent"]
    assert "Unable to register as a container instance with ECS: AccessDeniedException: " in log
    assert denied in log
    assert "Registered container instance" not in log


def test_a_failing_security_group_rolls_the_stack_back_with_awss_limit_reason(cloud):
    switch(cloud.endpoint_url, "on", "stack-resource-fails", "sg-limit")
    template = console_stack_template("sg-limit", recommended(cloud)["image_id"])
    cloud.cloudformation.create_stack(
        StackName="EC2ContainerService-sg-limit",
        TemplateBody=template,
        Parameters=[{"ParameterKey": "AsgMaxSize", "ParameterValue": "1"}],
    )

    [stack] = cloud.cloudformation.describe_stacks(StackName="EC2ContainerService-sg-limit")[
        "Stacks"
    ]
    events = cloud.cloudformation.describe_stack_events(StackName=stack["StackId"])["StackEvents"]
    [failed] = [
        e
        for e in events
        if e["LogicalResourceId"] == "EcsSecurityGroup" and e["ResourceStatus"] == "CREATE_FAILED"
    ]
    vpc = next(
        e["PhysicalResourceId"]
        for e in events
        if e["LogicalResourceId"] == "Vpc" and e["PhysicalResourceId"]
    )
    rollback = next(e for e in events if e["ResourceStatus"] == "ROLLBACK_IN_PROGRESS")

    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert failed["ResourceStatusReason"].startswith(
        f"The maximum number of security groups for VPC '{vpc}' has been reached. (Service: "
        "AmazonEC2; Status Code: 400; Error Code: SecurityGroupLimitExceeded; Request ID: "
    )
    assert rollback["ResourceStatusReason"] == (
        "The following resource(s) failed to create: [EcsSecurityGroup]. "
        "Rollback requested by user."
    )
    # Another cluster's stack is not touched.
    cloud.cloudformation.create_stack(
        StackName="EC2ContainerService-sg-fine",
        TemplateBody=console_stack_template("sg-fine", recommended(cloud)["image_id"]),
        Parameters=[{"ParameterKey": "AsgMaxSize", "ParameterValue": "0"}],
    )
    [fine] = cloud.cloudformation.describe_stacks(StackName="EC2ContainerService-sg-fine")[
        "Stacks"
    ]
    assert fine["StackStatus"] == "CREATE_COMPLETE"


def test_an_agent_that_disconnects_stays_disconnected_until_the_scenario_ends(cloud):
    registered_host(cloud, "flaky")

    switch(cloud.endpoint_url, "on", "agent-disconnects", "flaky")
    [disconnected] = container_instances(cloud, "flaky")
    after_an_agent_pass(cloud, "flaky-control")
    [still] = container_instances(cloud, "flaky")

    assert disconnected["agentConnected"] is False
    assert still["agentConnected"] is False
    assert still["status"] == "ACTIVE"

    switch(cloud.endpoint_url, "off", "agent-disconnects", "flaky")
    wait_until(
        lambda: container_instances(cloud, "flaky")[0]["agentConnected"],
        20,
        "the agent to connect again",
    )


def test_a_drained_cluster_drains_its_instances_and_those_that_register_after(cloud):
    registered_host(cloud, "drained")

    switch(cloud.endpoint_url, "on", "instance-drained", "drained")
    [first] = container_instances(cloud, "drained")
    launch_host(cloud, "drained")
    both = wait_until(
        lambda: len(container_instances(cloud, "drained")) == 2
        and container_instances(cloud, "drained"),
        20,
        "the second instance to register",
    )

    assert first["status"] == "DRAINING"
    assert [ci["status"] for ci in both] == ["DRAINING", "DRAINING"]


def test_without_capacity_in_one_zone_the_group_says_so_and_launches_in_the_other(cloud):
    switch(cloud.endpoint_url, "on", "insufficient-capacity", "no-capacity")
    cloud.cloudformation.create_stack(
        StackName="EC2ContainerService-no-capacity",
        TemplateBody=console_stack_template("no-capacity", recommended(cloud)["image_id"]),
        Parameters=[{"ParameterKey": "AsgMaxSize", "ParameterValue": "1"}],
    )
    group_name = cloud.cloudformation.describe_stack_resource(
        StackName="EC2ContainerService-no-capacity", LogicalResourceId="EcsInstanceAsg"
    )["StackResourceDetail"]["PhysicalResourceId"]

    [group] = cloud.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group_name])[
        "AutoScalingGroups"
    ]
    launched, failed = cloud.autoscaling.describe_scaling_activities(
        AutoScalingGroupName=group_name
    )["Activities"]

    assert [i["AvailabilityZone"] for i in group["Instances"]] == [f"{REGION}b"]
    reason = (
        f"We currently do not have sufficient t2.micro capacity in the Availability Zone you "
        f"requested ({REGION}a). Our system will be working on provisioning additional "
        f"capacity. You can currently get t2.micro capacity by not specifying an Availability "
        f"Zone in your request or choosing {REGION}b, {REGION}c"
    )
    assert failed["StatusCode"] == "Failed"
    assert failed["Description"].startswith(
        f"Launching a new EC2 instance.  Status Reason: {reason}"
    )
    assert failed["Description"].endswith(". Launching EC2 instance failed.")
    assert failed["StatusMessage"].startswith(reason)
    assert json.loads(failed["Details"])["Availability Zone"] == f"{REGION}a"
    assert launched["StatusCode"] == "Successful"
    assert launched["Description"] == (
        f"Launching a new EC2 instance: {group['Instances'][0]['InstanceId']}"
    )


def test_the_cli_switches_a_scenario_on_lists_it_and_switches_it_off(cloud):
    def cli(*arguments):
        return subprocess.run(
            [sys.executable, "-m", "localcloud", "scenario", *arguments,
             "--endpoint", cloud.endpoint_url],
            capture_output=True, text=True, timeout=60, check=False,
        )

    on = cli("on", "agent-disconnects", "--cluster", "cli-demo", "--region", REGION)
    listed = cli("list")
    off = cli("off", "agent-disconnects", "--cluster", "cli-demo", "--region", REGION)
    after = cli("list")
    wrong = cli("on", "agent-disconnects", "--account", "12")

    assert on.returncode == 0, on.stderr
    assert on.stdout.strip() == (
        f"agent-disconnects is on for account {ACCOUNT}, {REGION}, cluster cli-demo"
    )
    assert (
        f"agent-disconnects --account {ACCOUNT} --region {REGION} --cluster cli-demo"
        in listed.stdout.splitlines()
    )
    assert off.stdout.strip().startswith("agent-disconnects is off")
    assert "cli-demo" not in after.stdout
    assert wrong.returncode == 2
    assert "account '12' is not 12 digits" in wrong.stdout


def test_the_cli_takes_an_account_as_the_consoles_top_bar_shows_it(cloud):
    shown = "2222-3333-4444"  # a learner's account, as beside their name in ECS Console

    on = subprocess.run(
        [sys.executable, "-m", "localcloud", "scenario", "on", "agent-disconnects",
         "--account", shown, "--endpoint", cloud.endpoint_url],
        capture_output=True, text=True, timeout=60, check=False,
    )

    assert on.returncode == 0, on.stdout + on.stderr
    assert "agent-disconnects is on for account 222233334444" in on.stdout


def test_the_page_lists_the_scenarios_and_switches_one_with_its_form(cloud):
    def page(data=None):
        request = urllib.request.Request(
            cloud.endpoint_url + PATH,
            data=urllib.parse.urlencode(data).encode() if data else None,
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.headers["Content-Type"], response.read().decode()

    content_type, before = page()
    _, after = page(
        {"action": "on", "scenario": "instance-drained", "account": ACCOUNT, "region": REGION,
         "cluster": "page-demo"}
    )
    _, off = page(
        {"action": "off", "scenario": "instance-drained", "account": ACCOUNT, "region": REGION,
         "cluster": "page-demo"}
    )

    assert content_type.startswith("text/html")
    assert f'<form method="post" action="{PATH}">' in before
    assert '<option value="no-route-to-ecs">' in before
    assert "page-demo" not in before
    assert "instance-drained is on for account" in after
    assert "<td>page-demo</td>" in after
    assert "<td>page-demo</td>" not in off


def test_a_scenario_stays_on_after_the_cloud_restarts(session, tmp_path):
    first = start_local_cloud(state_dir=tmp_path)
    try:
        switch(first.endpoint_url, "on", "stack-resource-fails", "kept", resource="Vpc")
    finally:
        first.stop()

    with running_local_cloud(state_dir=tmp_path) as endpoint_url:
        cloudformation = session.client("cloudformation", endpoint_url=endpoint_url)
        ssm = session.client("ssm", endpoint_url=endpoint_url)
        image_id = json.loads(
            ssm.get_parameter(Name="/aws/service/ecs/optimized-ami/amazon-linux-2/recommended")[
                "Parameter"
            ]["Value"]
        )["image_id"]
        cloudformation.create_stack(
            StackName="EC2ContainerService-kept",
            TemplateBody=console_stack_template("kept", image_id),
            Parameters=[{"ParameterKey": "AsgMaxSize", "ParameterValue": "0"}],
        )
        [stack] = cloudformation.describe_stacks(StackName="EC2ContainerService-kept")["Stacks"]
        events = cloudformation.describe_stack_events(StackName=stack["StackId"])["StackEvents"]

    [failed] = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert failed["LogicalResourceId"] == "Vpc"
    assert failed["ResourceStatusReason"].startswith(
        "The maximum number of VPCs has been reached. (Service: AmazonEC2; Status Code: 400; "
        "Error Code: VpcLimitExceeded; "
    )


def test_the_moto_names_the_scenarios_patch_still_exist_as_they_were():
    from moto.cloudformation import parsing

    original = parsing.__dict__.get(
        "_localcloud_original_parse_resource_and_generate_name",
        parsing.parse_resource_and_generate_name,
    )
    assert list(inspect.signature(original).parameters) == [
        "logical_id",
        "resource_json",
        "resources_map",
    ]
