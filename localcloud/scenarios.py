"""Failure scenarios: what goes wrong on AWS, switched on in the local cloud for one account,
region and cluster name (or every cluster), so a learner can practise finding the cause.

Each scenario makes the local cloud behave as AWS does when that thing goes wrong; the console
is never told. The switches are kept in `scenarios.json` in the state dir (with `--state-dir`),
written before the switch answers, and served at `/_localcloud/scenarios` (a form, and JSON for
`python -m localcloud scenario …`).
"""

import argparse
import base64
import binascii
import html
import json
import os
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import StrEnum

PATH = "/_localcloud/scenarios"
STATE_FILE = "scenarios.json"
ALL_CLUSTERS = "*"
DEFAULT_ACCOUNT = "123456789012"  # moto's, which any access key maps to unless told otherwise
DEFAULT_REGION = "us-east-1"
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_CLUSTER = re.compile(r"^(\*|[A-Za-z0-9_-]{1,255})$")


class Scenario(StrEnum):
    NO_ROUTE_TO_ECS = "no-route-to-ecs"
    INSTANCE_ROLE_WITHOUT_ECS_POLICY = "instance-role-without-ecs-policy"
    STACK_RESOURCE_FAILS = "stack-resource-fails"
    AGENT_DISCONNECTS = "agent-disconnects"
    INSTANCE_DRAINED = "instance-drained"
    INSUFFICIENT_CAPACITY = "insufficient-capacity"


DESCRIPTIONS = {
    Scenario.NO_ROUTE_TO_ECS: "Instances run but have no route to ECS: they launch without a "
    "public IP, and their subnet has no NAT. Their agent never registers, and SSM cannot reach "
    "them either.",
    Scenario.INSTANCE_ROLE_WITHOUT_ECS_POLICY: "The instance role lacks "
    "AmazonEC2ContainerServiceforEC2Role: RegisterContainerInstance is denied, as the agent's "
    "log says.",
    Scenario.STACK_RESOURCE_FAILS: "The cluster's stack fails on its security group (or the "
    "resource named) with AWS's limit error, then rolls back.",
    Scenario.AGENT_DISCONNECTS: "The agent of each registered instance disconnects "
    "(agentConnected false) and stays so while the scenario is on.",
    Scenario.INSTANCE_DRAINED: "Each registered container instance is set to DRAINING.",
    Scenario.INSUFFICIENT_CAPACITY: "The Auto Scaling group cannot launch its instance type in "
    "one Availability Zone (the group's first, or the zone named).",
}

# The options a scenario takes besides where it applies.
OPTIONS = {
    Scenario.STACK_RESOURCE_FAILS: ("resource",),
    Scenario.INSUFFICIENT_CAPACITY: ("zone",),
}


class SwitchError(ValueError):
    """A switch that names no scenario, or an account, region or cluster that cannot be."""


@dataclass(frozen=True)
class Switch:
    """One scenario switched on where it applies."""

    scenario: Scenario
    account: str
    region: str
    cluster: str = ALL_CLUSTERS
    options: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self):
        return (self.scenario, self.account, self.region, self.cluster)

    def applies_to(self, account, region, cluster):
        return (
            self.account == account
            and self.region == region
            and self.cluster in (ALL_CLUSTERS, cluster)
        )

    def to_json(self):
        return {
            "scenario": str(self.scenario),
            "account": self.account,
            "region": self.region,
            "cluster": self.cluster,
            "options": dict(self.options),
        }

    @classmethod
    def from_json(cls, data):
        """A switch from what a form, the CLI or the state file says; SwitchError if invalid."""
        try:
            scenario = Scenario(data.get("scenario", ""))
        except ValueError:
            known = ", ".join(s.value for s in Scenario)
            raise SwitchError(f"unknown scenario {data.get('scenario')!r}: one of {known}")
        # As ECS Console's top bar shows it (1234-5678-9012) or as AWS writes it.
        account = (data.get("account") or DEFAULT_ACCOUNT).strip().replace("-", "")
        region = (data.get("region") or DEFAULT_REGION).strip()
        cluster = (data.get("cluster") or ALL_CLUSTERS).strip()
        if not _ACCOUNT.match(account):
            raise SwitchError(f"account {account!r} is not 12 digits")
        if not _REGION.match(region):
            raise SwitchError(f"region {region!r} is not a region name")
        if not _CLUSTER.match(cluster):
            raise SwitchError(f"cluster {cluster!r} is not a cluster name (or * for all)")
        given = data.get("options") or {}
        options = {
            name: str(given[name]).strip()
            for name in OPTIONS.get(scenario, ())
            if str(given.get(name) or "").strip()
        }
        return cls(scenario, account, region, cluster, options)


