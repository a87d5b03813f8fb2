"""What the resource pages read from AWS: one documented call (or a few) per page, as typed values.

Every read raises ResourceNotFound, carrying AWS's own reason, when AWS has no such resource,
and AwsError when AWS could not answer.
"""

import base64
import binascii
import functools
import gzip
import json
import re
import shlex
from dataclasses import dataclass
from datetime import datetime

import yaml
from botocore.exceptions import ClientError

from clusters.aws import AwsError, client, error_code, paginate, translate_errors

# The codes AWS answers with when an id names nothing (CloudFormation's DescribeStacks says
# "Stack with id … does not exist" as a ValidationError).
NOT_FOUND_CODES = {
    "InvalidInstanceID.NotFound",
    "InvalidInstanceID.Malformed",
    "InvalidGroup.NotFound",
    "InvalidGroupId.Malformed",
    "InvalidLaunchTemplateId.NotFound",
    "InvalidLaunchTemplateId.Malformed",
    "InvalidLaunchTemplateId.VersionNotFound",
    "NoSuchEntity",
    "ValidationError",
}

# The names AWS gives its ECS-optimized AMIs ("Amazon ECS-optimized AMIs" in the ECS developer
# guide): Amazon Linux 2 and 2023 (amzn2-ami-ecs-…, al2023-ami-ecs-…), Amazon Linux 1
# (amzn-ami-…-amazon-ecs-optimized), Windows (…-ECS_Optimized-…) and Bottlerocket's ECS variant.
ECS_OPTIMIZED_AMI_NAME = re.compile(
    r"\A(?:amzn2-ami-ecs-|al2023-ami-ecs-|al2022-ami-ecs-|bottlerocket-aws-ecs-)"
    r"|amazon-ecs-optimized\Z|-ECS_Optimized-"
)


class ResourceNotFound(AwsError):
    """AWS has no resource by that id; the message is AWS's reason."""


def _read(function):
    """A read of AWS that raises AwsError, or ResourceNotFound when the id names nothing."""
    translated = translate_errors(function)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return translated(*args, **kwargs)
        except AwsError as error:
            if error.code in NOT_FOUND_CODES and not isinstance(error, ResourceNotFound):
                raise ResourceNotFound(error.message, code=error.code) from error
            raise

    return wrapper


def _tags(item, key="Tags"):
    return tuple((t["Key"], t.get("Value", "")) for t in item.get(key, []))


@dataclass(frozen=True)
class UserData:
    """An instance's or launch template's user data: base64 on the wire, shown decoded."""

    text: str | None
    size: int

    @classmethod
    def from_base64(cls, encoded):
        if not encoded:
            return cls(text=None, size=0)
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            return cls(text=encoded, size=len(encoded))
        if raw[:2] == b"\x1f\x8b":  # cloud-init takes gzipped user data too
            try:
                raw = gzip.decompress(raw)
            except OSError:
                return cls(text=None, size=len(raw))
        try:
            return cls(text=raw.decode("utf-8"), size=len(raw))
        except UnicodeDecodeError:
            return cls(text=None, size=len(raw))

    @property
    def is_empty(self):
        return self.size == 0


@dataclass(frozen=True)
class Image:
    image_id: str
    name: str = ""
    description: str = ""
    found: bool = True

    @property
    def is_ecs_optimized(self):
        return bool(ECS_OPTIMIZED_AMI_NAME.search(self.name))


@dataclass(frozen=True)
class Volume:
    device: str
    volume_id: str
    size_gib: int | None
    volume_type: str
    delete_on_termination: bool


@dataclass(frozen=True)
class GroupRef:
    group_id: str
    name: str


@dataclass(frozen=True)
class Instance:
    """An EC2 instance as the EC2 console's instance page shows it."""

    instance_id: str
    state: str
    instance_type: str
    availability_zone: str
    subnet_id: str
    vpc_id: str
    image: Image
    private_ip: str
    private_dns: str
    public_ip: str
    public_dns: str
    key_name: str
    instance_profile_arn: str
    roles: tuple[str, ...]
    security_groups: tuple[GroupRef, ...]
    volumes: tuple[Volume, ...]
    monitoring: str
    launched_at: datetime | None
    platform: str
    user_data: UserData
    tags: tuple[tuple[str, str], ...]

    @property
    def instance_profile_name(self):
        return self.instance_profile_arn.rsplit("/", 1)[-1] if self.instance_profile_arn else ""

    @property
    def name(self):
        return dict(self.tags).get("Name", "")


