"""What the console reads from AWS: the wizard's drop-downs and the clusters of a region."""

import json
import logging
import re
import time
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import NamedTuple

from botocore.exceptions import ClientError
from django.conf import settings
from django.core.cache import cache
from django.db import models
from redis.exceptions import RedisError

from .aws import AwsError, account_id, chunks, client, error_code, paginate, translate_errors
from .configuration import AmiFamily
from .stack_template import (
    ASG_NAME_OUTPUT,
    DESIRED_COUNT_PARAMETER,
    MADE_BY_CONSOLE_OUTPUT,
    stack_name_for,
)

INSTANCE_ROLE_NAME = "ecsInstanceRole"

# The ECS-optimized Amazon Linux AMIs the console offers, by the SSM parameter AWS publishes.
LINUX_AMIS = {
    "amazon-linux-2": (
        "Amazon Linux 2 AMI",
        "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended",
    ),
    "amazon-linux-2-arm64": (
        "Amazon Linux 2 (arm64) AMI",
        "/aws/service/ecs/optimized-ami/amazon-linux-2/arm64/recommended",
    ),
    "amazon-linux-2-gpu": (
        "Amazon Linux 2 (GPU) AMI",
        "/aws/service/ecs/optimized-ami/amazon-linux-2/gpu/recommended",
    ),
    "amazon-linux": (
        "Amazon Linux AMI",
        "/aws/service/ecs/optimized-ami/amazon-linux/recommended",
    ),
}

# The ECS-optimized Windows Server AMIs the console offers, the first being the default. Their
# /aws/service/ami-windows-latest/<name>-ECS_Optimized parameters hold the same JSON metadata as
# the Linux ones (ECS developer guide, "Retrieving Amazon ECS-optimized Windows AMI metadata":
# docs.aws.amazon.com/AmazonECS/latest/developerguide/retrieve-ecs-optimized_windows_AMI.html).
WINDOWS_AMI_PARAMETER_ROOT = "/aws/service/ami-windows-latest"
WINDOWS_AMIS = {
    "Windows_Server-2019-English-Full": "Windows Server 2019 Full AMI",
    "Windows_Server-2019-English-Core": "Windows Server 2019 Core AMI",
    "Windows_Server-2016-English-Full": "Windows Server 2016 Full AMI",
    "Windows_Server-2022-English-Full": "Windows Server 2022 Full AMI",
    "Windows_Server-2022-English-Core": "Windows Server 2022 Core AMI",
}

SIZE_ORDER = ["nano", "micro", "small", "medium", "large", "xlarge", "metal"]
# The types the console listed first, where the region offers them: the lab's and their
# neighbours, the usual first choices for a small cluster.
COMMON_INSTANCE_TYPES = (
    "t2.micro", "t2.small", "t2.medium", "t3.micro", "t3.small", "t3.medium",
    "m5.large", "c5.large", "r5.large",
)
# An instance type's specification never changes; a day's cache spares every Configure page the
# region's whole DescribeInstanceTypes listing.
INSTANCE_TYPE_CATALOGUE_SECONDS = 24 * 3600
INSTANCE_TYPE_CATALOGUE_KEY = "instance-type-catalogue:{region}"
# The ECS-optimized AMIs are public SSM parameters, the same in every account of a region, and
# AWS publishes a new AMI every few weeks: an hour's cache spares each person's Configure page
# its SSM calls.
ECS_AMIS_SECONDS = 3600


@dataclass(frozen=True)
class Ami:
    family: AmiFamily
    label: str
    image_id: str
    image_name: str
    agent_version: str
    runtime_version: str

    @property
    def display(self):
        return f"{self.label} [{self.image_id}]"

    @property
    def architecture(self):
        return self.family.architecture

    @property
    def for_gpu(self):
        return self.family.for_gpu


@dataclass(frozen=True)
class InstanceType:
    """What the wizard needs to know of an instance type: what AMI it runs (architecture, GPU
    drivers), whether T2 unlimited applies (burstable), and how to list it."""

    name: str
    architectures: tuple
    has_gpu: bool
    burstable: bool
    current_generation: bool

    @property
    def family(self):
        return self.name.partition(".")[0]


@dataclass(frozen=True)
class Vpc:
    vpc_id: str
    cidr: str
    is_default: bool
    name: str

    @property
    def display(self):
        label = f"{self.vpc_id} ({self.cidr})"
        if self.name:
            label += f" | {self.name}"
        return label + (" (default)" if self.is_default else "")


@dataclass(frozen=True)
class Subnet:
    subnet_id: str
    cidr: str
    availability_zone: str
    vpc_id: str

    @property
    def display(self):
        return f"{self.subnet_id} ({self.cidr}) - {self.availability_zone}"


# --- Reads shared by everyone who looks at the same thing ---------------------------------------
# A page that several people keep open (the ECS Instances tab polls) reads AWS once for all of
# them while the reading is fresh, from Django's cache (Redis, shared by every web process). The
# cache is a help, never a need: Redis away means each request reads AWS itself.

log = logging.getLogger(__name__)

# A reader that finds no reading while another request is making one waits this long for it.
SHARED_READ_WAIT_SECONDS = 3
# A stale reading is kept this long to answer while the next read is being made.
SHARED_READ_KEPT_SECONDS = 600


