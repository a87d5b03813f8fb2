"""The lab's commands, as each platform's Run Command document takes them."""

from dataclasses import dataclass
from enum import StrEnum

# How many of the agent's last log lines the Host panel shows.
AGENT_LOG_LINES = 20


class Document(StrEnum):
    """AWS's own Run Command documents: a shell script on Linux, PowerShell on Windows."""

    SHELL = "AWS-RunShellScript"
    POWERSHELL = "AWS-RunPowerShellScript"

    @classmethod
    def for_platform(cls, windows):
        return cls.POWERSHELL if windows else cls.SHELL


class LabCommand(StrEnum):
    """What the lab's points 8 and 9 look at on the host, in the order the panel shows them."""

    ECS_CONFIG = "ecs-config"
    DOCKER_PS = "docker-ps"
    AGENT_LOGS = "agent-logs"
    AGENT_METADATA = "agent-metadata"

    @property
    def label(self):
        return LABELS[self]

    def script(self, document):
        return SCRIPTS[document][self]


LABELS = {
    LabCommand.ECS_CONFIG: "The agent's configuration file",
    LabCommand.DOCKER_PS: "Running containers",
    LabCommand.AGENT_LOGS: f"The agent's last {AGENT_LOG_LINES} log lines",
    LabCommand.AGENT_METADATA: "The agent's introspection API",
}

SCRIPTS = {
    Document.SHELL: {
        LabCommand.ECS_CONFIG: "cat /etc/ecs/ecs.config",
        LabCommand.DOCKER_PS: "docker ps",
        LabCommand.AGENT_LOGS: f"docker logs --tail {AGENT_LOG_LINES} ecs-agent",
        LabCommand.AGENT_METADATA: "curl -s localhost:51678/v1/metadata",
    },
    # On Windows the agent is a service, not a container: its log is a file.
    Document.POWERSHELL: {
        LabCommand.ECS_CONFIG: r"Get-Content C:\ProgramData\Amazon\ECS\ecs.config",
        LabCommand.DOCKER_PS: "docker ps",
        LabCommand.AGENT_LOGS: (
            rf"Get-Content C:\ProgramData\Amazon\ECS\log\ecs-agent.log -Tail {AGENT_LOG_LINES}"
        ),
        LabCommand.AGENT_METADATA: "curl.exe -s http://localhost:51678/v1/metadata",
    },
}


@dataclass(frozen=True)
class Invocation:
    """GetCommandInvocation's answer, as far as the panel needs it."""

    status: str
    response_code: int | None = None
    stdout: str = ""
    stderr: str = ""

    @property
    def has_ended(self):
        return self.status not in ("Pending", "InProgress", "Delayed", "Cancelling")