class Switchboard:
    """The switches that are on, kept in a JSON file when the cloud has a state dir."""

    def __init__(self):
        self._lock = threading.Lock()
        self._switches = {}
        self._path = None

    def load(self, state_dir):
        """Read the switches kept in `state_dir` (none without one)."""
        with self._lock:
            self._switches = {}
            self._path = os.path.join(state_dir, STATE_FILE) if state_dir else None
            if self._path and os.path.exists(self._path):
                with open(self._path, encoding="utf-8") as kept:
                    for data in json.load(kept):
                        switch = Switch.from_json(data)
                        self._switches[switch.key] = switch

    def switch_on(self, switch):
        with self._lock:
            self._switches[switch.key] = switch
            self._save()

    def switch_off(self, switch):
        """Switch off the scenario where `switch` says; whether it was on."""
        with self._lock:
            found = self._switches.pop(switch.key, None)
            self._save()
            return found is not None

    def switches(self):
        with self._lock:
            return sorted(self._switches.values(), key=lambda s: s.key)

    def find(self, scenario, account, region, cluster):
        """The switch of `scenario` that applies to this cluster (its own before all's)."""
        with self._lock:
            return self._switches.get(
                (scenario, account, region, cluster)
            ) or self._switches.get((scenario, account, region, ALL_CLUSTERS))

    def clear(self):
        with self._lock:
            self._switches = {}
            self._save()

    def _save(self):
        if not self._path:
            return
        partial = self._path + ".partial"
        with open(partial, "w", encoding="utf-8") as out:
            json.dump([s.to_json() for s in self._switches.values()], out, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, self._path)


SWITCHBOARD = Switchboard()


def is_on(scenario, account, region, cluster):
    return SWITCHBOARD.find(scenario, account, region, cluster) is not None


def install():
    """Hook the scenarios into moto where they act (the other hooks are calls from agent.py,
    ec2.py, ecs.py, host.py and autoscaling.py, which hold the seams)."""
    from moto.cloudformation import parsing

    from ._patching import wrap

    wrap(parsing, "parse_resource_and_generate_name", _parse_resource_and_generate_name)


# ------------------------------------------------------------------ the instance's side


def _cluster_of_instance(instance):
    """The cluster an instance's agent joins, from its user data ("default" when none)."""
    from .agent import cluster_from_user_data
    from .host import _decoded_user_data

    return cluster_from_user_data(_decoded_user_data(instance)) or "default"


def launched(backend, instances):
    """What a scenario makes of instances as EC2 launches them. With no route to ECS they have
    no public IPv4 address: in a subnet whose route to the internet is an internet gateway, an
    instance without one cannot reach the ECS and SSM endpoints (VPC user guide, "Enable
    internet access for a VPC using an internet gateway"), and its page shows why."""
    for instance in instances:
        cluster = _cluster_of_instance(instance)
        if agent_reaches_ecs(backend.account_id, backend.region_name, cluster):
            continue
        for interface in instance.nics.values():
            interface.public_ip_auto_assign = False  # nor at its next start
            interface.public_ip = None


def agent_reaches_ecs(account, region, cluster):
    """Whether the agent of an instance joining `cluster` can reach ECS's endpoint."""
    return not is_on(Scenario.NO_ROUTE_TO_ECS, account, region, cluster)


def agent_stays_disconnected(account, region, cluster):
    """Whether a disconnected agent must not connect again (agent-disconnects is on)."""
    return is_on(Scenario.AGENT_DISCONNECTS, account, region, cluster)


