"""Issue 11's table, measured side by side in one run (`make bench`): the console beside the same
AWS calls made directly with boto3 on the same local cloud, with real processes (the local cloud,
Redis, a Celery worker with the console's own pool settings, gunicorn). Each benchmark prints its
numbers, adds its row to docs/benchmarks.md, and fails only when a target is missed.
"""

import concurrent.futures
import json
import statistics
import threading
import time
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from django.test import Client

from clusters import aws as console_aws
from clusters import inventory, stack_template
from clusters.models import Operation, Step, Template
from clusters.plan import EC2_TRUST_POLICY
from clusters.tasks import start_operation
from tests.e2e.conftest import publishing_to
from tests.e2e.waiting import (
    cpu_seconds,
    wait_until,
    wait_until_idle,
    wait_until_the_machine_rests,
)
from tests.lab import lab_configuration

from .processes import console_worker, gunicorn
from .table import Row

REGION = "us-east-1"
AMI_PARAMETER = "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id"

# Targets of issue 11 on the 2-core machine the project is built for.
ONE_CREATE_EXTRA_S = 0.3
CREATES_AT_ONCE = 20
CREATES_FACTOR = 1.5
POLLERS = 50
POLL_P95_MS = 50
TAB_FACTOR = 1.3
TAB_ANSWERS_S = 2.0
TAB_ROUNDS = 5
HOSTS = 1000
TABS = 30
CALLS_PER_MINUTE = 60
NEW_HOST_S = 5
REST_SHARE = 0.05


def boto3_clients(endpoint_url):
    config = Config(
        retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=CREATES_AT_ONCE
    )
    return {
        service: boto3.client(service, region_name=REGION, endpoint_url=endpoint_url, config=config)
        for service in ("ecs", "iam", "cloudformation", "ec2", "ssm", "autoscaling")
    }


def raw_create(aws, name, configuration):
    """What the console's four steps ask AWS for a lab cluster, asked directly with boto3, up
    to its instance registered."""
    aws["ecs"].describe_clusters(clusters=[name])
    aws["ecs"].create_cluster(clusterName=name)
    role = configuration.instances.instance_role
    try:
        aws["iam"].create_role(
            RoleName=role, AssumeRolePolicyDocument=json.dumps(EC2_TRUST_POLICY)
        )
    except ClientError:
        pass  # EntityAlreadyExists, as the step tolerates it
    aws["iam"].attach_role_policy(RoleName=role, PolicyArn=stack_template.ECS_INSTANCE_ROLE_POLICY)
    try:
        aws["iam"].create_instance_profile(InstanceProfileName=role)
    except ClientError:
        pass
    profile = aws["iam"].get_instance_profile(InstanceProfileName=role)["InstanceProfile"]
    if not profile["Roles"]:
        aws["iam"].add_role_to_instance_profile(InstanceProfileName=role, RoleName=role)
    aws["iam"].get_role(RoleName=role)
    stack_name = stack_template.stack_name_for(name)
    try:
        aws["cloudformation"].describe_stacks(StackName=stack_name)
    except ClientError:
        pass  # "does not exist", as the step expects
    stack_id = aws["cloudformation"].create_stack(
        StackName=stack_name,
        TemplateBody=stack_template.template_body(),
        Parameters=stack_template.stack_parameters(name, configuration),
        OnFailure="ROLLBACK",
    )["StackId"]
    while aws["cloudformation"].describe_stacks(StackName=stack_id)["Stacks"][0][
        "StackStatus"
    ] == "CREATE_IN_PROGRESS":
        time.sleep(0.05)  # the raw sequence polls as fast as it can: the floor, not the console
    resources = aws["cloudformation"].describe_stack_resources(StackName=stack_id)
    subnets = [
        r["PhysicalResourceId"]
        for r in resources["StackResources"]
        if r["ResourceType"] == "AWS::EC2::Subnet"
    ]
    aws["ec2"].describe_subnets(SubnetIds=subnets)
    (group,) = [
        r["PhysicalResourceId"]
        for r in resources["StackResources"]
        if r["ResourceType"] == "AWS::AutoScaling::AutoScalingGroup"
    ]
    wait_until(
        lambda: raw_instances_registered(aws, name, group), 120,
        f"{name}'s instance to register", interval=0.05,  # as fast as it can, again
    )


