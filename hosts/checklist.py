"""The lab's nine "What did you learn" points, each answered from AWS for one cluster.

Each point reads what it shows with the documented calls (ECS, EC2, Auto Scaling, IAM,
CloudFormation) and, for points 8 and 9, the host's own answers kept by the Host panel.
"""

import base64
from dataclasses import dataclass, field
from enum import StrEnum

from django.urls import reverse

from clusters import inventory
from clusters.aws import AwsError, account_id, client, paginate, translate_errors
from clusters.models import Operation
from clusters.stack_template import ECS_INSTANCE_ROLE_POLICY, stack_name_for

from .commands import LabCommand
from .templatetags.hosts import latest_reading

AGENT_IMAGE = "amazon/amazon-ecs-agent"
NO_HOST = "No host has registered with the cluster yet."
NO_STACK = "Create Cluster made"
NO_TEMPLATE_NAMES = "The hosts' launch template names no"


class Verdict(StrEnum):
    """What a point's icon says: seen in AWS, missing (red), or not known yet."""

    SEEN = "succeeded"
    MISSING = "failed"
    NOT_YET = "skipped"


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class Point:
    number: int
    lesson: str
    verdict: Verdict
    facts: tuple[Fact, ...] = ()
    problem: str = ""
    text: str = ""  # shown as the host or the template holds it, byte for byte
    links: tuple[Link, ...] = ()


@dataclass
class ClusterParts:
    """What the points share, read once: the hosts, their group, template, group and role."""

    region: str
    cluster: inventory.Cluster
    container_instances: tuple = ()
    images: dict = field(default_factory=dict)
    stack: inventory.WizardStack | None = None
    group: dict | None = None
    launch_template: dict | None = None  # one version, as DescribeLaunchTemplateVersions gives
    security_groups: tuple = ()
    role_name: str = ""
    role_policies: tuple = ()
    expected_ingress: object = None  # the wizard's IngressRule, when this console made the SG


def resource_link(label, url_name, cluster_name, resource_id):
    """A link to the resource's page in ECS Console (resources/urls.py)."""
    return Link(label, reverse(url_name, args=[cluster_name, resource_id]))


@translate_errors
def read_parts(region, cluster):
    parts = ClusterParts(region=region, cluster=cluster)
    parts.container_instances = inventory.container_instances(region, cluster.name)
    image_ids = sorted({ci.ec2.image_id for ci in parts.container_instances if ci.ec2})
    if image_ids:
        parts.images = {
            image["ImageId"]: image
            for image in client("ec2", region).describe_images(ImageIds=image_ids)["Images"]
        }
    parts.stack = inventory.wizard_stack(region, cluster.name)
    launch = Operation.objects.for_cluster(account_id(), region, cluster.name).launches().first()
    if launch is not None and launch.request.network is not None:
        parts.expected_ingress = launch.request.network.ingress
    if parts.stack and parts.stack.auto_scaling_group:
        groups = client("autoscaling", region).describe_auto_scaling_groups(
            AutoScalingGroupNames=[parts.stack.auto_scaling_group]
        )["AutoScalingGroups"]
        parts.group = groups[0] if groups else None
    if parts.group:
        parts.launch_template = _launch_template_version(region, parts.group)
    data = (parts.launch_template or {}).get("LaunchTemplateData", {})
    group_ids = list(data.get("SecurityGroupIds", []))
    for interface in data.get("NetworkInterfaces", []):
        group_ids += interface.get("Groups", [])
    if group_ids:
        parts.security_groups = tuple(
            client("ec2", region).describe_security_groups(GroupIds=group_ids)["SecurityGroups"]
        )
    profile = data.get("IamInstanceProfile", {})
    profile_name = profile.get("Name") or profile.get("Arn", "").rsplit("/", 1)[-1]
    if profile_name:
        iam = client("iam", region)
        roles = iam.get_instance_profile(InstanceProfileName=profile_name)["InstanceProfile"][
            "Roles"
        ]
        if roles:
            parts.role_name = roles[0]["RoleName"]
            parts.role_policies = tuple(
                paginate(
                    iam,
                    "list_attached_role_policies",
                    "AttachedPolicies",
                    RoleName=parts.role_name,
                )
            )
    return parts