def _image(ec2, image_id):
    """The AMI by id; AWS stops describing an AMI once it is deregistered, the instance stays."""
    if not image_id:
        return Image(image_id="", found=False)
    try:
        images = ec2.describe_images(ImageIds=[image_id])["Images"]
    except ClientError as error:
        if error_code(error).startswith("InvalidAMIID"):
            return Image(image_id=image_id, found=False)
        raise
    if not images:
        return Image(image_id=image_id, found=False)
    return Image(image_id, images[0].get("Name", ""), images[0].get("Description", ""))


def _profile_roles(region, profile_arn):
    if not profile_arn:
        return ()
    name = profile_arn.rsplit("/", 1)[-1]
    try:
        profile = client("iam", region).get_instance_profile(InstanceProfileName=name)
    except ClientError as error:
        if error_code(error) in ("NoSuchEntity", "AccessDenied"):
            return ()
        raise
    return tuple(role["RoleName"] for role in profile["InstanceProfile"]["Roles"])


@_read
def instance(region, instance_id):
    """DescribeInstances, DescribeImages, DescribeVolumes, the userData attribute and the
    instance profile's role: everything the EC2 console's instance page shows."""
    ec2 = client("ec2", region)
    reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    items = [item for reservation in reservations for item in reservation["Instances"]]
    if not items:
        raise ResourceNotFound(f"The instance ID '{instance_id}' does not exist")
    item = items[0]
    mappings = item.get("BlockDeviceMappings", [])
    volume_ids = [m["Ebs"]["VolumeId"] for m in mappings if m.get("Ebs", {}).get("VolumeId")]
    volumes = {}
    if volume_ids:
        for volume in paginate(ec2, "describe_volumes", "Volumes", VolumeIds=volume_ids):
            volumes[volume["VolumeId"]] = volume
    user_data = ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="userData")
    profile_arn = item.get("IamInstanceProfile", {}).get("Arn", "")
    return Instance(
        instance_id=item["InstanceId"],
        state=item["State"]["Name"],
        instance_type=item.get("InstanceType", ""),
        availability_zone=item.get("Placement", {}).get("AvailabilityZone", ""),
        subnet_id=item.get("SubnetId", ""),
        vpc_id=item.get("VpcId", ""),
        image=_image(ec2, item.get("ImageId", "")),
        private_ip=item.get("PrivateIpAddress", ""),
        private_dns=item.get("PrivateDnsName", ""),
        public_ip=item.get("PublicIpAddress", ""),
        public_dns=item.get("PublicDnsName", ""),
        key_name=item.get("KeyName", ""),
        instance_profile_arn=profile_arn,
        roles=_profile_roles(region, profile_arn),
        security_groups=tuple(
            GroupRef(g["GroupId"], g.get("GroupName", "")) for g in item.get("SecurityGroups", [])
        ),
        volumes=tuple(
            Volume(
                device=m["DeviceName"],
                volume_id=m["Ebs"].get("VolumeId", ""),
                size_gib=volumes.get(m["Ebs"].get("VolumeId"), {}).get("Size"),
                volume_type=volumes.get(m["Ebs"].get("VolumeId"), {}).get("VolumeType", ""),
                delete_on_termination=m["Ebs"].get("DeleteOnTermination", False),
            )
            for m in mappings
            if "Ebs" in m
        ),
        monitoring=item.get("Monitoring", {}).get("State", ""),
        launched_at=item.get("LaunchTime"),
        platform=item.get("Platform", "linux"),
        user_data=UserData.from_base64(user_data.get("UserData", {}).get("Value", "")),
        tags=_tags(item),
    )


@dataclass(frozen=True)
class BlockDevice:
    device: str
    size_gib: int | None
    volume_type: str
    delete_on_termination: bool | None