def ssm_reaches(account, region, instance):
    """Whether SSM can reach the instance's SSM Agent: not without a route out, as the ECS
    agent cannot either (both need the public endpoints, or VPC endpoints)."""
    return agent_reaches_ecs(account, region, _cluster_of_instance(instance))


def registration_error(account, region, instance):
    """What the agent's RegisterContainerInstance failed with, for its log, or None.

    The no-route error is the agent's ECS client timing out (5 s round trip, aws/amazon-ecs-agent
    `agent/api/ecsclient/client.go`); the Go wording of that timeout is inferred (aws-facts §7).
    """
    cluster = _cluster_of_instance(instance)
    if not agent_reaches_ecs(account, region, cluster):
        return (
            f'RequestError: send request failed\ncaused by: Post "https://ecs.{region}.'
            'amazonaws.com/": net/http: request canceled while waiting for connection '
            "(Client.Timeout exceeded while awaiting headers)"
        )
    if is_on(Scenario.INSTANCE_ROLE_WITHOUT_ECS_POLICY, account, region, cluster):
        return (
            f"AccessDeniedException: {_access_denied_message(account, region, cluster, instance)}"
            f"\n\tstatus code: 400, request id: {uuid.uuid4()}"
        )
    return None


def _access_denied_message(account, region, cluster, instance):
    """AWS's AccessDenied wording for the instance role's session (aws/amazon-ecs-agent#3812;
    the role session of an instance profile is named for the instance)."""
    role = _instance_role_name(account, region, instance) or "ecsInstanceRole"
    return (
        f"User: arn:aws:sts::{account}:assumed-role/{role}/{instance.id} is not authorized to "
        f"perform: ecs:RegisterContainerInstance on resource: "
        f"arn:aws:ecs:{region}:{account}:cluster/{cluster}"
    )


def _instance_role_name(account, region, instance):
    from moto.ec2.models import ec2_backends

    association = ec2_backends[account][region].iam_instance_profile_associations.get(instance.id)
    roles = association.iam_instance_profile.roles if association else []
    return roles[0].name if roles else None


# ------------------------------------------------------------------ ECS's side


def refuse_registration(backend, cluster_name, ec2_instance_id):
    """RegisterContainerInstance as ECS answers a role without ecs:RegisterContainerInstance."""
    account, region = backend.account_id, backend.region_name
    if not is_on(Scenario.INSTANCE_ROLE_WITHOUT_ECS_POLICY, account, region, cluster_name):
        return
    from moto.core.exceptions import JsonRESTError
    from moto.ec2.models import ec2_backends

    instance = ec2_backends[account][region].get_instance(ec2_instance_id)
    raise JsonRESTError(
        "AccessDeniedException", _access_denied_message(account, region, cluster_name, instance)
    )


def after_registration(backend, cluster_name, container_instance):
    """What a registered instance goes through while agent-disconnects or instance-drained is on."""
    account, region = backend.account_id, backend.region_name
    if is_on(Scenario.AGENT_DISCONNECTS, account, region, cluster_name):
        container_instance.agent_connected = False
    if (
        is_on(Scenario.INSTANCE_DRAINED, account, region, cluster_name)
        and container_instance.status == "ACTIVE"
    ):
        backend.update_container_instances_state(
            cluster_name, [container_instance.container_instance_arn], "DRAINING"
        )


def apply(switch):
    """Make a scenario just switched on act on what already runs (call holding the cloud's lock)."""
    if switch.scenario not in (Scenario.AGENT_DISCONNECTS, Scenario.INSTANCE_DRAINED):
        return
    from moto.ecs.models import ecs_backends

    from .ecs import live_container_instances

    for account, region, backend in list(ecs_backends.iter_backends()):
        if (account, region) != (switch.account, switch.region):
            continue
        for cluster_name in list(backend.clusters):
            if switch.applies_to(account, region, cluster_name):
                for container_instance in live_container_instances(backend, cluster_name):
                    after_registration(backend, cluster_name, container_instance)


# ------------------------------------------------------------------ CloudFormation's side

