"""What people ask of their clusters (create, scale, delete) and the progress of each resource, as rows."""

import uuid
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from .aws import Person, current_person
from .configuration import ClusterConfiguration, DeleteRequest, ResetRequest, ScaleRequest
from .stack_template import LogicalId, stack_name_for


class Template(models.TextChoices):
    NETWORKING_ONLY = "fargate", "Networking only"
    EC2_LINUX = "ec2-linux", "EC2 Linux + Networking"
    EC2_WINDOWS = "ec2-windows", "EC2 Windows + Networking"


# The Launch status page's Cluster Resources, in the console's order: the stack's logical id
# behind each row that the stack makes (None: the zones its subnets are in).
STACK_RESOURCE_ROWS = [
    ("VPC", LogicalId.VPC),
    ("Subnet 1", LogicalId.SUBNET_1),
    ("Subnet 1 route table association", LogicalId.SUBNET_1_ROUTE_TABLE_ASSOCIATION),
    ("Subnet 2", LogicalId.SUBNET_2),
    ("Subnet 2 route table association", LogicalId.SUBNET_2_ROUTE_TABLE_ASSOCIATION),
    ("VPC Availability Zones", None),
    ("Security group", LogicalId.SECURITY_GROUP),
    ("Internet gateway", LogicalId.INTERNET_GATEWAY),
    ("Route table", LogicalId.ROUTE_TABLE),
    ("Amazon EC2 route", LogicalId.ROUTE),
    ("Virtual private gateway attachment", LogicalId.GATEWAY_ATTACHMENT),
    ("Launch template", LogicalId.LAUNCH_TEMPLATE),
    ("Auto Scaling group", LogicalId.AUTO_SCALING_GROUP),
]


class OperationQuerySet(models.QuerySet):
    def launches(self):
        return self.filter(action=Operation.Action.CREATE)

    def in_account(self, account_id):
        """Operations asked in one AWS account (a value, or an expression such as
        AwsIdentity.objects.account_of(user)): nobody sees another account's."""
        return self.filter(account_id=account_id)

    def seen_by(self, user, account_id):
        """What a person may follow: their account's operations, and those they started in
        another's (a trainer's Reset of a learner, in the learner's account)."""
        return self.filter(Q(account_id=account_id) | Q(created_by=user))

    def for_cluster(self, account_id, region, cluster_name):
        return self.filter(account_id=account_id, region=region, cluster_name=cluster_name)

    def in_region(self, account_id, region):
        return self.filter(account_id=account_id, region=region)

    def unfinished(self):
        """Operations running, or queued behind one that is."""
        return self.filter(state__in=[Operation.State.QUEUED, Operation.State.RUNNING])

    def conflicting_with(self, operation):
        """The operations of its account that `operation` may not run beside: those on its
        cluster, and every one when either cleans up the whole account (a clean-up beside a
        create would remove what the create is still making, or miss what it makes next)."""
        others = self.filter(account_id=operation.account_id).exclude(pk=operation.pk)
        if operation.action == Operation.Action.RESET:
            return others
        return others.filter(
            Q(region=operation.region, cluster_name=operation.cluster_name)
            | Q(action=Operation.Action.RESET)
        )

    def holding_back(self, operation):
        """What a queued operation waits for: each unfinished one asked before it (a lower
        number) that it conflicts with. Operations start in the order they were asked."""
        return self.conflicting_with(operation).unfinished().filter(pk__lt=operation.pk)

    def start_those_due(self, account_id):
        """Start each queued operation of the account that nothing holds back any longer, and
        return them, for their first steps to be sent."""
        started = []
        with transaction.atomic():
            lock_account(account_id)
            queued = self.filter(account_id=account_id, state=Operation.State.QUEUED)
            for operation in queued.order_by("pk"):
                if not self.holding_back(operation).exists():
                    operation.state = Operation.State.RUNNING
                    operation.save(update_fields=["state"])
                    started.append(operation)
        return started

    def running(self):
        return self.filter(state=Operation.State.RUNNING)

    def with_steps(self, pk):
        """The operation numbered pk with its steps, in one query (the status poll's budget is
        the session, the user and this), or None; only among this queryset's operations."""
        steps = list(
            Step.objects.filter(operation_id=pk, operation__in=self).select_related("operation")
        )
        if not steps:
            return None  # every operation is recorded with its steps: there is none
        operation = steps[0].operation
        for step in steps:
            step.operation = operation
        # Filled as prefetch_related("steps") fills it (django.db.models.query.
        # prefetch_one_level), from the rows already read instead of a second query.
        cached = operation.steps.get_queryset()
        cached._result_cache = steps
        cached._prefetch_done = True
        operation._prefetched_objects_cache = {"steps": cached}
        return operation

    def submit(self, action, cluster_name, region, user, request, template=""):
        """Record what a person asked of a cluster (a typed request: ClusterConfiguration,
        ScaleRequest or DeleteRequest) with one pending row for each resource it will touch.

        One operation runs on a cluster at a time: asked while another runs, it is queued and
        starts when that one ends. Asked again while the same is still on its way (a double
        submit), nothing new is recorded: the submission names the operation already there.
        The database's constraints decide between two requests that arrive together.
        It is recorded in the account of the person the console acts for, with their role, which
        the workers assume to run its steps.
        """
        person = current_person()
        for _ in range(2):
            try:
                with transaction.atomic():
                    lock_account(person.account_id)
                    pending = self.for_cluster(person.account_id, region, cluster_name).unfinished()
                    same = pending.filter(action=action).first()
                    if same is not None:
                        return Submission(same, is_new=False)
                    operation = Operation(
                        action=action,
                        template=template,
                        cluster_name=cluster_name,
                        region=region,
                        account_id=person.account_id,
                        role_arn=person.role_arn,
                        config=request.to_json(),
                        created_by=user,
                    )
                    if self.conflicting_with(operation).unfinished().exists():
                        operation.state = Operation.State.QUEUED
                    operation.save(force_insert=True)
                    for position, kind in enumerate(operation.planned_step_kinds()):
                        operation.steps.create(kind=kind, position=position)
                return Submission(operation, is_new=True)
            except IntegrityError:
                continue  # another request recorded one first: look again at what is there
        raise RuntimeError(f"Could not record an operation on {cluster_name} in {region}")