def raw_instances_registered(aws, cluster_name, group_name):
    (group,) = aws["autoscaling"].describe_auto_scaling_groups(
        AutoScalingGroupNames=[group_name]
    )["AutoScalingGroups"]
    members = [member["InstanceId"] for member in group["Instances"]]
    aws["ec2"].describe_instances(InstanceIds=members)
    arns = aws["ecs"].list_container_instances(cluster=cluster_name)["containerInstanceArns"]
    registered = set()
    if arns:
        described = aws["ecs"].describe_container_instances(
            cluster=cluster_name, containerInstances=arns
        )["containerInstances"]
        registered = {item["ec2InstanceId"] for item in described}
    return len(registered & set(members)) >= group["DesiredCapacity"]


def raw_wall(aws, names, configuration):
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(len(names)) as pool:
        list(pool.map(lambda name: raw_create(aws, name, configuration), names))
    return time.perf_counter() - started


def console_wall(user, names, configuration):
    """Submit creates as the wizard does and wait for every step's row to end."""
    started = time.perf_counter()
    operations = []
    for name in names:
        operation = Operation.objects.submit(
            action=Operation.Action.CREATE,
            template=Template.EC2_LINUX,
            cluster_name=name,
            region=REGION,
            user=user,
            request=configuration,
        ).operation
        start_operation(operation)
        operations.append(operation)
    wait_until(
        lambda: not Step.objects.filter(operation__in=operations).unfinished().exists(),
        120,
        "the worker to end every step",
        interval=0.01,
    )
    wall = time.perf_counter() - started
    failed = Step.objects.filter(operation__in=operations, state=Step.State.FAILED)
    assert not failed.exists(), list(failed.values_list("message", flat=True))
    return wall


def test_creates_beside_the_raw_boto3_sequence(
    cloud, redis_url, test_database_path, transactional_db, user, bench_table
):
    aws = boto3_clients(cloud.endpoint_url)
    configuration = lab_configuration(aws["ssm"].get_parameter(Name=AMI_PARAMETER)["Parameter"]["Value"])
    worker = console_worker(redis_url, cloud.endpoint_url, test_database_path)
    try:
        with publishing_to(redis_url):
            console_wall(user, ["warm-up"], configuration)  # the worker's first imports
            raw_wall(aws, ["raw-warm-up"], configuration)
            raw_one = statistics.median(
                raw_wall(aws, [f"raw-one-{n}"], configuration) for n in range(3)
            )
            console_one = statistics.median(
                console_wall(user, [f"one-{n}"], configuration) for n in range(3)
            )
            names = [f"{{}}-{n}" for n in range(CREATES_AT_ONCE)]
            raw_many = raw_wall(aws, [name.format("raw-many") for name in names], configuration)
            console_many = console_wall(user, [name.format("many") for name in names], configuration)
    finally:
        worker.stop()

    extra = console_one - raw_one
    factor = console_many / raw_many
    print(f"\nOne create: console {console_one:.2f} s, raw boto3 {raw_one:.2f} s ({extra:+.2f} s)")
    print(f"{CREATES_AT_ONCE} at once: console {console_many:.2f} s, raw {raw_many:.2f} s "
          f"({factor:.1f}x)")
    bench_table.append(Row(
        "one create, submit → all green, beyond the raw boto3 sequence",
        f"{extra:+.2f} s ({console_one:.2f} s vs {raw_one:.2f} s)",
        f"≤ +{ONE_CREATE_EXTRA_S} s", extra <= ONE_CREATE_EXTRA_S,
    ))
    bench_table.append(Row(
        f"{CREATES_AT_ONCE} creates submitted at once: console wall / raw boto3 wall",
        f"{factor:.2f}× ({console_many:.2f} s vs {raw_many:.2f} s)",
        f"≤ {CREATES_FACTOR}×", factor <= CREATES_FACTOR,
    ))
    assert extra <= ONE_CREATE_EXTRA_S
    assert factor <= CREATES_FACTOR