def _launch_template_version(region, group):
    specification = group.get("LaunchTemplate") or (
        group.get("MixedInstancesPolicy", {}).get("LaunchTemplate", {})
    ).get("LaunchTemplateSpecification")
    if not specification:
        return None
    versions = client("ec2", region).describe_launch_template_versions(
        LaunchTemplateId=specification["LaunchTemplateId"],
        Versions=[str(specification.get("Version") or "$Default")],
    )["LaunchTemplateVersions"]
    return versions[0] if versions else None


def points(parts):
    """The nine points, in the lab's order."""
    return [
        container_optimized_ami(parts),
        services_involved(parts),
        shared_cpu_and_memory(parts),
        multi_az_group(parts),
        launch_template(parts),
        security_group(parts),
        instance_role(parts),
    ] + host_points(parts.region, parts.cluster.name, parts.container_instances)


def _instances_link(cluster_name):
    url = reverse("clusters:detail_tab", args=[cluster_name, "ecs-instances"])
    return Link("ECS Instances", url)


def _container_instance_link(cluster_name, container_instance):
    return Link(
        f"Container instance {container_instance.id}",
        reverse("clusters:container_instance", args=[cluster_name, container_instance.id]),
    )


def _launch_status_link(region, cluster_name):
    launch = Operation.objects.for_cluster(account_id(), region, cluster_name).launches().first()
    return Link("Launch status", launch.get_absolute_url()) if launch else None


def is_ecs_optimized(image):
    name = (image or {}).get("Name", "")
    return "ecs" in name.lower()


def container_optimized_ami(parts):
    name = parts.cluster.name
    hosts = [ci for ci in parts.container_instances if ci.ec2]
    lesson = (
        "ECS runs the cluster on EC2 hosts from a container-optimized AMI, with an ECS agent "
        "on each, over the group's subnets and with the storage the template gives them."
    )
    if not hosts:
        return Point(1, lesson, Verdict.NOT_YET, problem=NO_HOST, links=(_instances_link(name),))
    facts, links = [], []
    for ci in hosts:
        image = parts.images.get(ci.ec2.image_id, {})
        facts += [
            Fact(f"{ci.ec2_instance_id} AMI", f"{ci.ec2.image_id} ({image.get('Name', '?')})"),
            Fact("ECS agent version", ci.agent_version),
            Fact("Docker version", ci.docker_version),
        ]
        links.append(
            resource_link(
                f"EC2 instance {ci.ec2_instance_id}",
                "resources:ec2_instance",
                name,
                ci.ec2_instance_id,
            )
        )
    if parts.group:
        facts.append(Fact("Subnets", str(len(_subnets_of(parts.group)))))
    for device in (parts.launch_template or {}).get("LaunchTemplateData", {}).get(
        "BlockDeviceMappings", []
    ):
        ebs = device.get("Ebs", {})
        size = f"{ebs.get('VolumeSize')} GiB {ebs.get('VolumeType', '')}".strip()
        facts.append(Fact(f"Volume {device['DeviceName']}", size))
    optimized = all(is_ecs_optimized(parts.images.get(ci.ec2.image_id)) for ci in hosts)
    return Point(
        1,
        lesson,
        Verdict.SEEN if optimized else Verdict.MISSING,
        facts=tuple(facts),
        problem="" if optimized else "A host runs an AMI whose name is not an ECS-optimized one.",
        links=tuple(links),
    )


