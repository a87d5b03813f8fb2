"""The ECS agent of every EC2 instance, emulated through the same API calls the real agent makes."""

import base64
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone

import boto3
from botocore.exceptions import ClientError

from . import pace, scenarios
from .accounts import ACCOUNT_HEADER
from .host import agent_commit

ECS_AMI_ROOT = "/aws/service/ecs/optimized-ami"

# When no ECS-optimized AMI parameter names the instance's AMI: the agent of the current AL2 AMI.
FALLBACK_AGENT_VERSION = "1.107.0"
FALLBACK_DOCKER_VERSION = "Docker version 25.0.16"

# The ports the agent reserves on every instance (its ECS_RESERVED_PORTS defaults).
LINUX_RESERVED_PORTS = ["22", "2375", "2376", "51678", "51679"]
WINDOWS_RESERVED_PORTS = [
    "53",
    "135",
    "139",
    "445",
    "2375",
    "2376",
    "3389",
    "5985",
    "5986",
    "51678",
    "51679",
]

LINUX_CAPABILITIES = [
    "com.amazonaws.ecs.capability.logging-driver.json-file",
    "com.amazonaws.ecs.capability.logging-driver.awslogs",
    "com.amazonaws.ecs.capability.logging-driver.syslog",
    "com.amazonaws.ecs.capability.logging-driver.none",
    "com.amazonaws.ecs.capability.docker-remote-api.1.17",
    "com.amazonaws.ecs.capability.docker-remote-api.1.44",
    "com.amazonaws.ecs.capability.ecr-auth",
    "com.amazonaws.ecs.capability.task-iam-role",
    "com.amazonaws.ecs.capability.task-iam-role-network-host",
    "ecs.capability.execution-role-ecr-pull",
    "ecs.capability.execution-role-awslogs",
    "ecs.capability.secrets.ssm.environment-variables",
    "ecs.capability.secrets.asm.environment-variables",
    "ecs.capability.container-health-check",
    "ecs.capability.task-eni",
    "ecs.capability.task-cpu-mem-limit",
]
WINDOWS_CAPABILITIES = [
    "com.amazonaws.ecs.capability.logging-driver.json-file",
    "com.amazonaws.ecs.capability.logging-driver.awslogs",
    "com.amazonaws.ecs.capability.docker-remote-api.1.17",
    "com.amazonaws.ecs.capability.docker-remote-api.1.44",
    "com.amazonaws.ecs.capability.ecr-auth",
    "com.amazonaws.ecs.capability.task-iam-role",
    "ecs.capability.execution-role-ecr-pull",
    "ecs.capability.execution-role-awslogs",
    "ecs.capability.secrets.ssm.environment-variables",
    "ecs.capability.container-health-check",
    "ecs.capability.task-cpu-mem-limit",
]

# An instance in these states is gone for good: AWS marks its container instance INACTIVE.
# A stopping or stopped one stays registered, its agent disconnected (ECS does that, ecs.py).
GONE_STATES = ("shutting-down", "terminated")

_LINUX_CLUSTER = re.compile(r"""ECS_CLUSTER\s*=\s*["']?([A-Za-z0-9_-]+)""")
_WINDOWS_CLUSTER = re.compile(r"""-Cluster\s+["']([A-Za-z0-9_-]+)["']""")


def cluster_from_user_data(user_data):
    """The cluster the agent joins, from ecs.config lines or an Initialize-ECSAgent call."""
    for pattern in (_LINUX_CLUSTER, _WINDOWS_CLUSTER):
        names = pattern.findall(user_data or "")
        if names:
            # Later lines of ecs.config win, as the agent reads the file top to bottom.
            return names[-1]
    return None


