"""The emulated ECS agent registers instances as the real agent does on AWS."""

from moto.core import DEFAULT_ACCOUNT_ID

from localcloud.agent import EcsAgentEmulator, cluster_from_user_data, registered_memory_mib
from localcloud.server import ChangeCounter, LocalCloud

from .cloud import (
    container_instances,
    in_account,
    launch,
    linux_user_data,
    recommended,
    resource,
    windows_user_data,
)

WINDOWS_2019 = "/aws/service/ami-windows-latest/Windows_Server-2019-English-Full-ECS_Optimized"


def test_it_reads_the_cluster_from_linux_user_data():
    assert cluster_from_user_data(linux_user_data("demo-1")) == "demo-1"


def test_it_reads_the_cluster_from_windows_user_data_in_either_quotes():
    assert cluster_from_user_data(windows_user_data("win_1")) == "win_1"
    assert (
        cluster_from_user_data('Initialize-ECSAgent -Cluster "win-2" -EnableTaskIAMRole') == "win-2"
    )


def test_it_finds_no_cluster_in_user_data_that_names_none():
    assert cluster_from_user_data("#!/bin/bash\nyum update -y\n") is None
    assert cluster_from_user_data("") is None


def test_it_registers_a_t2_micro_with_1024_cpu_and_about_980_mib(aws):
    aws.ecs.create_cluster(clusterName="demo")
    [instance_id] = launch(aws, linux_user_data("demo"))

    changes = EcsAgentEmulator(session=aws.session).sync()

    [container_instance] = container_instances(aws, "demo")
    assert [(c.action, c.ec2_instance_id) for c in changes] == [("registered", instance_id)]
    assert container_instance["ec2InstanceId"] == instance_id
    assert resource(container_instance, "CPU") == 1024
    assert 970 <= resource(container_instance, "MEMORY") <= 990
    assert resource(container_instance, "PORTS") == ["22", "2375", "2376", "51678", "51679"]
    assert resource(container_instance, "PORTS_UDP") == []
    assert container_instance["remainingResources"] == container_instance["registeredResources"]
    assert container_instance["agentConnected"] is True
    assert container_instance["status"] == "ACTIVE"


def test_it_registers_1024_cpu_per_vcpu_and_memory_less_the_reserve(aws):
    aws.ecs.create_cluster(clusterName="demo")
    launch(aws, linux_user_data("demo"), instance_type="m5.xlarge")

    EcsAgentEmulator(session=aws.session).sync()

    [container_instance] = container_instances(aws, "demo")
    assert resource(container_instance, "CPU") == 4 * 1024
    assert resource(container_instance, "MEMORY") == registered_memory_mib(16384)


def test_the_memory_reserve_grows_with_the_instance():
    assert registered_memory_mib(1024) == 979
    assert 7900 < registered_memory_mib(8192) < 8000
    assert registered_memory_mib(16384) < 16384 - 400


def test_it_reports_the_agent_and_docker_versions_of_the_instances_ami(aws):
    ami = recommended(aws)
    aws.ecs.create_cluster(clusterName="demo")
    launch(aws, linux_user_data("demo"), image_id=ami["image_id"])

    EcsAgentEmulator(session=aws.session).sync()

    [container_instance] = container_instances(aws, "demo")
    assert container_instance["versionInfo"]["agentVersion"] == ami["ecs_agent_version"]
    assert container_instance["versionInfo"]["dockerVersion"] == ami["ecs_runtime_version"]
    assert container_instance["versionInfo"]["dockerVersion"].startswith("Docker version ")


def test_an_amazon_linux_1_instance_reports_its_own_older_agent(aws):
    ami = recommended(aws, "/aws/service/ecs/optimized-ami/amazon-linux/recommended")
    aws.ecs.create_cluster(clusterName="demo")
    launch(aws, linux_user_data("demo"), image_id=ami["image_id"])

    EcsAgentEmulator(session=aws.session).sync()

    [container_instance] = container_instances(aws, "demo")
    assert container_instance["versionInfo"]["agentVersion"] == ami["ecs_agent_version"]
    assert ami["ecs_agent_version"] != recommended(aws)["ecs_agent_version"]


def test_a_windows_instance_joins_the_cluster_its_powershell_names_with_its_windows_agent(aws):
    image_id = recommended(aws, WINDOWS_2019)["image_id"]
    windows = recommended(
        aws, "/aws/service/ecs/optimized-ami/windows_server/2019/english/full/recommended"
    )
    aws.ecs.create_cluster(clusterName="win")
    launch(aws, windows_user_data("win"), instance_type="t3.large", image_id=image_id)

    EcsAgentEmulator(session=aws.session).sync()

    [container_instance] = container_instances(aws, "win")
    attributes = {a["name"]: a.get("value") for a in container_instance["attributes"]}
    assert container_instance["versionInfo"]["agentVersion"] == windows["ecs_agent_version"]
    assert container_instance["versionInfo"]["dockerVersion"] == windows["ecs_runtime_version"]
    assert attributes["ecs.os-type"] == "windows"
    assert attributes["ecs.os-family"] == "WINDOWS_SERVER_2019_FULL"
    assert "3389" in resource(container_instance, "PORTS")