@dataclass(frozen=True)
class Reading:
    value: object
    read_at: float  # time.time() when AWS answered


def _cached(method, *args, failed=None):
    """cache.<method>(*args), or `failed` when the cache cannot be reached."""
    try:
        return getattr(cache, method)(*args)
    except (RedisError, OSError) as error:
        log.warning("The cache did not answer (%s); reading AWS directly", error)
        return failed


def _is_fresh(reading, fresh_for):
    seconds = fresh_for(reading.value) if callable(fresh_for) else fresh_for
    return time.time() - reading.read_at < seconds


def shared_read(key, fresh_for, read, *, kept_in_process=False):
    """read()'s value, read once for everyone who asks for `key` while it is fresh.

    `fresh_for` is seconds, or a function of the value that gives them. When the reading has
    gone stale, one request reads again while the others answer with the last reading, so
    however many ask, the source is read at most once per freshness. A reading `kept_in_process`
    is also kept in this process's memory, as it was read, for what is large and changes seldom.
    """
    reading = _kept_in_process.get(key) if kept_in_process else None
    if reading is None or not _is_fresh(reading, fresh_for):
        reading = _shared_reading(key, fresh_for, read)
        if kept_in_process:
            _kept_in_process[key] = reading
    return reading.value


# Readings kept in the process's memory besides the cache: the instance type catalogue, whose
# 1,400 types cost a Configure page or a field's check more to unpickle from Redis than all the
# rest of its work. Keyed by region, so it holds a few readings at most.
_kept_in_process = {}


def forget_what_the_process_kept():
    """Drop what shared_read kept in this process's memory (a test's new cache starts empty)."""
    _kept_in_process.clear()


def _shared_reading(key, fresh_for, read):
    """The Reading shared_read gives the value of: the cache's while fresh, else a new one."""
    reading = _cached("get", key)
    if reading is not None and _is_fresh(reading, fresh_for):
        return reading
    lock = f"{key}:reading"
    holding = _cached("add", lock, True, SHARED_READ_WAIT_SECONDS, failed=True)
    if not holding:
        if reading is not None:
            return reading  # another request is reading it again
        reading = _wait_for_reading(key)
        if reading is not None:
            return reading
    try:
        reading = Reading(read(), time.time())
        _cached("set", key, reading, SHARED_READ_KEPT_SECONDS)
    finally:
        if holding:
            _cached("delete", lock)
    return reading


def last_reading(key):
    """The value shared_read last kept for `key`, however old, or None: for a page that shows it
    rather than wait for the reading under way."""
    reading = _cached("get", key)
    return None if reading is None else reading.value


def _wait_for_reading(key):
    """The reading another request is making, once it lands; None after the wait's bound.

    Django's cache has no blocking get, so this looks every 50 ms, for at most
    SHARED_READ_WAIT_SECONDS: a wait for a condition, not a pause, that spares AWS a read per
    waiting tab."""
    deadline = time.monotonic() + SHARED_READ_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.05)
        reading = _cached("get", key)
        if reading is not None:
            return reading
    return None


def _cluster_key(region, what, cluster_name):
    """A cluster's reading of one kind, for the account the console acts in."""
    return f"aws:{account_id()}:{region}:{what}:{cluster_name}"


def as_shown(region, lookup, *, again):
    """lookup(region) for Configure cluster, kept for the person's account: read `again` when
    the page is drawn, and otherwise as the page last showed it. A field's check and Create are
    judged against the lists the page offered, as the console's own page judges them in the
    browser, rather than reading every list again each time a person leaves a field."""
    return shared_read(
        _as_shown_key(region, lookup),
        0 if again else SHARED_READ_KEPT_SECONDS,
        lambda: lookup(region),
    )


def _as_shown_key(region, lookup):
    return f"aws:{account_id()}:{region}:as-shown:{lookup.__name__}"


def forget_key_pairs(region):
    """Drop the key pairs Configure cluster showed: the person just made one there."""
    _cached("delete", _as_shown_key(region, key_pairs))


def forget_cluster(region, cluster_name):
    """Drop what was read of a cluster, after the console changed it: the next look reads AWS."""
    try:
        keys = [
            _cluster_key(region, what, cluster_name) for what in ("cluster", "stack", "instances")
        ]
    except AwsError as error:
        log.warning("Could not name the account to forget cluster %s: %s", cluster_name, error)
        return
    for key in keys:
        _cached("delete", key)


def _header_fresh_for():
    """DescribeClusters, the cluster header's figures: read again this often, it tells when an
    instance registers or leaves (its count), which the tab then reads in full."""
    return settings.SHARED_READ_SECONDS


def _stack_fresh_for():
    """The wizard's stack changes only through the console's own operations, which forget it."""
    return 15 * settings.SHARED_READ_SECONDS


def instance_type_sort_key(name):
    """t2.micro before t2.small before t2.2xlarge: the order people expect, not the alphabet's."""
    family, _, size = name.partition(".")
    match = re.fullmatch(r"(\d*)xlarge", size)
    if match:
        rank = (SIZE_ORDER.index("xlarge"), int(match.group(1) or 1))
    elif size in SIZE_ORDER:
        rank = (SIZE_ORDER.index(size), 0)
    else:
        rank = (len(SIZE_ORDER), 0)
    return (family, rank, size)