def registered_memory_mib(total_mib):
    """What the agent registers of an instance's memory.

    The kernel keeps about 1/40 of RAM (page tables, crash kernel, DMA zones) and the agent
    and OS services about 20 MiB more, so a 1 GiB t2.micro registers 979 MiB and an 8 GiB
    m5.large about 7967 MiB, close to what those instances register on AWS.
    """
    return total_mib - (total_mib // 40 + 20)


@dataclass(frozen=True)
class Change:
    """One thing a sync did: an instance registered, reconnected (started again) or
    deregistered as a container instance."""

    action: str
    region: str
    ec2_instance_id: str
    cluster_arn: str
    container_instance_arn: str


@dataclass(frozen=True)
class Registration:
    """A live container instance of an EC2 instance, as ECS describes it."""

    cluster_arn: str
    container_instance_arn: str
    connected: bool


@dataclass(frozen=True)
class AmiFacts:
    agent_version: str
    docker_version: str
    ecs_optimized: bool
    windows: bool
    os_family: str


class EcsAgentEmulator:
    """Registers running instances that name a cluster, reconnects those that start again, and
    deregisters those that terminate.

    `regions` is a list, a callable returning one (evaluated each pass), or None for the
    client's default region; they are looked at in the session's own account. `places`, if
    given, replaces them: a callable taking the accounts to look at (None: all) and returning
    (account, region) pairs; each is looked at in that account, named to the cloud by its
    ACCOUNT_HEADER, as each instance's agent acts in its own account. Clients reach
    `endpoint_url`, else boto3's own AWS_ENDPOINT_URL.
    """

    def __init__(self, regions=None, endpoint_url=None, session=None, places=None):
        self._regions = regions
        self._places = places
        self._endpoint_url = endpoint_url
        self._session = session or boto3.session.Session()
        self._clients = {}
        self._user_data = {}
        self._ami_facts = {}
        self._instance_types = {}
        # Instances this agent registered: after one is deregistered by hand, it stays out.
        self._registered = set()

    def regions(self):
        regions = self._regions() if callable(self._regions) else self._regions
        if not regions:
            regions = [
                self._session.region_name or os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
            ]
        return list(regions)

    def places(self, accounts=None):
        """(account, region) pairs to look at; account None is the session's own."""
        if self._places is not None:
            return list(self._places(accounts))
        return [(None, region) for region in self.regions()]

    def sync(self, accounts=None):
        """One reconciliation pass over every place (of `accounts`, if given); returns the
        changes it made."""
        changes = []
        for account, region in self.places(accounts):
            changes.extend(self.sync_region(region, account))
        return changes

    def sync_region(self, region, account=None):
        ec2 = self._client("ec2", region, account)
        instances = [
            dict(instance, OwnerId=reservation.get("OwnerId", ""))
            for page in ec2.get_paginator("describe_instances").paginate()
            for reservation in page["Reservations"]
            for instance in reservation["Instances"]
        ]
        if not instances:
            return []
        ecs = self._client("ecs", region, account)
        registrations = self._container_instances(ecs)
        changes = []
        for instance in instances:
            instance_id = instance["InstanceId"]
            key = (account, region, instance_id)
            state = instance["State"]["Name"]
            registration = registrations.get(instance_id)
            if state == "running" and registration is None and key not in self._registered:
                if not self._booted(region, instance, account):
                    continue
                change = self._register(region, instance, account)
                if change:
                    self._registered.add(key)
                    changes.append(change)
            elif state == "running" and registration is not None:
                self._registered.add(key)
                cluster_name = registration.cluster_arn.split("/")[-1]
                if not registration.connected and not scenarios.agent_stays_disconnected(
                    instance["OwnerId"], region, cluster_name
                ):
                    changes.extend(self._reconnect(region, instance, account))
            elif state in GONE_STATES:
                if registration is not None:
                    changes.append(
                        self._deregister(
                            ecs,
                            region,
                            instance_id,
                            registration.cluster_arn,
                            registration.container_instance_arn,
                        )
                    )
                self._registered.discard(key)
        return changes

    def _reconnect(self, region, instance, account):
        """An instance that starts again runs its agent again, which registers with the
        container instance it had (kept in /var/lib/ecs/data): ECS answers with that container
        instance, connected once more."""
        change = self._register(region, instance, account)
        return [replace(change, action="reconnected")] if change else []

    def _client(self, service, region, account=None):
        key = (service, region, account)
        if key not in self._clients:
            kwargs = {"region_name": region}
            if self._endpoint_url:
                kwargs["endpoint_url"] = self._endpoint_url
            client = self._session.client(service, **kwargs)
            if account is not None:
                client.meta.events.register("before-sign", _naming_account(account))
            self._clients[key] = client
        return self._clients[key]

    def _booted(self, region, instance, account=None):
        """Whether the host has booted far enough for its agent to register (`pace.py`)."""
        owner = instance["OwnerId"]
        if pace.is_instant(owner):
            return True
        windows = self._facts_for_ami(region, instance["ImageId"], account).windows
        return time.time() >= pace.agent_ready_at(
            instance["LaunchTime"].timestamp(), windows, owner
        )

    def _container_instances(self, ecs):
        """The live container instances of every cluster, by EC2 instance id."""
        found = {}
        cluster_arns = [
            arn
            for page in ecs.get_paginator("list_clusters").paginate()
            for arn in page["clusterArns"]
        ]
        for cluster_arn in cluster_arns:
            arns = [
                arn
                for page in ecs.get_paginator("list_container_instances").paginate(
                    cluster=cluster_arn
                )
                for arn in page["containerInstanceArns"]
            ]
            for start in range(0, len(arns), 100):
                described = ecs.describe_container_instances(
                    cluster=cluster_arn, containerInstances=arns[start : start + 100]
                )["containerInstances"]
                for container_instance in described:
                    if container_instance["status"] != "INACTIVE":
                        found[container_instance["ec2InstanceId"]] = Registration(
                            cluster_arn,
                            container_instance["containerInstanceArn"],
                            container_instance.get("agentConnected", False),
                        )
        return found

    def _register(self, region, instance, account=None):
        ec2 = self._client("ec2", region, account)
        ecs = self._client("ecs", region, account)
        facts = self._facts_for_ami(region, instance["ImageId"], account)
        cluster = cluster_from_user_data(self._user_data_of(ec2, instance["InstanceId"]))
        if cluster is None:
            # The agent joins "default" when told nothing; only an ECS-optimized AMI runs one.
            if not facts.ecs_optimized:
                return None
            cluster = "default"
        if not scenarios.agent_reaches_ecs(instance["OwnerId"], region, cluster):
            # Its calls time out; it retries (ecs-init restarts it), as the next sync does.
            return None
        described = ecs.describe_clusters(clusters=[cluster])["clusters"]
        if not described or described[0]["status"] != "ACTIVE":
            # The real agent fails and retries until the cluster exists; so does the next sync.
            return None
        cpu, memory = self._size_of(ec2, instance["InstanceType"])
        ports = WINDOWS_RESERVED_PORTS if facts.windows else LINUX_RESERVED_PORTS
        try:
            response = ecs.register_container_instance(
                cluster=described[0]["clusterArn"],
                instanceIdentityDocument=json.dumps(_identity_document(region, instance)),
                instanceIdentityDocumentSignature=base64.b64encode(
                    hashlib.sha256(instance["InstanceId"].encode()).digest()
                ).decode(),
                totalResources=[
                    {"name": "CPU", "type": "INTEGER", "integerValue": cpu},
                    {"name": "MEMORY", "type": "INTEGER", "integerValue": memory},
                    {"name": "PORTS", "type": "STRINGSET", "stringSetValue": ports},
                    {"name": "PORTS_UDP", "type": "STRINGSET", "stringSetValue": []},
                ],
                versionInfo={
                    "agentVersion": facts.agent_version,
                    "agentHash": agent_commit(facts.agent_version),
                    "dockerVersion": facts.docker_version,
                },
                attributes=_attributes(instance, facts),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "AccessDeniedException":
                raise
            # Its role may not register: the agent exits, ecs-init starts it again, it retries.
            return None
        return Change(
            "registered",
            region,
            instance["InstanceId"],
            described[0]["clusterArn"],
            response["containerInstance"]["containerInstanceArn"],
        )

    def _deregister(self, ecs, region, instance_id, cluster_arn, container_instance_arn):
        ecs.deregister_container_instance(
            cluster=cluster_arn, containerInstance=container_instance_arn, force=True
        )
        return Change("deregistered", region, instance_id, cluster_arn, container_instance_arn)

    def _user_data_of(self, ec2, instance_id):
        if instance_id not in self._user_data:
            attribute = ec2.describe_instance_attribute(
                InstanceId=instance_id, Attribute="userData"
            )
            encoded = attribute.get("UserData", {}).get("Value")
            self._user_data[instance_id] = (
                base64.b64decode(encoded).decode("utf-8", "replace") if encoded else ""
            )
        return self._user_data[instance_id]

    def _size_of(self, ec2, instance_type):
        if instance_type not in self._instance_types:
            described = ec2.describe_instance_types(InstanceTypes=[instance_type])["InstanceTypes"][
                0
            ]
            self._instance_types[instance_type] = (
                1024 * described["VCpuInfo"]["DefaultVCpus"],
                registered_memory_mib(described["MemoryInfo"]["SizeInMiB"]),
            )
        return self._instance_types[instance_type]

    def _facts_for_ami(self, region, image_id, account=None):
        key = (account, region, image_id)
        if key not in self._ami_facts:
            self._ami_facts[key] = self._look_up_ami(region, image_id, account)
        return self._ami_facts[key]

    def _look_up_ami(self, region, image_id, account):
        ec2 = self._client("ec2", region, account)
        try:
            image = ec2.describe_images(ImageIds=[image_id])["Images"][0]
        except (ClientError, IndexError):
            image = {}
        name = image.get("Name", "")
        windows = image.get("Platform") == "windows"
        parameter = self._ecs_ami_parameter(region, image_id, name, account)
        if parameter is None:
            return AmiFacts(
                FALLBACK_AGENT_VERSION,
                FALLBACK_DOCKER_VERSION,
                False,
                windows,
                _os_family(name, windows),
            )
        return AmiFacts(
            parameter["ecs_agent_version"],
            parameter["ecs_runtime_version"],
            True,
            windows,
            _os_family(name, windows),
        )

    def _ecs_ami_parameter(self, region, image_id, image_name, account):
        """The ECS-optimized AMI parameter (as JSON) that names this AMI, if any."""
        families = _families_for(image_name)
        names = [f"{ECS_AMI_ROOT}/{family}/{image_name}" for family in families if image_name]
        names += [f"{ECS_AMI_ROOT}/{family}/recommended" for family in families]
        ssm = self._client("ssm", region, account)
        for start in range(0, len(names), 10):
            found = ssm.get_parameters(Names=names[start : start + 10])["Parameters"]
            for parameter in found:
                try:
                    value = json.loads(parameter["Value"])
                except ValueError:
                    continue
                if isinstance(value, dict) and value.get("image_id") == image_id:
                    return value
        return None


def _naming_account(account):
    """A botocore before-sign hook that names the account the request acts in."""

    def name_account(request, **kwargs):
        request.headers[ACCOUNT_HEADER] = account

    return name_account


def _families_for(image_name):
    if image_name.startswith("Windows_Server-"):
        match = re.match(r"Windows_Server-(\d{4})-English-(Full|Core)-", image_name)
        if match:
            return [f"windows_server/{match[1]}/english/{match[2].lower()}"]
        return []
    if image_name.startswith("amzn2-"):
        prefix = "amazon-linux-2"
    elif image_name.startswith("al2023-"):
        prefix = "amazon-linux-2023"
    elif image_name.startswith("al2022-"):
        prefix = "amazon-linux-2022"
    elif image_name.startswith("amzn-"):
        return ["amazon-linux"]
    else:
        return ["amazon-linux-2", "amazon-linux-2/arm64", "amazon-linux-2/gpu", "amazon-linux"]
    kernel = "/kernel-5.10" if "kernel-5.10" in image_name and prefix == "amazon-linux-2" else ""
    if "-arm64" in image_name:
        variant = "/arm64"
    elif "-gpu-" in image_name:
        variant = "/gpu"
    elif "-inf-" in image_name:
        variant = "/inf"
    elif "-neuron-" in image_name:
        variant = "/neuron"
    else:
        variant = ""
    return [f"{prefix}{kernel}{variant}"]


def _os_family(image_name, windows):
    if not windows:
        return "LINUX"
    match = re.match(r"Windows_Server-(\d{4})-English-(Full|Core)-", image_name)
    if match:
        return f"WINDOWS_SERVER_{match[1]}_{match[2].upper()}"
    return "WINDOWS_SERVER_2019_FULL"


def _identity_document(region, instance):
    """The instance identity document IMDS serves, which the agent passes to ECS."""
    return {
        "accountId": instance.get("OwnerId", ""),
        "architecture": instance.get("Architecture", "x86_64"),
        "availabilityZone": instance["Placement"]["AvailabilityZone"],
        "billingProducts": None,
        "devpayProductCodes": None,
        "marketplaceProductCodes": None,
        "imageId": instance["ImageId"],
        "instanceId": instance["InstanceId"],
        "instanceType": instance["InstanceType"],
        "kernelId": None,
        "pendingTime": instance["LaunchTime"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "privateIp": instance.get("PrivateIpAddress"),
        "ramdiskId": None,
        "region": region,
        "version": "2017-09-30",
    }


def _attributes(instance, facts):
    capabilities = WINDOWS_CAPABILITIES if facts.windows else LINUX_CAPABILITIES
    attributes = [{"name": name} for name in capabilities]
    attributes += [
        {"name": "ecs.os-type", "value": "windows" if facts.windows else "linux"},
        {"name": "ecs.os-family", "value": facts.os_family},
        {"name": "ecs.cpu-architecture", "value": instance.get("Architecture", "x86_64")},
    ]
    return attributes


# --- The cluster metrics ECS publishes from what the agents report -------------------------------
# The real agent reports its tasks' use over ECS's telemetry channel, and ECS itself publishes the
# AWS/ECS cluster metrics to CloudWatch every minute. Here that is done in-process, on moto's
# backends, with the cloud's lock held: a pass costs microseconds per cluster, makes no HTTP
# request, and finds nothing to do in a cloud without container instances.

METRICS_NAMESPACE = "AWS/ECS"
METRICS_PERIOD_SECONDS = 60
# What a task uses of what it reserves, steadily: moto runs no container, so the use is chosen.
# A service at rest (a web server waiting for requests, the lab's sample app) uses a few percent
# of its CPU and holds about half of its memory (runtime, heap, page cache), so a cluster's
# utilization sits well under its reservation, as an idle real one does; no tasks, no use.
TASK_CPU_IN_USE = 0.05
TASK_MEMORY_IN_USE = 0.5


@dataclass(frozen=True)
class ClusterUsage:
    """A cluster's CPU units and memory MiB, registered by its live container instances and
    reserved by its tasks: what ECS computes its AWS/ECS metrics from."""

    cluster_name: str
    cpu_registered: int
    cpu_reserved: int
    memory_registered: int
    memory_reserved: int

    def metrics(self):
        """The cluster's four AWS/ECS metrics, in percent, as ECS documents them: reserved (or
        used) by tasks, divided by what the container instances registered."""
        cpu = _percent(self.cpu_reserved, self.cpu_registered)
        memory = _percent(self.memory_reserved, self.memory_registered)
        return {
            "CPUReservation": cpu,
            "CPUUtilization": cpu * TASK_CPU_IN_USE,
            "MemoryReservation": memory,
            "MemoryUtilization": memory * TASK_MEMORY_IN_USE,
        }


def _percent(part, whole):
    return round(100.0 * part / whole, 2) if whole else 0.0


def cluster_usages(ecs_backend):
    """(cluster, its usage) for each ACTIVE cluster with live container instances."""
    from .ecs import live_container_instances

    usages = []
    for cluster in list(ecs_backend.clusters.values()):
        if cluster.status != "ACTIVE":
            continue
        totals = {"CPU": [0, 0], "MEMORY": [0, 0]}
        instances = live_container_instances(ecs_backend, cluster.name)
        for container_instance in instances:
            registered = _integers(container_instance.registered_resources)
            remaining = _integers(container_instance.remaining_resources)
            for name, total in totals.items():
                total[0] += registered.get(name, 0)
                total[1] += registered.get(name, 0) - remaining.get(name, 0)
        if instances:
            usages.append(
                (cluster, ClusterUsage(cluster.name, *totals["CPU"], *totals["MEMORY"]))
            )
    return usages


def _integers(resources):
    return {
        r["name"]: int(r.get("integerValue") or 0)
        for r in resources or []
        if r.get("type") == "INTEGER"
    }


class ClusterMetricsReporter:
    """Publishes each cluster's AWS/ECS metrics once a minute while it has container instances,
    in every account and region moto holds. Call `report()` holding the cloud's lock."""

    def __init__(self, period_seconds=METRICS_PERIOD_SECONDS):
        self.period_seconds = period_seconds
        # When each cluster last had its metrics published, with the cluster, which keeps its id
        # from being reused while it is a key.
        self._published = {}

    def report(self, now=None):
        """Publish for every cluster due (never published, or a period ago); returns how many."""
        from moto.cloudwatch.models import cloudwatch_backends
        from moto.ecs.models import ecs_backends

        # moto keeps CloudWatch's timestamps as naive UTC.
        now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None)
        published, live = 0, {}
        for account, region, ecs_backend in list(ecs_backends.iter_backends()):
            for cluster, usage in cluster_usages(ecs_backend):
                # By the cluster object too: one made again under the same name (or after a
                # reset) is new, and its first sample is due at once.
                key = (account, region, usage.cluster_name, id(cluster))
                _, last = live[key] = self._published.get(key, (cluster, None))
                if last is not None and (now - last).total_seconds() < self.period_seconds:
                    continue
                cloudwatch_backends[account][region].put_metric_data(
                    METRICS_NAMESPACE,
                    [
                        {
                            "MetricName": name,
                            "Value": value,
                            "Unit": "Percent",
                            "Timestamp": now,
                            "Dimensions": [{"Name": "ClusterName", "Value": usage.cluster_name}],
                        }
                        for name, value in usage.metrics().items()
                    ],
                )
                live[key] = (cluster, now)
                published += 1
        # A cluster deleted, or left without instances, is no longer waited for.
        self._published = live
        return published

    def seconds_to_next(self, now=None):
        """Seconds until the next cluster is due: a period, when none has been published."""
        now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None)
        if not self._published:
            return self.period_seconds
        oldest = min(last for _, last in self._published.values())
        return max(0.0, self.period_seconds - (now - oldest).total_seconds())
