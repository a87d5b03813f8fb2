"""How long the local cloud takes to answer the ECS Instances tab's calls for 1,000 hosts.

    .venv/bin/python -m benchmarks.ecs_instances_calls            # over HTTP, as the bench does
    .venv/bin/python -m benchmarks.ecs_instances_calls --profile  # in-process, under cProfile

Over HTTP it starts `python -m localcloud`, launches the hosts as the issue 11 bench does (their
agents register them) and prints the best of three timings of each call. In-process it builds the
same cluster inside moto's mock with the local cloud installed and the agent run once, then prints
cProfile's heaviest functions for the same calls: the server's own per-request work aside, that
is where an answer's time goes.
"""

import argparse
import cProfile
import os
import pstats
import time

import boto3
from botocore.config import Config

from tests.e2e.waiting import cpu_seconds, wait_until_idle

REGION = "us-east-1"
AMI_PARAMETER = "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id"
HOSTS = 1000
CLUSTER = "big"


def clients(**kwargs):
    return {
        service: boto3.client(service, region_name=REGION, **kwargs)
        for service in ("ecs", "ec2", "ssm")
    }


def registered(aws):
    return aws["ecs"].describe_clusters(clusters=[CLUSTER])["clusters"][0][
        "registeredContainerInstancesCount"
    ]


def launch_hosts(aws, count, cluster=CLUSTER):
    ami = aws["ssm"].get_parameter(Name=AMI_PARAMETER)["Parameter"]["Value"]
    for start in range(0, count, 250):
        batch = min(250, count - start)
        aws["ec2"].run_instances(
            ImageId=ami, InstanceType="t2.micro", MinCount=batch, MaxCount=batch,
            UserData=f"#!/bin/bash\necho ECS_CLUSTER={cluster} >> /etc/ecs/ecs.config\n",
        )


def tab_calls(aws):
    """The minimum calls of the tab, each timed: {call: seconds}."""
    timings = {}

    def timed(name, call):
        started = time.perf_counter()
        result = call()
        timings[name] = timings.get(name, 0) + time.perf_counter() - started
        return result

    timed("DescribeClusters", lambda: aws["ecs"].describe_clusters(
        clusters=[CLUSTER], include=["STATISTICS", "SETTINGS", "TAGS"]
    ))
    arns = []
    token = {}
    while True:
        page = timed("ListContainerInstances", lambda: aws["ecs"].list_container_instances(
            cluster=CLUSTER, maxResults=100, **token
        ))
        arns += page["containerInstanceArns"]
        if "nextToken" not in page:
            break
        token = {"nextToken": page["nextToken"]}
    ids = []
    for start in range(0, len(arns), 100):
        batch = arns[start : start + 100]
        described = timed(
            "DescribeContainerInstances",
            lambda: aws["ecs"].describe_container_instances(
                cluster=CLUSTER, containerInstances=batch
            ),
        )
        ids += [ci["ec2InstanceId"] for ci in described["containerInstances"]]
    reservations = timed(
        "DescribeInstances", lambda: aws["ec2"].describe_instances(InstanceIds=ids)
    )["Reservations"]
    assert len(ids) == HOSTS, len(ids)
    assert sum(len(r["Instances"]) for r in reservations) == HOSTS
    return timings


def best_of(runs, aws, server_pid=None):
    """The best of `runs` rounds: (the fastest round's seconds, its {call: seconds}, the least
    CPU seconds the local cloud spent on a round, the least this client spent). On a busy
    machine the CPU seconds say more than the wall time."""
    results = []
    for _ in range(runs):
        server_before, client_before = cpu_seconds(server_pid), time.process_time()
        timings = tab_calls(aws)
        results.append((
            sum(timings.values()), timings, cpu_seconds(server_pid) - server_before,
            time.process_time() - client_before,
        ))
    total, timings, _, _ = min(results, key=lambda result: result[0])
    return total, timings, min(r[2] for r in results), min(r[3] for r in results)


def over_http(runs, state_dir=None, classes=0):
    from localcloud.server import start_local_cloud

    cloud = start_local_cloud(state_dir=state_dir)
    try:
        aws = clients(
            endpoint_url=cloud.endpoint_url,
            aws_access_key_id="local-cloud", aws_secret_access_key="local-cloud",
            config=Config(retries={"mode": "standard", "max_attempts": 5}),
        )
        for number in range(classes):  # the bench's class: a cluster of one host each
            aws["ecs"].create_cluster(clusterName=f"class-{number}")
            launch_hosts(aws, 1, f"class-{number}")
        aws["ecs"].create_cluster(clusterName=CLUSTER)
        started = time.perf_counter()
        launch_hosts(aws, HOSTS)
        while registered(aws) < HOSTS:
            if time.perf_counter() - started > 900:
                raise SystemExit(f"only {registered(aws)} of {HOSTS} hosts registered in 900 s")
            time.sleep(1)  # the agent registers them in the background
        print(f"{HOSTS} hosts registered in {time.perf_counter() - started:.0f} s")
        wait_until_idle(cloud.process.pid)
        total, best, server_cpu, client_cpu = best_of(runs, aws, cloud.process.pid)
        print(
            f"The tab's calls for {HOSTS} hosts: {total:.2f} s (best of {runs}); the local "
            f"cloud's CPU {server_cpu:.2f} s, the client's {client_cpu:.2f} s"
        )
        for name, seconds in best.items():
            print(f"  {name:28} {seconds:.3f} s")
    finally:
        cloud.stop()


def in_process(runs, top):
    from moto import mock_aws

    import localcloud
    from localcloud.agent import EcsAgentEmulator

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        os.environ[name] = value
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with mock_aws():
        localcloud.install()
        aws = clients()
        aws["ecs"].create_cluster(clusterName=CLUSTER)
        launch_hosts(aws, HOSTS)
        EcsAgentEmulator(regions=[REGION]).sync()
        best_of(1, aws)  # warm
        profile = cProfile.Profile()
        profile.enable()
        total, best, _, _ = best_of(runs, aws)
        profile.disable()
        print(f"In-process, under cProfile: {total:.2f} s")
        for name, seconds in best.items():
            print(f"  {name:28} {seconds:.3f} s")
        order = os.environ.get("PROFILE_SORT", "cumulative")  # or tottime
        pstats.Stats(profile).sort_stats(order).print_stats(top)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="in-process, under cProfile")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--top", type=int, default=60, help="functions cProfile prints")
    parser.add_argument(
        "--classes", type=int, default=0, help="clusters of one host each beside (the bench: 68)"
    )
    parser.add_argument("--state-dir", help="the local cloud keeps its state here (empty it first)")
    args = parser.parse_args()
    if args.profile:
        in_process(args.runs, args.top)
    else:
        over_http(args.runs, args.state_dir, args.classes)


if __name__ == "__main__":
    main()