def test_it_registers_each_instance_once_however_often_it_syncs(aws):
    aws.ecs.create_cluster(clusterName="demo")
    launch(aws, linux_user_data("demo"), count=2)
    agent = EcsAgentEmulator(session=aws.session)

    first = agent.sync()
    second = agent.sync()
    third = EcsAgentEmulator(session=aws.session).sync()

    assert len(first) == 2
    assert second == [] and third == []
    assert len(container_instances(aws, "demo")) == 2
    cluster = aws.ecs.describe_clusters(clusters=["demo"])["clusters"][0]
    assert cluster["registeredContainerInstancesCount"] == 2


def test_it_waits_until_the_cluster_exists_as_the_agent_keeps_retrying(aws):
    launch(aws, linux_user_data("later"))
    agent = EcsAgentEmulator(session=aws.session)
    assert agent.sync() == []

    aws.ecs.create_cluster(clusterName="later")

    assert [c.action for c in agent.sync()] == ["registered"]


def test_an_instance_without_ecs_cluster_joins_the_default_cluster(aws):
    aws.ecs.create_cluster(clusterName="default")
    launch(aws)

    EcsAgentEmulator(session=aws.session).sync()

    assert len(container_instances(aws, "default")) == 1


def test_an_instance_without_ecs_cluster_stays_out_when_there_is_no_default_cluster(aws):
    aws.ecs.create_cluster(clusterName="demo")
    launch(aws)

    assert EcsAgentEmulator(session=aws.session).sync() == []
    assert container_instances(aws, "demo") == []


def test_an_instance_of_a_plain_ami_without_ecs_cluster_runs_no_agent(aws):
    aws.ecs.create_cluster(clusterName="default")
    plain = aws.ssm.get_parameter(
        Name="/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2"
    )["Parameter"]["Value"]
    launch(aws, image_id=plain)

    assert EcsAgentEmulator(session=aws.session).sync() == []


def test_terminating_an_instance_deregisters_it_at_once_and_the_cluster_count_follows(aws):
    aws.ecs.create_cluster(clusterName="demo")
    keep, gone = launch(aws, linux_user_data("demo"), count=2)
    agent = EcsAgentEmulator(session=aws.session)
    registered = {c.ec2_instance_id: c.container_instance_arn for c in agent.sync()}

    aws.ec2.terminate_instances(InstanceIds=[gone])

    assert [ci["ec2InstanceId"] for ci in container_instances(aws, "demo")] == [keep]
    cluster = aws.ecs.describe_clusters(clusters=["demo"])["clusters"][0]
    assert cluster["registeredContainerInstancesCount"] == 1
    deregistered = aws.ecs.describe_container_instances(
        cluster="demo", containerInstances=[registered[gone]]
    )["containerInstances"][0]
    assert deregistered["status"] == "INACTIVE"
    assert deregistered["agentConnected"] is False
    assert agent.sync() == []


def test_the_tasks_of_a_host_that_terminates_stop_with_it_as_ecs_reports_them(aws):
    # AWS: tasks on a container instance that terminates are STOPPED, stoppedReason "Host EC2
    # (instance i-…) terminated."; moto kept them RUNNING on a host that was gone, and a later
    # StopTask failed looking the host up.
    aws.ecs.create_cluster(clusterName="demo")
    (instance_id,) = launch(aws, linux_user_data("demo"))
    EcsAgentEmulator(session=aws.session).sync()
    aws.ecs.register_task_definition(
        family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128}]
    )
    (task,) = aws.ecs.run_task(cluster="demo", taskDefinition="web")["tasks"]

    aws.ec2.terminate_instances(InstanceIds=[instance_id])

    (stopped,) = aws.ecs.describe_tasks(cluster="demo", tasks=[task["taskArn"]])["tasks"]
    assert stopped["lastStatus"] == stopped["desiredStatus"] == "STOPPED"
    assert stopped["stoppedReason"] == f"Host EC2 (instance {instance_id}) terminated."
    assert aws.ecs.list_tasks(cluster="demo", desiredStatus="RUNNING")["taskArns"] == []
    assert aws.ecs.describe_clusters(clusters=["demo"])["clusters"][0]["runningTasksCount"] == 0


def registered_host(aws):
    """A host of cluster demo, registered by its agent: (agent, instance id, registration)."""
    aws.ecs.create_cluster(clusterName="demo")
    [instance_id] = launch(aws, linux_user_data("demo"))
    agent = EcsAgentEmulator(session=aws.session)
    [registered] = agent.sync()
    return agent, instance_id, registered