def services_involved(parts):
    name = parts.cluster.name
    data = (parts.launch_template or {}).get("LaunchTemplateData", {})
    hosts = [ci.ec2_instance_id for ci in parts.container_instances if ci.ec2_instance_id]
    vpcs = sorted({g.get("VpcId", "") for g in parts.security_groups} - {""})
    insights = next(
        (s.value for s in parts.cluster.settings if s.name == "containerInsights"), "disabled"
    )
    facts = [
        Fact("EC2: the hosts", ", ".join(hosts) or "none yet"),
        Fact("VPC: the network", ", ".join(vpcs) or "–"),
        Fact("VPC: the subnets", ", ".join(_subnets_of(parts.group)) if parts.group else "–"),
        Fact("IAM: the hosts' role", parts.role_name or "–"),
        Fact("AMI: the hosts' image", data.get("ImageId", "–")),
        Fact("CloudFormation: the stack", parts.stack.name if parts.stack else "none"),
        Fact("CloudWatch: Container Insights", insights),
    ]
    links = [
        resource_link(
            f"Stack {parts.stack.name}",
            "resources:stack",
            name,
            parts.stack.name,
        )
        if parts.stack
        else None,
        _launch_status_link(parts.region, name),
    ]
    return Point(
        2,
        "Deploying the cluster combined several AWS services: EC2, VPC, IAM, an AMI, "
        "CloudFormation and CloudWatch.",
        Verdict.SEEN if parts.stack else Verdict.NOT_YET,
        facts=tuple(facts),
        problem="" if parts.stack else "The cluster has no stack made by Create Cluster.",
        links=tuple(link for link in links if link),
    )


def shared_cpu_and_memory(parts):
    facts = []
    for ci in parts.container_instances:
        facts += [
            Fact(
                f"{ci.ec2_instance_id} CPU (units)",
                f"{ci.cpu_available} of {ci.cpu_registered} available",
            ),
            Fact(
                f"{ci.ec2_instance_id} memory (MiB)",
                f"{ci.memory_available} of {ci.memory_registered} available",
            ),
            Fact(f"{ci.ec2_instance_id} tasks running", str(ci.running_tasks)),
        ]
    return Point(
        3,
        "The host's CPU and memory are shared by everything the agent runs on it: each task "
        "takes its part of what the host registered.",
        Verdict.SEEN if facts else Verdict.NOT_YET,
        facts=tuple(facts),
        problem="" if facts else NO_HOST,
        links=(_instances_link(parts.cluster.name),),
    )


def _subnets_of(group):
    return [s for s in (group or {}).get("VPCZoneIdentifier", "").split(",") if s]


def multi_az_group(parts):
    group = parts.group
    lesson = "The cluster's hosts come from an Auto Scaling group that spans Availability Zones."
    if not group:
        return Point(4, lesson, Verdict.NOT_YET, problem=f"{NO_STACK} no Auto Scaling group.")
    zones = group.get("AvailabilityZones", [])
    facts = (
        Fact("Auto Scaling group", group["AutoScalingGroupName"]),
        Fact("Availability Zones", ", ".join(zones)),
        Fact("Subnets", ", ".join(_subnets_of(group))),
        Fact(
            "Desired / min / max",
            f"{group['DesiredCapacity']} / {group['MinSize']} / {group['MaxSize']}",
        ),
    )
    link = resource_link(
        f"Auto Scaling group {group['AutoScalingGroupName']}",
        "resources:auto_scaling_group",
        parts.cluster.name,
        group["AutoScalingGroupName"],
    )
    multi = len(zones) > 1
    return Point(
        4, lesson, Verdict.SEEN if multi else Verdict.MISSING, facts=facts,
        problem="" if multi else "The group launches into one Availability Zone only.",
        links=(link,),
    )


def decoded_user_data(data):
    encoded = data.get("UserData", "")
    if not encoded:
        return ""
    try:
        return base64.b64decode(encoded).decode("utf-8", "replace")
    except ValueError:
        return encoded


