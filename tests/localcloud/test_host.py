"""The hosts answer the lab's commands through SSM Run Command as a real ECS-optimized host does,
and SSM refuses the instances AWS refuses."""

import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from clusters.plan import EC2_TRUST_POLICY
from localcloud.agent import EcsAgentEmulator
from localcloud.host import (
    Host,
    Registration,
    agent_log_lines,
    docker_ps,
    ecs_config_written_by,
    human_duration,
)
from tests.e2e.waiting import wait_until

from .cloud import console_stack_template, launch, linux_user_data, recommended, windows_user_data

SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
ECS_FOR_EC2 = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
AL1 = "/aws/service/ecs/optimized-ami/amazon-linux/recommended"
WINDOWS_2019 = "/aws/service/ami-windows-latest/Windows_Server-2019-English-Full-ECS_Optimized"
CONSOLE_USER_DATA = (
    "#!/bin/bash\necho ECS_CLUSTER=demo >> /etc/ecs/ecs.config;"
    "echo ECS_BACKEND_HOST= >> /etc/ecs/ecs.config;"
)


def instance_role(aws, name="ecsInstanceRole", policies=(ECS_FOR_EC2, SSM_CORE)):
    aws.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(EC2_TRUST_POLICY))
    for policy in policies:
        aws.iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    aws.iam.create_instance_profile(InstanceProfileName=name)
    aws.iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    return name


def host(aws, user_data=CONSOLE_USER_DATA, profile="ecsInstanceRole", image=None, cluster="demo"):
    """A registered host of the cluster, launched with the profile: its instance id."""
    aws.ecs.create_cluster(clusterName=cluster)
    image_id = recommended(aws, image)["image_id"] if image else None
    [instance_id] = launch(aws, user_data, image_id=image_id)
    if profile:
        aws.ec2.associate_iam_instance_profile(
            InstanceId=instance_id, IamInstanceProfile={"Name": profile}
        )
    EcsAgentEmulator(session=aws.session).sync()
    return instance_id


def run(aws, instance_id, *commands, document="AWS-RunShellScript"):
    """SendCommand, then GetCommandInvocation until the host has answered."""
    command_id = aws.ssm.send_command(
        InstanceIds=[instance_id], DocumentName=document, Parameters={"commands": list(commands)}
    )["Command"]["CommandId"]

    def finished():
        invocation = aws.ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
        return invocation if invocation["Status"] not in ("Pending", "InProgress") else None

    return wait_until(finished, 5, f"the host to answer {commands}")


def test_cat_ecs_config_shows_what_the_consoles_user_data_wrote(aws):
    instance_role(aws)
    instance_id = host(aws)

    answer = run(aws, instance_id, "cat /etc/ecs/ecs.config")

    assert answer["Status"] == "Success"
    assert answer["ResponseCode"] == 0
    assert answer["StandardOutputContent"] == "ECS_CLUSTER=demo\nECS_BACKEND_HOST=\n"


def test_a_command_is_in_progress_with_no_output_before_the_host_answers(aws):
    instance_role(aws)
    instance_id = host(aws)

    command_id = aws.ssm.send_command(
        InstanceIds=[instance_id],
        DocumentName="AWS-RunShellScript",
        Parameters={"commands": ["cat /etc/ecs/ecs.config"]},
    )["Command"]["CommandId"]
    first = aws.ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)

    assert first["Status"] == "InProgress"
    assert first["ResponseCode"] == -1
    assert first["StandardOutputContent"] == ""


