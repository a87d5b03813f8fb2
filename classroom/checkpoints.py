"""The lab's checkpoints, as data: each a name, what it asks, and a check over a learner's account.

A trainer's next lab adds rows to CHECKPOINTS, not code paths: a check is a function of a
LearnerAccount, which reads AWS through the console's own readers, each part at most once a pass
whichever checks ask for it, in the learner's own account (classroom.progress.check_account acts
for them).
"""

import functools
from collections.abc import Callable
from functools import cached_property
from typing import NamedTuple

from clusters import inventory
from clusters.aws import client, paginate, translate_errors
from clusters.inventory import ContainerInstanceStatus, Ec2Instance
from clusters.stack_template import stack_name_for
from resources import reads

# What the lab asks for (its steps 6 and 7): the cluster's name, the instance type, and the one
# inbound rule of a new security group, "CIDR Block 0.0.0.0 & Port Range 22".
LAB_CLUSTER = "demo-cluster"
LAB_INSTANCE_TYPE = "t2.micro"
SSH_PORT = 22
ANYWHERE = "0.0.0.0/0"

# A stack that stands complete: created, updated (Scale), or back where it was after an update
# that failed.
COMPLETE_STACK_STATUSES = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"}
# What an EC2 instance is while it still runs, or is on its way to or from running.
STILL_RUNNING_STATES = ["pending", "running", "shutting-down", "stopping"]

CLUSTER_EXISTS = "Cluster exists"
# Cleaned up names the instances left running up to this many, then counts them: a cell's worth.
MOST_INSTANCES_NAMED = 2


class Result(NamedTuple):
    """A check's answer: reached, or what is missing in words. `wrong` tells apart something
    the learner did otherwise than the lab says (port 80 open instead of 22) from a step not
    taken yet."""

    reached: bool
    missing: str = ""
    wrong: bool = False


REACHED = Result(True)


def not_yet(words):
    return Result(False, words)


def wrong(words):
    return Result(False, words, wrong=True)


class LearnerAccount:
    """What the checks read of one learner's AWS account in one region, each part read once."""

    def __init__(self, region, reached_before=frozenset()):
        self.region = region
        # The checkpoints this learner reached on an earlier pass (CheckpointReached rows).
        self.reached_before = frozenset(reached_before)

    @cached_property
    def cluster(self):
        return inventory.cluster(self.region, LAB_CLUSTER)

    @cached_property
    def stack(self):
        return inventory.wizard_stack(self.region, LAB_CLUSTER)

    @cached_property
    def group(self):
        """The Auto Scaling group the lab's stack made, with its subnets and launch template."""
        if self.stack is None or not self.stack.auto_scaling_group:
            return None
        try:
            return reads.auto_scaling_group(self.region, self.stack.auto_scaling_group)
        except reads.ResourceNotFound:
            return None

    @property
    def launch_template(self):
        return self.group.launch_template if self.group else None

    @cached_property
    def security_groups(self):
        if self.launch_template is None:
            return ()
        found = []
        for group_id in self.launch_template.security_group_ids:
            try:
                found.append(reads.security_group(self.region, group_id))
            except reads.ResourceNotFound:
                pass
        return tuple(found)

    @cached_property
    def zones(self):
        return inventory.availability_zones(self.region)

    @cached_property
    def container_instances(self):
        return inventory.container_instances(self.region, LAB_CLUSTER) if self.cluster else ()

    @cached_property
    def clusters(self):
        return [c for c in inventory.clusters(self.region) if c.status == "ACTIVE"]

    @cached_property
    def running_instances(self):
        return running_instances(self.region)


@translate_errors
def running_instances(region):
    """Every EC2 instance of the region that runs, or is on its way to or from running."""
    reservations = paginate(
        client("ec2", region),
        "describe_instances",
        "Reservations",
        Filters=[{"Name": "instance-state-name", "Values": STILL_RUNNING_STATES}],
    )
    return tuple(
        Ec2Instance.from_aws(item)
        for reservation in reservations
        for item in reservation["Instances"]
    )


NO_GROUP = "No instances yet: the stack's Auto Scaling group launches them."


def cluster_exists(account):
    if account.cluster is None:
        return not_yet(f"There is no cluster {LAB_CLUSTER} yet.")
    return REACHED


def stack_complete(account):
    stack = account.stack
    if stack is None:
        return not_yet(f"There is no stack {stack_name_for(LAB_CLUSTER)}: Create Cluster makes it.")
    if stack.status in COMPLETE_STACK_STATUSES:
        return REACHED
    if stack.status in ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS"):
        return not_yet(f"Stack {stack.name} is still being made ({stack.status}).")
    return wrong(f"Stack {stack.name} is {stack.status}.")