def instance_type_catalogue(region):
    """The instance types the region offers, by name, in the order people look for them."""
    return shared_read(
        INSTANCE_TYPE_CATALOGUE_KEY.format(region=region),
        INSTANCE_TYPE_CATALOGUE_SECONDS,
        lambda: _read_instance_type_catalogue(region),
        kept_in_process=True,
    )


@translate_errors
def _read_instance_type_catalogue(region):
    ec2 = client("ec2", region)
    offered = {
        offer["InstanceType"]
        for offer in paginate(
            ec2, "describe_instance_type_offerings", "InstanceTypeOfferings", LocationType="region"
        )
    }
    types = [
        InstanceType(
            name=item["InstanceType"],
            architectures=tuple(item["ProcessorInfo"]["SupportedArchitectures"]),
            has_gpu=bool((item.get("GpuInfo") or {}).get("Gpus")),
            burstable=item.get("BurstablePerformanceSupported", False),
            current_generation=item.get("CurrentGeneration", False),
        )
        for item in paginate(ec2, "describe_instance_types", "InstanceTypes")
        if item["InstanceType"] in offered
    ]
    types.sort(key=lambda t: (not t.current_generation, instance_type_sort_key(t.name)))
    return {t.name: t for t in types}


def _ecs_ami_metadata(region, names):
    """The metadata AWS publishes for each of these ECS-optimized AMI parameters, by name.

    Each value is a JSON object with image_id, image_name, os, ecs_agent_version,
    ecs_runtime_version and schema_version ("Retrieving Amazon ECS-optimized Linux/Windows AMI
    metadata" in the ECS developer guide). ssm:GetParameters takes at most 10 names a call;
    names the region does not publish come back as InvalidParameters and are left out.
    """
    ssm = client("ssm", region)
    metadata = {}
    for batch in chunks(names, 10):
        for parameter in ssm.get_parameters(Names=batch)["Parameters"]:
            try:
                metadata[parameter["Name"]] = json.loads(parameter["Value"])
            except json.JSONDecodeError as error:
                raise AwsError(f"SSM parameter {parameter['Name']} is not JSON: {error}") from error
    return metadata


def _ami(family, label, metadata):
    return Ami(
        family=family,
        label=label,
        image_id=metadata["image_id"],
        image_name=metadata.get("image_name", ""),
        agent_version=metadata.get("ecs_agent_version", ""),
        runtime_version=metadata.get("ecs_runtime_version", ""),
    )


def ecs_optimized_amis(region):
    """The ECS-optimized Linux AMIs of the region, in the console's order."""
    return shared_read(f"ecs-amis:{region}:linux", ECS_AMIS_SECONDS, lambda: _linux_amis(region))


@translate_errors
def _linux_amis(region):
    metadata = _ecs_ami_metadata(region, [parameter for _, parameter in LINUX_AMIS.values()])
    return [
        _ami(AmiFamily(family), label, metadata[parameter])
        for family, (label, parameter) in LINUX_AMIS.items()
        if parameter in metadata
    ]


def windows_ecs_amis(region):
    """The ECS-optimized Windows Server AMIs of the region, in the console's order."""
    return shared_read(
        f"ecs-amis:{region}:windows", ECS_AMIS_SECONDS, lambda: _windows_amis(region)
    )


@translate_errors
def _windows_amis(region):
    labels = {
        f"{WINDOWS_AMI_PARAMETER_ROOT}/{os}-ECS_Optimized": label
        for os, label in WINDOWS_AMIS.items()
    }
    metadata = _ecs_ami_metadata(region, list(labels))
    return [
        _ami(AmiFamily.WINDOWS, label, metadata[name])
        for name, label in labels.items()
        if name in metadata
    ]


@translate_errors
def key_pairs(region):
    response = client("ec2", region).describe_key_pairs()
    return sorted(pair["KeyName"] for pair in response["KeyPairs"])


def _name_tag(resource):
    return next((t["Value"] for t in resource.get("Tags", []) if t["Key"] == "Name"), "")


@translate_errors
def vpcs(region):
    found = paginate(client("ec2", region), "describe_vpcs", "Vpcs")
    return sorted(
        (Vpc(v["VpcId"], v["CidrBlock"], v.get("IsDefault", False), _name_tag(v)) for v in found),
        key=lambda vpc: (not vpc.is_default, vpc.vpc_id),
    )


@translate_errors
def subnets(region):
    """Every subnet of the region, each with its VPC, in zone order."""
    found = paginate(client("ec2", region), "describe_subnets", "Subnets")
    return sorted(
        (Subnet(s["SubnetId"], s["CidrBlock"], s["AvailabilityZone"], s["VpcId"]) for s in found),
        key=lambda subnet: (subnet.vpc_id, subnet.availability_zone, subnet.subnet_id),
    )


@dataclass(frozen=True)
class SecurityGroup:
    group_id: str
    name: str
    vpc_id: str

    @property
    def display(self):
        return f"{self.group_id} ({self.name})"


@translate_errors
def security_groups(region):
    """Every security group of the region, each with its VPC."""
    found = paginate(client("ec2", region), "describe_security_groups", "SecurityGroups")
    return sorted(
        (SecurityGroup(g["GroupId"], g["GroupName"], g.get("VpcId", "")) for g in found),
        key=lambda group: (group.vpc_id, group.group_id),
    )