@dataclass(frozen=True)
class LaunchTemplate:
    """One version of a launch template: what every instance of the group starts from."""

    template_id: str
    name: str
    version: int
    image_id: str
    instance_type: str
    instance_profile: str
    key_name: str
    monitoring: bool
    security_group_ids: tuple[str, ...]
    block_devices: tuple[BlockDevice, ...]
    user_data: UserData
    credit_specification: str


@_read
def launch_template(region, template_id, version="$Latest"):
    """DescribeLaunchTemplateVersions for one version ($Latest unless told)."""
    ec2 = client("ec2", region)
    versions = ec2.describe_launch_template_versions(
        LaunchTemplateId=template_id, Versions=[str(version)]
    )["LaunchTemplateVersions"]
    if not versions:
        raise ResourceNotFound(f"Launch template {template_id} has no version {version}")
    found = versions[0]
    data = found.get("LaunchTemplateData", {})
    profile = data.get("IamInstanceProfile", {})
    groups = list(data.get("SecurityGroupIds", []))
    for interface in data.get("NetworkInterfaces", []):
        groups += interface.get("Groups", [])
    return LaunchTemplate(
        template_id=found["LaunchTemplateId"],
        name=found.get("LaunchTemplateName", ""),
        version=found.get("VersionNumber", 0),
        image_id=data.get("ImageId", ""),
        instance_type=data.get("InstanceType", ""),
        instance_profile=profile.get("Name") or profile.get("Arn", "").rsplit("/", 1)[-1],
        key_name=data.get("KeyName", ""),
        monitoring=data.get("Monitoring", {}).get("Enabled", False),
        security_group_ids=tuple(groups),
        block_devices=tuple(
            BlockDevice(
                device=m.get("DeviceName", ""),
                size_gib=m.get("Ebs", {}).get("VolumeSize"),
                volume_type=m.get("Ebs", {}).get("VolumeType", ""),
                delete_on_termination=m.get("Ebs", {}).get("DeleteOnTermination"),
            )
            for m in data.get("BlockDeviceMappings", [])
        ),
        user_data=UserData.from_base64(data.get("UserData", "")),
        credit_specification=data.get("CreditSpecification", {}).get("CpuCredits", ""),
    )


@dataclass(frozen=True)
class GroupSubnet:
    subnet_id: str
    availability_zone: str
    cidr: str


@dataclass(frozen=True)
class GroupMember:
    instance_id: str
    availability_zone: str
    lifecycle_state: str
    health_status: str
    instance_type: str


@dataclass(frozen=True)
class ScalingActivity:
    started_at: datetime | None
    status: str
    description: str
    cause: str
    status_message: str


@dataclass(frozen=True)
class AutoScalingGroupDetails:
    name: str
    desired_capacity: int
    min_size: int
    max_size: int
    availability_zones: tuple[str, ...]
    subnets: tuple[GroupSubnet, ...]
    members: tuple[GroupMember, ...]
    activities: tuple[ScalingActivity, ...]
    launch_template: LaunchTemplate | None
    launch_template_version: str
    health_check_type: str
    created_at: datetime | None
    tags: tuple[tuple[str, str], ...]


# How many activities the group's page lists, newest first (AWS keeps six weeks of them).
ACTIVITY_LIMIT = 50