# AWS's CREATE_FAILED reasons for the limits a lab account meets, in the 2019–2020 wording of
# the EC2 resource handlers (../shared/spec/aws-facts.md §7; the security group's raw API form
# from otiai10/hotsub#36; "; Proxy: null" since 2020).
LIMIT_REASONS = {
    "AWS::EC2::SecurityGroup": (
        "The maximum number of security groups for VPC '{vpc}' has been reached.",
        "SecurityGroupLimitExceeded",
    ),
    "AWS::EC2::VPC": ("The maximum number of VPCs has been reached.", "VpcLimitExceeded"),
    "AWS::EC2::InternetGateway": (
        "The maximum number of internet gateways has been reached.",
        "InternetGatewayLimitExceeded",
    ),
}


def _parse_resource_and_generate_name(original, logical_id, resource_json, resources_map):
    from . import cloudformation

    if cloudformation._making.get() == logical_id:
        stack = cloudformation._stack_of(resources_map)
        if stack is not None and stack.status == "CREATE_IN_PROGRESS":
            reason = _stack_failure(stack, logical_id, resource_json, resources_map)
            if reason:
                cloudformation._resource_event(
                    stack, logical_id, resource_json["Type"], "CREATE_FAILED", reason=reason
                )
                raise cloudformation.ResourceFailed(logical_id, reason)
    return original(logical_id, resource_json, resources_map)


def _stack_cluster(stack):
    """The cluster a stack is for: its EcsClusterName parameter, or the console's stack name."""
    cluster = (stack.parameters or {}).get("EcsClusterName")
    if cluster:
        return cluster
    return stack.name.removeprefix("EC2ContainerService-")


def _stack_failure(stack, logical_id, resource_json, resources_map):
    """The reason `logical_id` fails to be created, when stack-resource-fails applies to it."""
    switch = SWITCHBOARD.find(
        Scenario.STACK_RESOURCE_FAILS, stack.account_id, stack.region_name, _stack_cluster(stack)
    )
    if switch is None:
        return None
    template = resources_map._resource_json_map
    wanted = switch.options.get("resource") or next(
        (name for name, body in template.items() if body["Type"] == "AWS::EC2::SecurityGroup"),
        None,
    )
    if wanted != logical_id:
        return None
    wording, code = LIMIT_REASONS.get(resource_json["Type"], ("Internal Failure", None))
    if code is None:
        return wording
    vpc = ""
    if "{vpc}" in wording:
        from moto.cloudformation import parsing

        try:
            vpc = parsing.clean_json(resource_json["Properties"]["VpcId"], resources_map)
        except (KeyError, TypeError):
            vpc = ""
    return (
        f"{wording.format(vpc=vpc)} (Service: AmazonEC2; Status Code: 400; Error Code: {code}; "
        f"Request ID: {uuid.uuid4()}; Proxy: null)"
    )


# ------------------------------------------------------------------ Auto Scaling's side


def zones_without_capacity(group, zones):
    """The zones (of the group's, in order) where it cannot launch its instance type now."""
    backend = group.autoscaling_backend
    cluster = _group_cluster(group) or "default"
    switch = SWITCHBOARD.find(
        Scenario.INSUFFICIENT_CAPACITY, backend.account_id, backend.region_name, cluster
    )
    if switch is None or not zones:
        return set()
    return {switch.options.get("zone") or next(iter(zones))}


