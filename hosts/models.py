"""What the hosts answered: each reading of a host, and each lab command it ran, as rows."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from .commands import Document, LabCommand


class HostReadingQuerySet(models.QuerySet):
    def of_instance(self, account_id, region, ec2_instance_id):
        return self.filter(account_id=account_id, region=region, ec2_instance_id=ec2_instance_id)

    def latest_first(self):
        return self.order_by("-requested_at", "-pk")


class HostReading(models.Model):
    """One look at a host: the lab's commands sent together through SSM Run Command, or AWS's
    reason for refusing them."""

    account_id = models.CharField(max_length=12)
    region = models.CharField(max_length=32)
    cluster_name = models.CharField(max_length=255)
    ec2_instance_id = models.CharField(max_length=32)
    # Blank for an instance whose agent never registered it.
    container_instance_id = models.CharField(max_length=64, blank=True)
    document = models.CharField(max_length=40, choices=[(d, d) for d in Document])
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    requested_at = models.DateTimeField(default=timezone.now)
    refusal = models.TextField(blank=True)
    refusal_code = models.CharField(max_length=64, blank=True)
    # The instance's roles when SSM refused it: where AmazonSSMManagedInstanceCore goes.
    role_names = models.JSONField(default=list)

    objects = HostReadingQuerySet.as_manager()

    def get_absolute_url(self):
        """The page whose Host panel shows this reading."""
        if not self.container_instance_id:
            return reverse("resources:ec2_instance", args=[self.cluster_name, self.ec2_instance_id])
        return reverse(
            "clusters:container_instance", args=[self.cluster_name, self.container_instance_id]
        )

    def __str__(self):
        return f"{self.ec2_instance_id} at {self.requested_at:%Y-%m-%d %H:%M:%S}"

    @property
    def ordered_commands(self):
        return sorted(self.commands.all(), key=lambda command: command.position)

    @property
    def has_ended(self):
        return self.refusal != "" or all(command.has_ended for command in self.commands.all())

    @property
    def is_refused(self):
        return self.refusal != ""

    @property
    def lacks_ssm(self):
        """SSM's answer for an instance whose SSM Agent it does not hear from."""
        return self.refusal_code == "InvalidInstanceId"

    def output_of(self, lab_command):
        """What one lab command printed, once it has ended; None before (or if refused)."""
        for command in self.commands.all():
            if command.lab_command == lab_command and command.has_ended:
                return command.output
        return None


class HostCommand(models.Model):
    """One lab command on the host: its Run Command id, then its status and output."""

    class Status(models.TextChoices):
        PENDING = "Pending"
        IN_PROGRESS = "InProgress"
        DELAYED = "Delayed"
        SUCCESS = "Success"
        CANCELLED = "Cancelled"
        TIMED_OUT = "TimedOut", "Timed out"
        FAILED = "Failed"
        CANCELLING = "Cancelling"

    reading = models.ForeignKey(HostReading, on_delete=models.CASCADE, related_name="commands")
    position = models.PositiveSmallIntegerField()
    lab_command = models.CharField(max_length=20, choices=[(c, c.label) for c in LabCommand])
    script = models.TextField()
    command_id = models.CharField(max_length=36)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    response_code = models.IntegerField(null=True, blank=True)
    output = models.TextField(blank=True)
    error_output = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reading", "position"], name="one_command_a_position")
        ]

    def __str__(self):
        return self.script

    @property
    def label(self):
        return LabCommand(self.lab_command).label

    @property
    def has_ended(self):
        return self.status not in (
            self.Status.PENDING,
            self.Status.IN_PROGRESS,
            self.Status.DELAYED,
            self.Status.CANCELLING,
        )

    @property
    def state(self):
        """The console's status icon for it."""
        if not self.has_ended:
            return "in-progress"
        return "succeeded" if self.status == self.Status.SUCCESS else "failed"

    def record(self, invocation):
        """Keep what GetCommandInvocation said; the output only once the command has ended."""
        self.status = invocation.status
        if invocation.has_ended:
            self.response_code = invocation.response_code
            self.output = invocation.stdout
            self.error_output = invocation.stderr
        self.save(update_fields=["status", "response_code", "output", "error_output"])
