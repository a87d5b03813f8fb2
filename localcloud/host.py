"""What an ECS-optimized host answers to the lab's commands, run on it through SSM Run Command.

The host is read from the local cloud's own backends, as it stands when the command is sent:
`/etc/ecs/ecs.config` is what the instance's user data wrote there (the AMI ships it empty),
`docker ps` shows the `ecs-agent` container ecs-init started, `docker logs ecs-agent` the lines
of the agent version the instance registered with, and the introspection API on port 51678 its
cluster, container instance ARN and version (ECS developer guide, "Amazon ECS container agent
introspection"; aws/amazon-ecs-init `ecs-init/config/common.go`; aws/amazon-ecs-agent
`agent/handlers/v1`, `agent/logger`).
"""

import base64
import fnmatch
import hashlib
import json
import shlex
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from moto.ec2.models import ec2_backends
from moto.ecs.models import ecs_backends

from . import scenarios

ECS_CONFIG = "/etc/ecs/ecs.config"
WINDOWS_ECS_CONFIG = r"C:\ProgramData\Amazon\ECS\ecs.config"
WINDOWS_AGENT_LOG = r"C:\ProgramData\Amazon\ECS\log\ecs-agent.log"
AGENT_IMAGE = "amazon/amazon-ecs-agent:latest"
AGENT_CONTAINER = "ecs-agent"
INTROSPECTION = "localhost:51678"

# The action the SSM Agent calls to say it is alive: without it the instance is not managed.
SSM_AGENT_ACTION = "ssm:UpdateInstanceInformation"

# The short commit each agent release prints (aws/amazon-ecs-agent `agent/version/version.go`).
AGENT_COMMITS = {
    "1.44.0": "4a2bcebf",
    "1.45.0": "8c41e4fb",
    "1.46.0": "f734d4f6",
    "1.47.0": "006b065d",
    "1.48.0": "33757491",
    "1.48.1": "19c447f1",
    "1.49.0": "8587a9bc",
    "1.50.0": "7afe9831",
    "1.50.1": "1f6960f6",
    "1.50.2": "6cd32aa0",
    "1.50.3": "d2e259a4",
    "1.51.0": "4e0a8b9a",
    "1.52.0": "2bd05e54",
    "1.52.2": "cc51229f",
    "1.53.0": "2d0d8aa9",
    "1.54.0": "87fd48bc",
    "1.55.0": "99dc10da",
    "1.55.5": "225e27c6",
    "1.56.0": "08b47d83",
    "1.57.0": "19a30531",
    "1.57.1": "cb7be59b",
    "1.60.0": "5a9ddd77",
    "1.70.0": "0e7482df",
}

# How long ecs-init takes from the instance's launch to the agent container's start (cloud-final,
# then `docker load` of the agent's tar), and the agent from its start to its registration.
AGENT_STARTS_AFTER_LAUNCH = timedelta(seconds=40)
AGENT_REGISTERS_AFTER_START = timedelta(seconds=3)
# The image's HEALTHCHECK reports healthy after its first check.
HEALTH_CHECK_INTERVAL = timedelta(seconds=30)


def agent_commit(version):
    """The short commit hash the agent of this version reports."""
    return AGENT_COMMITS.get(version) or hashlib.sha1(version.encode()).hexdigest()[:8]


def _version_tuple(version):
    parts = []
    for part in version.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


@dataclass(frozen=True)
class Registration:
    """What the agent on the host knows once it has registered."""

    cluster: str
    container_instance_arn: str
    agent_version: str
    agent_hash: str
    docker_version: str
    registered_at: datetime
    memory_mib: int


@dataclass(frozen=True)
class Host:
    """One EC2 instance as its shell sees it."""

    instance_id: str
    windows: bool
    launched_at: datetime
    user_data: str
    cluster_in_user_data: str | None
    registration: Registration | None = None
    files: dict = field(default_factory=dict)
    # Why its agent could not register, when a failure scenario says (`scenarios.py`).
    registration_error: str | None = None

    @property
    def agent_started_at(self):
        if self.registration:
            return self.registration.registered_at - AGENT_REGISTERS_AFTER_START
        return self.launched_at + AGENT_STARTS_AFTER_LAUNCH


@dataclass(frozen=True)
class Result:
    """What one script printed and how it ended, as SSM reports a plugin's run."""

    stdout: str
    stderr: str = ""
    exit_code: int = 0


# ---------------------------------------------------------------- user data → ecs.config