def test_a_stack_made_by_hand_shows_its_own_user_data_byte_for_byte(aws):
    profile = instance_role(aws)
    aws.ecs.create_cluster(clusterName="handmade")
    user_data = (
        "#!/bin/bash\n"
        "yum install -y jq\n"
        "echo ECS_CLUSTER=handmade >> /etc/ecs/ecs.config\n"
        "echo 'ECS_ENABLE_CONTAINER_METADATA=true' >> /etc/ecs/ecs.config && echo done\n"
        'echo "ECS_RESERVED_MEMORY=256" >> /etc/ecs/ecs.config\n'
        "echo not for the agent >> /tmp/notes\n"
        "cat <<'EOF' >> /etc/ecs/ecs.config\n"
        "ECS_AVAILABLE_LOGGING_DRIVERS=[\"json-file\",\"awslogs\"]\n"
        "ECS_IMAGE_PULL_BEHAVIOR=prefer-cached\n"
        "EOF\n"
    )
    aws.cloudformation.create_stack(
        StackName="by-hand",
        TemplateBody=console_stack_template(
            "handmade",
            recommended(aws)["image_id"],
            user_data=user_data,
            instance_profile=profile,
        ),
        Parameters=[{"ParameterKey": "AsgMaxSize", "ParameterValue": "1"}],
    )
    EcsAgentEmulator(session=aws.session).sync()
    [group] = aws.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
    instance_id = group["Instances"][0]["InstanceId"]

    answer = run(aws, instance_id, "cat /etc/ecs/ecs.config")

    assert answer["StandardOutputContent"] == (
        "ECS_CLUSTER=handmade\n"
        "ECS_ENABLE_CONTAINER_METADATA=true\n"
        "ECS_RESERVED_MEMORY=256\n"
        'ECS_AVAILABLE_LOGGING_DRIVERS=["json-file","awslogs"]\n'
        "ECS_IMAGE_PULL_BEHAVIOR=prefer-cached\n"
    )


def test_ecs_config_follows_the_shells_rules_for_echo_and_truncation():
    assert ecs_config_written_by("echo ECS_CLUSTER=x >> /etc/ecs/ecs.config") == ""
    assert (
        ecs_config_written_by(
            "#!/bin/bash\n"
            "echo ECS_CLUSTER=old >> /etc/ecs/ecs.config\n"
            "echo ECS_CLUSTER=new > /etc/ecs/ecs.config\n"
            "echo -n ECS_LOGLEVEL=debug >> /etc/ecs/ecs.config # no newline\n"
        )
        == "ECS_CLUSTER=new\nECS_LOGLEVEL=debug"
    )


def test_docker_ps_lists_the_agent_container_healthy_with_no_ports(aws):
    instance_role(aws)
    instance_id = host(aws)

    output = run(aws, instance_id, "docker ps")["StandardOutputContent"]

    header, row = output.splitlines()
    assert re.split(r"\s{3,}", header) == [
        "CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES",
    ]
    assert row.endswith("ecs-agent")
    assert "amazon/amazon-ecs-agent:latest" in row
    assert '"/agent"' in row
    # PORTS is empty (host networking): the status is followed straight by the name's column.
    assert row[header.index("PORTS"): header.index("NAMES")].strip() == ""
    assert re.search(r"Up .+ \((healthy|health: starting)\)", row)


def test_docker_ps_says_how_long_the_agent_has_been_up_as_docker_does():
    registered = datetime(2021, 2, 1, 10, 0, 0, tzinfo=timezone.utc)
    running = Host(
        "i-0abc",
        windows=False,
        launched_at=registered - timedelta(minutes=1),
        user_data="",
        cluster_in_user_data="demo",
        registration=Registration(
            "demo", "arn:aws:ecs:us-east-1:1:container-instance/demo/ab", "1.50.0", "7afe9831",
            "Docker version 19.03.13-ce", registered, 979,
        ),
    )

    output = docker_ps(running, registered + timedelta(minutes=36))

    assert "36 minutes ago" in output
    assert "Up 36 minutes (healthy)" in output
    # Docker before 20.10 laid the table out in columns of at least 20 characters.
    assert output.index("IMAGE") == 20
    assert human_duration(timedelta(seconds=59)) == "59 seconds"
    assert human_duration(timedelta(minutes=1, seconds=30)) == "About a minute"
    assert human_duration(timedelta(hours=3)) == "3 hours"


