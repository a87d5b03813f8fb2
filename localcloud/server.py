"""The local cloud as a process: moto's server on one address, changed, with the ECS agent."""

import argparse
import contextlib
import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from xml.sax.saxutils import escape

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from . import pace, scenarios
from .accounts import (
    DEFAULT_SOURCE_KEYS,
    SOURCE_KEYS_VARIABLE,
    Gate,
    Refusal,
    refuse,
    signing_service,
)
from .pace import DEFAULT_PACE, PACES

DEFAULT_REGIONS = ("us-east-1",)
READY_LINE = "Local cloud ready on"
CATALOGUE_WRITTEN_LINE = "The instance type catalogue is written and kept"
# Actions that only read: everything else may change the state to keep.
READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "Query", "Scan", "Search", "Validate")

# Services whose changes the agent never looks at: STS's sessions (each console process
# assumes each person's role at its first call), CloudWatch's metrics and Logs' events. Waking
# it for one of them would have it look over every instance of the account for nothing: for
# 1,000 hosts, a second in which every other request waits for the lock.
UNSEEN_BY_THE_AGENT = frozenset({"sts", "monitoring", "logs"})

log = logging.getLogger("localcloud")
# The agent's own credentials (LocalCloud._session): its registrations are not news to it.
AGENT_ACCESS_KEY = "localcloud"


class ChangeCounter:
    """Counts the requests that may have changed the cloud (an instance launched, started,
    stopped or terminated, a cluster made), and notes in which accounts, so the agent looks only
    after one, and only there: a cloud where nothing happens costs nothing, and a class of
    learners costs one account's look per change, not the class's."""

    def __init__(self):
        self._count = 0
        self._changed = threading.Condition()
        self._accounts = set()
        self._everywhere = False

    def note(self, account=None):
        """Note a change in `account` (None: it may be in any)."""
        with self._changed:
            self._count += 1
            if account is None:
                self._everywhere = True
            else:
                self._accounts.add(account)
            self._changed.notify_all()

    def take_accounts(self):
        """The accounts changed since the last take, or None if a change may be in any."""
        with self._changed:
            accounts = None if self._everywhere else frozenset(self._accounts)
            self._accounts, self._everywhere = set(), False
            return accounts

    def wait_past(self, seen, stopping):
        """Wait until the count is no longer `seen` (or `stopping` is set); return the count."""
        with self._changed:
            self._changed.wait_for(lambda: self._count != seen or stopping.is_set())
            return self._count


