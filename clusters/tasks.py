"""Celery tasks: thin wrappers that claim one step row, run it, and schedule what comes next."""

import contextlib
import logging
import threading
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.utils.time import get_exponential_backoff_interval
from django.db import OperationalError, connection, models, transaction
from django.utils import timezone

from . import inventory, provisioning
from .aws import AwsError, AwsUnavailable, acting_for
from .models import Operation, Step

logger = logging.getLogger(__name__)

# A step due to run that nobody has touched for this long lost its message (Redis was away, or
# the worker holding it died and its lease lapsed): the beat schedule sends it again. Short, so
# that work is taken up again within half a minute; a duplicate message is harmless (claims).
RESEND_AFTER = timedelta(seconds=10)


@shared_task(bind=True, max_retries=8)
def run_step(self, step_id):
    """Run the step, then each step it hands on to, in this same task: the next step of an
    operation starts at once, without a trip through the broker to a worker."""
    while step_id is not None:
        step_id = _run_one_step(self, step_id)


def _run_one_step(task, step_id):
    """Claim and run one step; return the id of the step to run next in this task, if any."""
    step = Step.objects.select_related("operation__created_by").filter(pk=step_id).first()
    if step is None or not step.claim():
        return None  # ended, or another worker has it: claims make a duplicate message harmless
    # The step acts for the person who asked, in their account, through the role recorded.
    with acting_for(step.operation.person):
        return _run_claimed_step(task, step)


def _run_claimed_step(task, step):
    try:
        with keeping_the_lease(step):
            look_again_in = provisioning.run(step)
    except AwsUnavailable as error:
        if task.request.retries >= task.max_retries:
            step.mark_failed(str(error))
        else:
            countdown = get_exponential_backoff_interval(
                factor=2, retries=task.request.retries, maximum=120, full_jitter=True
            )
            step.mark_waiting(f"AWS did not answer, trying again: {error}", due_in=countdown)
            raise task.retry(args=(step.pk,), exc=error, countdown=countdown) from error
    except AwsError as error:
        step.mark_failed(str(error))
    except SoftTimeLimitExceeded:
        raise  # the step took too long this time; its lease lapses and the beat sends it again
    except Exception as error:
        # A fault of the console's own would fail the same way every time it ran: end the step
        # so that the beat does not send it again, and say so in words; the traceback is logged.
        logger.exception(
            "Step %s (%s of operation %s) broke on the console's own error",
            step.pk,
            step.get_kind_display(),
            step.operation_id,
        )
        step.mark_failed(console_fault_message(error))
    else:
        if look_again_in:
            step.release(due_in=look_again_in)
            run_step.apply_async((step.pk,), countdown=look_again_in)
            return None
    return carry_on_after(step)


@contextlib.contextmanager
def keeping_the_lease(step):
    """Renew the step's lease while the body runs, from a thread of its own: a step may wait
    on AWS longer than the lease, and the lease must lapse soon only when the worker is gone."""
    stop = threading.Event()

    def renew():
        try:
            while not stop.wait(Step.LEASE_SECONDS / 3):
                try:
                    renewed = step.renew_lease()
                except OperationalError:
                    # A database busy for a moment (SQLite locked by another writer) costs one
                    # renewal of three the lease allows; the next tick tries again.
                    logger.warning("Step %s could not renew its lease this time", step.pk)
                    continue
                if not renewed:
                    logger.warning("Step %s lost its lease while it ran", step.pk)
                    return
        finally:
            connection.close()  # this thread's own database connection

    heartbeat = threading.Thread(target=renew, name=f"lease-of-step-{step.pk}", daemon=True)
    heartbeat.start()
    try:
        yield
    finally:
        stop.set()
        heartbeat.join()


def carry_on_after(step):
    """The id of the step that follows one that succeeded, to run next; or None, having ended
    the operation after its last step, or after a step that failed, and started whatever was
    queued behind it."""
    if step.state == Step.State.SUCCEEDED:
        following = step.operation.step_after(step)
        if following is not None:
            return following.pk
    if step.has_ended:
        end_operation(step.operation)
    return None


def end_operation(operation):
    # What the operation changed is shown at once, not after the shared reads go stale.
    inventory.forget_cluster(operation.region, operation.cluster_name)
    for queued in operation.end():
        start_operation(queued)


def console_fault_message(error):
    """What the status page says when a step broke on the console's own error."""
    return (
        "ECS Console stopped here on an error of its own, not a refusal from AWS "
        f"({type(error).__name__}: {error}). It will not try this step again. Anything AWS "
        "already made is still there: look at the cluster, then delete it or try again. "
        "The worker's log has the details."
    )


def start_operation(operation):
    """Send a running operation's first step to a worker once the rows are committed (a queued
    one waits for the operation before it to end).

    If the broker is away the rows stay pending and the beat schedule sends them later, so a
    submission is never lost to a Redis outage.
    """
    if operation.state != Operation.State.RUNNING:
        return
    first = operation.ordered_steps[0]
    transaction.on_commit(lambda: run_step.delay(first.pk), robust=True)


@shared_task
def resume_unfinished_work():
    """The rows, not the broker, decide what runs: end operations whose worker died between
    their last step and their end, start queued ones nothing holds back, and send again every
    step due that nobody holds."""
    now = timezone.now()
    unfinished = Step.objects.unfinished().filter(operation=models.OuterRef("pk"))
    failed = Step.objects.filter(operation=models.OuterRef("pk"), state=Step.State.FAILED)
    done = Operation.objects.running().filter(
        ~models.Exists(unfinished) | models.Exists(failed)
    )
    for operation in done.select_related("created_by"):
        logger.info("Ending operation %s, whose steps have all ended", operation.pk)
        with acting_for(operation.person):
            end_operation(operation)
    # Started by the ending of what they waited for, unless that ending was lost with its worker.
    waiting = Operation.objects.filter(state=Operation.State.QUEUED)
    for account_id in waiting.values_list("account_id", flat=True).distinct():
        for operation in Operation.objects.start_those_due(account_id):
            logger.info("Starting operation %s, which nothing holds back any more", operation.pk)
            start_operation(operation)
    stalled = Step.objects.ready_to_run(now).filter(updated_at__lt=now - RESEND_AFTER)
    for step_id in stalled.values_list("pk", flat=True):
        logger.info("Resuming step %s", step_id)
        run_step.delay(step_id)