def ecs_config_written_by(user_data):
    """What a shell user data script leaves in /etc/ecs/ecs.config, byte for byte.

    cloud-init runs user data as a script only when it starts with `#!`. The lines that reach
    the file are `echo … >> /etc/ecs/ecs.config` (or `>`, which empties it first) and
    `cat <<EOF >> /etc/ecs/ecs.config` here-documents; the rest of the script is not emulated.
    """
    if not user_data.startswith("#!"):
        return ""
    content = ""
    lines = user_data.splitlines()
    index = 1
    while index < len(lines):
        line = lines[index]
        index += 1
        for command in _commands_of(line):
            redirect = _redirect_of(command)
            if redirect is None:
                continue
            operator, target, words = redirect
            if "<<" in words or "<<-" in words:
                marker_at = words.index("<<") if "<<" in words else words.index("<<-")
                delimiter = words[marker_at + 1] if marker_at + 1 < len(words) else ""
                body = []
                while index < len(lines) and lines[index].strip() != delimiter:
                    body.append(lines[index])
                    index += 1
                index += 1  # the delimiter line
                written = "".join(f"{text}\n" for text in body)
            elif words and words[0] == "echo":
                written = _echo(words[1:])
            else:
                continue
            if target != ECS_CONFIG:
                continue
            content = written if operator == ">" else content + written
    return content


def _commands_of(line):
    """The simple commands of one shell line, split on `;`, `&&`, `||` and `&`."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|<>")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        tokens = list(lexer)
    except ValueError:
        return []
    commands, current = [], []
    for token in tokens:
        if token in (";", "&&", "||", "&", ";;"):
            if current:
                commands.append(current)
            current = []
        else:
            current.append(token)
    if current:
        commands.append(current)
    return commands


def _redirect_of(words):
    """(operator, target, the words without the redirection) for a command writing to a file."""
    for at, word in enumerate(words):
        if word in (">>", ">") and at + 1 < len(words):
            return word, words[at + 1], words[:at] + words[at + 2 :]
    return None


def _echo(arguments):
    newline = "\n"
    while arguments and arguments[0] in ("-n", "-e", "-E", "-ne", "-en"):
        if "n" in arguments[0]:
            newline = ""
        arguments = arguments[1:]
    return " ".join(arguments) + newline


def windows_ecs_config(cluster, user_data):
    """What Initialize-ECSAgent keeps of its arguments (a choice: AWS documents no file)."""
    lines = []
    if cluster:
        lines.append(f"ECS_CLUSTER={cluster}")
    if "-EnableTaskIAMRole" in user_data:
        lines.append("ECS_ENABLE_TASK_IAM_ROLE=true")
    return "".join(f"{line}\n" for line in lines)


# ---------------------------------------------------------------- reading the host


def _decoded_user_data(instance):
    encoded = getattr(instance, "user_data", None)
    if encoded is None:
        return ""
    if isinstance(encoded, list):
        encoded = encoded[0] if encoded else ""
    raw = encoded.as_bytes() if hasattr(encoded, "as_bytes") else str(encoded).encode()
    try:
        return base64.b64decode(raw).decode("utf-8", "replace")
    except ValueError:
        return ""


def _as_utc(moment):
    if isinstance(moment, (int, float)):
        return datetime.fromtimestamp(moment, tz=timezone.utc)
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def _registration(account_id, region, instance_id):
    backend = ecs_backends[account_id][region]
    found = None
    for cluster_name, container_instances in backend.container_instances.items():
        for container_instance in container_instances.values():
            if container_instance.ec2_instance_id != instance_id:
                continue
            if found is None or container_instance.status in ("ACTIVE", "DRAINING"):
                found = (cluster_name, container_instance)
    if found is None:
        return None
    cluster_name, container_instance = found
    version = container_instance.version_info or {}
    memory = next(
        (
            r.get("integerValue", 0)
            for r in container_instance.registered_resources
            if r.get("name") == "MEMORY"
        ),
        0,
    )
    return Registration(
        cluster=cluster_name,
        container_instance_arn=container_instance.container_instance_arn,
        agent_version=version.get("agentVersion", ""),
        agent_hash=version.get("agentHash", ""),
        docker_version=version.get("dockerVersion", ""),
        registered_at=_as_utc(container_instance.registered_at),
        memory_mib=memory,
    )


def read_host(account_id, region, instance):
    """The host behind a moto EC2 instance, as the lab's commands would find it."""
    from .agent import cluster_from_user_data

    user_data = _decoded_user_data(instance)
    windows = (getattr(instance, "platform", None) or "") == "windows"
    cluster = cluster_from_user_data(user_data)
    if windows:
        files = {WINDOWS_ECS_CONFIG: windows_ecs_config(cluster, user_data)}
    else:
        files = {ECS_CONFIG: ecs_config_written_by(user_data)}
    return Host(
        instance_id=instance.id,
        windows=windows,
        launched_at=_as_utc(instance.launch_time),
        user_data=user_data,
        cluster_in_user_data=cluster,
        registration=_registration(account_id, region, instance.id),
        files=files,
        registration_error=scenarios.registration_error(account_id, region, instance),
    )