def test_the_launch_status_poll_of_fifty_open_tabs(
    redis_url, test_database_path, transactional_db, user, launch, bench_table
):
    operation = launch()  # a launch on its way: every tab keeps polling
    browser = Client()
    browser.force_login(user)
    cookie = f"sessionid={browser.cookies['sessionid'].value}"
    server, url = gunicorn(test_database_path, redis_url)
    poll_url = f"{url}{operation.get_absolute_url()}"
    durations, errors = [], []
    lock = threading.Lock()

    def tab(offset):
        time.sleep(offset)  # the tabs were opened at different moments of a second
        for _ in range(10):
            poll = urllib.request.Request(
                poll_url, headers={"HX-Request": "true", "Cookie": cookie}
            )
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(poll, timeout=10) as answer:
                    answer.read()
                    ok = answer.status == 200
            except OSError:
                ok = False
            took = time.perf_counter() - started
            with lock:
                (durations if ok else errors).append(took * 1000)
            time.sleep(max(0, 1 - took))  # htmx's `every 1s`

    try:
        with concurrent.futures.ThreadPoolExecutor(POLLERS) as pool:
            list(pool.map(tab, [n / POLLERS for n in range(POLLERS)]))
    finally:
        server.stop()

    ordered = sorted(durations)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    p50 = statistics.median(ordered)
    print(f"\nLaunch status poll, {POLLERS} tabs: n={len(ordered)} p50={p50:.0f} ms "
          f"p95={p95:.0f} ms errors={len(errors)}")
    bench_table.append(Row(
        f"Launch status page, {POLLERS} open tabs polling once a second: p95",
        f"{p95:.0f} ms (p50 {p50:.0f} ms), {len(errors)} errors",
        f"≤ {POLL_P95_MS} ms, 0 errors", p95 <= POLL_P95_MS and not errors,
    ))
    assert p95 <= POLL_P95_MS
    assert not errors


# Measured once the local cloud has rested for a second, so the span holds rest and not the tail
# of the agent's pass that made the last registrations; long enough that a cloud that works
# every second shows all it spends.
def share_of_a_core_at_rest(process, seconds=30):
    settling = wait_until_idle(process.pid)
    before = cpu_seconds(process.pid)
    time.sleep(seconds)  # measuring rest over a span, not waiting for anything
    return (cpu_seconds(process.pid) - before) / seconds, settling


def launch_hosts(aws, cluster_name, count):
    ami = aws["ssm"].get_parameter(Name=AMI_PARAMETER)["Parameter"]["Value"]
    for start in range(0, count, 250):
        aws["ec2"].run_instances(
            ImageId=ami, InstanceType="t2.micro", MinCount=min(250, count - start),
            MaxCount=min(250, count - start),
            UserData=f"#!/bin/bash\necho ECS_CLUSTER={cluster_name} >> /etc/ecs/ecs.config\n",
        )


def registered(aws, cluster_name):
    return aws["ecs"].describe_clusters(clusters=[cluster_name])["clusters"][0][
        "registeredContainerInstancesCount"
    ]


def minimum_tab_calls(aws, cluster_name):
    """The fewest calls that show a cluster's hosts, made directly: its header, its container
    instances listed and described by 100, and one EC2 describe of every host."""
    aws["ecs"].describe_clusters(clusters=[cluster_name], include=["STATISTICS", "SETTINGS", "TAGS"])
    arns = [
        arn
        for page in aws["ecs"].get_paginator("list_container_instances").paginate(
            cluster=cluster_name, PaginationConfig={"PageSize": 100}
        )
        for arn in page["containerInstanceArns"]
    ]
    ids = []
    for start in range(0, len(arns), 100):
        ids += [
            ci["ec2InstanceId"]
            for ci in aws["ecs"].describe_container_instances(
                cluster=cluster_name, containerInstances=arns[start : start + 100]
            )["containerInstances"]
        ]
    aws["ec2"].describe_instances(InstanceIds=ids)


class AnswerClock:
    """The seconds an endpoint took to answer a client's calls: from each request sent to its
    answer read, before boto3 parses it (the same parsing would follow AWS's answers)."""

    def __init__(self, *clients):
        self.seconds = 0.0
        self._sent_at = None
        for aws_client in clients:
            aws_client.meta.events.register("before-send", self._sent)
            aws_client.meta.events.register("before-parse", self._answered)

    def _sent(self, **kwargs):
        self._sent_at = time.perf_counter()

    def _answered(self, **kwargs):
        self.seconds += time.perf_counter() - self._sent_at


