"""The boto3 steps that create, scale and delete a cluster: one function per step.

Each step writes its row before it calls AWS and after, so the status page never needs AWS.
Each is safe to run twice: it looks before it creates. A step returns the seconds after which it
wants another look (a stack still being built), or None when its row has ended.
"""

import base64
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from . import inventory, plan, stack_template
from .aws import client, error_code, translate_errors
from .models import LaunchedInstance, Operation, StackEvent, Step

# How many times DeleteCluster is tried again while the agents of a just-deleted stack's
# instances are still leaving the cluster.
DELETE_CLUSTER_ATTEMPTS = 24
# How many of a stack's latest events its step keeps for the status page to show: all of the
# lab's stack (its 13 resources make 28).
STACK_EVENTS_SHOWN = 40


def run(step):
    # Imported here: the clean-up steps reuse this module's stack helpers.
    from . import cleanup

    if step.kind in cleanup.STEPS:
        return cleanup.STEPS[step.kind](step)
    return STEPS[step.kind](step)


def look_again_in(step):
    """Seconds until a step waiting on AWS (a stack being built or removed) looks again: soon at
    first, so a fast stack is seen fast, then half as long as it has waited so far (each wait
    half as long again as the one before), never longer than STACK_POLL_SECONDS."""
    waited = (timezone.now() - step.started_at).total_seconds() if step.started_at else 0
    return min(max(settings.STACK_POLL_FIRST_SECONDS, waited / 2), settings.STACK_POLL_SECONDS)


def _calling(function, tolerated_code, **kwargs):
    """Call AWS, treating one error code (usually "already exists") as success."""
    try:
        return function(**kwargs)
    except Exception as error:
        if getattr(error, "response", None) and error_code(error) == tolerated_code:
            return None
        raise


@translate_errors
def create_cluster(step):
    operation = step.operation
    configuration, name = operation.request, operation.cluster_name
    step.mark_in_progress(f"Creating cluster {name}")
    ecs = client("ecs", operation.region)
    # AWS's CreateCluster returns an existing cluster unchanged; looking first keeps a second run
    # from depending on that, and keeps the cluster a person already has out of harm's way.
    found = ecs.describe_clusters(clusters=[name])["clusters"]
    cluster = next((c for c in found if c["status"] == "ACTIVE"), None)
    if cluster is None:
        cluster = plan.create_cluster(name, configuration).make(ecs)["cluster"]
    step.mark_succeeded(f"ECS cluster {name} successfully created", cluster_arn=cluster["clusterArn"])


@translate_errors
def attach_instance_role_policy(step):
    operation = step.operation
    instances = operation.request.instances
    role_name = instances.instance_role
    step.mark_in_progress("Attaching IAM policy")
    iam = client("iam", operation.region)
    create_role, *attach_policies, create_profile, add_role = plan.instance_role(instances)
    _calling(create_role.make, "EntityAlreadyExists", aws_client=iam)
    # Attaching twice is a no-op in IAM. Delete Cluster never detaches the SSM policy: the role
    # may be one the whole account shares, as AWS's console never touched shared roles.
    for attach in attach_policies:
        attach.make(iam)
    _calling(create_profile.make, "EntityAlreadyExists", aws_client=iam)
    profile = iam.get_instance_profile(InstanceProfileName=role_name)["InstanceProfile"]
    if role_name not in {role["RoleName"] for role in profile["Roles"]}:
        add_role.make(iam)
    role = iam.get_role(RoleName=role_name)["Role"]
    step.mark_succeeded(
        f"IAM Policy for the role {role_name} successfully attached",
        role_arn=role["Arn"],
        instance_profile_arn=profile["Arn"],
        policy_arn=stack_template.ECS_INSTANCE_ROLE_POLICY,
    )


def _describe_stack(cloudformation, stack):
    try:
        return cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    except Exception as error:
        if getattr(error, "response", None) and error_code(error) == "ValidationError":
            return None  # AWS's way of saying "Stack with id … does not exist"
        raise


def _first_failure_reason(cloudformation, stack_id):
    """The reason of the earliest failed resource: the one that caused the rest to roll back."""
    events = cloudformation.describe_stack_events(StackName=stack_id)["StackEvents"]
    for event in reversed(events):  # AWS lists the newest first
        if event["ResourceStatus"].endswith("FAILED") and event.get("ResourceStatusReason"):
            return f"{event['LogicalResourceId']}: {event['ResourceStatusReason']}"
    return None