@_read
def auto_scaling_group(region, group_name):
    """DescribeAutoScalingGroups, its subnets' zones (DescribeSubnets), DescribeScalingActivities
    and its launch template's version."""
    autoscaling = client("autoscaling", region)
    groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group_name])[
        "AutoScalingGroups"
    ]
    if not groups:
        raise ResourceNotFound(f"There is no Auto Scaling group named {group_name}")
    group = groups[0]
    subnet_ids = [s for s in group.get("VPCZoneIdentifier", "").split(",") if s]
    subnets = ()
    if subnet_ids:
        found = client("ec2", region).describe_subnets(SubnetIds=subnet_ids)["Subnets"]
        subnets = tuple(
            sorted(
                (GroupSubnet(s["SubnetId"], s["AvailabilityZone"], s["CidrBlock"]) for s in found),
                key=lambda s: (s.availability_zone, s.subnet_id),
            )
        )
    activities = []
    for activity in paginate(
        autoscaling, "describe_scaling_activities", "Activities", AutoScalingGroupName=group_name
    ):
        activities.append(
            ScalingActivity(
                started_at=activity.get("StartTime"),
                status=activity.get("StatusCode", ""),
                description=activity.get("Description", ""),
                cause=activity.get("Cause", ""),
                status_message=activity.get("StatusMessage", ""),
            )
        )
        if len(activities) == ACTIVITY_LIMIT:
            break
    specification = group.get("LaunchTemplate") or (
        group.get("MixedInstancesPolicy", {})
        .get("LaunchTemplate", {})
        .get("LaunchTemplateSpecification")
    )
    template, version = None, ""
    if specification:
        version = str(specification.get("Version") or "$Default")
        template_id = specification.get("LaunchTemplateId")
        if not template_id:
            template_id = client("ec2", region).describe_launch_templates(
                LaunchTemplateNames=[specification["LaunchTemplateName"]]
            )["LaunchTemplates"][0]["LaunchTemplateId"]
        template = launch_template(region, template_id, version)
    return AutoScalingGroupDetails(
        name=group["AutoScalingGroupName"],
        desired_capacity=group["DesiredCapacity"],
        min_size=group["MinSize"],
        max_size=group["MaxSize"],
        availability_zones=tuple(sorted(group.get("AvailabilityZones", []))),
        subnets=subnets,
        members=tuple(
            GroupMember(
                instance_id=m["InstanceId"],
                availability_zone=m.get("AvailabilityZone", ""),
                lifecycle_state=m.get("LifecycleState", ""),
                health_status=m.get("HealthStatus", ""),
                instance_type=m.get("InstanceType", ""),
            )
            for m in sorted(group.get("Instances", []), key=lambda m: m["InstanceId"])
        ),
        activities=tuple(activities),
        launch_template=template,
        launch_template_version=version,
        health_check_type=group.get("HealthCheckType", ""),
        created_at=group.get("CreatedTime"),
        tags=tuple((t["Key"], t.get("Value", "")) for t in group.get("Tags", [])),
    )


@dataclass(frozen=True)
class Rule:
    """One line of a security group's rules, as the EC2 console lists them."""

    protocol: str
    port_range: str
    peer: str
    description: str
    peer_group_id: str = ""
    # The permission's own FromPort and ToPort (None where AWS gives none: all traffic).
    from_port: int | None = None
    to_port: int | None = None

    def lets_in(self, port, peer):
        """Whether this inbound rule lets TCP connections to `port` in from `peer` (a CIDR)."""
        if self.peer != peer or self.protocol not in ("tcp", "All"):
            return False
        if self.from_port is None or self.protocol == "All":
            return True
        return self.from_port <= port <= self.to_port


PROTOCOL_NAMES = {"-1": "All", "6": "tcp", "17": "udp", "1": "icmp"}


def _port_range(permission):
    protocol = str(permission.get("IpProtocol", "-1"))
    if protocol == "-1":
        return "All"
    start, end = permission.get("FromPort"), permission.get("ToPort")
    if protocol in ("icmp", "1", "icmpv6", "58"):
        return "All" if start == -1 else str(start)
    if start is None or (start, end) == (0, 65535):
        return "All" if start is None else "0 - 65535"
    return str(start) if start == end else f"{start} - {end}"


def _rules(permissions):
    rules = []
    for permission in permissions:
        protocol = str(permission.get("IpProtocol", "-1"))
        protocol = PROTOCOL_NAMES.get(protocol, protocol)
        ports = _port_range(permission)

        def rule(peer, description, group_id=""):
            return Rule(
                protocol, ports, peer, description or "", group_id,
                permission.get("FromPort"), permission.get("ToPort"),
            )

        rules += [rule(r["CidrIp"], r.get("Description")) for r in permission.get("IpRanges", [])]
        rules += [
            rule(r["CidrIpv6"], r.get("Description")) for r in permission.get("Ipv6Ranges", [])
        ]
        rules += [
            rule(r["PrefixListId"], r.get("Description"))
            for r in permission.get("PrefixListIds", [])
        ]
        rules += [
            rule(r["GroupId"], r.get("Description"), r["GroupId"])
            for r in permission.get("UserIdGroupPairs", [])
        ]
    return tuple(rules)