def _group_cluster(group):
    """The cluster the group's instances join, from its launch template's user data."""
    from .agent import cluster_from_user_data

    text = group.user_data or ""
    if hasattr(text, "as_bytes"):
        text = text.as_bytes().decode("utf-8", "replace")
    try:
        text = base64.b64decode(text, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        pass
    return cluster_from_user_data(text)


def record_failed_launch(group, zone, subnet_id):
    """The Failed activity Auto Scaling writes when EC2 has no capacity in `zone`
    (aws-facts §7: kubernetes/autoscaler#1263, #1402; aws/aws-parallelcluster#1944)."""
    from moto.ec2.models import ec2_backends

    from .autoscaling import _activity

    backend = group.autoscaling_backend
    instance_type = group.instance_type
    others = [
        z.name
        for z in ec2_backends[backend.account_id][backend.region_name].describe_availability_zones()
        if z.name != zone
    ]
    reason = (
        f"We currently do not have sufficient {instance_type} capacity in the Availability Zone "
        f"you requested ({zone}). Our system will be working on provisioning additional capacity. "
        f"You can currently get {instance_type} capacity by not specifying an Availability Zone "
        f"in your request or choosing {', '.join(others)}."
    )
    now = datetime.now(timezone.utc).replace(microsecond=0)
    count = len(group.active_instances())
    activity = _activity(
        group,
        f"Launching a new EC2 instance.  Status Reason: {reason} Launching EC2 instance failed.",
        f"At {now:%Y-%m-%dT%H:%M:%SZ} an instance was started in response to a difference "
        f"between desired and actual capacity, increasing the capacity from {count} to "
        f"{count + 1}.",
        now,
    )
    details = {"Availability Zone": zone}
    if subnet_id:
        details = {"Subnet ID": subnet_id, **details}
    activity.update(
        StatusCode="Failed",
        StatusMessage=reason,
        Details=json.dumps(details, separators=(",", ":")),
    )
    group.__dict__.setdefault("localcloud_activities", []).insert(0, activity)


# ------------------------------------------------------------------ the page and the CLI


def serve(cloud, environ, start_response):
    """`/_localcloud/scenarios`: GET lists the switches (HTML, or JSON when asked), POST
    switches one on or off, then shows the list (or answers JSON)."""
    wants_json = "application/json" in environ.get("HTTP_ACCEPT", "") or environ.get(
        "QUERY_STRING", ""
    ) == "format=json"
    message, status = "", "200 OK"
    if environ.get("REQUEST_METHOD") == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length).decode("utf-8", "replace") if length else ""
        form = {k: v[-1] for k, v in urllib.parse.parse_qs(body).items()}
        try:
            message = switch(cloud, form)
        except SwitchError as error:
            message, status = str(error), "400 Bad Request"
    elif environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        status = "405 Method Not Allowed"
    if wants_json:
        payload = {"switches": [s.to_json() for s in SWITCHBOARD.switches()]}
        if status.startswith("400"):
            payload["error"] = message
        elif message:
            payload["message"] = message
        content, content_type = json.dumps(payload).encode(), "application/json"
    else:
        content = _page(message, cloud).encode()
        content_type = "text/html; charset=utf-8"
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(content)))])
    return [content]


def switch(cloud, form):
    """Switch a scenario on or off as the form says; what was done, in words."""
    action = form.get("action", "on")
    if action not in ("on", "off"):
        raise SwitchError(f"action {action!r} is neither on nor off")
    chosen = Switch.from_json(
        {
            **form,
            "options": {name: form.get(name) for names in OPTIONS.values() for name in names},
        }
    )
    where = (
        f"account {chosen.account}, {chosen.region}, "
        + ("every cluster" if chosen.cluster == ALL_CLUSTERS else f"cluster {chosen.cluster}")
    )
    if action == "off":
        was_on = SWITCHBOARD.switch_off(chosen)
        cloud.changes.note(chosen.account)  # the agent looks again: an agent may connect
        return f"{chosen.scenario} is off for {where}" + ("" if was_on else " (it was not on)")
    SWITCHBOARD.switch_on(chosen)
    with cloud.changing():
        apply(chosen)
    cloud.changes.note(chosen.account)
    return f"{chosen.scenario} is on for {where}"