def test_docker_logs_use_the_1_5x_format_for_an_agent_before_1_60():
    registered = datetime(2021, 2, 1, 10, 0, 3, tzinfo=timezone.utc)
    arn = (
        "arn:aws:ecs:us-east-1:123456789012:container-instance/demo/"
        "3330a8a91d15464ea30662d5840164cd"
    )
    running = Host(
        "i-0abc", False, registered, "", "demo",
        Registration("demo", arn, "1.50.0", "7afe9831", "Docker version 19.03.13-ce",
                     registered, 979),
    )

    lines = agent_log_lines(running).splitlines()

    assert lines[0] == (
        'level=info time=2021-02-01T10:00:00Z msg="Loading configuration" module=agent.go'
    )
    assert 'msg="Amazon ECS agent Version: 1.50.0, Commit: 7afe9831" module=agent.go' in lines[3]
    assert any(
        f"msg=\"Registration completed successfully. I am running as '{arn}' in cluster 'demo'\""
        in line
        for line in lines
    )


def test_docker_logs_show_the_agents_start_and_registration_in_its_versions_format(aws):
    instance_role(aws)
    instance_id = host(aws)
    [arn] = aws.ecs.list_container_instances(cluster="demo")["containerInstanceArns"]
    version = recommended(aws)["ecs_agent_version"]

    output = run(aws, instance_id, "docker logs ecs-agent")["StandardOutputContent"]

    # The AMI's agent is 1.60 or later: structured fields and no module=.
    assert f'msg="Starting Amazon ECS Agent" version={version}' in output
    assert (
        f'msg="Instance registration completed successfully" instanceArn={arn} cluster=demo'
        in output
    )
    assert "module=" not in output
    last_two = run(aws, instance_id, "docker logs --tail 2 ecs-agent")["StandardOutputContent"]
    assert last_two.splitlines() == output.splitlines()[-2:]


def test_the_introspection_api_gives_the_cluster_the_container_instance_and_the_version(aws):
    instance_role(aws)
    instance_id = host(aws)
    [arn] = aws.ecs.list_container_instances(cluster="demo")["containerInstanceArns"]
    [described] = aws.ecs.describe_container_instances(cluster="demo", containerInstances=[arn])[
        "containerInstances"
    ]
    version = described["versionInfo"]

    output = run(aws, instance_id, "curl -s localhost:51678/v1/metadata")["StandardOutputContent"]

    assert json.loads(output) == {
        "Cluster": "demo",
        "ContainerInstanceArn": arn,
        "Version": f"Amazon ECS Agent - v{version['agentVersion']} ({version['agentHash']})",
    }
    assert list(json.loads(output)) == ["Cluster", "ContainerInstanceArn", "Version"]


def test_before_registration_nothing_listens_on_51678(aws):
    instance_role(aws)
    # The cluster the user data names does not exist: the agent never registers.
    [instance_id] = launch(aws, linux_user_data("nowhere"))
    aws.ec2.associate_iam_instance_profile(
        InstanceId=instance_id, IamInstanceProfile={"Name": "ecsInstanceRole"}
    )
    EcsAgentEmulator(session=aws.session).sync()

    answer = run(aws, instance_id, "curl -s localhost:51678/v1/metadata")
    logs = run(aws, instance_id, "docker logs ecs-agent")["StandardOutputContent"]

    assert answer["Status"] == "Failed"
    assert answer["ResponseCode"] == 7
    assert answer["StandardOutputContent"] == ""
    assert "ClusterNotFoundException" in logs


def test_an_unknown_command_fails_as_the_shell_says(aws):
    instance_role(aws)
    instance_id = host(aws)

    answer = run(aws, instance_id, "ecs-cli --version")

    assert answer["Status"] == "Failed"
    assert answer["ResponseCode"] == 127
    assert "ecs-cli: command not found" in answer["StandardErrorContent"]


def test_a_role_without_the_ssm_policy_is_refused_with_invalid_instance_id(aws):
    instance_role(aws, policies=(ECS_FOR_EC2,))
    instance_id = host(aws)

    with pytest.raises(ClientError) as refused:
        aws.ssm.send_command(
            InstanceIds=[instance_id],
            DocumentName="AWS-RunShellScript",
            Parameters={"commands": ["cat /etc/ecs/ecs.config"]},
        )

    error = refused.value.response["Error"]
    assert error["Code"] == "InvalidInstanceId"
    assert error["Message"] == (
        f"Instances [[{instance_id}]] not in a valid state for account 123456789012"
    )


