"""Waiting on a condition with a deadline: how the end-to-end tests wait, instead of sleeping."""

import os
import time


def wait_until(condition, timeout, what, interval=0.05):
    """Call condition until it returns something truthy, and return that; fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"Gave up after {timeout} s waiting for {what}")
        time.sleep(interval)


def wait_until_ended(operation, timeout=60):
    """Wait for every row of an operation to end, as a worker moves them; fail after timeout,
    saying where each row stood."""
    try:
        wait_until(
            lambda: not operation.steps.unfinished().exists(),
            timeout,
            f"the worker to end every step of {operation} "
            "(its log: test-artifacts/logs/celery-worker.log)",
            interval=0.1,
        )
    except TimeoutError as error:
        rows = [
            f"{step.kind} {step.state} {step.message!r}" for step in operation.steps.all()
        ]
        raise TimeoutError(f"{error}; its rows: {rows}") from None


CLOCK_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")  # the unit of /proc/<pid>/stat's CPU times
ONE_CLOCK_TICK = 1 / CLOCK_TICKS_PER_SECOND


def wait_until_idle(pid, timeout=600):
    """Until the local cloud spends no CPU for a second: the agent's last pass is over. Returns
    the seconds that took; a cloud that never rests fails after timeout."""
    return _wait_for_a_second_of_rest(
        lambda: cpu_seconds(pid), ONE_CLOCK_TICK, timeout, "the local cloud to rest for a second"
    )


def wait_until_the_machine_rests(timeout=120):
    """Until all the machine's processes together spend under a tenth of a core for a second:
    where a benchmark's measure starts, not while a server it started is still starting its
    workers. Returns the seconds that took."""
    return _wait_for_a_second_of_rest(
        machine_busy_seconds, 0.1, timeout, "the machine to rest for a second"
    )


def _wait_for_a_second_of_rest(busy_seconds, at_most, timeout, what):
    started = time.perf_counter()

    def rested_for_a_second():
        before = busy_seconds()
        time.sleep(1)  # measuring a span of rest
        return busy_seconds() - before <= at_most

    wait_until(rested_for_a_second, timeout, what, interval=0)
    return time.perf_counter() - started


def machine_busy_seconds():
    """The CPU seconds the machine's cores have spent working since boot (not waiting, and not
    what the hypervisor took for other machines)."""
    user, nice, system, idle, iowait, irq, softirq = (
        int(field) for field in open("/proc/stat").readline().split()[1:8]
    )
    return (user + nice + system + irq + softirq) / CLOCK_TICKS_PER_SECOND


def cpu_seconds(pid):
    if pid is None:
        return 0.0
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS_PER_SECOND
