"""SSM public parameters as AWS publishes them: ECS AMIs as JSON, and the Windows ones."""

import copy
import json
from collections import defaultdict
from datetime import timedelta, timezone

from moto.core.utils import utcnow
from moto.ec2.exceptions import InvalidInstanceIdError
from moto.ec2.models import ec2_backends
from moto.ssm.exceptions import SSMException
from moto.ssm.models import Command, Parameter, ParameterDict, SimpleSystemManagerBackend

from . import host
from ._patching import wrap
from .catalog import ECS_AMI_ROOT, WINDOWS_LATEST_ROOT, windows_amis

# Raise it when the parameters below change, so a saved cloud gets them at its next start.
PUBLICATION = 2


# The Run Command documents whose scripts the emulated hosts run, and the platform each needs.
SHELL_DOCUMENTS = {"AWS-RunShellScript": "Linux", "AWS-RunPowerShellScript": "Windows"}
# How long a command runs on a host: until then GetCommandInvocation says InProgress.
COMMAND_RUN_TIME = timedelta(seconds=1)


def install():
    wrap(ParameterDict, "_check_loading_status", _check_loading_status)
    wrap(SimpleSystemManagerBackend, "send_command", _send_command)
    wrap(SimpleSystemManagerBackend, "get_command_invocation", _get_command_invocation)
    wrap(Command, "_get_instance_ids_from_targets", _instance_ids_from_targets)


def _instance_ids_from_targets(original, self):
    """No targets name no instance: moto's filter of none matches every instance of the account,
    so a command sent to one instance ran on all of them."""
    return original(self) if self.targets else []


class InvalidInstanceId(SSMException):
    def __init__(self, message):
        super().__init__("InvalidInstanceId", message)


class UnsupportedPlatformType(SSMException):
    def __init__(self, message):
        super().__init__("UnsupportedPlatformType", message)


def _send_command(original, self, **kwargs):
    """SendCommand as AWS answers it: only to instances SSM manages, only with a document made
    for their platform; the shell documents' scripts then run on the emulated host."""
    document = kwargs.get("document_name")
    if document not in SHELL_DOCUMENTS:
        return original(self, **kwargs)
    ec2 = ec2_backends[self.account_id][self.region_name]
    instances = []
    for instance_id in kwargs.get("instance_ids") or []:
        try:
            instance = ec2.get_instance(instance_id)
        except InvalidInstanceIdError:
            instance = None
        if (
            instance is None
            or instance.state not in ("running", "pending", "stopped", "stopping")
            or not host.is_managed_by_ssm(self.account_id, instance)
        ):
            # AWS's words for an instance whose SSM Agent does not (or may not) talk to SSM.
            raise InvalidInstanceId(
                f"Instances [[{instance_id}]] not in a valid state for account {self.account_id}"
            )
        platform = "Windows" if instance.platform == "windows" else "Linux"
        if platform != SHELL_DOCUMENTS[document]:
            raise UnsupportedPlatformType(
                f"Cannot perform operation for instance id {instance_id} of platform type "
                f"{platform}"
            )
        instances.append(instance)
    command = original(self, **kwargs)
    commands = (kwargs.get("parameters") or {}).get("commands", [])
    now = utcnow()
    named = {instance.id: instance for instance in instances}
    for invocation in command.invocations:
        instance = named.get(invocation["InstanceId"]) or _targeted(
            self, ec2, invocation["InstanceId"], document
        )
        if instance is None:
            continue  # chosen by Targets, but not one SSM can run this document on
        answered = host.read_host(self.account_id, self.region_name, instance)
        run = host.run_powershell_script if answered.windows else host.run_shell_script
        result = run(answered, commands, now.replace(tzinfo=timezone.utc))
        invocation.update(
            PluginName="aws:runPowerShellScript" if answered.windows else "aws:runShellScript",
            ResponseCode=result.exit_code,
            ExecutionElapsedTime="PT0.1S",
            ExecutionEndDateTime=(command.requested_date_time + COMMAND_RUN_TIME).isoformat(),
            Status="Success" if result.exit_code == 0 else "Failed",
            StatusDetails="Success" if result.exit_code == 0 else "Failed",
            # GetCommandInvocation gives the first 24,000 and 8,000 characters.
            StandardOutputContent=result.stdout[:24000],
            StandardErrorContent=result.stderr[:8000],
        )
    failed = sum(1 for invocation in command.invocations if invocation["Status"] == "Failed")
    command.error_count = failed
    command.status = "Failed" if failed else "Success"
    command.status_details = command.status
    return command