def _stack_failed(step, cloudformation, stack):
    reason = _first_failure_reason(cloudformation, stack["StackId"])
    step.mark_failed(
        reason or stack.get("StackStatusReason") or stack["StackStatus"],
        stack_events=_latest_events(cloudformation, stack["StackId"]),
    )


def _latest_events(cloudformation, stack_id):
    """The stack's latest events, newest first, as the step keeps them: the status page shows
    what CloudFormation is doing without asking AWS itself."""
    page = cloudformation.describe_stack_events(StackName=stack_id)["StackEvents"]
    return [StackEvent.from_aws(event).to_json() for event in page[:STACK_EVENTS_SHOWN]]


def _progress(events, stack_id):
    """How far the stack has come, in words, from its events (newest first)."""
    latest = {}
    for event in reversed(events):
        if event["logical_id"] != stack_id:
            latest[event["logical_id"]] = event["status"]
    done = sum(status.endswith("_COMPLETE") for status in latest.values())
    working = sum(status.endswith("_IN_PROGRESS") for status in latest.values())
    return f"{done} resources done, {working} in progress"


def _waiting_on_stack(step, cloudformation, stack, doing):
    """Record, while the step waits on a stack, what the stack is doing now."""
    events = _latest_events(cloudformation, stack["StackId"])
    stack_name = stack["StackName"]
    step.mark_in_progress(
        f"{doing}: {_progress(events, stack_name)}",
        stack_id=stack["StackId"],
        stack_events=events,
    )
    return look_again_in(step)


def _say_first(step, message):
    """Say what a step does before its first call to AWS, which looks at what is there before
    it acts: a running step always says something on Launch status, even while that look is
    under way."""
    if not step.message:
        step.mark_in_progress(message)


@translate_errors
def create_stack(step):
    operation = step.operation
    configuration, name = operation.request, operation.stack_name
    _say_first(step, f"Creating CloudFormation stack {name}")
    cloudformation = client("cloudformation", operation.region)
    stack = _describe_stack(cloudformation, step.outputs.get("stack_id", name))
    if stack is None or stack["StackStatus"] == "DELETE_COMPLETE":
        step.mark_in_progress(f"Creating CloudFormation stack {name}")
        call = plan.create_stack(operation.cluster_name, configuration, operation.request_token)
        stack_id = call.make(cloudformation)["StackId"]
        step.mark_in_progress(f"Creating CloudFormation stack {name}", stack_id=stack_id)
        stack = _describe_stack(cloudformation, stack_id)
    status = stack["StackStatus"]
    if status == "CREATE_IN_PROGRESS":
        return _waiting_on_stack(
            step, cloudformation, stack, f"Creating CloudFormation stack {name}"
        )
    if status != "CREATE_COMPLETE":
        _stack_failed(step, cloudformation, stack)
        return None
    step.mark_succeeded(
        f"CloudFormation stack {name} and its resources successfully created",
        stack_id=stack["StackId"],
        stack_events=_latest_events(cloudformation, stack["StackId"]),
        **_stack_outputs(operation.region, cloudformation, stack["StackId"]),
    )
    return None


def _stack_outputs(region, cloudformation, stack_id):
    """What the stack made, by logical id, and the Availability Zones its subnets are in."""
    described = cloudformation.describe_stack_resources(StackName=stack_id)["StackResources"]
    resources = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in described}
    subnet_ids = [
        resources[key]
        for key in (stack_template.LogicalId.SUBNET_1, stack_template.LogicalId.SUBNET_2)
        if key in resources
    ]
    zones = []
    if subnet_ids:
        found = client("ec2", region).describe_subnets(SubnetIds=subnet_ids)["Subnets"]
        zones = sorted({subnet["AvailabilityZone"] for subnet in found})
    return {"resources": resources, "availability_zones": zones}