def launch_template(parts):
    version = parts.launch_template
    lesson = (
        "The group's launch template holds the AMI, the instance profile (permissions), the "
        "user data that writes the agent's config file, monitoring and the storage."
    )
    if not version:
        return Point(5, lesson, Verdict.NOT_YET, problem=f"{NO_STACK} no launch template.")
    data = version.get("LaunchTemplateData", {})
    profile = data.get("IamInstanceProfile", {})
    volumes = ", ".join(
        f"{d['DeviceName']} {d.get('Ebs', {}).get('VolumeSize')} GiB"
        for d in data.get("BlockDeviceMappings", [])
    )
    facts = (
        Fact(
            "Launch template",
            f"{version['LaunchTemplateName']} ({version['LaunchTemplateId']}) "
            f"version {version['VersionNumber']}",
        ),
        Fact("AMI", data.get("ImageId", "–")),
        Fact("IAM instance profile", profile.get("Name") or profile.get("Arn", "–")),
        Fact(
            "Detailed monitoring",
            "enabled" if data.get("Monitoring", {}).get("Enabled") else "disabled",
        ),
        Fact("Volumes", volumes or "the AMI's"),
    )
    link = resource_link(
        f"Launch template {version['LaunchTemplateId']}",
        "resources:launch_template",
        parts.cluster.name,
        version["LaunchTemplateId"],
    )
    return Point(5, lesson, Verdict.SEEN, facts=facts, text=decoded_user_data(data),
                 links=tuple(link for link in (link,) if link))


def _rule_lines(permissions):
    lines = []
    for permission in permissions:
        protocol = permission.get("IpProtocol", "")
        protocol = "all traffic" if protocol == "-1" else protocol
        ports = ""
        if "FromPort" in permission and permission.get("IpProtocol") != "-1":
            start, end = permission["FromPort"], permission["ToPort"]
            ports = f" {start}" if start == end else f" {start}-{end}"
        sources = [r["CidrIp"] for r in permission.get("IpRanges", [])]
        sources += [r["CidrIpv6"] for r in permission.get("Ipv6Ranges", [])]
        sources += [g["GroupId"] for g in permission.get("UserIdGroupPairs", [])]
        lines.append(f"{protocol}{ports} {', '.join(sources)}".strip())
    return lines


def _allows(permissions, rule):
    return any(
        p.get("IpProtocol") == "tcp"
        and p.get("FromPort") == rule.from_port
        and p.get("ToPort") == rule.to_port
        and rule.cidr in {r["CidrIp"] for r in p.get("IpRanges", [])}
        for p in permissions
    )


def security_group(parts):
    lesson = (
        "A security group was provisioned for the hosts; its inbound and outbound rules say "
        "what may reach them and where they may go."
    )
    if not parts.security_groups:
        return Point(6, lesson, Verdict.NOT_YET, problem=f"{NO_TEMPLATE_NAMES} security group.")
    facts, links, problem = [], [], ""
    for group in parts.security_groups:
        group_id = group["GroupId"]
        for direction, key in (("inbound", "IpPermissions"), ("outbound", "IpPermissionsEgress")):
            rules = "; ".join(_rule_lines(group.get(key, [])))
            facts.append(Fact(f"{group_id} {direction}", rules or "none"))
        links.append(
            resource_link(
                f"Security group {group_id}",
                "resources:security_group",
                parts.cluster.name,
                group_id,
            )
        )
    rule = parts.expected_ingress
    if rule is not None:
        inbound = [p for g in parts.security_groups for p in g.get("IpPermissions", [])]
        if not _allows(inbound, rule):
            ports = f"{rule.from_port}"
            if rule.to_port != rule.from_port:
                ports += f"-{rule.to_port}"
            problem = (
                f"The inbound rule Create Cluster made, tcp {ports} from {rule.cidr}, is gone: "
                "nothing lets you reach the hosts that way."
            )
    elif not any(g.get("IpPermissions") for g in parts.security_groups):
        problem = "The security group has no inbound rule: nothing can reach the hosts."
    return Point(6, lesson, Verdict.MISSING if problem else Verdict.SEEN, facts=tuple(facts),
                 problem=problem, links=tuple(dict.fromkeys(link for link in links if link)))