def _targeted(backend, ec2, instance_id, document):
    """An instance SendCommand's Targets chose (by tag), when SSM manages it and the document
    is made for its platform; None otherwise."""
    try:
        instance = ec2.get_instance(instance_id)
    except InvalidInstanceIdError:
        return None
    platform = "Windows" if instance.platform == "windows" else "Linux"
    if platform != SHELL_DOCUMENTS[document] or not host.is_managed_by_ssm(
        backend.account_id, instance
    ):
        return None
    return instance


def _get_command_invocation(original, self, command_id, instance_id, plugin_name):
    """While the script still runs on the host, AWS says InProgress and shows no output yet."""
    invocation = original(self, command_id, instance_id, plugin_name)
    command = self.get_command_by_id(command_id)
    if utcnow() - command.requested_date_time >= COMMAND_RUN_TIME:
        return invocation
    running = copy.copy(invocation)
    running.update(
        ResponseCode=-1,
        Status="InProgress",
        StatusDetails="InProgress",
        ExecutionEndDateTime="",
        ExecutionElapsedTime="",
        StandardOutputContent="",
        StandardErrorContent="",
    )
    return running


def _check_loading_status(original, self, key):
    key = str(key or "")
    if key.startswith(WINDOWS_LATEST_ROOT):
        # The Windows parameters are built alongside the ECS tree, which must load first.
        original(self, ECS_AMI_ROOT)
    original(self, key)
    published = self.__dict__.get("_localcloud_ecs_amis_published")
    if self.latest_ecs_amis_loaded and published != PUBLICATION:
        # A cloud saved by an older local cloud is published again, as it would be today.
        self._localcloud_ecs_amis_published = PUBLICATION
        _publish_as_aws_does(self)


def _publish_as_aws_does(parameters):
    for name, versions in list(dict.items(parameters)):
        if not name.startswith(ECS_AMI_ROOT) or not versions:
            continue
        value = versions[-1].value
        if isinstance(value, dict):
            # moto keeps these as Python dicts and answers with their repr; AWS answers JSON.
            versions[-1].value = json.dumps(value, separators=(",", ":"))
            if name.endswith("/recommended"):
                _publish_members(parameters, name, value, replace=False)
    for ami in windows_amis(parameters.region_name):
        value = ami.recommended()
        metadata = json.dumps(value, separators=(",", ":"))
        # The ami-windows-latest parameter is the same JSON metadata as the family's
        # `recommended`, each field again below it (ECS developer guide, "Retrieving Amazon
        # ECS-optimized Windows AMI metadata").
        for name in (f"{ami.family_path}/recommended", ami.latest_parameter):
            _put(parameters, name, metadata)
            _publish_members(parameters, name, value, replace=True)
        _put(parameters, f"{ami.family_path}/{ami.image_name}", metadata)


def _publish_members(parameters, name, value, replace):
    """AWS publishes each field of a `recommended` value as its own parameter below it."""
    for field, member in value.items():
        member_name = f"{name}/{field}"
        if replace or not dict.get(parameters, member_name):
            _put(parameters, member_name, str(member))


def _put(parameters, name, value):
    defaultdict.__setitem__(
        parameters,
        name,
        [
            Parameter(
                account_id=parameters.account_id,
                name=name,
                value=value,
                parameter_type="String",
                description=None,
                allowed_pattern=None,
                keyid=None,
                last_modified_date=utcnow(),
                version=1,
                data_type="text",
            )
        ],
    )