def _page(message, cloud):
    rows = "".join(
        "<tr>"
        f"<td>{html.escape(s.scenario)}</td><td>{s.account}</td><td>{s.region}</td>"
        f"<td>{html.escape('all' if s.cluster == ALL_CLUSTERS else s.cluster)}</td>"
        f"<td>{html.escape(', '.join(f'{k}={v}' for k, v in s.options.items()))}</td>"
        f'<td><form method="post" action="{PATH}">'
        + "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
            for name, value in {
                "action": "off",
                "scenario": s.scenario,
                "account": s.account,
                "region": s.region,
                "cluster": s.cluster,
            }.items()
        )
        + '<button type="submit">Switch off</button></form></td></tr>'
        for s in SWITCHBOARD.switches()
    )
    options = "".join(
        f'<option value="{s}">{s}: {html.escape(DESCRIPTIONS[s])}</option>' for s in Scenario
    )
    region = cloud.configured_regions[0] if cloud else DEFAULT_REGION
    notice = f'<p role="status"><strong>{html.escape(message)}</strong></p>' if message else ""
    table = (
        "<table><thead><tr><th>Scenario</th><th>Account</th><th>Region</th><th>Cluster</th>"
        f"<th>Options</th><th></th></tr></thead><tbody>{rows}</tbody></table>"
        if rows
        else "<p>No scenario is on: everything goes as it should.</p>"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Local cloud: failure scenarios</title></head>
<body>
<h1>Failure scenarios</h1>
<p>Switch on what goes wrong on AWS, for one account and region, and one cluster name or all.
Each acts as AWS does; ECS Console is not told.</p>
{notice}
<h2>On now</h2>
{table}
<h2>Switch one on</h2>
<form method="post" action="{PATH}">
<input type="hidden" name="action" value="on">
<p><label>Scenario <select name="scenario">{options}</select></label></p>
<p><label>Account (yours is the number beside your name in ECS Console's top bar)
 <input name="account" value="{DEFAULT_ACCOUNT}" pattern="[\\d\\-]{{12,14}}" required></label></p>
<p><label>Region <input name="region" value="{html.escape(region)}" required></label></p>
<p><label>Cluster <input name="cluster" placeholder="all clusters"></label></p>
<p><label>Resource (stack-resource-fails; default its security group)
 <input name="resource"></label></p>
<p><label>Zone (insufficient-capacity; default the group's first)
 <input name="zone"></label></p>
<p><button type="submit">Switch on</button></p>
</form>
</body></html>
"""


def main(argv=None):
    """`python -m localcloud scenario on|off|list [NAME] …`: switch a running cloud's scenarios."""
    parser = argparse.ArgumentParser(
        prog="python -m localcloud scenario",
        description="Switch a failure scenario on or off in a running local cloud, or list them.",
    )
    parser.add_argument("action", choices=("on", "off", "list"))
    parser.add_argument("scenario", nargs="?", choices=[s.value for s in Scenario])
    parser.add_argument(
        "--account",
        default=DEFAULT_ACCOUNT,
        help="the account it applies to: yours is the number beside your name in ECS Console's "
        f"top bar, dashes or not (default: {DEFAULT_ACCOUNT}, the server's own)",
    )
    parser.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", DEFAULT_REGION))
    parser.add_argument("--cluster", default=ALL_CLUSTERS, help="a cluster name (default: all)")
    parser.add_argument("--resource", help="stack-resource-fails: the logical id that fails")
    parser.add_argument("--zone", help="insufficient-capacity: the zone without capacity")
    parser.add_argument(
        "--endpoint",
        default=os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
        help="the local cloud (default AWS_ENDPOINT_URL, else http://127.0.0.1:5000)",
    )
    args = parser.parse_args(argv)
    url = args.endpoint.rstrip("/") + PATH
    if args.action == "list":
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
    else:
        if not args.scenario:
            parser.error(f"{args.action} needs a scenario")
        fields = {
            "action": args.action,
            "scenario": args.scenario,
            "account": args.account,
            "region": args.region,
            "cluster": args.cluster,
            "resource": args.resource or "",
            "zone": args.zone or "",
        }
        request = urllib.request.Request(
            url,
            data=urllib.parse.urlencode(fields).encode(),
            headers={"Accept": "application/json"},
            method="POST",
        )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as error:
        answer = json.load(error)
        print(answer.get("error", error.reason))
        return 2
    except urllib.error.URLError as error:
        print(f"Cannot reach the local cloud at {args.endpoint}: {error.reason}")
        return 1
    if answer.get("message"):
        print(answer["message"])
    if args.action == "list":
        for s in answer["switches"]:
            options = " ".join(f"--{k} {v}" for k, v in s["options"].items())
            print(
                f"{s['scenario']} --account {s['account']} --region {s['region']} "
                f"--cluster {s['cluster']} {options}".rstrip()
            )
        if not answer["switches"]:
            print("No scenario is on.")
    return 0
