"""How fast time passes in the local cloud: AWS's own durations, compressed for a lab, or none.

The work that takes time on AWS (a stack's resources, an instance going from pending to
running) is written into the cloud's state with the wall-clock time it is due, and a timetable
in memory says which is due next. The server's scheduler thread wakes at that time, takes the
cloud's lock and advances what is due, as one journaled change; no request ever waits for it.
At `instant` pace nothing is written as due: the work finishes inside the call that asked.

The process has one pace; an account (a learner's) may be given its own at `/_localcloud/pace`,
kept in `paces.json` in the state dir, so one learner can watch AWS's own durations while the
rest of the class works at the lab's.
"""

import heapq
import itertools
import json
import logging
import os
import re
import threading
import time
import urllib.parse
from datetime import timezone

log = logging.getLogger("localcloud")

# Seconds of AWS time per second of waiting, by pace.
PACES = {"instant": 0.0, "lab": 0.25, "aws": 1.0}
DEFAULT_PACE = "lab"

# What each step takes on AWS, in seconds (../shared/spec/aws-facts.md §6). The console's
# stack has no CreationPolicy, so its Auto Scaling group is complete once the group exists and
# has launched its instances: 30–90 s is a guess, 60 s taken.
CREATE_SECONDS = {
    "AWS::EC2::VPC": 15,
    "AWS::EC2::Subnet": 8,
    "AWS::EC2::InternetGateway": 18,
    "AWS::EC2::VPCGatewayAttachment": 16,
    "AWS::EC2::RouteTable": 13,
    "AWS::EC2::Route": 16,
    "AWS::EC2::SubnetRouteTableAssociation": 5,
    "AWS::EC2::SecurityGroup": 1,
    "AWS::EC2::LaunchTemplate": 1,
    "AWS::AutoScaling::LaunchConfiguration": 1,
    "AWS::AutoScaling::AutoScalingGroup": 60,
    "AWS::ECS::Cluster": 1,
}
OTHER_CREATE_SECONDS = 5
# Deleting is quicker, but for a group, which terminates its instances first, and a gateway
# attachment, which waits for the addresses to go.
DELETE_SECONDS = {
    "AWS::AutoScaling::AutoScalingGroup": 60,
    "AWS::EC2::VPCGatewayAttachment": 15,
    "AWS::EC2::InternetGateway": 5,
}
OTHER_DELETE_SECONDS = 3
# An in-place update of a resource (a group's size, a template's new version).
UPDATE_SECONDS = 20
# An instance from launch to running (5–17 s measured), then from running to its agent's first
# registration: 30–90 s estimated for Linux (cloud-init, docker loads the agent, it registers);
# Windows hosts take minutes ("up to 15 minutes", the ECS developer guide), 5 taken.
INSTANCE_PENDING_SECONDS = 15
LINUX_BOOT_SECONDS = 60
WINDOWS_BOOT_SECONDS = 300

PATH = "/_localcloud/pace"
STATE_FILE = "paces.json"
_ACCOUNT = re.compile(r"^\d{12}$")

_pace = "instant"
# The paces set for one account each, over the process's; where they are kept, if anywhere.
_account_paces = {}
_account_paces_path = None
_account_paces_lock = threading.Lock()


def set_pace(name, account=None):
    """Set the pace of this process (`instant` unless the server is told otherwise), or of
    one account; None as an account's pace gives it the process's again."""
    global _pace
    if name is not None and name not in PACES:
        raise ValueError(f"unknown pace {name!r}: choose one of {', '.join(PACES)}")
    if account is None:
        if name is None:
            raise ValueError("the process always has a pace")
        _pace = name
        return
    if not _ACCOUNT.match(account):
        raise ValueError(f"account {account!r} is not 12 digits")
    with _account_paces_lock:
        if name is None:
            _account_paces.pop(account, None)
        else:
            _account_paces[account] = name
        _save_account_paces()


