"""Reset a learner and Clean up my account: the boto3 steps that empty an AWS account of what the
lab makes, in every region the console offers.

Which resources are the person's follows from what ECS Console knows of the account, never from
which cloud it talks to (configuration.CleanupScope, chosen by accounts.models.cleanup_scope): an
account the console made for this person alone holds only their things; an account an admin
assigned, which others may use, holds the person's things only where they carry ECS Console's
tag (configuration.MADE_BY_CONSOLE), and nothing else is touched.

Each step records every resource it found and what became of it (AWS's reason when AWS said no,
or why it was left alone) in its row, so the status page needs no AWS; each looks before it
removes, so a step, or the whole operation, can run again.
"""

from django.conf import settings
from django.utils import timezone

from .aws import (
    BOTOCORE_ERRORS,
    as_aws_error,
    chunks,
    client,
    error_code,
    paginate,
    translate_errors,
)
from .configuration import MADE_BY_CONSOLE, CleanupScope
from .inventory import INSTANCE_ROLE_NAME
from .middleware import ecs_regions
from .models import CleanedResource, Operation, Outcome, Step
from .provisioning import _first_failure_reason, look_again_in
from .stack_template import stack_name_for

# Every stack the Create Cluster wizard makes is named so (EC2ContainerService-<cluster>).
WIZARD_STACK_PREFIX = stack_name_for("")
NOT_MADE_BY_CONSOLE = (
    f"Not tagged {MADE_BY_CONSOLE.key}={MADE_BY_CONSOLE.value}: ECS Console did not make it, and "
    "this account is shared, so it stays."
)
# What AWS answers in a region the account has not opted in to (or that the console's
# credentials cannot reach): there is nothing of the person's there to remove.
REGION_NOT_ENABLED_CODES = {
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "AuthFailure",
    "OptInRequired",
}
# EC2 instances that still hold (or may again hold) their resources.
NOT_YET_TERMINATED = ["pending", "running", "shutting-down", "stopping", "stopped"]


def regions():
    """The regions a reset looks in: every region the console offers."""
    return [region.code for region in ecs_regions()]


def _tag_pairs(tags):
    """{key: value} of an AWS tag list, in either spelling (ECS's key/value, others' Key/Value)."""
    return {
        tag.get("Key", tag.get("key")): tag.get("Value", tag.get("value")) for tag in tags or ()
    }


def is_theirs(scope, tags):
    """Whether a resource with these tags may be removed under this scope."""
    if scope == CleanupScope.WHOLE_ACCOUNT:
        return True
    return _tag_pairs(tags).get(MADE_BY_CONSOLE.key) == MADE_BY_CONSOLE.value


class Refused(Exception):
    """AWS's reason a resource could not be removed, read from its state (a stack's
    DELETE_FAILED) rather than from an error."""


def _attempt(found, remove):
    """Call remove(), and say what became of the resource: removed (or whatever remove answers),
    or not, with AWS's reason. AWS being unwell is raised, for the step to be tried again."""
    try:
        outcome = remove()
        # Only Outcome.REMOVING says more is to come; AWS's answers to a delete say nothing.
        outcome = outcome if isinstance(outcome, Outcome) else None
    except Refused as refusal:
        return found._replace(outcome=Outcome.FAILED, reason=str(refusal))
    except BOTOCORE_ERRORS as error:
        aws_error = as_aws_error(error)
        if aws_error.retryable:
            raise aws_error from error
        return found._replace(outcome=Outcome.FAILED, reason=aws_error.message)
    return found._replace(outcome=outcome or Outcome.REMOVED)


def _removed_if_theirs(scope, found, tags, remove):
    """What becomes of a resource found: left alone, saying why, when the scope does not make it
    the person's; else removed (or not, with AWS's reason)."""
    if not is_theirs(scope, tags):
        return found._replace(outcome=Outcome.LEFT_ALONE, reason=NOT_MADE_BY_CONSOLE)
    return _attempt(found, remove)


def _each_region(find_in):
    """What find_in(region) finds in every region, skipping the regions the account has not
    enabled."""
    for region in regions():
        try:
            yield from find_in(region)
        except BOTOCORE_ERRORS as error:
            if getattr(error, "response", None) and error_code(error) in REGION_NOT_ENABLED_CODES:
                continue
            raise