class Operation(models.Model):
    """One thing a person asked of a cluster (create, scale, delete), kept with who asked.

    A create keeps the whole configuration as the form cleaned it, so nothing typed is lost
    whatever happens to the worker, Redis or AWS afterwards.
    """

    class Action(models.TextChoices):
        CREATE = "create", "Create cluster"
        SCALE = "scale", "Scale ECS Instances"
        DELETE = "delete", "Delete cluster"
        # Over a whole account: its cluster_name and region are ACCOUNT_WIDE.
        RESET = "reset", "Clean up account"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        ENDED = "ended", "Ended"

    action = models.CharField(max_length=10, choices=Action.choices, default=Action.CREATE)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    template = models.CharField(max_length=20, choices=Template.choices, blank=True)
    cluster_name = models.CharField(max_length=255)
    region = models.CharField(max_length=32)
    # The account it acts in and the role its steps are run with (the person who asked's).
    account_id = models.CharField(max_length=12)
    role_arn = models.CharField(max_length=2048)
    config = models.JSONField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = OperationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # What makes "one operation on a cluster at a time" hold when two requests race.
            # Each account's demo-cluster is its own: a cluster is named within its account.
            models.UniqueConstraint(
                fields=["account_id", "region", "cluster_name"],
                condition=Q(state="running"),
                name="one_running_operation_per_cluster",
            ),
            models.UniqueConstraint(
                fields=["account_id", "region", "cluster_name", "action"],
                condition=Q(state__in=["queued", "running"]),
                name="one_pending_operation_of_an_action_per_cluster",
            ),
        ]

    def __str__(self):
        if self.action == self.Action.RESET:
            return f"clean-up of account {self.account_id}"
        return f"{self.cluster_name} ({self.region})"

    def end(self):
        """Mark the running operation ended and start what was queued behind it. Returns those
        operations, for their first steps to be sent. Safe to call twice: only the call that
        ends it starts the others."""
        with transaction.atomic():
            lock_account(self.account_id)
            ended = Operation.objects.filter(pk=self.pk, state=self.State.RUNNING).update(
                state=self.State.ENDED, ended_at=timezone.now()
            )
            if not ended:
                return []
            return Operation.objects.start_those_due(self.account_id)

    @property
    def runs_behind(self):
        """The operation this queued one waits for, or None: the first asked of those holding it
        back (operations start in the order asked, so that one is the next to end)."""
        if self.state != self.State.QUEUED:
            return None
        return Operation.objects.holding_back(self).order_by("pk").first()

    @property
    def person(self):
        """Who its steps act for: the person who asked, through the role recorded with it."""
        return Person(self.created_by.get_username(), self.role_arn)

    def get_absolute_url(self):
        return reverse("clusters:operation", args=[self.pk])

    @property
    def reset_title(self):
        """What a reset's page is called: a trainer's Reset of a learner, or a person's own
        Clean up (read on the whole page only: the poll's query budget has no user in it)."""
        owner = self.request.owner
        if self.created_by.get_username() == owner:
            return f"Clean up account {owner}"
        return f"Reset {owner}"

    @property
    def request(self):
        """What the person asked, as the typed value the action takes."""
        return REQUEST_TYPES[self.action].from_json(self.config)

    @property
    def request_token(self):
        """The ClientRequestToken of this operation's stack calls: a retried call is one call."""
        return f"ecs-console-{self.pk}"

    def planned_step_kinds(self):
        Kind = Step.Kind
        request = self.request
        if self.action == self.Action.SCALE:
            return [Kind.SCALE]
        if self.action == self.Action.RESET:
            # Stacks first: each takes its Auto Scaling group's instances and its network with
            # it; then what is left of the instances, the clusters they leave, and what the
            # instances started with.
            return [
                Kind.RESET_STACKS,
                Kind.RESET_INSTANCES,
                Kind.RESET_CLUSTERS,
                Kind.RESET_KEY_PAIRS,
                Kind.RESET_INSTANCE_ROLE,
            ]
        if self.action == self.Action.DELETE:
            # The stack is always looked for (a no-op when there is none): a delete asked while
            # the create was still making it must not leave it behind.
            return [Kind.DELETE_STACK, Kind.DELETE_CLUSTER]
        kinds = [Kind.CLUSTER]
        if request.instances:
            kinds.append(Kind.INSTANCE_ROLE)
        if request.makes_stack:
            kinds.append(Kind.STACK)
        if request.instances and request.instances.count:
            kinds.append(Kind.INSTANCES)
        return kinds

    @property
    def stack_name(self):
        return stack_name_for(self.cluster_name)

    @property
    def ordered_steps(self):
        return sorted(self.steps.all(), key=lambda step: step.position)

    @property
    def has_failed(self):
        return any(step.state == Step.State.FAILED for step in self.steps.all())

    @property
    def has_ended(self):
        """Every step succeeded, or one failed: the steps after a failure never start."""
        return self.has_failed or self.has_succeeded

    @property
    def has_succeeded(self):
        return all(step.state == Step.State.SUCCEEDED for step in self.steps.all())

    @property
    def outcome(self):
        """How it went, in the words of the history lists."""
        if self.has_failed:
            return "Failed"
        if self.has_succeeded:
            return "Succeeded"
        return self.get_state_display() if self.state == self.State.QUEUED else "In progress"

    def cluster_resources(self):
        """(label, value) rows of what the launch made, once the stack has said what it made."""
        stack = next((s for s in self.steps.all() if s.kind == Step.Kind.STACK), None)
        if stack is None or stack.state != Step.State.SUCCEEDED:
            return []
        rows = []
        instances = self.request.instances
        if instances:
            rows += [
                ("Instance type", ", ".join(instances.instance_types)),
                ("Desired number of instances", instances.count),
                ("Key pair", instances.key_name or "None"),
                ("ECS AMI ID", instances.ami_display),
            ]
        made = stack.outputs.get("resources", {})
        for label, logical_id in STACK_RESOURCE_ROWS:
            if logical_id is None:
                zones = stack.outputs.get("availability_zones")
                if zones:
                    rows.append((label, ", ".join(zones)))
            elif logical_id in made:
                rows.append((label, made[logical_id]))
        return rows

    def step(self, kind):
        return next(step for step in self.steps.all() if step.kind == kind)

    def step_after(self, step):
        later = [s for s in self.ordered_steps if s.position > step.position]
        return later[0] if later else None