def on_launch_template(check):
    """A check of what the hosts start from: not yet while the stack has made no launch template."""

    @functools.wraps(check)
    def checked(account):
        if account.launch_template is None:
            return not_yet(NO_GROUP)
        return check(account, account.launch_template)

    return checked


@on_launch_template
def instance_type(account, template):
    if template.instance_type == LAB_INSTANCE_TYPE:
        return REACHED
    chosen = template.instance_type or "of no type"
    return wrong(f"The instances are {chosen}, not {LAB_INSTANCE_TYPE}.")


def subnets_in_every_zone(account):
    group = account.group
    if group is None:
        return not_yet(NO_GROUP)
    covered = sorted({subnet.availability_zone for subnet in group.subnets})
    left_out = [zone for zone in account.zones if zone not in covered]
    if not left_out:
        return REACHED
    return wrong(
        f"Its subnets are in {', '.join(covered) or 'no zone'}; none is in {', '.join(left_out)}."
    )


def _open_ports(rules):
    ranges = sorted({rule.port_range for rule in rules})
    if len(ranges) == 1:
        return f"Port {ranges[0]} is open"
    return f"Ports {', '.join(ranges)} are open"


@on_launch_template
def ssh_open_to_anywhere(account, template):
    inbound = [rule for group in account.security_groups for rule in group.inbound]
    if any(rule.lets_in(SSH_PORT, ANYWHERE) for rule in inbound):
        return REACHED
    from_anywhere = [rule for rule in inbound if rule.peer == ANYWHERE]
    if from_anywhere:
        return wrong(f"{_open_ports(from_anywhere)} to {ANYWHERE} instead of {SSH_PORT}.")
    to_ssh = [rule for rule in inbound if rule.lets_in(SSH_PORT, rule.peer)]
    if to_ssh:
        peers = ", ".join(sorted({rule.peer for rule in to_ssh}))
        return wrong(f"Port {SSH_PORT} is open to {peers} only, not to {ANYWHERE}.")
    return wrong(f"No inbound rule lets port {SSH_PORT} in from {ANYWHERE}.")


@on_launch_template
def key_pair_set(account, template):
    if template.key_name:
        return REACHED
    return wrong("The instances have no key pair: no one can connect to them with SSH.")


def instance_registered(account):
    if account.cluster is None:
        return not_yet(f"There is no cluster {LAB_CLUSTER} for an instance to join.")
    registered = account.container_instances
    if any(
        ci.status == ContainerInstanceStatus.ACTIVE and ci.agent_connected for ci in registered
    ):
        return REACHED
    if registered:
        ids = ", ".join(ci.ec2_instance_id or ci.id for ci in registered)
        return wrong(f"{ids} registered, but no agent is connected and active.")
    return not_yet(f"No instance has registered with {LAB_CLUSTER} yet.")


def cleaned_up(account):
    if CLUSTER_EXISTS not in account.reached_before and account.cluster is None:
        return not_yet("At the end of the lab, once the cluster has been made.")
    left = [f"cluster {cluster.name}" for cluster in account.clusters]
    if account.stack is not None:
        left.append(f"the lab's stack ({account.stack.status})")
    running = account.running_instances
    if len(running) > MOST_INSTANCES_NAMED:
        left.append(f"{len(running)} instances")
    else:
        left += [f"instance {i.instance_id} ({i.state})" for i in running]
    if left:
        return not_yet(f"Still there: {'; '.join(left)}.")
    return REACHED


class Checkpoint(NamedTuple):
    name: str  # as the Class page heads its column; kept in CheckpointReached rows
    description: str
    check: Callable[[LearnerAccount], Result]


CHECKPOINTS = (
    Checkpoint(CLUSTER_EXISTS, f"ECS has a cluster named {LAB_CLUSTER}.", cluster_exists),
    Checkpoint(
        "Stack complete",
        f"CloudFormation stack {stack_name_for(LAB_CLUSTER)} made every resource.",
        stack_complete,
    ),
    Checkpoint(LAB_INSTANCE_TYPE, f"The instances are {LAB_INSTANCE_TYPE}.", instance_type),
    Checkpoint(
        "Subnets in every AZ",
        "The Auto Scaling group has a subnet in every Availability Zone of the region "
        "(the default VPC's, all of them).",
        subnets_in_every_zone,
    ),
    Checkpoint(
        f"Port {SSH_PORT} open",
        f"The instances' security group lets port {SSH_PORT} in from {ANYWHERE}.",
        ssh_open_to_anywhere,
    ),
    Checkpoint("Key pair set", "The instances start with a key pair, for SSH.", key_pair_set),
    Checkpoint(
        "Instance registered",
        f"An instance registered with {LAB_CLUSTER}, its ECS agent connected.",
        instance_registered,
    ),
    Checkpoint(
        "Cleaned up",
        "At the end: no cluster, no stack and no instance left running.",
        cleaned_up,
    ),
)