def instance_role(parts):
    lesson = "The hosts' IAM role carries the policy that lets the agent call ECS on your behalf."
    if not parts.role_name:
        return Point(7, lesson, Verdict.NOT_YET, problem=f"{NO_TEMPLATE_NAMES} instance profile.")
    arns = [p["PolicyArn"] for p in parts.role_policies]
    facts = (
        Fact("Role", parts.role_name),
        Fact(
            "Attached policies",
            ", ".join(p["PolicyName"] for p in parts.role_policies) or "none",
        ),
    )
    has_ecs = ECS_INSTANCE_ROLE_POLICY in arns
    link = resource_link(
        f"IAM role {parts.role_name}",
        "resources:iam_role",
        parts.cluster.name,
        parts.role_name,
    )
    return Point(
        7, lesson, Verdict.SEEN if has_ecs else Verdict.MISSING, facts=facts,
        problem=""
        if has_ecs
        else "AmazonEC2ContainerServiceforEC2Role is not attached: the agent cannot register.",
        links=tuple(link for link in (link,) if link),
    )


def host_points(region, cluster_name, container_instances):
    """Points 8 and 9, from the Host panel's latest reading of the cluster's first host."""
    host = next((ci for ci in container_instances if ci.ec2_instance_id and ci.ec2), None)
    config_lesson = (
        "On the host, /etc/ecs/ecs.config tells the agent which cluster to register with."
    )
    agent_lesson = (
        "The agent itself is a Docker container, amazon/amazon-ecs-agent, which reads that "
        "file; docker ps shows it and docker logs its registration."
    )
    if host is None:
        return [
            Point(8, config_lesson, Verdict.NOT_YET, problem=NO_HOST),
            Point(9, agent_lesson, Verdict.NOT_YET, problem=NO_HOST),
        ]
    links = (_container_instance_link(cluster_name, host),)
    reading = latest_reading(region, host.ec2_instance_id)
    not_read = "Read the host below to see it."
    if reading is not None and reading.is_refused:
        not_read = f"Systems Manager refused to read the host: {reading.refusal}"
    config = reading.output_of(LabCommand.ECS_CONFIG) if reading else None
    listing = reading.output_of(LabCommand.DOCKER_PS) if reading else None
    return [
        _config_point(config_lesson, cluster_name, config, not_read, links),
        _agent_point(agent_lesson, listing, not_read, links),
    ]


def _config_point(lesson, cluster_name, config, not_read, links):
    if config is None:
        return Point(8, lesson, Verdict.NOT_YET, problem=not_read, links=links)
    named = [
        line.split("=", 1)[1] for line in config.splitlines() if line.startswith("ECS_CLUSTER=")
    ]
    if named and named[-1] == cluster_name:
        problem = ""
    elif named:
        problem = f"The host's file names cluster {named[-1]}, not {cluster_name}."
    else:
        problem = "The host's file has no ECS_CLUSTER line: its agent joins the cluster default."
    return Point(8, lesson, Verdict.MISSING if problem else Verdict.SEEN,
                 facts=(Fact("Cluster line", f"ECS_CLUSTER={named[-1]}" if named else "none"),),
                 problem=problem, text=config, links=links)


def _agent_point(lesson, listing, not_read, links):
    if listing is None:
        return Point(9, lesson, Verdict.NOT_YET, problem=not_read, links=links)
    rows = [line for line in listing.splitlines()[1:] if AGENT_IMAGE in line]
    problem = "" if rows else "docker ps lists no amazon/amazon-ecs-agent container."
    return Point(9, lesson, Verdict.MISSING if problem else Verdict.SEEN, problem=problem,
                 text=listing, links=links)
