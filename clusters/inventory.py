"""What the console reads from AWS: the wizard's drop-downs and the clusters of a region."""

import json
import re
from dataclasses import dataclass

from botocore.exceptions import ClientError
from django.core.cache import cache

from .aws import AwsError, chunks, client, error_code, paginate, translate_errors
from .configuration import AmiFamily
from .stack_template import DESIRED_COUNT_PARAMETER, MADE_BY_CONSOLE_OUTPUT, stack_name_for

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
    key = f"instance-type-catalogue:{region}"
    catalogue = cache.get(key)
    if catalogue is None:
        catalogue = _read_instance_type_catalogue(region)
        cache.set(key, catalogue, INSTANCE_TYPE_CATALOGUE_SECONDS)
    return catalogue


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


@translate_errors
def ecs_optimized_amis(region):
    """The ECS-optimized Linux AMIs of the region, in the console's order."""
    metadata = _ecs_ami_metadata(region, [parameter for _, parameter in LINUX_AMIS.values()])
    return [
        _ami(AmiFamily(family), label, metadata[parameter])
        for family, (label, parameter) in LINUX_AMIS.items()
        if parameter in metadata
    ]


@translate_errors
def windows_ecs_amis(region):
    """The ECS-optimized Windows Server AMIs of the region, in the console's order."""
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


@translate_errors
def clusters(region):
    """Every cluster of the region with its figures: ListClusters, then DescribeClusters by 100."""
    ecs = client("ecs", region)
    arns = list(paginate(ecs, "list_clusters", "clusterArns"))
    described = []
    for batch in chunks(arns, 100):
        response = ecs.describe_clusters(clusters=batch, include=["STATISTICS", "TAGS"])
        described.extend(response["clusters"])
    return sorted(described, key=lambda cluster: cluster["clusterName"].lower())


@translate_errors
def cluster(region, name):
    """One cluster with its figures, settings and tags, or None when ECS has no such cluster."""
    response = client("ecs", region).describe_clusters(
        clusters=[name], include=["STATISTICS", "SETTINGS", "TAGS"]
    )
    return next(iter(response["clusters"]), None)


def statistics(cluster):
    """DescribeClusters' statistics list as a dict of numbers."""
    return {item["name"]: int(item["value"]) for item in cluster.get("statistics", [])}


def _resource(resources, name):
    return next((r for r in resources if r["name"] == name), {})


@translate_errors
def container_instances(region, cluster_name, ids=None):
    """The cluster's container instances (or those ids) with the columns of the ECS Instances
    tab, in the fewest calls the API allows: pages of 100 ids, describes of 100, and one EC2
    describe for each 1000 instances."""
    ecs, ec2 = client("ecs", region), client("ec2", region)
    arns = ids or list(
        paginate(
            ecs,
            "list_container_instances",
            "containerInstanceArns",
            cluster=cluster_name,
            PaginationConfig={"PageSize": 100},
        )
    )
    described = []
    for batch in chunks(arns, 100):
        response = ecs.describe_container_instances(cluster=cluster_name, containerInstances=batch)
        described.extend(response["containerInstances"])
    ec2_ids = [item["ec2InstanceId"] for item in described if item.get("ec2InstanceId")]
    ec2_instances = {}
    for batch in chunks(ec2_ids, 1000):
        for reservation in paginate(ec2, "describe_instances", "Reservations", InstanceIds=batch):
            for instance in reservation["Instances"]:
                ec2_instances[instance["InstanceId"]] = instance
    rows = []
    for item in described:
        instance = ec2_instances.get(item.get("ec2InstanceId"), {})
        registered, remaining = item.get("registeredResources", []), item.get("remainingResources", [])
        version = item.get("versionInfo", {})
        rows.append(
            {
                "arn": item["containerInstanceArn"],
                "id": item["containerInstanceArn"].rsplit("/", 1)[-1],
                "ec2_instance_id": item.get("ec2InstanceId", ""),
                "availability_zone": instance.get("Placement", {}).get("AvailabilityZone", ""),
                "public_ip": instance.get("PublicIpAddress", ""),
                "public_dns": instance.get("PublicDnsName", ""),
                "instance_type": instance.get("InstanceType", ""),
                "agent_connected": item.get("agentConnected", False),
                "status": item.get("status", ""),
                "running_tasks": item.get("runningTasksCount", 0),
                "pending_tasks": item.get("pendingTasksCount", 0),
                "cpu_registered": _resource(registered, "CPU").get("integerValue"),
                "cpu_available": _resource(remaining, "CPU").get("integerValue"),
                "memory_registered": _resource(registered, "MEMORY").get("integerValue"),
                "memory_available": _resource(remaining, "MEMORY").get("integerValue"),
                "agent_version": version.get("agentVersion", ""),
                "docker_version": version.get("dockerVersion", ""),
                "attributes": item.get("attributes", []),
                "registered_at": item.get("registeredAt"),
            }
        )
    return sorted(rows, key=lambda row: (row["registered_at"] is None, row["registered_at"], row["id"]))


@translate_errors
def wizard_stack(region, cluster_name):
    """The stack the Create Cluster wizard made for the cluster, or None.

    It is the stack EC2ContainerService-<name> whose outputs say the console made it; its
    AsgMaxSize parameter is the desired number of instances.
    """
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
    return {
        "name": name,
        "id": stack["StackId"],
        "status": stack["StackStatus"],
        "desired_count": int(desired) if desired and desired.isdigit() else None,
    }


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
