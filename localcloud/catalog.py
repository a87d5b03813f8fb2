"""The ECS-optimized Windows AMIs AWS publishes and moto lacks, the same in SSM and in EC2."""

import hashlib
from dataclasses import dataclass

ECS_AMI_ROOT = "/aws/service/ecs/optimized-ami"
WINDOWS_LATEST_ROOT = "/aws/service/ami-windows-latest"

WINDOWS_RELEASE = "2026.09.10"
WINDOWS_AGENT_VERSION = "1.107.0"
# Since September 2022 the Windows ECS AMIs ship Docker CE (Moby) rather than Docker EE.
WINDOWS_DOCKER_VERSION = "Docker version 25.0.6"
# The account that owns Amazon's Windows AMIs.
WINDOWS_OWNER_ID = "801119661308"

# (year, edition) of each ECS-optimized Windows Server AMI the console offers.
WINDOWS_EDITIONS = (
    ("2019", "Full"),
    ("2019", "Core"),
    ("2016", "Full"),
    ("2022", "Full"),
    ("2022", "Core"),
)


@dataclass(frozen=True)
class WindowsAmi:
    year: str
    edition: str
    image_id: str

    @property
    def os(self):
        return f"Windows_Server-{self.year}-English-{self.edition}"

    @property
    def image_name(self):
        return f"{self.os}-ECS_Optimized-{WINDOWS_RELEASE}"

    @property
    def description(self):
        return (
            f"Microsoft Windows Server {self.year} {self.edition} "
            "optimized for ECS and provided by Amazon"
        )

    @property
    def latest_parameter(self):
        return f"{WINDOWS_LATEST_ROOT}/{self.os}-ECS_Optimized"

    @property
    def family_path(self):
        return f"{ECS_AMI_ROOT}/windows_server/{self.year}/english/{self.edition.lower()}"

    def recommended(self):
        """The value of the family's `recommended` parameter, as AWS publishes it."""
        return {
            "ecs_agent_version": WINDOWS_AGENT_VERSION,
            "ecs_runtime_version": WINDOWS_DOCKER_VERSION,
            "image_id": self.image_id,
            "image_name": self.image_name,
            "os": self.os,
            "schema_version": 1,
        }


def windows_amis(region):
    """This region's ECS-optimized Windows AMIs; ids are stable for a region, as on AWS."""
    amis = []
    for year, edition in WINDOWS_EDITIONS:
        seed = f"{region}/Windows_Server-{year}-English-{edition}-ECS_Optimized-{WINDOWS_RELEASE}"
        image_id = "ami-0" + hashlib.sha256(seed.encode()).hexdigest()[:16]
        amis.append(WindowsAmi(year, edition, image_id))
    return amis