def account_paces():
    """The accounts with a pace of their own: account -> pace."""
    with _account_paces_lock:
        return dict(_account_paces)


def load_account_paces(state_dir):
    """Read the accounts' paces kept in `state_dir` (none without one); forget any others."""
    global _account_paces_path
    with _account_paces_lock:
        _account_paces.clear()
        _account_paces_path = os.path.join(state_dir, STATE_FILE) if state_dir else None
        if _account_paces_path and os.path.exists(_account_paces_path):
            with open(_account_paces_path, encoding="utf-8") as kept:
                _account_paces.update(json.load(kept))


def forget_account_paces():
    """Every account back at the process's pace (moto's reset empties the cloud)."""
    with _account_paces_lock:
        _account_paces.clear()
        _save_account_paces()


def _save_account_paces():
    if not _account_paces_path:
        return
    partial = _account_paces_path + ".partial"
    with open(partial, "w", encoding="utf-8") as out:
        json.dump(_account_paces, out, indent=1)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, _account_paces_path)


def current(account=None):
    """The pace of `account` (its own, else the process's), or of the process."""
    return _account_paces.get(account, _pace)


def is_instant(account=None):
    return PACES[current(account)] == 0


def seconds(aws_seconds, account=None):
    """How long a step of `aws_seconds` on AWS takes at the pace of `account`."""
    return aws_seconds * PACES[current(account)]


def create_seconds(resource_type, account=None):
    return seconds(CREATE_SECONDS.get(resource_type, OTHER_CREATE_SECONDS), account)


def delete_seconds(resource_type, account=None):
    return seconds(DELETE_SECONDS.get(resource_type, OTHER_DELETE_SECONDS), account)


def boot_seconds(windows, account=None):
    """From running to the agent's registration."""
    return seconds(WINDOWS_BOOT_SECONDS if windows else LINUX_BOOT_SECONDS, account)


def serve(environ, start_response):
    """`/_localcloud/pace` (JSON): GET answers the process's pace and each account's own;
    POST `account=…&pace=…` (form) sets one account's, `pace=` empty gives it the process's."""
    status = "200 OK"
    payload = {}
    if environ.get("REQUEST_METHOD") == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length).decode("utf-8", "replace") if length else ""
        form = {k: v[-1] for k, v in urllib.parse.parse_qs(body, keep_blank_values=True).items()}
        try:
            set_pace(form.get("pace") or None, form.get("account", "").strip())
        except ValueError as error:
            status, payload = "400 Bad Request", {"error": str(error)}
    elif environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        status = "405 Method Not Allowed"
    payload.update(pace=current(), accounts=account_paces())
    content = json.dumps(payload).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(content)))]
    )
    return [content]


class Timetable:
    """When each piece of paced work is next due (wall-clock times, so after a restart the work
    that fell due meanwhile is due at once). Keys name the work; advancing it is the caller's."""

    def __init__(self):
        self._heap = []
        self._due = {}
        self._order = itertools.count()
        self._changed = threading.Condition()

    def at(self, when, key):
        """Make `key` due at `when` (or earlier, if it already was)."""
        with self._changed:
            if key in self._due and self._due[key] <= when:
                return
            self._due[key] = when
            heapq.heappush(self._heap, (when, next(self._order), key))
            self._changed.notify_all()

    def take_due(self, now):
        """Remove and return the keys due at `now` or before."""
        taken = []
        with self._changed:
            while self._heap and self._heap[0][0] <= now:
                when, _, key = heapq.heappop(self._heap)
                if self._due.get(key) == when:
                    del self._due[key]
                    taken.append(key)
        return taken

    def wait(self, stopping):
        """Wait until some work is due or `stopping` is set (then wake with `wake()`)."""
        with self._changed:
            while not stopping.is_set():
                if self._heap:
                    delay = self._heap[0][0] - time.time()
                    if delay <= 0:
                        return
                    self._changed.wait(min(delay, 60))
                else:
                    self._changed.wait(60)

    def wake(self):
        with self._changed:
            self._changed.notify_all()

    def clear(self):
        with self._changed:
            self._heap.clear()
            self._due.clear()