class Submission(NamedTuple):
    operation: Operation
    is_new: bool


REQUEST_TYPES = {
    Operation.Action.CREATE: ClusterConfiguration,
    Operation.Action.SCALE: ScaleRequest,
    Operation.Action.DELETE: DeleteRequest,
    Operation.Action.RESET: ResetRequest,
}

# An operation over a whole account has no one cluster or region: its cluster_name and region
# are empty, so "one running at a time" holds per account, as for a cluster.
ACCOUNT_WIDE = ""


def lock_account(account_id):
    """Take, until the transaction ends, the lock that decides which of an account's operations
    run, so that two requests (or a request and an ending) never decide from the same picture.
    PostgreSQL: a transaction-level advisory lock on the account's number. SQLite: its
    IMMEDIATE transactions (settings) already hold the database's one write lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(account_id)])


class StackEvent(NamedTuple):
    """One event of a CloudFormation stack, as DescribeStackEvents tells it."""

    timestamp: datetime
    logical_id: str
    resource_type: str
    status: str
    reason: str = ""

    @classmethod
    def from_aws(cls, event):
        return cls(
            timestamp=event["Timestamp"],
            logical_id=event["LogicalResourceId"],
            resource_type=event.get("ResourceType", ""),
            status=event["ResourceStatus"],
            reason=event.get("ResourceStatusReason", ""),
        )

    def to_json(self):
        return {**self._asdict(), "timestamp": self.timestamp.isoformat()}

    @classmethod
    def from_json(cls, data):
        return cls(**{**data, "timestamp": datetime.fromisoformat(data["timestamp"])})

    @property
    def state(self):
        """The status icon's state for this event."""
        if self.status.endswith("FAILED"):
            return Step.State.FAILED
        if self.status.endswith("IN_PROGRESS"):
            return Step.State.IN_PROGRESS
        return Step.State.SUCCEEDED


