"""What a person asks of a cluster, as typed values: the wizard's configuration, a scale, a delete.

The Configure cluster form builds a `ClusterConfiguration`; the Operation row stores it as JSON
(`to_json`, `from_json`) beside the cluster's name, which is stored there once; the stack
template, the provisioning steps and the Launch status page read the typed value back.
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, StrEnum

from django.db.models import TextChoices


class ProvisioningModel(TextChoices):
    ON_DEMAND = "on-demand", "On-Demand Instance"
    SPOT = "spot", "Spot"


class SpotAllocationStrategy(TextChoices):
    """The console's two Spot strategies, by the API values the console used."""

    LOWEST_PRICE = "lowestPrice", "Lowest Price"
    DIVERSIFIED = "diversified", "Diversified"


class PublicIp(TextChoices):
    """Auto assign public IP: the subnet's own setting, or always, or never."""

    SUBNET = "subnet", "Use subnet setting"
    ENABLED = "enabled", "Enabled"
    DISABLED = "disabled", "Disabled"


class AmiFamily(StrEnum):
    """The ECS-optimized AMI families the console offers, each with the volume people size."""

    AMAZON_LINUX_2 = "amazon-linux-2"
    AMAZON_LINUX_2_ARM64 = "amazon-linux-2-arm64"
    AMAZON_LINUX_2_GPU = "amazon-linux-2-gpu"
    AMAZON_LINUX = "amazon-linux"
    WINDOWS = "windows"

    @property
    def architecture(self):
        return "arm64" if self is AmiFamily.AMAZON_LINUX_2_ARM64 else "x86_64"

    @property
    def for_gpu(self):
        return self is AmiFamily.AMAZON_LINUX_2_GPU

    @property
    def is_windows(self):
        return self is AmiFamily.WINDOWS

    @property
    def volume_device(self):
        """Where the AMI keeps the volume the console lets people size."""
        return {
            AmiFamily.AMAZON_LINUX: "/dev/xvdcz",  # Amazon Linux 1's separate Docker volume
            AmiFamily.WINDOWS: "/dev/sda1",
        }.get(self, "/dev/xvda")

    @property
    def min_volume_gib(self):
        """The AMI's own snapshot: a volume may grow past it, never shrink below it."""
        return 22 if self is AmiFamily.AMAZON_LINUX else 30

    @property
    def default_volume_gib(self):
        # Windows needs room to pull its large container images (the console's choice).
        return 50 if self is AmiFamily.WINDOWS else self.min_volume_gib

    @property
    def volume_label(self):
        if self in (AmiFamily.AMAZON_LINUX, AmiFamily.WINDOWS):
            return "EBS storage (GiB)"
        return "Root EBS Volume Size (GiB)"

    @property
    def volume_help(self):
        """One line on what the volume holds, and why the lab's 22 GiB became 30."""
        if self is AmiFamily.AMAZON_LINUX:
            return "Amazon Linux 1 keeps Docker's images on this separate volume: 22 GiB at least."
        if self is AmiFamily.WINDOWS:
            return (
                "Windows keeps container images on its root volume: 50 GiB leaves room for "
                "them (30 GiB at least)."
            )
        return (
            "Amazon Linux 2 keeps Docker's images on the root volume, 30 GiB at least; the 22 GiB "
            "that older guides mention was Amazon Linux 1's separate Docker volume."
        )


@dataclass(frozen=True)
class Tag:
    key: str
    value: str = ""


# The tag ECS Console puts on everything it makes (clusters, stacks and so what they make,
# key pairs, the instance role and its profile): on an account an admin assigned, which others
# may use too, Reset finds what is the console's by it and touches nothing else. A person's own
# tags may not use the prefix (forms.TagForm), as AWS keeps aws: for itself.
CONSOLE_TAG_PREFIX = "ecs-console:"
MADE_BY_CONSOLE = Tag(f"{CONSOLE_TAG_PREFIX}made-by", "ECS Console")


@dataclass(frozen=True)
class NewVpc:
    """A VPC the stack makes, with a public subnet in each of the region's first two zones."""

    cidr: str = "10.0.0.0/16"
    subnet1_cidr: str = "10.0.0.0/24"
    subnet2_cidr: str = "10.0.1.0/24"


@dataclass(frozen=True)
class IngressRule:
    """The one inbound rule of a security group the stack makes."""

    cidr: str
    from_port: int
    to_port: int


@dataclass(frozen=True)
class Network:
    """Where the instances run: a new VPC or some subnets of an existing one, and their group.

    `new_vpc` is None when `vpc_id` names an existing VPC; `ingress` is None when
    `security_group_id` names an existing group.
    """

    new_vpc: NewVpc | None = None
    vpc_id: str = ""
    subnet_ids: tuple[str, ...] = ()
    public_ip: PublicIp = PublicIp.SUBNET
    security_group_id: str = ""
    ingress: IngressRule | None = None

    @property
    def creates_vpc(self):
        return self.new_vpc is not None

    @property
    def creates_security_group(self):
        return self.ingress is not None