TIMETABLE = Timetable()
# What advances each kind of work: kind -> function(key, now) that returns when it is next due
# (None when done). Filled by the modules that write paced work.
_ADVANCERS = {}
# What finds the paced work kept in the state, after a restart: functions returning
# (when, key) pairs.
_FINDERS = []


def register(kind, advance, find):
    _ADVANCERS[kind] = advance
    if find not in _FINDERS:
        _FINDERS.append(find)


def schedule(when, key):
    TIMETABLE.at(when, key)


def advance(now=None):
    """Advance every piece of work due by `now`; call holding the cloud's lock. Returns the
    keys of the pieces it advanced (each names its account and region second and third)."""
    now = time.time() if now is None else now
    keys = TIMETABLE.take_due(now)
    for key in keys:
        try:
            when = _ADVANCERS[key[0]](key, now)
        except Exception:
            # One piece of work that breaks must not stop the others; it is not retried.
            log.exception("Advancing %s failed", key)
            continue
        if when is not None:
            TIMETABLE.at(when, key)
    return keys


def resume():
    """Put back in the timetable the paced work kept in the state (at start, after a restore)."""
    TIMETABLE.clear()
    for find in _FINDERS:
        for when, key in find():
            TIMETABLE.at(when, key)


# EC2 instances: pending, then running, then booted (their agent can register).


def install():
    from moto.ec2.models.instances import Instance

    from ._patching import wrap

    wrap(Instance, "__init__", _instance_init)
    wrap(Instance, "start", _instance_start)
    register("instance", _advance_instance, _pending_instances)


def agent_ready_at(launch_time, windows, account=None):
    """When an instance of `account` launched (or started) at `launch_time` (epoch seconds) has
    booted far enough for its ECS agent to register."""
    return (
        launch_time
        + seconds(INSTANCE_PENDING_SECONDS, account)
        + boot_seconds(windows, account)
    )


def _launch(instance):
    """A launch or a start: pending until its time comes, at any pace but instant."""
    backend = instance.ec2_backend
    if is_instant(backend.account_id):
        return
    from moto.core.utils import utcnow
    from moto.ec2.models.instances import InstanceState

    instance.launch_time = utcnow()
    instance._state = InstanceState("pending", 0)
    instance._localcloud_running_at = time.time() + seconds(
        INSTANCE_PENDING_SECONDS, backend.account_id
    )
    schedule(
        instance._localcloud_running_at,
        ("instance", backend.account_id, backend.region_name, instance.id),
    )


def _instance_init(original, self, *args, **kwargs):
    original(self, *args, **kwargs)
    _launch(self)


def _instance_start(original, self, *args, **kwargs):
    previous = original(self, *args, **kwargs)
    # Starting a running instance changes nothing, on AWS.
    if previous.name not in ("pending", "running"):
        _launch(self)
    return previous


def _advance_instance(key, now):
    from moto.ec2.exceptions import InvalidInstanceIdError
    from moto.ec2.models import ec2_backends

    _, account, region, instance_id = key
    try:
        instance = ec2_backends[account][region].get_instance(instance_id)
    except InvalidInstanceIdError:
        return None
    if instance._state.name == "pending":
        instance._state.name = "running"
        instance._state.code = 16
        windows = instance.platform == "windows"
        # Woken again when its agent may register, so the agent looks then.
        launched = instance.launch_time.replace(tzinfo=timezone.utc).timestamp()
        return agent_ready_at(launched, windows, account)
    return None


def _pending_instances():
    from moto.ec2.models import ec2_backends

    for account, region, backend in list(ec2_backends.iter_backends()):
        for reservation in list(backend.reservations.values()):
            for instance in reservation.instances:
                running_at = vars(instance).get("_localcloud_running_at")
                if instance._state.name == "pending" and running_at is not None:
                    yield running_at, ("instance", account, region, instance.id)