def test_a_stopped_instance_stays_registered_with_its_agent_disconnected(aws):
    # AWS: stopping a container instance leaves it ACTIVE and registered; ECS marks its agent
    # disconnected (agentConnected false) until the agent connects again.
    _, instance_id, registered = registered_host(aws)
    aws.ec2.stop_instances(InstanceIds=[instance_id])

    changes = EcsAgentEmulator(session=aws.session).sync()

    assert changes == []
    [described] = container_instances(aws, "demo")
    assert described["containerInstanceArn"] == registered.container_instance_arn
    assert described["status"] == "ACTIVE"
    assert described["agentConnected"] is False
    cluster = aws.ecs.describe_clusters(clusters=["demo"])["clusters"][0]
    assert cluster["registeredContainerInstancesCount"] == 1


def test_an_instance_deregistered_by_hand_is_not_registered_again(aws):
    aws.ecs.create_cluster(clusterName="demo")
    launch(aws, linux_user_data("demo"))
    agent = EcsAgentEmulator(session=aws.session)
    [change] = agent.sync()

    aws.ecs.deregister_container_instance(
        cluster="demo", containerInstance=change.container_instance_arn
    )

    assert agent.sync() == []
    assert container_instances(aws, "demo") == []


def test_a_stopped_instance_that_starts_again_reconnects_as_the_same_container_instance(aws):
    agent, instance_id, registered = registered_host(aws)

    aws.ec2.stop_instances(InstanceIds=[instance_id])
    assert agent.sync() == []
    aws.ec2.start_instances(InstanceIds=[instance_id])
    [reconnected] = agent.sync()

    assert reconnected.action == "reconnected"
    assert reconnected.container_instance_arn == registered.container_instance_arn
    [described] = container_instances(aws, "demo")
    assert described["agentConnected"] is True
    assert described["status"] == "ACTIVE"
    assert agent.sync() == []


def test_a_stopped_instance_that_is_terminated_is_deregistered(aws):
    agent, instance_id, registered = registered_host(aws)
    aws.ec2.stop_instances(InstanceIds=[instance_id])
    agent.sync()

    aws.ec2.terminate_instances(InstanceIds=[instance_id])
    agent.sync()

    assert container_instances(aws, "demo") == []
    described = aws.ecs.describe_container_instances(
        cluster="demo", containerInstances=[registered.container_instance_arn]
    )["containerInstances"]
    assert [d["status"] for d in described] == ["INACTIVE"]


def test_a_pass_told_which_accounts_changed_registers_hosts_there_and_only_there(aws):
    learner = in_account(aws, "111111111111")
    for each in (aws, learner):
        each.ecs.create_cluster(clusterName="demo-cluster")
        launch(each, linux_user_data("demo-cluster"))
    cloud = LocalCloud()
    agent = EcsAgentEmulator(session=aws.session, places=cloud.places)

    [change] = agent.sync({"111111111111"})

    assert change.container_instance_arn.startswith(
        "arn:aws:ecs:us-east-1:111111111111:container-instance/demo-cluster/"
    )
    assert len(container_instances(learner, "demo-cluster")) == 1
    assert container_instances(aws, "demo-cluster") == []
    # A pass that may be anywhere looks at every account: the server's own host joins its own.
    [change] = agent.sync(None)
    assert change.container_instance_arn.startswith("arn:aws:ecs:us-east-1:123456789012:")


def test_the_change_counter_names_the_accounts_changed_since_it_was_last_asked():
    changes = ChangeCounter()
    changes.note("111111111111")
    changes.note("222222222222")

    assert changes.take_accounts() == {"111111111111", "222222222222"}
    assert changes.take_accounts() == set()
    changes.note("111111111111")
    changes.note()  # a change that may be anywhere (a scenario switched off, a reset)
    assert changes.take_accounts() is None


def test_a_role_assumed_a_metric_or_a_log_event_does_not_wake_the_agent(served, session):
    # None changes what the agent looks at (instances, clusters, roles, parameters), and each
    # wakening looks over every instance of the account: every console process assumes each
    # person's role at its first call, which, with 1,000 hosts, held the lock for a second.
    def client(service):
        return session.client(service, endpoint_url=served.endpoint_url)

    client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/ECSConsoleLearner", RoleSessionName="ada"
    )
    client("cloudwatch").put_metric_data(
        Namespace="Lab", MetricData=[{"MetricName": "Visits", "Value": 1}]
    )
    client("logs").create_log_group(logGroupName="/lab")
    assert served.changes.take_accounts() == set()

    client("ecs").create_cluster(clusterName="demo-cluster")
    client("iam").create_role(RoleName="ecsInstanceRole", AssumeRolePolicyDocument="{}")
    assert served.changes.take_accounts() == {DEFAULT_ACCOUNT_ID}