class LocalCloud:
    """moto's ThreadedMotoServer plus the agent emulator and, with a state dir, kept state."""

    def __init__(
        self,
        host="127.0.0.1",
        port=5000,
        state_dir=None,
        regions=DEFAULT_REGIONS,
        sync_interval=1.0,
        compact_after=None,
        pace="instant",
        source_keys=DEFAULT_SOURCE_KEYS,
        any_key=False,
    ):
        self.host = host
        self.gate = Gate(source_keys, AGENT_ACCESS_KEY, any_key)
        self.pace = pace
        self.port = port
        self.configured_regions = tuple(regions)
        self.sync_interval = sync_interval
        # moto is not thread-safe; one request at a time also lets a picture see a still state.
        self.lock = threading.RLock()
        self.state = None
        if state_dir:
            from .journal import COMPACT_AFTER_BYTES, StateDir

            self.state = StateDir(state_dir, self.lock, compact_after or COMPACT_AFTER_BYTES)
        self._stopping = threading.Event()
        # Set when a cluster may have gained container instances, so its first metrics come now
        # rather than at the next minute.
        self._metrics_wanted = threading.Event()
        self.changes = ChangeCounter()
        self._threads = []
        self._server = None

    @property
    def endpoint_url(self):
        return f"http://{self.host}:{self.port}"

    def start(self):
        import localcloud

        # Read when moto's IAM backend is made, which is at the first request.
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        pace.set_pace(self.pace)
        localcloud.install()
        scenarios.SWITCHBOARD.load(self.state.path if self.state else None)
        pace.load_account_paces(self.state.path if self.state else None)
        if self.state:
            from . import persistence

            persistence.install()
            self.state.restore()
        # What was under way when the cloud stopped goes on.
        with self.lock:
            pace.resume()
        self._server = _locking_server_class()(
            self, ip_address=self.host, port=self.port, verbose=False
        )
        self._server.start()
        self._warm_up()
        self._spawn(self._run_agent, "localcloud-agent")
        self._spawn(self._advance_paced_work, "localcloud-pace")
        self._spawn(self._report_cluster_metrics, "localcloud-metrics")
        # Not joined at stop: a stop must not wait seconds for an answer nobody needs any more.
        threading.Thread(
            target=self._write_the_instance_type_catalogue, name="localcloud-catalogue", daemon=True
        ).start()

    def stop(self):
        self._stopping.set()
        self.changes.note()  # wakes the agent, to see it is stopping
        pace.TIMETABLE.wake()
        self._metrics_wanted.set()
        for thread in self._threads:
            thread.join(timeout=10)
        if self._server:
            self._server.stop()
        if self.state:
            self.state.close()

    def regions(self):
        """The configured regions and every region where instances have been launched."""
        return sorted({region for _, region in self.places()})

    def places(self, accounts=None):
        """(account, region) of the configured regions of moto's default account and of every
        account and region where instances have been launched; only of `accounts` if given.

        Read from moto's dicts in this process, as the cloud serves them: finding the accounts
        costs no request, however many learners there are.
        """
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ec2.models import ec2_backends

        places = {(DEFAULT_ACCOUNT_ID, region) for region in self.configured_regions}
        # Under the lock: a request may be adding accounts, regions or reservations meanwhile.
        with self.lock:
            for account, region, backend in list(ec2_backends.iter_backends()):
                if backend.reservations:
                    places.add((account, region))
        return sorted(
            (account, region)
            for account, region in places
            if accounts is None or account in accounts
        )

    @contextlib.contextmanager
    def serving(self, environ, caller):
        """Hold the lock while a request runs; then make what it changed durable, if kept.

        Yields a list that a failure to keep the change fills with the error.
        """
        # Judged before the request runs: reading the action may need the body.
        changed, reset = not _is_read(environ), _is_reset(environ)
        news_for_the_agent = (
            changed and not caller.agent and signing_service(environ) not in UNSEEN_BY_THE_AGENT
        )
        try:
            with self.changing(changed, reset) as failures:
                yield failures
        finally:
            if news_for_the_agent:
                self.changes.note(None if reset else caller.account)

    @contextlib.contextmanager
    def changing(self, changed=True, reset=False):
        """Hold the lock while the block runs; then make what it changed durable, if kept.

        Yields a list that a failure to keep the change fills with the error.
        """
        from . import persistence

        failures = []
        with self.lock:
            if self.state is None:
                yield failures
                return
            try:
                with persistence.noting_backends() as used:
                    yield failures
            finally:
                # Also after moto failed midway: whatever it changed is kept.
                try:
                    self.state.keep(used, changed, reset)
                except Exception as error:
                    log.exception("The local cloud could not save a change; answering 500")
                    failures.append(error)

    def _advance_paced_work(self):
        """Advance the paced work (a stack's resources, an instance's boot) as it falls due,
        each pass one change, kept as a request's are; requests go on meanwhile."""
        while not self._stopping.is_set():
            pace.TIMETABLE.wait(self._stopping)
            if self._stopping.is_set():
                return
            try:
                with self.changing():
                    advanced = pace.advance()
            except Exception:
                log.exception("Advancing the paced work failed")
                continue
            for key in advanced:
                # The agent looks again there: an instance may be running, or booted.
                self.changes.note(key[1])

    def _spawn(self, target, name):
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _session(self):
        # The agent's own key, which alone may name the account it acts in (ACCOUNT_HEADER),
        # as each instance's agent acts in its own account with its instance role.
        return boto3.session.Session(
            aws_access_key_id=AGENT_ACCESS_KEY,
            aws_secret_access_key="localcloud",
            region_name=self.configured_regions[0],
        )

    def _warm_up(self):
        """Answer once per service the console uses, so its first calls are not the slow ones."""
        session = self._session()
        config = Config(retries={"max_attempts": 10, "mode": "standard"})
        for region in self.configured_regions:
            kwargs = {"region_name": region, "endpoint_url": self.endpoint_url, "config": config}
            session.client("ecs", **kwargs).list_clusters()
            session.client("ec2", **kwargs).describe_vpcs()
            session.client("ssm", **kwargs).get_parameters(
                Names=["/aws/service/ecs/optimized-ami/amazon-linux-2/recommended"]
            )
            session.client("cloudformation", **kwargs).list_stacks()
            session.client("autoscaling", **kwargs).describe_auto_scaling_groups()
        session.client(
            "iam", region_name=self.configured_regions[0], endpoint_url=self.endpoint_url
        ).list_roles()

    def _write_the_instance_type_catalogue(self):
        """Ask once for every instance type, as Configure cluster does, so the answer is written
        and kept (localcloud/ec2.py) before the first person opens that page. In the background:
        it takes seconds, and nothing else needs to wait for it."""
        try:
            for region in self.configured_regions:
                ec2 = self._session().client(
                    "ec2", region_name=region, endpoint_url=self.endpoint_url
                )
                for _ in ec2.get_paginator("describe_instance_types").paginate():
                    pass
            log.info(CATALOGUE_WRITTEN_LINE)
        except (BotoCoreError, ClientError):
            if not self._stopping.is_set():
                log.exception("Could not write the instance type catalogue ahead")

    def _run_agent(self):
        from .agent import EcsAgentEmulator

        agent = EcsAgentEmulator(
            endpoint_url=self.endpoint_url, session=self._session(), places=self.places
        )
        # A pass at most every sync_interval, and only after something may have changed, in
        # the accounts where it changed: the first pass looks at everything (instances kept
        # from before the restart).
        seen = None
        while not self._stopping.wait(self.sync_interval):
            current = self.changes.wait_past(seen, self._stopping)
            if self._stopping.is_set():
                return
            accounts = self.changes.take_accounts() if seen is not None else None
            seen = current
            try:
                for change in agent.sync(accounts):
                    log.info(
                        "%s %s %s",
                        change.action,
                        change.ec2_instance_id,
                        change.container_instance_arn,
                    )
                    if change.action == "registered":
                        self._metrics_wanted.set()
            except Exception:
                # The agent keeps going, as the real one restarts after a failure: it looks
                # again at the next interval.
                log.exception("ECS agent sync failed")
                seen = None

    def _report_cluster_metrics(self):
        """ECS's AWS/ECS metrics, once a minute for each cluster with container instances.

        The samples go straight into moto's CloudWatch, not through a request, so they are not
        journaled one by one: a picture of CloudWatch after each minute's four samples would
        grow with every sample kept and be written every minute, at rest. They are kept with
        CloudWatch's next change or the next compaction; a restart loses at most the samples
        since, and the next pass starts the charts again.
        """
        from .agent import ClusterMetricsReporter

        reporter = ClusterMetricsReporter()
        while not self._stopping.is_set():
            try:
                with self.lock:
                    reporter.report()
            except Exception:
                log.exception("Publishing the clusters' metrics failed")
            self._metrics_wanted.wait(reporter.seconds_to_next())
            self._metrics_wanted.clear()


