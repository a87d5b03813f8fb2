"""The benchmark table: each benchmark adds its row, and the run writes docs/benchmarks.md."""

import datetime
import os
import platform
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Row:
    what: str
    measured: str
    target: str
    met: bool


def machine():
    """What the numbers were measured on: the processor, its cores, and how busy it was."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown processor",
    )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"{model}, {len(os.sched_getaffinity(0))} cores, load average {load} when the run ended; "
        f"Python {platform.python_version()}, Django {version('django')}, "
        f"moto {version('moto')}, boto3 {version('boto3')}"
    )


def write(rows, keep=True, path=DOCUMENT):
    """docs/benchmarks.md: the table, the machine and the date; printed only, unless kept."""
    lines = [
        "# Benchmarks",
        "",
        "`make bench` measured these on "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, on {machine()}.",
        "Each AWS figure is beside the same calls made directly with boto3 on the same local cloud.",
        "",
        "| | measured | target | met |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {row.what} | {row.measured} | {row.target} | {'yes' if row.met else '**no**'} |"
        for row in rows
    ]
    if keep:
        path.parent.mkdir(exist_ok=True)
        path.write_text("\n".join(lines) + "\n")
    print("\n" + "\n".join(lines))