@translate_errors
def availability_zones(region):
    response = client("ec2", region).describe_availability_zones(
        Filters=[{"Name": "state", "Values": ["available"]}]
    )
    return sorted(zone["ZoneName"] for zone in response["AvailabilityZones"])


def _trusts_ec2(role):
    statements = role.get("AssumeRolePolicyDocument", {}).get("Statement", [])
    for statement in statements:
        services = statement.get("Principal", {}).get("Service", [])
        if "ec2.amazonaws.com" in ([services] if isinstance(services, str) else services):
            return True
    return False


@translate_errors
def instance_roles(region):
    """Roles that EC2 instances can take on: the ones the console offers for container instances."""
    roles = paginate(client("iam", region), "list_roles", "Roles")
    return sorted(role["RoleName"] for role in roles if _trusts_ec2(role))


@translate_errors
def active_cluster(region, cluster_name):
    """The ACTIVE cluster of that name in the region, or None."""
    response = client("ecs", region).describe_clusters(clusters=[cluster_name])
    return next((c for c in response["clusters"] if c["status"] == "ACTIVE"), None)


# The cluster pages: what DescribeClusters, the container instances, the wizard's stack and
# its Auto Scaling group say, as typed values the views and templates read by name.

# What an instance's ECS agent may take to register after launch: 30-90 s on Amazon Linux
# (cloud-final, then the agent's image load), "up to 15 minutes" for Windows (aws-facts §6).
# Until then, a running instance that has not registered is one the tab waits for.
AGENT_REGISTRATION_GRACE = {"linux": timedelta(minutes=5), "windows": timedelta(minutes=15)}


@dataclass(frozen=True)
class Tag:
    key: str
    value: str


@dataclass(frozen=True)
class Setting:
    name: str
    value: str


@dataclass(frozen=True)
class CapacityProvider:
    """A capacity provider of the cluster, with its part in the default strategy if any."""

    name: str
    base: int | None = None
    weight: int | None = None


@dataclass(frozen=True)
class Cluster:
    """A cluster as DescribeClusters tells it: the figures of its page's header and its tabs."""

    name: str
    arn: str
    status: str
    registered_instances: int
    running_tasks: int
    pending_tasks: int
    active_services: int
    running_fargate_tasks: int = 0
    running_ec2_tasks: int = 0
    pending_fargate_tasks: int = 0
    pending_ec2_tasks: int = 0
    draining_services: int = 0
    settings: tuple[Setting, ...] = ()
    tags: tuple[Tag, ...] = ()
    capacity_providers: tuple[CapacityProvider, ...] = ()

    @classmethod
    def from_aws(cls, item):
        figures = {s["name"]: int(s["value"]) for s in item.get("statistics", [])}
        strategy = {
            s["capacityProvider"]: s for s in item.get("defaultCapacityProviderStrategy", [])
        }
        return cls(
            name=item["clusterName"],
            arn=item["clusterArn"],
            status=item["status"],
            registered_instances=item.get("registeredContainerInstancesCount", 0),
            running_tasks=item.get("runningTasksCount", 0),
            pending_tasks=item.get("pendingTasksCount", 0),
            active_services=item.get("activeServicesCount", 0),
            running_fargate_tasks=figures.get("runningFargateTasksCount", 0),
            running_ec2_tasks=figures.get("runningEC2TasksCount", 0),
            pending_fargate_tasks=figures.get("pendingFargateTasksCount", 0),
            pending_ec2_tasks=figures.get("pendingEC2TasksCount", 0),
            draining_services=figures.get("drainingEC2ServiceCount", 0)
            + figures.get("drainingFargateServiceCount", 0),
            settings=tuple(Setting(s["name"], s["value"]) for s in item.get("settings", [])),
            tags=tuple(Tag(t["key"], t.get("value", "")) for t in item.get("tags", [])),
            capacity_providers=tuple(
                CapacityProvider(
                    name, strategy.get(name, {}).get("base"), strategy.get(name, {}).get("weight")
                )
                for name in item.get("capacityProviders", [])
            ),
        )

    @property
    def container_insights(self):
        return any(s.name == "containerInsights" and s.value == "enabled" for s in self.settings)


@translate_errors
def clusters(region):
    """Every cluster of the region with its figures: ListClusters, then DescribeClusters by 100."""
    ecs = client("ecs", region)
    arns = list(paginate(ecs, "list_clusters", "clusterArns"))
    described = []
    for batch in chunks(arns, 100):
        response = ecs.describe_clusters(clusters=batch, include=["STATISTICS", "TAGS"])
        described.extend(Cluster.from_aws(item) for item in response["clusters"])
    return sorted(described, key=lambda cluster: cluster.name.lower())


@translate_errors
def cluster(region, name):
    """One live cluster with its figures, settings and tags, or None when ECS has none by that
    name (a deleted cluster is INACTIVE: gone, for the console). Shared by every viewer of it
    for a couple of seconds."""
    return shared_read(
        _cluster_key(region, "cluster", name),
        _header_fresh_for(),
        lambda: _read_cluster(region, name),
    )