def _is_read(environ):
    """Whether a request only reads, judged by its API action."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rsplit(".", 1)[-1].startswith(READ_PREFIXES)
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    action = (query.get("Action") or [""])[0]
    if not action and "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        action = (urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action") or [""])[0]
    if action:
        return action.startswith(READ_PREFIXES)
    return environ.get("REQUEST_METHOD") in ("GET", "HEAD", "OPTIONS") and not _is_reset(
        environ
    )


def _is_reset(environ):
    """Whether a request is moto's reset, which empties the cloud."""
    return environ.get("PATH_INFO", "") == "/moto-api/reset" and environ.get(
        "REQUEST_METHOD"
    ) not in ("GET", "HEAD", "OPTIONS")


def _locking_app(cloud, app):
    def serve(environ, start_response):
        if environ.get("PATH_INFO", "").rstrip("/") == scenarios.PATH:
            # The local cloud's own page, not AWS's: it keeps its state itself.
            return scenarios.serve(cloud, environ, start_response)
        if environ.get("PATH_INFO", "").rstrip("/") == pace.PATH:
            return pace.serve(environ, start_response)
        caller = cloud.gate.caller(environ)
        if isinstance(caller, Refusal):
            # Before the lock: a refused request changes nothing and waits for nothing.
            return refuse(caller, environ, start_response)
        if _is_reset(environ):
            # An emptied cloud has nothing going wrong either, and one pace.
            scenarios.SWITCHBOARD.clear()
            pace.forget_account_paces()
        # Held back until the change is on disk, so no answer leaves before it is durable.
        answer = []

        def hold_response(status, headers, exc_info=None):
            answer[:] = [status, headers]
            return lambda data: None

        with cloud.serving(environ, caller) as failures:
            result = app(environ, hold_response)
            try:
                body = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        if failures:
            return _unsaved_answer(environ, start_response, failures[0])
        start_response(*answer)
        return [body]

    return serve