@translate_errors
def scale_stack(step):
    operation = step.operation
    desired = operation.request.instance_count
    name = operation.stack_name
    _say_first(step, f"Updating CloudFormation stack {name} to {desired} instances")
    cloudformation = client("cloudformation", operation.region)
    stack = _describe_stack(cloudformation, step.outputs.get("stack_id", name))
    if stack is None:
        step.mark_failed(f"Stack {name} does not exist")
        return None
    if not step.outputs.get("update_requested"):
        step.mark_in_progress(
            f"Updating CloudFormation stack {name} to {desired} instances",
            stack_id=stack["StackId"],
        )
        parameters = [
            {"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}
            for p in stack.get("Parameters", [])
            if p["ParameterKey"] != stack_template.DESIRED_COUNT_PARAMETER
        ]
        parameters.append(
            {"ParameterKey": stack_template.DESIRED_COUNT_PARAMETER, "ParameterValue": str(desired)}
        )
        try:
            cloudformation.update_stack(
                StackName=stack["StackId"],
                UsePreviousTemplate=True,
                Parameters=parameters,
                ClientRequestToken=operation.request_token,
            )
        except Exception as error:
            no_change = "No updates are to be performed" in str(error)
            if not no_change:
                raise
        step.mark_in_progress(
            f"Updating CloudFormation stack {name} to {desired} instances", update_requested=True
        )
        stack = _describe_stack(cloudformation, stack["StackId"])
    status = stack["StackStatus"]
    if status.endswith("_IN_PROGRESS"):
        return _waiting_on_stack(
            step, cloudformation, stack, f"Updating CloudFormation stack {name} to {desired} instances"
        )
    if status not in ("UPDATE_COMPLETE", "CREATE_COMPLETE"):
        _stack_failed(step, cloudformation, stack)
        return None
    step.mark_succeeded(f"Desired number of instances set to {desired}", desired_capacity=desired)
    return None


@translate_errors
def delete_stack(step):
    operation = step.operation
    name = operation.stack_name
    _say_first(step, f"Deleting CloudFormation stack {name}")
    cloudformation = client("cloudformation", operation.region)
    stack = _describe_stack(cloudformation, step.outputs.get("stack_id", name))
    if stack is None and not step.outputs.get("delete_requested"):
        step.mark_succeeded(f"No CloudFormation stack {name} to delete")
        return None
    status = stack["StackStatus"] if stack else "DELETE_COMPLETE"
    if status == "DELETE_COMPLETE":
        step.mark_succeeded(f"CloudFormation stack {name} and its resources deleted")
        return None
    if status == "DELETE_IN_PROGRESS" or (
        status.endswith("_IN_PROGRESS") and step.outputs.get("delete_requested")
    ):
        return _waiting_on_stack(step, cloudformation, stack, f"Deleting CloudFormation stack {name}")
    if status == "DELETE_FAILED" and step.outputs.get("delete_requested"):
        _stack_failed(step, cloudformation, stack)
        return None
    step.mark_in_progress(f"Deleting CloudFormation stack {name}", stack_id=stack["StackId"])
    cloudformation.delete_stack(StackName=stack["StackId"])
    step.mark_in_progress(f"Deleting CloudFormation stack {name}", delete_requested=True)
    return look_again_in(step)


def _deleted_a_stack(operation):
    """Whether this delete removed a stack, whose instances' agents may still be leaving."""
    step = next((s for s in operation.steps.all() if s.kind == Step.Kind.DELETE_STACK), None)
    return bool(step and step.outputs.get("delete_requested"))


@translate_errors
def delete_cluster(step):
    operation = step.operation
    name = operation.cluster_name
    step.mark_in_progress(f"Deleting cluster {name}")
    ecs = client("ecs", operation.region)
    try:
        ecs.delete_cluster(cluster=name)
    except Exception as error:
        code = getattr(error, "response", None) and error_code(error)
        if code == "ClusterNotFoundException":
            step.mark_succeeded(f"ECS cluster {name} deleted")
            return None
        attempts = step.outputs.get("attempts", 0) + 1
        if code == "ClusterContainsContainerInstancesException" and (
            attempts < DELETE_CLUSTER_ATTEMPTS and _deleted_a_stack(operation)
        ):
            # The stack's instances are terminating; their agents leave the cluster shortly.
            step.mark_in_progress(
                f"Deleting cluster {name}: waiting for its container instances to leave",
                attempts=attempts,
            )
            return look_again_in(step)
        raise
    step.mark_succeeded(f"ECS cluster {name} deleted")
    return None


@translate_errors
def watch_instances_register(step):
    """Wait until the Auto Scaling group's instances have registered with the cluster, saying
    how many have; stop waiting after INSTANCES_REGISTER_WITHIN_SECONDS (or as soon as
    another operation waits for the cluster), naming the instances still not registered: the
    cluster is made, and those instances are where to look (their agent's log says why)."""
    operation = step.operation
    name, region = operation.cluster_name, operation.region
    desired = operation.request.instances.count
    _say_first(step, f"Waiting for instances to register with cluster {name}")
    stack = operation.step(Step.Kind.STACK)
    group_name = stack.outputs.get("resources", {}).get(stack_template.LogicalId.AUTO_SCALING_GROUP)
    members = _group_members(region, group_name)
    registered = {ci.ec2_instance_id for ci in inventory.container_instances(region, name)}
    waiting_for = [m for m in members if m.instance_id not in registered]
    joined = len(members) - len(waiting_for)
    counts = {"registered": joined, "desired": desired}
    # The instances not registered yet are named (and linked) while the step waits too, so a
    # person can go and read one before the step stops waiting for it.
    unregistered = [m._asdict() for m in waiting_for]
    if joined >= desired:
        step.mark_succeeded(
            f"{joined} of {desired} instances registered with cluster {name}",
            unregistered=[],
            **counts,
        )
        return None
    waited = (timezone.now() - step.started_at).total_seconds() if step.started_at else 0
    queued_behind = Operation.objects.for_cluster(operation.account_id, region, name).filter(
        state=Operation.State.QUEUED
    ).exists()
    if waited >= settings.INSTANCES_REGISTER_WITHIN_SECONDS or queued_behind:
        step.mark_succeeded(
            f"{joined} of {desired} instances registered with cluster {name} after "
            f"{waited:.0f} s. The ECS agent of each instance below has not registered it: "
            "read its host on its page (the agent's log says why), and look at its role and "
            "at its subnet's route and public IP.",
            unregistered=unregistered,
            **counts,
        )
        return None
    pending = sum(m.state in ("pending", "") for m in members)
    running = sum(m.state == "running" for m in members)
    step.mark_in_progress(
        f"{joined} of {desired} instances registered with cluster {name}; "
        f"{len(members)} launched ({pending} pending, {running} running)",
        unregistered=unregistered,
        **counts,
    )
    return look_again_in(step)


def _group_members(region, group_name):
    """The group's instances with their EC2 state ("" until EC2 lists them)."""
    if not group_name:
        return []
    groups = client("autoscaling", region).describe_auto_scaling_groups(
        AutoScalingGroupNames=[group_name]
    )["AutoScalingGroups"]
    ids = [member["InstanceId"] for member in groups[0]["Instances"]] if groups else []
    described = inventory.ec2_instances(region, ids) if ids else {}
    states = {instance_id: str(instance.state) for instance_id, instance in described.items()}
    return [LaunchedInstance(instance_id, states.get(instance_id, "")) for instance_id in ids]


STEPS = {
    Step.Kind.CLUSTER: create_cluster,
    Step.Kind.INSTANCE_ROLE: attach_instance_role_policy,
    Step.Kind.STACK: create_stack,
    Step.Kind.SCALE: scale_stack,
    Step.Kind.DELETE_STACK: delete_stack,
    Step.Kind.DELETE_CLUSTER: delete_cluster,
    Step.Kind.INSTANCES: watch_instances_register,
}


@translate_errors
def deregister_container_instance(region, cluster_name, container_instance, force=False):
    """Take one instance out of the cluster, as its Deregister button does; one quick call."""
    client("ecs", region).deregister_container_instance(
        cluster=cluster_name, containerInstance=container_instance, force=force
    )


@translate_errors
def enable_container_insights(region, cluster_name):
    """Turn Container Insights on for the cluster, as the Metrics tab's button does; one call."""
    client("ecs", region).update_cluster_settings(
        cluster=cluster_name, settings=[{"name": "containerInsights", "value": "enabled"}]
    )


@dataclass(frozen=True)
class NewKeyPair:
    """A key pair EC2 has just created, with the only copy of its private key there will be.

    The private key is handed to the person once and kept nowhere: it is left out of repr so that
    no log line or error report can carry it.
    """

    name: str
    key_type: str
    key_pair_id: str
    fingerprint: str
    private_key: str = field(repr=False)

    @property
    def file_name(self):
        return f"{self.name}.pem"

    @property
    def data_url(self):
        """The private key as a data: URL, for a download link that needs no second request."""
        encoded = base64.b64encode(self.private_key.encode()).decode()
        return f"data:application/x-pem-file;base64,{encoded}"


@translate_errors
@sensitive_variables("created")  # an error report never shows the private key
def create_key_pair(region, name, key_type):
    """Create an EC2 key pair (rsa or ed25519); EC2 returns its private key this once, as PEM."""
    created = client("ec2", region).create_key_pair(
        KeyName=name,
        KeyType=key_type,
        KeyFormat="pem",
        TagSpecifications=[{"ResourceType": "key-pair", "Tags": plan.console_tags()}],
    )
    return NewKeyPair(
        name=created["KeyName"],
        key_type=key_type,
        key_pair_id=created.get("KeyPairId", ""),
        fingerprint=created.get("KeyFingerprint", ""),
        private_key=created["KeyMaterial"],
    )