def _summary(noun, cleaned):
    """The step's message, counting what became of what it found."""
    if not cleaned:
        return f"No {noun} to remove"
    counts = [
        (sum(r.outcome == outcome for r in cleaned), words)
        for outcome, words in (
            (Outcome.REMOVED, "removed"),
            (Outcome.REMOVING, "being removed"),
            (Outcome.FAILED, "not removed"),
            (Outcome.LEFT_ALONE, "left alone"),
        )
    ]
    said = ", ".join(f"{count} {words}" for count, words in counts if count)
    # "stacks" -> "1 stack"; "IAM roles" -> "1 IAM role".
    found = f"1 {noun.removesuffix('s')}" if len(cleaned) == 1 else f"{len(cleaned)} {noun}"
    return f"{found} found: {said}"


def _clean(step, noun, find, look_again=None):
    """Run one clean-up step: find (and start removing) what is theirs in every region on the
    first run, then, while something is being removed, look at those again (look_again) until
    each is gone or failed; fail with AWS's reason if anything could not be removed."""
    scope = step.operation.request.scope
    if not step.outputs.get("looked"):
        step.mark_in_progress(f"Looking for {noun} in every region")
        cleaned = list(find(scope))
        step.mark_in_progress(
            _summary(noun, cleaned), cleaned=[r.to_json() for r in cleaned], looked=True
        )
    else:
        cleaned = [
            _attempt(r, lambda r=r: look_again(r)) if r.outcome == Outcome.REMOVING else r
            for r in step.cleaned
        ]
    if any(r.outcome == Outcome.REMOVING for r in cleaned):
        waited = (timezone.now() - step.started_at).total_seconds() if step.started_at else 0
        if waited < settings.CLEAN_UP_WAITS_SECONDS:
            step.mark_in_progress(_summary(noun, cleaned), cleaned=[r.to_json() for r in cleaned])
            return look_again_in(step)
        gave_up = f"Still being removed after {waited:.0f} s, when ECS Console stopped waiting."
        cleaned = [
            r._replace(outcome=Outcome.FAILED, reason=gave_up)
            if r.outcome == Outcome.REMOVING
            else r
            for r in cleaned
        ]
    as_json = [r.to_json() for r in cleaned]
    failed = [r for r in cleaned if r.outcome == Outcome.FAILED]
    if failed:
        first = failed[0]
        step.mark_failed(
            f"{_summary(noun, cleaned)}. {first.kind} {first.name} ({first.region}): "
            f"{first.reason}",
            cleaned=as_json,
        )
    else:
        step.mark_succeeded(_summary(noun, cleaned), cleaned=as_json)
    return None


# --- CloudFormation stacks: the wizard's, and with them their instances and network ---------


@translate_errors
def remove_stacks(step):
    return _clean(step, "stacks", _find_stacks, _stack_now)


def _find_stacks(scope):
    def in_region(region):
        cloudformation = client("cloudformation", region)
        for stack in paginate(cloudformation, "describe_stacks", "Stacks"):
            if stack["StackStatus"] == "DELETE_COMPLETE":
                continue
            found = CleanedResource(
                "Stack", stack["StackName"], region, Outcome.REMOVING, resource_id=stack["StackId"]
            )
            tags = stack.get("Tags", [])
            tagged = is_theirs(CleanupScope.MADE_BY_CONSOLE, tags)
            if not tagged and not stack["StackName"].startswith(WIZARD_STACK_PREFIX):
                continue  # neither ECS Console's nor one the lab makes: not a reset's business
            yield _removed_if_theirs(
                scope, found, tags, lambda stack=stack: _delete_stack(cloudformation, stack)
            )

    return _each_region(in_region)


def _delete_stack(cloudformation, stack):
    if stack["StackStatus"] != "DELETE_IN_PROGRESS":
        cloudformation.delete_stack(StackName=stack["StackId"])
    return Outcome.REMOVING


def _stack_now(found):
    cloudformation = client("cloudformation", found.region)
    try:
        stack = cloudformation.describe_stacks(StackName=found.resource_id)["Stacks"][0]
    except BOTOCORE_ERRORS as error:
        if getattr(error, "response", None) and error_code(error) == "ValidationError":
            return Outcome.REMOVED  # AWS's "Stack with id … does not exist"
        raise
    status = stack["StackStatus"]
    if status == "DELETE_COMPLETE":
        return Outcome.REMOVED
    if status == "DELETE_FAILED":
        reason = _first_failure_reason(cloudformation, found.resource_id)
        raise Refused(reason or stack.get("StackStatusReason") or status)
    if not status.endswith("_IN_PROGRESS"):
        # Asked while it was still being made: ask again now that it stands.
        cloudformation.delete_stack(StackName=found.resource_id)
    return Outcome.REMOVING


