"""Waiting on a condition with a deadline: how the end-to-end tests wait, instead of sleeping."""

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