def test_the_local_cloud_at_rest_and_the_ecs_instances_tab_of_a_thousand_hosts(
    cloud, redis_url, test_database_path, transactional_db, user, monkeypatch, bench_table
):
    aws = boto3_clients(cloud.endpoint_url)
    for number in range(68):
        aws["ecs"].create_cluster(clusterName=f"class-{number}")
        launch_hosts(aws, f"class-{number}", 1)
    wait_until(lambda: registered(aws, "class-67") == 1, 120, "68 hosts to register", interval=0.5)
    rest_68, _ = share_of_a_core_at_rest(cloud.process)
    aws["ecs"].create_cluster(clusterName="big")
    joined = time.perf_counter()
    launch_hosts(aws, "big", HOSTS)
    wait_until(lambda: registered(aws, "big") == HOSTS, 600, "1,000 hosts", interval=1)
    registering = time.perf_counter() - joined
    rest_1000, settling = share_of_a_core_at_rest(cloud.process)

    # The tab as a person waits for it: served by gunicorn as `make run` serves it, over HTTP,
    # each look reading AWS (the tab's own cost, not the shared read's cache).
    browser = Client()
    browser.force_login(user)
    cookie = f"sessionid={browser.cookies['sessionid'].value}"
    monkeypatch.setenv("SHARED_READ_SECONDS", "0")
    server, url = gunicorn(test_database_path, redis_url)
    pages = []

    def look_at_the_tab():
        tab_request = urllib.request.Request(
            f"{url}/clusters/big/ecs-instances/", headers={"Cookie": cookie}
        )
        with urllib.request.urlopen(tab_request, timeout=60) as answer:
            pages.append(answer.read().decode())

    try:
        # From the first second the machine rests (gunicorn's workers up, the agent's last
        # pass over), the calls and the tab in turn, so that both meet the same machine.
        wait_until_the_machine_rests()
        answers = AnswerClock(aws["ecs"], aws["ec2"])
        minimum_runs, answer_runs, tab_runs = [], [], []
        for _ in range(TAB_ROUNDS):
            answers.seconds = 0.0
            minimum_runs.append(_timed(lambda: minimum_tab_calls(aws, "big")))
            answer_runs.append(answers.seconds)
            tab_runs.append(_timed(look_at_the_tab))
        minimum, answered, tab = min(minimum_runs), min(answer_runs), min(tab_runs)
    finally:
        server.stop()
    assert all(page.count('<tr id="container-instance-') == HOSTS for page in pages)

    print(f"\nThe local cloud at rest: {rest_68:.1%} of a core with 68 hosts, {rest_1000:.1%} "
          f"with {HOSTS + 68} ({HOSTS} registered in {registering:.0f} s, at rest {settling:.0f} s "
          "after the count said so)")
    print(
        f"ECS Instances of {HOSTS} hosts: console {tab:.2f} s, minimum calls {minimum:.2f} s, "
        f"the local cloud's answers to them {answered:.2f} s (best of {TAB_ROUNDS}: "
        f"{_seconds(tab_runs)}; {_seconds(minimum_runs)}; {_seconds(answer_runs)})"
    )
    bench_table.append(Row(
        f"ECS Instances tab of a {HOSTS:,}-host cluster",
        f"{tab:.2f} s, {tab / minimum:.2f}× the minimum calls made directly ({minimum:.2f} s, "
        f"of which the local cloud's answers {answered:.2f} s and boto3 parsing them the rest)",
        f"≤ {TAB_FACTOR}× the minimum calls; the local cloud answers them in "
        f"≤ {TAB_ANSWERS_S:.0f} s",
        tab <= TAB_FACTOR * minimum and answered <= TAB_ANSWERS_S,
    ))
    bench_table.append(Row(
        "the local cloud at rest holding 68 instances (68 clusters) / 1,068 instances",
        f"{rest_68:.1%} / {rest_1000:.1%} of a core over 30 s, from the first second of rest "
        f"({settling:.0f} s after the count of registered hosts was reached)",
        f"< {REST_SHARE:.0%} of a core", max(rest_68, rest_1000) < REST_SHARE,
    ))
    assert max(rest_68, rest_1000) < REST_SHARE
    assert tab <= TAB_FACTOR * minimum
    assert answered <= TAB_ANSWERS_S


def _seconds(runs):
    return ", ".join(f"{seconds:.2f}" for seconds in runs)