def is_managed_by_ssm(account_id, instance):
    """Whether the SSM Agent on the instance can reach SSM: it has a route out (not so under
    the no-route-to-ecs scenario), its AMI ships the agent (not Amazon Linux 1) and its
    instance profile's role may call ssm:UpdateInstanceInformation."""
    backend = ec2_backends[account_id][instance.region_name]
    if not scenarios.ssm_reaches(account_id, instance.region_name, instance):
        return False
    image = backend.amis.get(instance.image_id)
    if image is not None and (image.name or "").startswith("amzn-ami-"):
        return False
    association = backend.iam_instance_profile_associations.get(instance.id)
    if association is None:
        return False
    return any(
        _allows(document, SSM_AGENT_ACTION)
        for role in association.iam_instance_profile.roles
        for document in _policy_documents(role)
    )


def _policy_documents(role):
    for policy in role.managed_policies.values():
        for version in policy.versions:
            if version.is_default:
                yield version.document
    yield from role.policies.values()


def _allows(document, action):
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return False
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        actions = statement.get("Action", [])
        if isinstance(actions, str):
            actions = [actions]
        if any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in actions):
            return True
    return False


# ---------------------------------------------------------------- running commands


def run_shell_script(host, commands, now):
    """Run AWS-RunShellScript's `commands` on a Linux host: stdout, stderr and exit code."""
    return _run(host, commands, now, _run_linux_command)


def run_powershell_script(host, commands, now):
    """Run AWS-RunPowerShellScript's `commands` on a Windows host."""
    return _run(host, commands, now, _run_windows_command)


