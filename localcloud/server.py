"""The local cloud as a process: moto's server on one address, changed, with the ECS agent."""

import argparse
import contextlib
import io
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

import boto3
from botocore.config import Config

DEFAULT_REGIONS = ("us-east-1",)
READY_LINE = "Local cloud ready on"
# Actions that only read: everything else may change the state to keep.
READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "Query", "Scan", "Search", "Validate")

log = logging.getLogger("localcloud")


class LocalCloud:
    """moto's ThreadedMotoServer plus the agent emulator and, with a state dir, saved state."""

    def __init__(
        self,
        host="127.0.0.1",
        port=5000,
        state_dir=None,
        regions=DEFAULT_REGIONS,
        sync_interval=1.0,
    ):
        self.host = host
        self.port = port
        self.state_dir = state_dir
        self.configured_regions = tuple(regions)
        self.sync_interval = sync_interval
        # moto is not thread-safe; one request at a time also lets a snapshot see a still state.
        self.lock = threading.RLock()
        self._changed = threading.Event()
        self._stopping = threading.Event()
        self._threads = []
        self._server = None

    @property
    def endpoint_url(self):
        return f"http://{self.host}:{self.port}"

    def start(self):
        import localcloud

        # Read when moto's IAM backend is made, which is at the first request.
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        localcloud.install()
        if self.state_dir:
            self._restore()
        self._server = _locking_server_class()(
            self, ip_address=self.host, port=self.port, verbose=False
        )
        self._server.start()
        self._warm_up()
        self._spawn(self._run_agent, "localcloud-agent")
        if self.state_dir:
            self._spawn(self._run_saver, "localcloud-saver")

    def stop(self):
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=10)
        if self._server:
            self._server.stop()
        if self.state_dir:
            self._save()

    def regions(self):
        """The configured regions and every region where instances have been launched."""
        from moto.ec2.models import ec2_backends

        regions = set(self.configured_regions)
        for _, region, backend in list(ec2_backends.iter_backends()):
            if backend.reservations:
                regions.add(region)
        return sorted(regions)

    def changed(self):
        self._changed.set()

    def _spawn(self, target, name):
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _session(self):
        # The agent authenticates as the account's own instances would; any key maps to it.
        return boto3.session.Session(
            aws_access_key_id="localcloud",
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

    def _run_agent(self):
        from .agent import EcsAgentEmulator

        agent = EcsAgentEmulator(
            regions=self.regions, endpoint_url=self.endpoint_url, session=self._session()
        )
        while not self._stopping.wait(self.sync_interval):
            try:
                for change in agent.sync():
                    log.info(
                        "%s %s %s",
                        change.action,
                        change.ec2_instance_id,
                        change.container_instance_arn,
                    )
            except Exception:
                # The agent keeps going, as the real one restarts after a failure.
                log.exception("ECS agent sync failed")

    def _run_saver(self):
        while not self._stopping.wait(1.0):
            if self._changed.is_set():
                try:
                    self._save()
                except Exception:
                    log.exception("saving the local cloud's state failed")

    def _save(self):
        from . import persistence

        with self.lock:
            self._changed.clear()
            data = persistence.snapshot()
        persistence.save(self.state_dir, data)

    def _restore(self):
        from . import persistence

        data = persistence.load(self.state_dir)
        if data is None:
            return
        try:
            persistence.restore(data)
        except persistence.StateError as error:
            print(f"Starting clean: {error}", file=sys.stderr, flush=True)


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
    return environ.get("REQUEST_METHOD") in ("GET", "HEAD", "OPTIONS") and not environ.get(
        "PATH_INFO", ""
    ).startswith("/moto-api/reset")


def _locking_app(cloud, app):
    def serve(environ, start_response):
        read = _is_read(environ)
        with cloud.lock:
            result = app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        if not read:
            cloud.changed()
        return [body]

    return serve


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
    args = parser.parse_args(argv)
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
    )
    cloud.start()
    print(f"{READY_LINE} {cloud.endpoint_url}", flush=True)
    stop.wait()
    cloud.stop()
    return 0


def free_port(host="127.0.0.1"):
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_local_cloud(port=None, state_dir=None, timeout=60, extra_args=()):
    """Run `python -m localcloud` on 127.0.0.1 and yield its endpoint URL once it answers."""
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
        *extra_args,
    ]
    if state_dir:
        command += ["--state-dir", str(state_dir)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=project
    )
    try:
        endpoint_url = _wait_until_ready(process, timeout)
        yield endpoint_url
    finally:
        stop_process(process)


def _wait_until_ready(process, timeout):
    ready = {}
    output = []

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