@dataclass(frozen=True)
class SecurityGroupDetails:
    group_id: str
    name: str
    description: str
    vpc_id: str
    owner_id: str
    inbound: tuple[Rule, ...]
    outbound: tuple[Rule, ...]
    tags: tuple[tuple[str, str], ...]


@_read
def security_group(region, group_id):
    """DescribeSecurityGroups: the group and its inbound and outbound rules."""
    groups = client("ec2", region).describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    if not groups:
        raise ResourceNotFound(f"The security group '{group_id}' does not exist")
    group = groups[0]
    return SecurityGroupDetails(
        group_id=group["GroupId"],
        name=group.get("GroupName", ""),
        description=group.get("Description", ""),
        vpc_id=group.get("VpcId", ""),
        owner_id=group.get("OwnerId", ""),
        inbound=_rules(group.get("IpPermissions", [])),
        outbound=_rules(group.get("IpPermissionsEgress", [])),
        tags=_tags(group),
    )


def pretty_json(document):
    """A policy or template document as people read it: indented, keys in their own order.
    IAM returns documents URL-encoded; botocore hands them over already decoded."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            return document
    return json.dumps(document, indent=2)


@dataclass(frozen=True)
class Policy:
    name: str
    arn: str
    kind: str  # "AWS managed", "Customer managed" or "Inline"
    version: str
    document: str


@dataclass(frozen=True)
class Role:
    name: str
    arn: str
    description: str
    created_at: datetime | None
    trust_policy: str
    policies: tuple[Policy, ...]
    instance_profiles: tuple[str, ...]


@_read
def role(region, role_name):
    """GetRole (its trust policy), ListAttachedRolePolicies with GetPolicy and GetPolicyVersion
    for each policy's default version, ListRolePolicies with GetRolePolicy for the inline ones,
    and ListInstanceProfilesForRole."""
    iam = client("iam", region)
    found = iam.get_role(RoleName=role_name)["Role"]
    policies = []
    attached = paginate(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=role_name)
    for summary in sorted(attached, key=lambda p: p["PolicyName"]):
        arn = summary["PolicyArn"]
        policy = iam.get_policy(PolicyArn=arn)["Policy"]
        version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
        policies.append(
            Policy(
                name=summary["PolicyName"],
                arn=arn,
                kind="AWS managed" if arn.startswith("arn:aws:iam::aws:") else "Customer managed",
                version=policy["DefaultVersionId"],
                document=pretty_json(version["PolicyVersion"]["Document"]),
            )
        )
    for name in sorted(paginate(iam, "list_role_policies", "PolicyNames", RoleName=role_name)):
        inline = iam.get_role_policy(RoleName=role_name, PolicyName=name)
        policies.append(Policy(name, "", "Inline", "", pretty_json(inline["PolicyDocument"])))
    profiles = paginate(
        iam, "list_instance_profiles_for_role", "InstanceProfiles", RoleName=role_name
    )
    return Role(
        name=found["RoleName"],
        arn=found["Arn"],
        description=found.get("Description", ""),
        created_at=found.get("CreateDate"),
        trust_policy=pretty_json(found.get("AssumeRolePolicyDocument", {})),
        policies=tuple(policies),
        instance_profiles=tuple(sorted(p["InstanceProfileName"] for p in profiles)),
    )


@dataclass(frozen=True)
class StackResourceRow:
    logical_id: str
    resource_type: str
    physical_id: str
    status: str
    reason: str


@dataclass(frozen=True)
class StackEvent:
    timestamp: datetime | None
    logical_id: str
    resource_type: str
    status: str
    reason: str


@dataclass(frozen=True)
class Stack:
    name: str
    stack_id: str
    status: str
    status_reason: str
    description: str
    created_at: datetime | None
    updated_at: datetime | None
    parameters: tuple[tuple[str, str], ...]
    outputs: tuple[tuple[str, str], ...]
    tags: tuple[tuple[str, str], ...]
    resources: tuple[StackResourceRow, ...]
    events: tuple[StackEvent, ...]

    @property
    def deploy_command(self):
        """`aws cloudformation deploy` of the downloaded template under another stack name,
        with this stack's parameter values and its own tags (the person's, for a wizard stack)."""
        command = (
            f"aws cloudformation deploy --template-file {self.name}.yaml "
            f"--stack-name {self.name}-copy"
        )
        if self.parameters:
            overrides = " ".join(shlex.quote(f"{key}={value}") for key, value in self.parameters)
            command += f" --parameter-overrides {overrides}"
        if self.tags:
            tags = " ".join(shlex.quote(f"{key}={value}") for key, value in self.tags)
            command += f" --tags {tags}"
        return command


@_read
def stack(region, stack_name):
    """DescribeStacks, ListStackResources and DescribeStackEvents (newest first)."""
    cloudformation = client("cloudformation", region)
    found = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    stack_id = found["StackId"]
    resources = paginate(
        cloudformation, "list_stack_resources", "StackResourceSummaries", StackName=stack_id
    )
    events = paginate(cloudformation, "describe_stack_events", "StackEvents", StackName=stack_id)
    return Stack(
        name=found["StackName"],
        stack_id=stack_id,
        status=found["StackStatus"],
        status_reason=found.get("StackStatusReason", ""),
        description=found.get("Description", ""),
        created_at=found.get("CreationTime"),
        updated_at=found.get("LastUpdatedTime"),
        parameters=tuple(
            (p["ParameterKey"], p.get("ResolvedValue") or p.get("ParameterValue", ""))
            for p in found.get("Parameters", [])
        ),
        outputs=tuple((o["OutputKey"], o["OutputValue"]) for o in found.get("Outputs", [])),
        tags=_tags(found),
        resources=tuple(
            StackResourceRow(
                logical_id=r["LogicalResourceId"],
                resource_type=r["ResourceType"],
                physical_id=r.get("PhysicalResourceId", ""),
                status=r["ResourceStatus"],
                reason=r.get("ResourceStatusReason", ""),
            )
            for r in resources
        ),
        events=tuple(
            StackEvent(
                timestamp=e.get("Timestamp"),
                logical_id=e["LogicalResourceId"],
                resource_type=e.get("ResourceType", ""),
                status=e.get("ResourceStatus", ""),
                reason=e.get("ResourceStatusReason", ""),
            )
            for e in events
        ),
    )


class _TemplateLoader(yaml.SafeLoader):
    """YAML that reads CloudFormation's short forms (!Ref, !GetAtt, !Sub …) as their long ones."""