def _timed(function):
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def counting_every_console_client(monkeypatch, calls):
    """Record each AWS call of every client the console makes from now on, as (service,
    operation): each person has clients of their own (their own credentials), so counting on
    the clients of whoever runs the benchmark would miss the tabs' calls."""
    make_client = console_aws._client
    counted = set()
    lock = threading.Lock()

    def counted_client(service, region, credentials):
        aws_client = make_client(service, region, credentials)
        with lock:
            if id(aws_client) not in counted:
                counted.add(id(aws_client))
                aws_client.meta.events.register(
                    "before-call.*.*",
                    lambda model, **kwargs: calls.append((service, model.name)),
                )
        return aws_client

    counted_client.cache_clear = make_client.cache_clear
    monkeypatch.setattr(console_aws, "_client", counted_client)


def test_thirty_open_tabs_of_one_cluster_ask_aws_at_a_bounded_rate(
    cloud, redis_url, transactional_db, django_user_model, settings, bench_table, monkeypatch
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "bench-cache",
        }
    }
    settings.SHARED_READ_SECONDS = 2
    aws = boto3_clients(cloud.endpoint_url)
    configuration = lab_configuration(aws["ssm"].get_parameter(Name=AMI_PARAMETER)["Parameter"]["Value"])
    raw_create(aws, "demo-cluster", configuration)
    wait_until(lambda: registered(aws, "demo-cluster") == 1, 60, "the lab host", interval=0.2)
    calls = []
    counting_every_console_client(monkeypatch, calls)
    people = []
    for number in range(TABS):
        browser = Client()
        browser.force_login(django_user_model.objects.create_user(f"learner-{number}"))
        people.append(browser)
    url = "/clusters/demo-cluster/ecs-instances/"
    stop = threading.Event()
    saw_two = {}
    host_started = []

    def tab(number, browser):
        seen = ""
        time.sleep(number / TABS * 2)  # opened at different moments
        while not stop.is_set():
            page = browser.get(url, {"seen": seen} if seen else {}, headers={"HX-Request": "true"})
            text = page.content.decode()
            if host_started and 'id="registered-count">2<' in text and number not in saw_two:
                saw_two[number] = time.perf_counter() - host_started[0]
            seen = text.split('"seen": "', 1)[1].split('"', 1)[0]
            every = float(text.split('hx-trigger="every ', 1)[1].split("s", 1)[0])
            stop.wait(every)

    minute = 60
    with concurrent.futures.ThreadPoolExecutor(TABS) as pool:
        running = [pool.submit(tab, n, browser) for n, browser in enumerate(people)]
        time.sleep(minute / 2)  # half the minute at rest
        launched = time.perf_counter()
        launch_hosts(aws, "demo-cluster", 1)
        wait_until(lambda: registered(aws, "demo-cluster") == 2, 30, "the agent", interval=0.05)
        host_started.append(time.perf_counter())  # from here on, AWS counts the new host
        time.sleep(minute / 2 - (host_started[0] - launched))  # and half with a host arriving
        stop.set()
        for future in running:
            future.result()

    slowest = max(saw_two.values()) if len(saw_two) == TABS else float("inf")
    agent_took = host_started[0] - launched
    # Each person's AssumeRole, once an hour, is not a read of the cluster: named, not counted.
    assumed = [call for call in calls if call[0] == "sts"]
    calls = [call for call in calls if call[0] != "sts"]
    print(f"\n{TABS} tabs for a minute: {len(calls)} AWS calls; the new host was in every tab "
          f"within {slowest:.1f} s of registering (the agent registered it {agent_took:.1f} s "
          "after its launch)")
    bench_table.append(Row(
        f"AWS calls per minute while {TABS} people keep the same cluster's ECS Instances tab open",
        f"{len(calls)} (a host joined halfway: in every tab {slowest:.1f} s after it registered; "
        f"it registered {agent_took:.1f} s after its launch); besides, {len(assumed)} AssumeRole, "
        "each person's first",
        f"≤ {CALLS_PER_MINUTE}, however many tabs; a new instance in every tab within "
        f"{NEW_HOST_S} s",
        len(calls) <= CALLS_PER_MINUTE and slowest <= NEW_HOST_S,
    ))
    assert len(calls) <= CALLS_PER_MINUTE
    assert slowest <= NEW_HOST_S