@translate_errors
def _read_cluster(region, name):
    response = client("ecs", region).describe_clusters(
        clusters=[name], include=["STATISTICS", "SETTINGS", "TAGS"]
    )
    found = next(iter(response["clusters"]), None)
    if found is None or found["status"] == "INACTIVE":
        return None
    return Cluster.from_aws(found)


# The Metrics tab: the cluster's CloudWatch metrics that the classic console charted, namespace
# AWS/ECS by ClusterName, each the average of a minute, over the last hour. ECS publishes them
# every minute for a cluster whose instances are registered.
METRICS_NAMESPACE = "AWS/ECS"
CLUSTER_METRICS = (
    ("CPUReservation", "CPU reservation"),
    ("CPUUtilization", "CPU utilization"),
    ("MemoryReservation", "Memory reservation"),
    ("MemoryUtilization", "Memory utilization"),
)
METRICS_PERIOD = timedelta(minutes=1)
METRICS_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class MetricPoint:
    at: datetime
    value: float


@dataclass(frozen=True)
class MetricSeries:
    """One metric's averages, oldest first, in percent."""

    name: str
    label: str
    points: tuple[MetricPoint, ...]

    @property
    def latest(self):
        return self.points[-1] if self.points else None

    @property
    def lowest(self):
        return min((p.value for p in self.points), default=None)

    @property
    def highest(self):
        return max((p.value for p in self.points), default=None)


@dataclass(frozen=True)
class ClusterMetrics:
    """What the Metrics tab charts: each metric's series over one window of time."""

    cluster_name: str
    start: datetime
    end: datetime
    series: tuple[MetricSeries, ...]

    @property
    def has_data(self):
        return any(series.points for series in self.series)


@translate_errors
def cluster_metrics(region, cluster_name, now=None):
    """The cluster's CPU and memory reservation and utilization for the last hour, in one
    GetMetricData call (pages, if CloudWatch splits its answer, are joined by query id)."""
    # Whole minutes, as CloudWatch aligns 1-minute periods, up to the minute under way.
    end = (now or datetime.now(timezone.utc)).replace(second=0, microsecond=0) + METRICS_PERIOD
    start = end - METRICS_WINDOW
    queries = [
        {
            "Id": name.lower(),
            "MetricStat": {
                "Metric": {
                    "Namespace": METRICS_NAMESPACE,
                    "MetricName": name,
                    "Dimensions": [{"Name": "ClusterName", "Value": cluster_name}],
                },
                "Period": int(METRICS_PERIOD.total_seconds()),
                "Stat": "Average",
            },
        }
        for name, _ in CLUSTER_METRICS
    ]
    found = {query["Id"]: [] for query in queries}
    for result in paginate(
        client("cloudwatch", region),
        "get_metric_data",
        "MetricDataResults",
        MetricDataQueries=queries,
        StartTime=start,
        EndTime=end,
        ScanBy="TimestampAscending",
    ):
        found[result["Id"]].extend(
            MetricPoint(at, value) for at, value in zip(result["Timestamps"], result["Values"])
        )
    return ClusterMetrics(
        cluster_name=cluster_name,
        start=start,
        end=end,
        series=tuple(
            MetricSeries(name, label, tuple(sorted(found[name.lower()], key=lambda p: p.at)))
            for name, label in CLUSTER_METRICS
        ),
    )