def _intrinsic(loader, name, node):
    """!Ref x is {"Ref": x}; !GetAtt a.b is {"Fn::GetAtt": [a, b]}; any other !Name is Fn::Name."""
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if name == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {"Ref": value} if name == "Ref" else {f"Fn::{name}": value}


_TemplateLoader.add_multi_constructor("!", _intrinsic)


@dataclass(frozen=True)
class StackTemplate:
    """A stack's template as CloudFormation keeps it (GetTemplate, the original stage), in the
    two formats it takes."""

    stack_name: str
    document: dict

    @property
    def as_json(self):
        return json.dumps(self.document, indent=2) + "\n"

    @property
    def as_yaml(self):
        return yaml.safe_dump(self.document, sort_keys=False, default_flow_style=False, width=100)


def parse_template(body):
    """A template body as GetTemplate hands it over: a JSON template already parsed by boto3,
    or the text of a YAML (or JSON) one."""
    if isinstance(body, dict):
        # botocore parses a JSON body into OrderedDicts, which YAML's safe dumper refuses.
        return json.loads(json.dumps(body))
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        return yaml.load(body, Loader=_TemplateLoader)  # noqa: S506 (a SafeLoader subclass)


@_read
def stack_template(region, stack_name):
    """GetTemplate: the template the stack was made from, as it was sent."""
    body = client("cloudformation", region).get_template(
        StackName=stack_name, TemplateStage="Original"
    )["TemplateBody"]
    return StackTemplate(stack_name=stack_name, document=parse_template(body))