class LaunchedInstance(NamedTuple):
    """An instance of the cluster's Auto Scaling group, by id, with its EC2 state."""

    instance_id: str
    state: str


class Outcome(models.TextChoices):
    REMOVED = "removed", "Removed"
    REMOVING = "removing", "Being removed"
    LEFT_ALONE = "left-alone", "Left alone"
    FAILED = "failed", "Not removed"


class CleanedResource(NamedTuple):
    """One resource a clean-up step found, and what became of it: AWS's reason when it failed,
    or why it was left alone."""

    kind: str
    name: str
    region: str
    outcome: Outcome
    reason: str = ""
    # What AWS knows it by, where its name is not enough (a stack's id outlives its deletion).
    resource_id: str = ""

    def to_json(self):
        return self._asdict()

    @classmethod
    def from_json(cls, data):
        return cls(**{**data, "outcome": Outcome(data["outcome"])})

    @property
    def state(self):
        """The status icon's state for this resource."""
        return {
            Outcome.REMOVED: Step.State.SUCCEEDED,
            Outcome.REMOVING: Step.State.IN_PROGRESS,
            Outcome.FAILED: Step.State.FAILED,
        }.get(self.outcome)  # left alone: no icon, its words say why


class StepQuerySet(models.QuerySet):
    def unfinished(self):
        return self.filter(state__in=[Step.State.PENDING, Step.State.IN_PROGRESS])

    def unclaimed(self, now=None):
        now = now or timezone.now()
        return self.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))

    def ready_to_run(self, now=None):
        """Unfinished, unclaimed steps of running operations, due now, whose earlier steps
        have all succeeded."""
        now = now or timezone.now()
        blocked = Step.objects.filter(
            operation=models.OuterRef("operation"), position__lt=models.OuterRef("position")
        ).exclude(state=Step.State.SUCCEEDED)
        return (
            self.unfinished()
            .unclaimed(now)
            .filter(operation__state=Operation.State.RUNNING)
            .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
            .exclude(models.Exists(blocked))
        )


