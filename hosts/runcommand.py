"""SSM Run Command calls: send a lab command to a host, and read how it went."""

from typing import NamedTuple

from botocore.exceptions import ClientError

from clusters.aws import AwsError, account_id, client, error_code, translate_errors

from .commands import Document, Invocation, LabCommand

# Run Command's smallest timeout: the lab's commands end in well under a second.
TIMEOUT_SECONDS = 30


class Host(NamedTuple):
    """The EC2 instance the lab's commands run on, and the container instance it registered as
    ("" for an instance whose agent never registered it: its host is where to look why)."""

    ec2_instance_id: str
    windows: bool
    container_instance_id: str = ""

    @classmethod
    def of_container_instance(cls, container_instance):
        ec2 = container_instance.ec2
        return cls(
            container_instance.ec2_instance_id,
            ec2 is not None and ec2.platform == "windows",
            container_instance.id,
        )

    @classmethod
    def of_ec2_instance(cls, instance):
        """From what DescribeInstances says of it (any object with instance_id and platform)."""
        return cls(instance.instance_id, instance.platform == "windows")

    @property
    def document(self):
        return Document.for_platform(self.windows)


@translate_errors
def send(region, instance_id, document, script):
    """SendCommand: the command's id. AWS refuses an instance SSM does not manage
    (InvalidInstanceId) or a document for the other platform (UnsupportedPlatformType)."""
    response = client("ssm", region).send_command(
        InstanceIds=[instance_id],
        DocumentName=str(document),
        Parameters={"commands": [script]},
        TimeoutSeconds=TIMEOUT_SECONDS,
        Comment="ECS Console: the lab's look at the host",
    )
    return response["Command"]["CommandId"]


@translate_errors
def invocation(region, command_id, instance_id):
    try:
        found = client("ssm", region).get_command_invocation(
            CommandId=command_id, InstanceId=instance_id
        )
    except ClientError as error:
        if error_code(error) == "InvocationDoesNotExist":
            # Right after SendCommand, SSM may not know the invocation yet.
            return Invocation(status="Pending")
        raise
    code = found.get("ResponseCode")
    return Invocation(
        status=found["Status"],
        response_code=None if code is None or code < 0 else code,
        stdout=found.get("StandardOutputContent", ""),
        stderr=found.get("StandardErrorContent", ""),
    )


@translate_errors
def instance_role_names(region, instance_id):
    """The roles of the instance's profile: what to attach the SSM policy to."""
    reservations = client("ec2", region).describe_instances(InstanceIds=[instance_id])
    profile = next(
        (
            instance.get("IamInstanceProfile", {}).get("Arn", "")
            for reservation in reservations["Reservations"]
            for instance in reservation["Instances"]
        ),
        "",
    )
    if not profile:
        return ()
    name = profile.rsplit("/", 1)[-1]
    found = client("iam", region).get_instance_profile(InstanceProfileName=name)
    return tuple(role["RoleName"] for role in found["InstanceProfile"]["Roles"])


def start_reading(region, cluster_name, host, user):
    """Send the lab's commands to the host; a row per command, or AWS's reason for refusing,
    kept on the reading."""
    from .models import HostReading

    document = host.document
    instance_id = host.ec2_instance_id
    reading = HostReading.objects.create(
        account_id=account_id(),
        region=region,
        cluster_name=cluster_name,
        ec2_instance_id=instance_id,
        container_instance_id=host.container_instance_id,
        document=document,
        requested_by=user,
    )
    for position, lab_command in enumerate(LabCommand):
        script = lab_command.script(document)
        try:
            command_id = send(region, instance_id, document, script)
        except AwsError as error:
            reading.refusal, reading.refusal_code = error.message, error.code
            if reading.lacks_ssm:
                reading.role_names = list(_role_names_or_none(region, instance_id))
            reading.save(update_fields=["refusal", "refusal_code", "role_names"])
            # SSM refuses the instance, not one command: the others would be refused alike.
            break
        reading.commands.create(
            position=position, lab_command=lab_command, script=script, command_id=command_id
        )
    return reading


def _role_names_or_none(region, instance_id):
    try:
        return instance_role_names(region, instance_id)
    except AwsError:
        return ()


def follow(reading):
    """Ask SSM how each unfinished command of the reading went, and keep its answer."""
    for command in reading.commands.all():
        if not command.has_ended:
            command.record(invocation(reading.region, command.command_id, reading.ec2_instance_id))