def test_an_instance_without_a_profile_is_refused(aws):
    instance_id = host(aws, profile=None)

    with pytest.raises(ClientError) as refused:
        run(aws, instance_id, "docker ps")

    assert refused.value.response["Error"]["Code"] == "InvalidInstanceId"


def test_amazon_linux_1_has_no_ssm_agent_so_it_is_not_managed(aws):
    instance_role(aws)
    instance_id = host(aws, image=AL1)

    with pytest.raises(ClientError) as refused:
        run(aws, instance_id, "cat /etc/ecs/ecs.config")

    assert refused.value.response["Error"]["Code"] == "InvalidInstanceId"


def test_a_shell_script_to_a_windows_host_is_an_unsupported_platform(aws):
    instance_role(aws)
    instance_id = host(aws, user_data=windows_user_data("demo"), image=WINDOWS_2019)

    with pytest.raises(ClientError) as refused:
        run(aws, instance_id, "cat /etc/ecs/ecs.config")

    error = refused.value.response["Error"]
    assert error["Code"] == "UnsupportedPlatformType"
    assert error["Message"] == (
        f"Cannot perform operation for instance id {instance_id} of platform type Windows"
    )


def test_a_windows_host_answers_powershell_with_its_config_and_metadata(aws):
    instance_role(aws)
    instance_id = host(aws, user_data=windows_user_data("demo"), image=WINDOWS_2019)

    config = run(
        aws, instance_id, r"Get-Content C:\ProgramData\Amazon\ECS\ecs.config",
        document="AWS-RunPowerShellScript",
    )
    metadata = run(
        aws, instance_id, "curl.exe -s http://localhost:51678/v1/metadata",
        document="AWS-RunPowerShellScript",
    )

    assert config["PluginName"] == "aws:runPowerShellScript"
    assert config["StandardOutputContent"].startswith("ECS_CLUSTER=demo\n")
    assert json.loads(metadata["StandardOutputContent"])["Cluster"] == "demo"


def test_a_commands_answer_is_kept_with_the_clouds_state(aws):
    from localcloud import persistence

    persistence.install()
    instance_role(aws)
    instance_id = host(aws)
    answer = run(aws, instance_id, "cat /etc/ecs/ecs.config")
    everything = persistence.backends()
    data = persistence.picture(everything, {id(b): k for k, b in everything.items()})

    persistence.forget_everything()
    with persistence.restoring():
        persistence.put_back(data)

    kept = aws.ssm.get_command_invocation(
        CommandId=answer["CommandId"], InstanceId=instance_id
    )
    assert kept["StandardOutputContent"] == "ECS_CLUSTER=demo\nECS_BACKEND_HOST=\n"


def test_a_command_sent_to_one_host_runs_on_that_host_only(aws):
    # moto ran it on every instance of the account (a filter of no targets matches all), and
    # an instance SSM does not manage among them broke the call.
    instance_role(aws)
    instance_id = host(aws)
    launch(aws, CONSOLE_USER_DATA)

    answer = run(aws, instance_id, "cat /etc/ecs/ecs.config")
    [command] = aws.ssm.list_commands(CommandId=answer["CommandId"])["Commands"]

    assert command["InstanceIds"] == [instance_id]
    assert command["TargetCount"] == 1


def test_a_command_sent_by_tag_runs_on_the_managed_hosts_the_tag_chooses(aws):
    # With Targets, moto chooses the instances; the emulation answered HTTP 500 on them.
    instance_role(aws)
    instance_id = host(aws)
    aws.ec2.create_tags(Resources=[instance_id], Tags=[{"Key": "lab", "Value": "yes"}])

    command_id = aws.ssm.send_command(
        Targets=[{"Key": "tag:lab", "Values": ["yes"]}],
        DocumentName="AWS-RunShellScript",
        Parameters={"commands": ["cat /etc/ecs/ecs.config"]},
    )["Command"]["CommandId"]
    answer = wait_until(
        lambda: (found := aws.ssm.get_command_invocation(
            CommandId=command_id, InstanceId=instance_id
        ))["Status"] not in ("Pending", "InProgress") and found,
        5,
        "the host to answer",
    )

    assert answer["Status"] == "Success"
    assert answer["StandardOutputContent"].startswith("ECS_CLUSTER=demo\n")