@dataclass(frozen=True)
class Spot:
    allocation_strategy: SpotAllocationStrategy = SpotAllocationStrategy.DIVERSIFIED
    # A string, as typed (without trailing zeros): CloudFormation takes the price as a string.
    max_price: str = ""


@dataclass(frozen=True)
class Instances:
    """The Auto Scaling group's instances: what they run and how many."""

    instance_types: tuple[str, ...]
    count: int
    ami_id: str
    ami_family: AmiFamily
    ami_display: str
    volume_size: int
    instance_role: str
    key_name: str = ""
    t2_unlimited: bool = False
    spot: Spot | None = None
    # Attach AmazonSSMManagedInstanceCore to the role, so ECS Console can read the host.
    ssm_host_access: bool = False

    @property
    def instance_type(self):
        """The launch template's type; a Spot group mixes all of instance_types."""
        return self.instance_types[0]

    @property
    def provisioning_model(self):
        return ProvisioningModel.SPOT if self.spot else ProvisioningModel.ON_DEMAND


class StoredAsJson:
    """A value an Operation row keeps in its JSON column: flat ones read back field by field."""

    def to_json(self):
        return _to_json(self)

    @classmethod
    def from_json(cls, data):
        return cls(**data)


@dataclass(frozen=True)
class ClusterConfiguration(StoredAsJson):
    """Everything Configure cluster asked for, except the cluster's name (the Operation's).

    An EC2 template's cluster has `instances` and a `network` unless it is empty; a Networking
    only cluster has at most a `network` with a new VPC.
    """

    tags: tuple[Tag, ...] = ()
    container_insights: bool = False
    capacity_providers: tuple[str, ...] = ()
    instances: Instances | None = None
    network: Network | None = None

    @property
    def makes_stack(self):
        return self.instances is not None or (self.network is not None and self.network.creates_vpc)

    @classmethod
    def from_json(cls, data):
        return cls(
            tags=tuple(Tag(**tag) for tag in data.get("tags", [])),
            container_insights=data.get("container_insights", False),
            capacity_providers=tuple(data.get("capacity_providers", [])),
            instances=_instances_from_json(data.get("instances")),
            network=_network_from_json(data.get("network")),
        )


@dataclass(frozen=True)
class ScaleRequest(StoredAsJson):
    instance_count: int


@dataclass(frozen=True)
class DeleteRequest(StoredAsJson):
    """Delete Cluster asks nothing more than the cluster: its stack, if any, goes first."""


class CleanupScope(TextChoices):
    """What a Reset (or Clean up my account) may remove from an account."""

    # The console made the account for this person alone: everything the lab makes in it is
    # theirs (every cluster, stack, instance and key pair, the lab's instance role).
    WHOLE_ACCOUNT = "whole-account", "everything the lab makes in the account"
    # An admin assigned the account, which others may use: only what carries MADE_BY_CONSOLE.
    MADE_BY_CONSOLE = (
        "made-by-console",
        f"only what ECS Console made, tagged {CONSOLE_TAG_PREFIX}made-by",
    )


@dataclass(frozen=True)
class ResetRequest(StoredAsJson):
    """Reset a learner's account, or Clean up my account: what may go, and whose account it is
    (the learner's user name, for the page's words; the Operation keeps their role)."""

    scope: CleanupScope
    owner: str

    @classmethod
    def from_json(cls, data):
        return cls(scope=CleanupScope(data["scope"]), owner=data["owner"])


def _to_json(value):
    """A dataclass as plain JSON: enums by value, tuples as lists, None kept."""
    if hasattr(value, "__dataclass_fields__"):
        return {name: _to_json(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, (tuple, list)):
        return [_to_json(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    return value


def _instances_from_json(data):
    if data is None:
        return None
    spot = data.get("spot")
    return Instances(
        instance_types=tuple(data["instance_types"]),
        count=data["count"],
        ami_id=data["ami_id"],
        ami_family=AmiFamily(data["ami_family"]),
        ami_display=data["ami_display"],
        volume_size=data["volume_size"],
        instance_role=data["instance_role"],
        key_name=data.get("key_name", ""),
        t2_unlimited=data.get("t2_unlimited", False),
        ssm_host_access=data.get("ssm_host_access", False),
        spot=None
        if spot is None
        else Spot(SpotAllocationStrategy(spot["allocation_strategy"]), spot.get("max_price", "")),
    )


def _network_from_json(data):
    if data is None:
        return None
    new_vpc, ingress = data.get("new_vpc"), data.get("ingress")
    return Network(
        new_vpc=None if new_vpc is None else NewVpc(**new_vpc),
        vpc_id=data.get("vpc_id", ""),
        subnet_ids=tuple(data.get("subnet_ids", [])),
        public_ip=PublicIp(data.get("public_ip", PublicIp.SUBNET)),
        security_group_id=data.get("security_group_id", ""),
        ingress=None if ingress is None else IngressRule(**ingress),
    )