# --- EC2 instances left running outside the stacks ------------------------------------------


@translate_errors
def remove_instances(step):
    return _clean(step, "instances", _find_instances, _instance_now)


def _find_instances(scope):
    filters = [{"Name": "instance-state-name", "Values": NOT_YET_TERMINATED}]
    if scope == CleanupScope.MADE_BY_CONSOLE:
        # Only the console's: others' instances in a shared account are not even listed.
        filters.append({"Name": f"tag:{MADE_BY_CONSOLE.key}", "Values": [MADE_BY_CONSOLE.value]})

    def in_region(region):
        ec2 = client("ec2", region)
        reservations = paginate(ec2, "describe_instances", "Reservations", Filters=filters)
        ids = [item["InstanceId"] for r in reservations for item in r["Instances"]]
        for batch in chunks(ids, 100):
            outcome = _attempt(
                CleanedResource("Instance", ",".join(batch), region, Outcome.REMOVING),
                lambda batch=batch: _terminate(ec2, batch),
            )
            for instance_id in batch:
                yield outcome._replace(name=instance_id, resource_id=instance_id)

    return _each_region(in_region)


def _terminate(ec2, instance_ids):
    ec2.terminate_instances(InstanceIds=instance_ids)
    return Outcome.REMOVING  # until EC2 says terminated


def _instance_now(found):
    try:
        reservations = client("ec2", found.region).describe_instances(
            InstanceIds=[found.resource_id]
        )["Reservations"]
    except BOTOCORE_ERRORS as error:
        if getattr(error, "response", None) and error_code(error) == "InvalidInstanceID.NotFound":
            return Outcome.REMOVED
        raise
    states = [item["State"]["Name"] for r in reservations for item in r["Instances"]]
    return Outcome.REMOVED if all(state == "terminated" for state in states) else Outcome.REMOVING


# --- ECS clusters, their container instances deregistered first ----------------------------


@translate_errors
def remove_clusters(step):
    return _clean(step, "clusters", _find_clusters, _cluster_now)


def _find_clusters(scope):
    def in_region(region):
        ecs = client("ecs", region)
        arns = list(paginate(ecs, "list_clusters", "clusterArns"))
        for batch in chunks(arns, 100):
            for cluster in ecs.describe_clusters(clusters=batch, include=["TAGS"])["clusters"]:
                if cluster["status"] == "INACTIVE":
                    continue
                name = cluster["clusterName"]
                yield _removed_if_theirs(
                    scope,
                    CleanedResource("Cluster", name, region, Outcome.REMOVED),
                    cluster.get("tags"),
                    lambda name=name: _delete_cluster(ecs, name, scope),
                )

    return _each_region(in_region)


def _delete_cluster(ecs, name, scope):
    """Delete the cluster, having removed what ECS refuses to delete a cluster with: its
    services and tasks, when the whole account is the person's (a service deleted with force
    need not be scaled to zero first; on a shared account they stay, and AWS's refusal says why
    the cluster does), and its container instances, deregistered as Delete Cluster's dialog
    asks a person to."""
    stopped_work = False
    if scope == CleanupScope.WHOLE_ACCOUNT:
        for arn in paginate(ecs, "list_services", "serviceArns", cluster=name):
            ecs.delete_service(cluster=name, service=arn, force=True)
            stopped_work = True
        for arn in paginate(ecs, "list_tasks", "taskArns", cluster=name, desiredStatus="RUNNING"):
            ecs.stop_task(cluster=name, task=arn, reason="Cleaned up by ECS Console")
            stopped_work = True
    for arn in paginate(ecs, "list_container_instances", "containerInstanceArns", cluster=name):
        ecs.deregister_container_instance(cluster=name, containerInstance=arn, force=True)
    if stopped_work:
        return _delete_once_drained(ecs, name)
    ecs.delete_cluster(cluster=name)
    return Outcome.REMOVED


# What DeleteCluster answers while deleted services drain and stopped tasks stop.
STILL_STOPPING_CODES = {"ClusterContainsServicesException", "ClusterContainsTasksException"}