class Step(models.Model):
    """One resource an operation touches, as the Launch status page shows it."""

    class Kind(models.TextChoices):
        CLUSTER = "cluster", "ECS cluster"
        INSTANCE_ROLE = "instance-role", "ECS Instance IAM Policy"
        STACK = "stack", "CloudFormation Stack"
        SCALE = "scale", "Auto Scaling group"
        DELETE_STACK = "delete-stack", "CloudFormation Stack"
        DELETE_CLUSTER = "delete-cluster", "ECS cluster"
        INSTANCES = "instances", "ECS Instances"
        RESET_STACKS = "reset-stacks", "CloudFormation stacks"
        RESET_INSTANCES = "reset-instances", "EC2 instances"
        RESET_CLUSTERS = "reset-clusters", "ECS clusters"
        RESET_KEY_PAIRS = "reset-key-pairs", "Key pairs"
        RESET_INSTANCE_ROLE = "reset-instance-role", "ECS Instance IAM role"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        IN_PROGRESS = "in-progress", "In progress"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    # A worker holds the step it runs for this long, and renews the lease while it runs
    # (tasks.keeping_the_lease): if the worker dies, the step is free again this soon.
    LEASE_SECONDS = 15

    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    position = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    message = models.TextField(blank=True)
    outputs = models.JSONField(default=dict, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    # Which claim holds the lease: only its holder may renew it.
    claim_token = models.CharField(max_length=32, blank=True)
    # When a released step is next due (a stack being built is looked at again later).
    not_before = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StepQuerySet.as_manager()

    class Meta:
        ordering = ["operation", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["operation", "kind"], name="one_step_of_a_kind_per_operation"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.get_state_display()}"

    @property
    def has_ended(self):
        return self.state in (self.State.SUCCEEDED, self.State.FAILED)

    @property
    def stack_events(self):
        """The latest events of the stack this step waits on, newest first, as the worker last
        read them."""
        return [StackEvent.from_json(event) for event in self.outputs.get("stack_events", [])]

    @property
    def cleaned(self):
        """What a clean-up step found, each with what became of it, as it last recorded."""
        return [CleanedResource.from_json(item) for item in self.outputs.get("cleaned", [])]

    @property
    def unregistered_instances(self):
        """The instances not registered when this step last looked (while it waits, or when it
        stopped waiting for them)."""
        return [
            LaunchedInstance(**instance) for instance in self.outputs.get("unregistered", [])
        ]

    @property
    def ended_short(self):
        """Ended, with fewer instances registered than desired: a warning, not a failure."""
        return self.state == self.State.SUCCEEDED and bool(self.outputs.get("unregistered"))

    def claim(self):
        """Take the step for this worker; False when another holds it or it has ended."""
        now = timezone.now()
        token = uuid.uuid4().hex
        claimed = (
            Step.objects.filter(pk=self.pk)
            .unfinished()
            .unclaimed(now)
            .update(
                state=self.State.IN_PROGRESS,
                claimed_until=now + timedelta(seconds=self.LEASE_SECONDS),
                claim_token=token,
                not_before=None,
                started_at=Coalesce("started_at", now),
                updated_at=now,
            )
        )
        if claimed == 1:
            self.refresh_from_db()
        return claimed == 1

    def renew_lease(self):
        """Keep holding the step while it runs; False when the lease was lost or it ended."""
        renewed = (
            Step.objects.filter(pk=self.pk, claim_token=self.claim_token)
            .unfinished()
            .update(claimed_until=timezone.now() + timedelta(seconds=self.LEASE_SECONDS))
        )
        return renewed == 1

    def mark_in_progress(self, message, **outputs):
        """Say what the step is doing now; the worker keeps its claim."""
        self._record(self.State.IN_PROGRESS, message, outputs)

    def release(self, due_in=None):
        """Hand the unfinished step back, due again in due_in seconds (or now)."""
        self._let_go(due_in)
        self.save(update_fields=["claimed_until", "claim_token", "not_before", "updated_at"])

    def mark_waiting(self, message, due_in=None):
        self._record(self.State.IN_PROGRESS, message, {}, release=True, due_in=due_in)

    def mark_succeeded(self, message, **outputs):
        self._record(self.State.SUCCEEDED, message, outputs, release=True, ended=True)

    def mark_failed(self, reason, **outputs):
        self._record(self.State.FAILED, reason, outputs, release=True, ended=True)

    def _let_go(self, due_in=None):
        self.claimed_until = None
        self.claim_token = ""
        self.not_before = timezone.now() + timedelta(seconds=due_in) if due_in else None

    def _record(self, state, message, outputs, release=False, ended=False, due_in=None):
        self.state = state
        self.message = message
        self.outputs = {**self.outputs, **outputs}
        fields = ["state", "message", "outputs", "updated_at"]
        # The lease is written only when let go: while the step runs, the heartbeat renews it
        # in the database, and this copy of it is out of date.
        if release:
            self._let_go(due_in)
            fields += ["claimed_until", "claim_token", "not_before"]
        if ended:
            self.finished_at = timezone.now()
            fields.append("finished_at")
        self.save(update_fields=fields)


class DeregistrationQuerySet(models.QuerySet):
    def for_cluster(self, account_id, region, cluster_name):
        return self.filter(account_id=account_id, region=region, cluster_name=cluster_name)

    def ec2_instance_ids(self):
        return frozenset(self.values_list("ec2_instance_id", flat=True))


class Deregistration(models.Model):
    """A container instance a person took out of a cluster with Deregister, kept with who did it.

    Its EC2 instance keeps running and its agent does not register it again: the ECS Instances
    tab reads these rows to tell that steady state from an agent that is still starting.
    """

    account_id = models.CharField(max_length=12)
    region = models.CharField(max_length=32)
    cluster_name = models.CharField(max_length=255)
    container_instance_arn = models.CharField(max_length=255)
    ec2_instance_id = models.CharField(max_length=32, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(default=timezone.now)

    objects = DeregistrationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["account_id", "region", "cluster_name"])]

    def __str__(self):
        return f"{self.container_instance_arn} out of {self.cluster_name} ({self.region})"
