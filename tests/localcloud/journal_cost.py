"""What keeping a change costs the local cloud, beside one account and beside a class of thirty.

The calls are made in-process and kept as the server keeps them: the backends each call uses
are noted, then the state dir pictures them and fsyncs the picture before the call returns.
The time and bytes of that keeping are what each call waits for; a whole-cloud snapshot is what
each call would wait for if every write saved everything.
"""

import json
import statistics
import threading
import time
from dataclasses import dataclass

import boto3
from moto.core import DEFAULT_ACCOUNT_ID

from clusters.plan import EC2_TRUST_POLICY
from clusters.stack_template import ECS_INSTANCE_ROLE_POLICY
from localcloud import journal, persistence
from localcloud.agent import EcsAgentEmulator
from localcloud.server import READ_PREFIXES

from .cloud import REGION, console_stack_template, recommended

CLASS_SIZE = 30


@dataclass(frozen=True)
class Kept:
    """One call that changed the cloud, and what keeping its change cost."""

    call: str
    milliseconds: float
    bytes: int


@dataclass(frozen=True)
class Costs:
    accounts: int
    kept: tuple

    @property
    def median_milliseconds(self):
        return statistics.median(k.milliseconds for k in self.kept)

    @property
    def slowest(self):
        return max(self.kept, key=lambda k: k.milliseconds)

    def report(self):
        lines = [f"Keeping each change of a console's cluster beside {self.accounts} account(s):"]
        lines += [
            f"  {k.call:<40} {k.milliseconds:7.1f} ms {k.bytes / 1e3:9.1f} kB" for k in self.kept
        ]
        lines.append(
            f"  median {self.median_milliseconds:.1f} ms; slowest {self.slowest.call}, "
            f"{self.slowest.milliseconds:.1f} ms"
        )
        return "\n".join(lines)


class KeptCloud:
    """boto3 clients of the in-process cloud whose every call is kept, as the server keeps it.

    Calls go to the account `current` names (moto reads the x-moto-account-id header); an
    agent made from `session` calls the same way. Calls are kept in the state dir `keep_in`
    opened, and not kept at all while none is open.
    """

    def __init__(self):
        persistence.install()
        self.state = None
        self.current = DEFAULT_ACCOUNT_ID
        self.kept = []
        self.session = boto3.session.Session(region_name=REGION)
        events = self.session.events
        events.register("before-sign", self._name_account)
        events.register("before-call", self._note)
        events.register("after-call", self._keep)
        events.register("after-call-error", self._keep)
        for service in ("ecs", "ec2", "ssm", "iam", "autoscaling", "cloudformation"):
            setattr(self, service, self.session.client(service))

    def keep_in(self, path):
        """Keep calls in a new state dir at path (None: keep them nowhere).

        The backends moto holds when it opens count as kept already, as if the dir had
        restored them: what a change costs does not depend on what the dir holds before it.
        """
        if self.state is not None:
            self.state.close()
            self.state = None
        if path is not None:
            # It must not compact while it is measured.
            self.state = journal.StateDir(path, threading.RLock(), compact_after=2**40)
            self.state.restore()

    def _name_account(self, request, **kwargs):
        request.headers["x-moto-account-id"] = self.current

    def _note(self, **kwargs):
        # As the server serves a request: under the lock, noting the backends it uses...
        if self.state is None:
            return
        self.state.lock.acquire()
        self._noting = persistence.noting_backends()
        self._used = self._noting.__enter__()

    def _keep(self, model=None, **kwargs):
        # ...then keeping what it changed before the answer leaves (a call that failed
        # without an answer, with no model, may have changed anything).
        if self.state is None:
            return
        self._noting.__exit__(None, None, None)
        try:
            changed = model is None or not model.name.startswith(READ_PREFIXES)
            before = self.state.journal_bytes
            started = time.perf_counter()
            self.state.keep(self._used, changed)
            elapsed = (time.perf_counter() - started) * 1000
        finally:
            self.state.lock.release()
        if model is not None and changed:
            name = f"{model.service_model.service_name} {model.name}"
            self.kept.append(Kept(name, elapsed, self.state.journal_bytes - before))

    def open_account(self):
        """The account as the console finds it: every service it calls has answered once."""
        self.ecs.list_clusters()
        self.ec2.describe_vpcs()
        recommended(self)
        self.cloudformation.list_stacks()
        self.autoscaling.describe_auto_scaling_groups()
        self.iam.list_roles()

    def create_cluster(self, name):
        """The console's Create: cluster, instance role, stack; then the agent registers."""
        self.ecs.create_cluster(clusterName=name)
        role = f"{name}-instance-role"
        self.iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(EC2_TRUST_POLICY))
        self.iam.attach_role_policy(RoleName=role, PolicyArn=ECS_INSTANCE_ROLE_POLICY)
        self.cloudformation.create_stack(
            StackName=f"EC2ContainerService-{name}",
            TemplateBody=console_stack_template(name, recommended(self)["image_id"]),
            Parameters=[{"ParameterKey": "AsgMaxSize", "ParameterValue": "2"}],
        )
        EcsAgentEmulator([REGION], session=self.session).sync()

    def scale_and_delete_cluster(self, name):
        """The console's Scale ECS Instances to one, then Delete Cluster."""
        stack = f"EC2ContainerService-{name}"
        self.cloudformation.update_stack(
            StackName=stack,
            UsePreviousTemplate=True,
            Parameters=[{"ParameterKey": "AsgMaxSize", "ParameterValue": "1"}],
        )
        self.cloudformation.delete_stack(StackName=stack)
        self.ecs.delete_cluster(cluster=name)

    def open_class(self, size):
        """Accounts, each with the lab's cluster, until `size` accounts are open."""
        opened = {key.account for key in persistence.backends()}
        for number in range(len(opened), size):
            self.current = f"{100000000000 + number}"
            self.open_account()
            self.create_cluster("demo-cluster")
        self.current = DEFAULT_ACCOUNT_ID


def measure(cloud, state_dir, class_size):
    """What keeping each call of a cluster's Create, Scale and Delete costs beside a class.

    The class's other accounts are made without keeping them, which is quicker: the cost of
    keeping a change does not depend on what the state dir holds already.
    """
    cloud.keep_in(None)
    cloud.open_class(class_size)
    cloud.keep_in(state_dir)
    cloud.open_account()
    cloud.kept = []
    name = f"measured-beside-{class_size}"
    cloud.create_cluster(name)
    cloud.scale_and_delete_cluster(name)
    cloud.keep_in(None)
    return Costs(class_size, tuple(cloud.kept))


def whole_snapshot():
    """What saving the whole cloud once costs, as each write did before the journal: ms, bytes."""
    everything = persistence.backends()
    started = time.perf_counter()
    data = persistence.picture(everything, {id(b): k for k, b in everything.items()})
    return (time.perf_counter() - started) * 1000, len(data)