class Ec2State(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SHUTTING_DOWN = "shutting-down"
    TERMINATED = "terminated"
    STOPPING = "stopping"
    STOPPED = "stopped"


@dataclass(frozen=True)
class Ec2Instance:
    """An EC2 instance as DescribeInstances tells it: what the lab's step 13 looks at."""

    instance_id: str
    state: Ec2State
    instance_type: str
    availability_zone: str
    image_id: str = ""
    private_ip: str = ""
    private_dns: str = ""
    public_ip: str = ""
    public_dns: str = ""
    launched_at: datetime | None = None
    platform: str = "linux"

    @classmethod
    def from_aws(cls, item):
        return cls(
            instance_id=item["InstanceId"],
            state=Ec2State(item["State"]["Name"]),
            instance_type=item.get("InstanceType", ""),
            availability_zone=item.get("Placement", {}).get("AvailabilityZone", ""),
            image_id=item.get("ImageId", ""),
            private_ip=item.get("PrivateIpAddress", ""),
            private_dns=item.get("PrivateDnsName", ""),
            public_ip=item.get("PublicIpAddress", ""),
            public_dns=item.get("PublicDnsName", ""),
            launched_at=item.get("LaunchTime"),
            # DescribeInstances names the platform only for Windows.
            platform=item.get("Platform", "linux"),
        )


class ContainerInstanceStatus(StrEnum):
    """The statuses ECS documents for a container instance."""

    REGISTERING = "REGISTERING"
    REGISTRATION_FAILED = "REGISTRATION_FAILED"
    ACTIVE = "ACTIVE"
    DRAINING = "DRAINING"
    DEREGISTERING = "DEREGISTERING"
    INACTIVE = "INACTIVE"

    @property
    def is_counted(self):
        """Whether the cluster's registeredContainerInstancesCount counts it (AWS: ACTIVE and
        DRAINING)."""
        return self in (self.ACTIVE, self.DRAINING)

    @property
    def is_changing(self):
        return self in (self.REGISTERING, self.DEREGISTERING)


class Attribute(NamedTuple):
    """A container instance's attribute."""

    name: str
    value: str = ""


@dataclass(frozen=True)
class ContainerInstance:
    """A container instance with the columns of the ECS Instances tab, and its EC2 instance."""

    arn: str
    status: ContainerInstanceStatus
    agent_connected: bool
    ec2_instance_id: str
    ec2: Ec2Instance | None
    running_tasks: int = 0
    pending_tasks: int = 0
    cpu_registered: int | None = None
    cpu_available: int | None = None
    memory_registered: int | None = None
    memory_available: int | None = None
    agent_version: str = ""
    docker_version: str = ""
    # The attributes as DescribeContainerInstances lists them, made into Attributes only when a
    # page shows them: a host has some 25, and making them for every row was a tenth of the ECS
    # Instances tab of 1,000 hosts, which shows none.
    described_attributes: tuple = field(default=(), repr=False, compare=False)
    registered_at: datetime | None = None

    @classmethod
    def from_aws(cls, item, ec2_instances):
        registered = _integer_resources(item.get("registeredResources", []))
        remaining = _integer_resources(item.get("remainingResources", []))
        version = item.get("versionInfo", {})
        return cls(
            arn=item["containerInstanceArn"],
            status=ContainerInstanceStatus(item.get("status", "ACTIVE")),
            agent_connected=item.get("agentConnected", False),
            ec2_instance_id=item.get("ec2InstanceId", ""),
            ec2=ec2_instances.get(item.get("ec2InstanceId")),
            running_tasks=item.get("runningTasksCount", 0),
            pending_tasks=item.get("pendingTasksCount", 0),
            cpu_registered=registered.get("CPU"),
            cpu_available=remaining.get("CPU"),
            memory_registered=registered.get("MEMORY"),
            memory_available=remaining.get("MEMORY"),
            agent_version=version.get("agentVersion", ""),
            docker_version=version.get("dockerVersion", ""),
            described_attributes=tuple(item.get("attributes", ())),
            registered_at=item.get("registeredAt"),
        )

    @cached_property
    def attributes(self):
        return tuple(Attribute(a["name"], a.get("value", "")) for a in self.described_attributes)

    @property
    def id(self):
        return self.arn.rsplit("/", 1)[-1]

    @property
    def availability_zone(self):
        return self.ec2.availability_zone if self.ec2 else ""

    def matches(self, query):
        """Whether the ECS Instances filter box keeps this row."""
        words = (self.id, self.ec2_instance_id, self.availability_zone, self.status)
        return any(query.lower() in word.lower() for word in words)


def _integer_resources(resources):
    return {r["name"]: r.get("integerValue") for r in resources if r.get("type") == "INTEGER"}


class HostSituation(models.TextChoices):
    """Where an instance of the cluster's Auto Scaling group stands while it is not registered
    with the cluster: changing (the tab keeps looking) or steady (nothing more will happen by
    itself)."""

    LAUNCHING = "launching", "Launching"
    STARTING = "starting", "Running; its ECS agent has not registered yet"
    STOPPING = "stopping", "Stopping"
    TERMINATING = "terminating", "Terminating"
    STOPPED = "stopped", "Stopped; its ECS agent registers again when it starts"
    DEREGISTERED = "deregistered", "Running; deregistered from the cluster"
    NOT_REGISTERED = "not-registered", "Running; its ECS agent did not register"

    @property
    def is_changing(self):
        return self in (self.LAUNCHING, self.STARTING, self.STOPPING, self.TERMINATING)


@dataclass(frozen=True)
class GroupInstance:
    """An instance of the cluster's Auto Scaling group that is not a registered container
    instance of the cluster, and why."""

    instance_id: str
    lifecycle_state: str
    ec2: Ec2Instance | None
    situation: HostSituation


def _situation(lifecycle_state, ec2, deregistered, now):
    state = ec2.state if ec2 else None
    if lifecycle_state.startswith("Pending") or state == Ec2State.PENDING:
        return HostSituation.LAUNCHING
    if lifecycle_state.startswith("Terminating") or state == Ec2State.SHUTTING_DOWN:
        return HostSituation.TERMINATING
    if state == Ec2State.STOPPING:
        return HostSituation.STOPPING
    if state == Ec2State.STOPPED:
        return HostSituation.STOPPED
    if ec2 and ec2.instance_id in deregistered:
        return HostSituation.DEREGISTERED
    if ec2 is None or ec2.launched_at is None:  # EC2 has not caught up with the group yet
        return HostSituation.LAUNCHING
    grace = AGENT_REGISTRATION_GRACE["windows" if ec2.platform == "windows" else "linux"]
    if now - ec2.launched_at < grace:
        return HostSituation.STARTING
    return HostSituation.NOT_REGISTERED


@dataclass(frozen=True)
class AutoScalingGroup:
    name: str
    desired_capacity: int
    instances: tuple[GroupInstance, ...]


@dataclass(frozen=True)
class ClusterInstances:
    """The ECS Instances tab in one read: the header's count of registered instances, the
    container instances, and the instances of the wizard's Auto Scaling group that are not
    registered with the cluster."""

    cluster: Cluster
    container_instances: tuple[ContainerInstance, ...]
    group: AutoScalingGroup | None = None

    @property
    def counts_agree(self):
        """Whether the header's count and the table tell the same story. They come from two ECS
        APIs that AWS updates a moment apart, so they can disagree for a while."""
        counted = sum(1 for ci in self.container_instances if ci.status.is_counted)
        return counted == self.cluster.registered_instances

    @property
    def unregistered(self):
        return self.group.instances if self.group else ()

    @property
    def still_changing(self):
        """Whether something is on its way to a steady state by itself: an instance launching,
        starting its agent, stopping or terminating, a container instance registering or
        deregistering, or the count and the table still apart. A stopped, deregistered or
        disconnected host is steady: nothing more will happen until a person acts."""
        return (
            not self.counts_agree
            or any(ci.status.is_changing for ci in self.container_instances)
            or any(host.situation.is_changing for host in self.unregistered)
        )


def _ec2_instances(ec2, instance_ids):
    """EC2 instances by id, in DescribeInstances calls of up to 1000 ids."""
    found = {}
    for batch in chunks(sorted(set(instance_ids)), 1000):
        for reservation in paginate(ec2, "describe_instances", "Reservations", InstanceIds=batch):
            for item in reservation["Instances"]:
                found[item["InstanceId"]] = Ec2Instance.from_aws(item)
    return found


@translate_errors
def ec2_instances(region, instance_ids):
    """EC2 instances by id, as DescribeInstances tells them."""
    return _ec2_instances(client("ec2", region), instance_ids)


@translate_errors
def ec2_instance(region, instance_id):
    """One EC2 instance as DescribeInstances tells it, or None."""
    try:
        return _ec2_instances(client("ec2", region), [instance_id]).get(instance_id)
    except ClientError as error:
        if error_code(error) == "InvalidInstanceID.NotFound":
            return None
        raise


def _described_container_instances(ecs, cluster_name, arns):
    described = []
    for batch in chunks(arns, 100):
        response = ecs.describe_container_instances(cluster=cluster_name, containerInstances=batch)
        described.extend(response["containerInstances"])
    return described


def _listed_container_instance_arns(ecs, cluster_name):
    return list(
        paginate(
            ecs,
            "list_container_instances",
            "containerInstanceArns",
            cluster=cluster_name,
            PaginationConfig={"PageSize": 100},
        )
    )


def _in_registration_order(container_instances):
    return tuple(
        sorted(
            container_instances,
            key=lambda ci: (ci.registered_at is None, ci.registered_at or 0, ci.id),
        )
    )


@translate_errors
def container_instances(region, cluster_name, ids=None):
    """The cluster's container instances (or those ids) with their EC2 instances, in the fewest
    calls the API allows: pages of 100 ids, describes of 100, and one EC2 describe for each
    1000 instances."""
    ecs = client("ecs", region)
    arns = ids or _listed_container_instance_arns(ecs, cluster_name)
    described = _described_container_instances(ecs, cluster_name, arns)
    ec2_instances = _ec2_instances(
        client("ec2", region),
        [item["ec2InstanceId"] for item in described if item.get("ec2InstanceId")],
    )
    return _in_registration_order(
        ContainerInstance.from_aws(item, ec2_instances) for item in described
    )


@dataclass(frozen=True)
class InstancesReading:
    """What AWS said of a cluster's hosts in one read, as the ECS Instances tab shares it: the
    container instances as DescribeContainerInstances tells them, the Auto Scaling group's
    members and desired capacity, and their EC2 instances."""

    cluster_name: str
    group_name: str | None
    # The header's count of registered instances when this was read: a new count means hosts
    # joined or left, and this reading is out of date.
    registered_count: int
    described: tuple
    members: tuple
    desired_capacity: int
    ec2_instances: dict

    @property
    def is_changing(self):
        """A host of the group not registered, or a container instance on its way in or out."""
        registered = {item.get("ec2InstanceId") for item in self.described}
        return any(m["InstanceId"] not in registered for m in self.members) or any(
            ContainerInstanceStatus(item.get("status", "ACTIVE")).is_changing
            for item in self.described
        )

    def fresh_for(self, cluster, group_name, busy):
        """How long this reading answers the tab of `cluster` as the header now reads it:
        not at all once the count moved; briefly while hosts or an operation are on their way;
        longer when all is still (the header's count tells when hosts arrive)."""
        if self.registered_count != cluster.registered_instances or self.group_name != group_name:
            return 0
        if busy or self.is_changing:
            return 5 * settings.SHARED_READ_SECONDS
        return 15 * settings.SHARED_READ_SECONDS


@translate_errors
def _read_instances(region, cluster, group_name):
    ecs, ec2 = client("ecs", region), client("ec2", region)
    described = _described_container_instances(
        ecs, cluster.name, _listed_container_instance_arns(ecs, cluster.name)
    )
    members, desired = [], 0
    if group_name:
        groups = client("autoscaling", region).describe_auto_scaling_groups(
            AutoScalingGroupNames=[group_name]
        )["AutoScalingGroups"]
        if groups:
            members = groups[0]["Instances"]
            desired = groups[0]["DesiredCapacity"]
    ec2_instances = _ec2_instances(
        ec2,
        [item["ec2InstanceId"] for item in described if item.get("ec2InstanceId")]
        + [member["InstanceId"] for member in members],
    )
    return InstancesReading(
        cluster_name=cluster.name,
        group_name=group_name,
        registered_count=cluster.registered_instances,
        described=tuple(described),
        members=tuple(members),
        desired_capacity=desired,
        ec2_instances=ec2_instances,
    )


@translate_errors
def cluster_instances(
    region, cluster, group_name=None, deregistered=frozenset(), now=None, busy=False
):
    """What the ECS Instances tab shows of a cluster already read with `cluster()`, in one
    read shared by every viewer of the cluster: its container instances and, when the wizard
    made an Auto Scaling group, the group's instances that are not registered. One EC2 describe
    covers both.

    `deregistered` holds the EC2 instance ids a person deregistered here, whose agents will not
    register them again; `now` is the moment the read stands for; `busy` says an operation of
    the console is changing the cluster, so the reading is renewed sooner."""
    now = now or datetime.now(timezone.utc)
    reading = shared_read(
        _cluster_key(region, "instances", cluster.name),
        lambda found: found.fresh_for(cluster, group_name, busy),
        lambda: _read_instances(region, cluster, group_name),
    )
    ec2_instances = reading.ec2_instances
    registered = {item.get("ec2InstanceId") for item in reading.described}
    group = None
    if group_name:
        group = AutoScalingGroup(
            name=group_name,
            desired_capacity=reading.desired_capacity,
            instances=tuple(
                GroupInstance(
                    member["InstanceId"],
                    member["LifecycleState"],
                    ec2_instances.get(member["InstanceId"]),
                    _situation(
                        member["LifecycleState"],
                        ec2_instances.get(member["InstanceId"]),
                        deregistered,
                        now,
                    ),
                )
                for member in sorted(reading.members, key=lambda m: m["InstanceId"])
                if member["InstanceId"] not in registered
            ),
        )
    return ClusterInstances(
        cluster=cluster,
        container_instances=_in_registration_order(
            ContainerInstance.from_aws(item, ec2_instances) for item in reading.described
        ),
        group=group,
    )


@dataclass(frozen=True)
class WizardStack:
    """The stack EC2ContainerService-<name> that the Create Cluster wizard made."""

    name: str
    stack_id: str
    status: str
    desired_count: int | None
    auto_scaling_group: str | None


@translate_errors
def wizard_stack(region, cluster_name):
    """The stack the Create Cluster wizard made for the cluster, or None.

    It is the stack EC2ContainerService-<name> whose outputs say the console made it; its
    AsgMaxSize parameter is the desired number of instances.
    """
    return shared_read(
        _cluster_key(region, "stack", cluster_name),
        _stack_fresh_for(),
        lambda: _read_wizard_stack(region, cluster_name),
    )


@translate_errors
def _read_wizard_stack(region, cluster_name):
    name = stack_name_for(cluster_name)
    try:
        stack = client("cloudformation", region).describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as error:
        if error_code(error) == "ValidationError":  # "Stack with id … does not exist"
            return None
        raise
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    if outputs.get(MADE_BY_CONSOLE_OUTPUT) != "true" or stack["StackStatus"] == "DELETE_COMPLETE":
        return None
    parameters = {p["ParameterKey"]: p.get("ParameterValue") for p in stack.get("Parameters", [])}
    desired = parameters.get(DESIRED_COUNT_PARAMETER)
    return WizardStack(
        name=name,
        stack_id=stack["StackId"],
        status=stack["StackStatus"],
        desired_count=int(desired) if desired and desired.isdigit() else None,
        auto_scaling_group=outputs.get(ASG_NAME_OUTPUT),
    )


@dataclass(frozen=True)
class StackResource:
    logical_id: str
    resource_type: str
    physical_id: str


@translate_errors
def stack_resources(region, stack_id):
    """What a stack holds, as CloudFormation lists it: what deleting the stack removes."""
    found = paginate(
        client("cloudformation", region), "list_stack_resources", "StackResourceSummaries",
        StackName=stack_id,
    )
    return tuple(
        StackResource(r["LogicalResourceId"], r["ResourceType"], r.get("PhysicalResourceId", ""))
        for r in found
        if r["ResourceStatus"] != "DELETE_COMPLETE"
    )


@translate_errors
def services(region, cluster_name):
    ecs = client("ecs", region)
    arns = list(paginate(ecs, "list_services", "serviceArns", cluster=cluster_name))
    found = []
    for batch in chunks(arns, 10):
        found.extend(ecs.describe_services(cluster=cluster_name, services=batch)["services"])
    return sorted(found, key=lambda service: service["serviceName"])


@translate_errors
def tasks(region, cluster_name):
    ecs = client("ecs", region)
    arns = list(paginate(ecs, "list_tasks", "taskArns", cluster=cluster_name))
    found = []
    for batch in chunks(arns, 100):
        found.extend(ecs.describe_tasks(cluster=cluster_name, tasks=batch)["tasks"])
    return found


@translate_errors
def scheduled_task_rules(region, cluster_arn):
    """EventBridge rules that start tasks in the cluster: the console's Scheduled Tasks."""
    events = client("events", region)
    return sorted(paginate(events, "list_rule_names_by_target", "RuleNames", TargetArn=cluster_arn))