def _delete_once_drained(ecs, name):
    """Delete a cluster whose services were deleted and tasks stopped: while they drain and
    stop, ECS still refuses, and the step looks again."""
    try:
        ecs.delete_cluster(cluster=name)
    except BOTOCORE_ERRORS as error:
        if getattr(error, "response", None):
            if error_code(error) in STILL_STOPPING_CODES:
                return Outcome.REMOVING
            if error_code(error) == "ClusterNotFoundException":
                return Outcome.REMOVED
        raise
    return Outcome.REMOVED


def _cluster_now(found):
    return _delete_once_drained(client("ecs", found.region), found.name)


# --- Key pairs ---------------------------------------------------------------------------


@translate_errors
def remove_key_pairs(step):
    return _clean(step, "key pairs", _find_key_pairs)


def _find_key_pairs(scope):
    def in_region(region):
        ec2 = client("ec2", region)
        for key_pair in ec2.describe_key_pairs()["KeyPairs"]:
            name = key_pair["KeyName"]
            yield _removed_if_theirs(
                scope,
                CleanedResource("Key pair", name, region, Outcome.REMOVED),
                key_pair.get("Tags"),
                lambda name=name: ec2.delete_key_pair(KeyName=name),
            )

    return _each_region(in_region)


# --- The instance role, its policies and its instance profile (IAM is global) ---------------


@translate_errors
def remove_instance_role(step):
    operation = step.operation
    return _clean(step, "IAM roles", lambda scope: _find_instance_roles(operation, scope))


IAM = "global"


def _instance_role_names(operation):
    """The roles the lab's instances start with: ecsInstanceRole, and any other the wizard made
    in this account (its launches recorded them). Never the role the console acts through."""
    launches = Operation.objects.in_account(operation.account_id).launches()
    named = launches.values_list("config__instances__instance_role", flat=True)
    names = {INSTANCE_ROLE_NAME, *(name for name in named if name)}
    names.discard(operation.role_arn.rsplit("/", 1)[-1])
    return sorted(names)


def _find_instance_roles(operation, scope):
    iam = client("iam", settings.AWS_REGION)
    for name in _instance_role_names(operation):
        role = _if_there(lambda name=name: iam.get_role(RoleName=name)["Role"])
        profile = _if_there(
            lambda name=name: iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
        )
        if role is not None:
            yield _removed_if_theirs(
                scope,
                CleanedResource("IAM role", name, IAM, Outcome.REMOVED),
                role.get("Tags"),
                lambda name=name: _delete_role(iam, scope, name),
            )
        if profile is not None and not profile["Roles"] and is_theirs(scope, profile.get("Tags")):
            # Left holding nothing (its role removed on an earlier run, or never added).
            yield _attempt(
                CleanedResource("Instance profile", name, IAM, Outcome.REMOVED),
                lambda name=name: iam.delete_instance_profile(InstanceProfileName=name),
            )


def _if_there(read):
    try:
        return read()
    except BOTOCORE_ERRORS as error:
        if getattr(error, "response", None) and error_code(error) == "NoSuchEntity":
            return None
        raise


def _delete_role(iam, scope, name):
    """Take the role out of its instance profiles (deleting those that are the person's),
    detach and delete its policies, then delete it: IAM deletes only a role with none left."""
    profiles = paginate(iam, "list_instance_profiles_for_role", "InstanceProfiles", RoleName=name)
    for profile in profiles:
        profile_name = profile["InstanceProfileName"]
        iam.remove_role_from_instance_profile(InstanceProfileName=profile_name, RoleName=name)
        tags = iam.get_instance_profile(InstanceProfileName=profile_name)["InstanceProfile"].get(
            "Tags"
        )
        if is_theirs(scope, tags):
            iam.delete_instance_profile(InstanceProfileName=profile_name)
    for policy in paginate(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name):
        iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
    for policy_name in paginate(iam, "list_role_policies", "PolicyNames", RoleName=name):
        iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
    iam.delete_role(RoleName=name)


STEPS = {
    Step.Kind.RESET_STACKS: remove_stacks,
    Step.Kind.RESET_INSTANCES: remove_instances,
    Step.Kind.RESET_CLUSTERS: remove_clusters,
    Step.Kind.RESET_KEY_PAIRS: remove_key_pairs,
    Step.Kind.RESET_INSTANCE_ROLE: remove_instance_role,
}