def _run(host, commands, now, run_one):
    stdout, stderr, code = [], [], 0
    for number, line in enumerate("\n".join(commands).splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        result = run_one(host, line.strip(), now, number)
        stdout.append(result.stdout)
        stderr.append(result.stderr)
        code = result.exit_code
    return Result("".join(stdout), "".join(stderr), code)


def _not_found(host, word, number):
    script = f"/var/lib/amazon/ssm/{host.instance_id}/document/orchestration/_script.sh"
    return Result("", f"{script}: line {number}: {word}: command not found\n", 127)


def _run_linux_command(host, line, now, number):
    pipeline = [part.strip() for part in line.split("|")]
    try:
        words = shlex.split(pipeline[0])
    except ValueError:
        return Result("", f"syntax error in: {line}\n", 2)
    words = [w for w in words if w not in ("2>&1", "sudo")]
    if not words:
        return Result("")
    program, arguments = words[0], words[1:]
    if program == "cat":
        result = _cat(host, arguments)
    elif program == "docker":
        result = _docker(host, arguments, now)
    elif program == "curl":
        result = _curl(host, arguments)
    elif program == "echo":
        result = Result(_echo(arguments))
    else:
        return _not_found(host, program, number)
    for stage in pipeline[1:]:
        result = _filter(result, stage)
    return result


def _filter(result, stage):
    words = shlex.split(stage)
    if words and words[0] == "tail":
        return Result(_last_lines(result.stdout, _count_from(words[1:], 10)), result.stderr,
                      result.exit_code)
    return result


def _count_from(arguments, default):
    for at, word in enumerate(arguments):
        if word in ("-n", "--tail", "-Tail") and at + 1 < len(arguments):
            value = arguments[at + 1]
            return int(value) if value.isdigit() else default
        if word.startswith("--tail="):
            value = word.split("=", 1)[1]
            return int(value) if value.isdigit() else default
        if word.startswith("-") and word[1:].isdigit():
            return int(word[1:])
    return default


def _last_lines(text, count):
    lines = text.splitlines(keepends=True)
    return "".join(lines[-count:]) if count else ""


def _cat(host, paths):
    out, err, code = [], [], 0
    for path in paths:
        if path in host.files:
            out.append(host.files[path])
        else:
            err.append(f"cat: {path}: No such file or directory\n")
            code = 1
    return Result("".join(out), "".join(err), code)


def _docker(host, arguments, now):
    if arguments[:1] == ["ps"]:
        return Result(docker_ps(host, now))
    if arguments[:1] == ["logs"]:
        names = [a for a in arguments[1:] if not a.startswith("-") and not a.isdigit()]
        if names != [AGENT_CONTAINER] or host.windows:
            name = names[0] if names else ""
            return Result("", f"Error response from daemon: No such container: {name}\n", 1)
        lines = agent_log_lines(host)
        if any(a.startswith(("--tail", "-n")) for a in arguments):
            return Result(_last_lines(lines, _count_from(arguments, len(lines))))
        return Result(lines)
    return Result("", f"docker: '{' '.join(arguments[:1])}' is not emulated on this host.\n", 1)


def _curl(host, arguments):
    urls = [a for a in arguments if not a.startswith("-")]
    silent = any(a.startswith("-") and "s" in a.lstrip("-") for a in arguments)
    if not urls:
        return Result("", "curl: no URL specified!\n", 2)
    url = urls[0].removeprefix("http://")
    answer = introspection(host, url.removeprefix(INTROSPECTION))
    if not url.startswith(INTROSPECTION) or answer is None:
        error = "curl: (7) Failed to connect to localhost port 51678: Connection refused\n"
        if silent:
            error = ""
        return Result("", error, 7)
    return Result(answer)


def _run_windows_command(host, line, now, number):
    words = line.split()
    program = words[0].lower() if words else ""
    if program in ("get-content", "type", "cat", "gc"):
        path = next((w for w in words[1:] if not w.startswith("-")), "")
        tail = _count_from(words[1:], 0) if "-Tail" in words else 0
        if path == WINDOWS_AGENT_LOG:
            lines = agent_log_lines(host)
            return Result(_last_lines(lines, tail) if tail else lines)
        if path in host.files:
            return Result(host.files[path])
        return Result(
            "",
            f"Get-Content : Cannot find path '{path}' because it does not exist.\n",
            1,
        )
    if program == "docker" and words[1:2] == ["ps"]:
        return Result(docker_ps(host, now))
    if program in ("invoke-restmethod", "invoke-webrequest", "curl.exe"):
        url = next((w for w in words[1:] if "51678" in w), "").strip("()")
        answer = introspection(host, url.removeprefix("http://").removeprefix(INTROSPECTION))
        if answer is None:
            return Result("", "Unable to connect to the remote server\n", 1)
        return Result(answer + "\n")
    return Result(
        "",
        f"{words[0] if words else ''} : The term '{words[0] if words else ''}' is not recognized "
        "as the name of a cmdlet, function, script file, or operable program.\n",
        1,
    )


# ---------------------------------------------------------------- what the host prints


def introspection(host, path):
    """The agent's introspection API answer for a path, or None when nothing listens."""
    registration = host.registration
    if registration is None:
        # The introspection server starts only after the agent has registered.
        return None
    if path in ("", "/"):
        return json.dumps(
            {"AvailableCommands": ["/v1/metadata", "/v1/tasks", "/license"]},
            separators=(",", ":"),
        )
    if path == "/v1/metadata":
        commit = agent_commit(registration.agent_version)
        return json.dumps(
            {
                "Cluster": registration.cluster,
                "ContainerInstanceArn": registration.container_instance_arn,
                "Version": f"Amazon ECS Agent - v{registration.agent_version} ({commit})",
            },
            separators=(",", ":"),
        )
    if path == "/v1/tasks":
        return json.dumps({"Tasks": []}, separators=(",", ":"))
    return "404 page not found\n"


def human_duration(elapsed):
    """Docker's units.HumanDuration, which `docker ps` prints in CREATED and STATUS."""
    seconds = int(elapsed.total_seconds())
    if seconds < 1:
        return "Less than a second"
    if seconds == 1:
        return "1 second"
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = seconds // 60
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(elapsed.total_seconds() / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(elapsed.total_seconds() / 3600) // 24 // 365} years"


def _table(rows, min_width):
    """Go's tabwriter with padding 3, as the docker CLI lays out `docker ps`."""
    widths = [
        max(min_width, max(len(row[column]) for row in rows) + 3)
        for column in range(len(rows[0]) - 1)
    ]
    return "".join(
        "".join(cell.ljust(width) for cell, width in zip(row, widths)) + row[-1] + "\n"
        for row in rows
    )


def docker_ps(host, now):
    header = ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]
    docker_version = host.registration.docker_version if host.registration else ""
    # The docker CLI's table became narrower in 20.10 (tabwriter minimum width 20, then 10).
    modern = _version_tuple(docker_version.removeprefix("Docker version ")) >= (20, 10)
    min_width = 10 if modern else 20
    rows = [header]
    if not host.windows and now >= host.agent_started_at:
        started = host.agent_started_at
        up = now - started
        health = "(healthy)" if up >= HEALTH_CHECK_INTERVAL else "(health: starting)"
        container_id = hashlib.sha256(f"{host.instance_id}{started}".encode()).hexdigest()[:12]
        rows.append(
            [
                container_id,
                AGENT_IMAGE,
                '"/agent"',
                f"{human_duration(up)} ago",
                f"Up {human_duration(up)} {health}",
                # The agent runs with host networking: no ports are published.
                "",
                AGENT_CONTAINER,
            ]
        )
    return _table(rows, min_width)


def _logfmt(value):
    text = str(value)
    if text == "" or any(ch in text for ch in ' ="\\') or not text.isprintable():
        return json.dumps(text)
    return text


def agent_log_lines(host):
    """`docker logs ecs-agent`: the current run's start-up and registration, in the format of
    the agent version the host registered with (1.60 changed the wording and dropped module=)."""
    registration = host.registration
    started = host.agent_started_at
    version = registration.agent_version if registration else ""
    commit = agent_commit(version) if version else ""
    structured = _version_tuple(version) >= (1, 60) if version else True

    def line(offset, message, module, level="info", **fields):
        moment = (started + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")
        parts = [f"level={level}", f"time={moment}", f"msg={_logfmt(message)}"]
        if structured:
            parts += [f"{key}={_logfmt(value)}" for key, value in fields.items()]
        else:
            parts.append(f"module={module}")
        return " ".join(parts) + "\n"

    lines = [line(0, "Loading configuration", "agent.go")]
    for image in (AGENT_IMAGE, "amazon/amazon-ecs-pause:0.1.0"):
        if structured:
            lines.append(line(0, "Image excluded from cleanup", "docker_image_manager.go",
                              image=image))
        else:
            lines.append(line(0, f"Image excluded from cleanup: {image}",
                              "docker_image_manager.go"))
    if structured:
        lines.append(line(0, "Starting Amazon ECS Agent", "agent.go", version=version or
                          "unknown", commit=commit))
    else:
        lines.append(line(0, f"Amazon ECS agent Version: {version}, Commit: {commit}",
                          "agent.go"))
    lines += [
        line(1, "Creating root ecs cgroup: /ecs", "init_linux.go"),
        line(1, "Loading state!", "state_manager.go"),
        line(1, "Event stream ContainerChange start listening...", "eventstream.go"),
        line(1, "Registering Instance with ECS", "agent.go"),
    ]
    if registration is None:
        cluster = host.cluster_in_user_data or "default"
        reason = host.registration_error or "ClusterNotFoundException: Cluster not found."
        lines += [
            line(2, f"Unable to register as a container instance with ECS: {reason}",
                 "client.go", level="error", cluster=cluster),
            line(2, f"Error registering: {reason}", "agent.go", level="error"),
        ]
        return "".join(lines)
    lines += [
        line(2, f"Remaining mem: {registration.memory_mib}", "client.go"),
        line(3, "Registered container instance with cluster!", "client.go"),
    ]
    if structured:
        lines.append(line(3, "Instance registration completed successfully", "agent.go",
                          instanceArn=registration.container_instance_arn,
                          cluster=registration.cluster))
    else:
        lines.append(line(
            3,
            "Registration completed successfully. I am running as "
            f"'{registration.container_instance_arn}' in cluster '{registration.cluster}'",
            "agent.go",
        ))
    lines += [
        line(3, "Saving state!", "state_manager.go"),
        line(3, "Beginning Polling for updates", "agent.go"),
        line(3, "Initializing stats engine", "engine.go"),
        line(4, "Connected to TCS endpoint", "handler.go"),
        line(4, "Connected to ACS endpoint", "acs_handler.go"),
    ]
    return "".join(lines)