def _unsaved_answer(environ, start_response, error):
    """AWS's answer to a call it did not complete: 500 InternalFailure, in the call's protocol."""
    message = f"The local cloud could not save this change: {error}"
    if environ.get("HTTP_X_AMZ_TARGET"):
        content_type = "application/x-amz-json-1.1"
        body = json.dumps({"__type": "InternalFailure", "message": message}).encode()
    else:
        content_type = "text/xml"
        body = (
            "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code>"
            f"<Message>{escape(message)}</Message></Error></ErrorResponse>"
        ).encode()
    start_response(
        "500 Internal Server Error",
        [("Content-Type", content_type), ("Content-Length", str(len(body)))],
    )
    return [body]



def _locking_server_class():
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    class LockingMotoServer(ThreadedMotoServer):
        """ThreadedMotoServer whose app runs one request at a time and notes changes."""

        def __init__(self, cloud, **kwargs):
            super().__init__(**kwargs)
            self._cloud = cloud

        def _server_entry(self):
            app = _locking_app(self._cloud, DomainDispatcherApplication(create_backend_app))
            self._server = make_server(
                self._ip_address, self._port, app, True, request_handler=_quiet(MotoRequestHandler)
            )
            self._server_ready_event.set()
            self._server.serve_forever()

    return LockingMotoServer


def _quiet(base):
    class QuietHandler(base):
        def log_request(self, *args, **kwargs):
            # A line per request drowns the console's own logs; errors still print.
            pass

    return QuietHandler


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m localcloud", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--state-dir", help="keep the cloud's state here across restarts")
    parser.add_argument(
        "--regions",
        default=os.environ.get("LOCALCLOUD_REGIONS", ",".join(DEFAULT_REGIONS)),
        help="comma-separated regions the agent always watches (default us-east-1)",
    )
    parser.add_argument(
        "--sync-interval", type=float, default=1.0, help="seconds between agent passes"
    )
    parser.add_argument(
        "--pace",
        choices=sorted(PACES),
        default=os.environ.get("LOCAL_CLOUD_PACE") or DEFAULT_PACE,
        help="how long things take: aws (AWS's own durations), lab (those compressed so a "
        "cluster comes up in about half a minute) or instant (default lab; also "
        "LOCAL_CLOUD_PACE)",
    )
    parser.add_argument(
        "--compact-after-mb",
        type=float,
        default=16,
        help="fold the journal into the snapshot once it holds this many MB and more than the "
        "snapshot (default 16)",
    )
    parser.add_argument(
        "--source-key",
        action="append",
        dest="source_keys",
        help="an access key of the server's own, acting in moto's default account (repeat for "
        "more; default: the comma-separated LOCAL_CLOUD_SOURCE_KEYS, else "
        f"{', '.join(DEFAULT_SOURCE_KEYS)}). Besides these, only keys the cloud issued (STS "
        "AssumeRole, IAM CreateAccessKey) are accepted; any other gets AWS's refusal",
    )
    parser.add_argument(
        "--accept-any-key",
        action="store_true",
        help="let any access key act in moto's default account, and any request name its "
        "account with x-moto-account-id, as plain moto does (moto's own tests need it)",
    )
    args = parser.parse_args(argv)
    source_keys = args.source_keys or [
        key.strip()
        for key in os.environ.get(SOURCE_KEYS_VARIABLE, ",".join(DEFAULT_SOURCE_KEYS)).split(",")
        if key.strip()
    ]
    logging.basicConfig(level=logging.INFO, format="localcloud: %(message)s")

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    cloud = LocalCloud(
        args.host,
        args.port,
        args.state_dir,
        [r.strip() for r in args.regions.split(",") if r.strip()],
        args.sync_interval,
        int(args.compact_after_mb * 2**20),
        args.pace,
        source_keys,
        args.accept_any_key,
    )
    cloud.start()
    log.info("Time passes at %s pace", args.pace)
    print(f"{READY_LINE} {cloud.endpoint_url}", flush=True)
    stop.wait()
    cloud.stop()
    return 0


def free_port(host="127.0.0.1"):
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@dataclass
class LocalCloudProcess:
    """`python -m localcloud` running as a child process, and what it has printed so far."""

    process: subprocess.Popen
    endpoint_url: str
    output: list[str]

    def has_printed(self, line):
        return any(line in printed for printed in self.output)

    def stop(self):
        stop_process(self.process)

    def kill(self):
        """End it at once, as `kill -9` does: nothing it was doing gets finished."""
        self.process.kill()
        self.process.wait()


def start_local_cloud(port=None, state_dir=None, timeout=60, extra_args=(), pace="instant"):
    """Start `python -m localcloud` on 127.0.0.1 and return it once it answers.

    At `instant` pace unless told otherwise: only a test about waiting wants to wait."""
    port = port or free_port()
    project = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [project, os.environ.get("PYTHONPATH")])),
    )
    command = [
        sys.executable,
        "-m",
        "localcloud",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--pace",
        pace,
        *extra_args,
    ]
    if state_dir:
        command += ["--state-dir", str(state_dir)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=project
    )
    output = []
    endpoint_url = _wait_until_ready(process, timeout, output)
    return LocalCloudProcess(process, endpoint_url, output)


@contextlib.contextmanager
def running_local_cloud(port=None, state_dir=None, timeout=60, extra_args=(), pace="instant"):
    """Run `python -m localcloud` on 127.0.0.1 and yield its endpoint URL once it answers."""
    cloud = start_local_cloud(port, state_dir, timeout, extra_args, pace)
    try:
        yield cloud.endpoint_url
    finally:
        cloud.stop()


def _wait_until_ready(process, timeout, output):
    ready = {}

    def read():
        for line in process.stdout:
            output.append(line)
            if READY_LINE in line and "url" not in ready:
                ready["url"] = line.split(READY_LINE, 1)[1].strip()
                ready_event.set()
        ready_event.set()

    ready_event = threading.Event()
    # Keep draining the output after start-up so the child never blocks on a full pipe.
    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout
    ready_event.wait(timeout)
    if "url" not in ready or time.monotonic() > deadline:
        stop_process(process)
        raise RuntimeError("the local cloud did not start:\n" + "".join(output))
    return ready["url"]


def stop_process(process, timeout=10):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
