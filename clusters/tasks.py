"""Celery tasks: thin wrappers that claim one step row, run it, and schedule what comes next."""

import logging
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.utils.time import get_exponential_backoff_interval
from django.db import transaction
from django.utils import timezone

from . import provisioning
from .aws import AwsError, AwsUnavailable
from .models import Step

logger = logging.getLogger(__name__)

# A step that nobody has touched for this long while ready to run lost its message (Redis was
# away, or a worker died holding it): the beat schedule sends it again.
STALLED_AFTER = timedelta(seconds=60)


@shared_task(bind=True, max_retries=8)
def run_step(self, step_id):
    step = Step.objects.select_related("operation").filter(pk=step_id).first()
    if step is None or not step.claim():
        return  # ended, or another worker has it: claims make a duplicate message harmless
    try:
        look_again_in = provisioning.run(step)
    except AwsUnavailable as error:
        if self.request.retries >= self.max_retries:
            step.mark_failed(str(error))
            return
        step.mark_waiting(f"AWS did not answer, trying again: {error}")
        raise self.retry(
            exc=error,
            countdown=get_exponential_backoff_interval(
                factor=2, retries=self.request.retries, maximum=120, full_jitter=True
            ),
        )
    except AwsError as error:
        step.mark_failed(str(error))
        return
    except SoftTimeLimitExceeded:
        raise  # the step took too long this time; its claim lapses and the beat sends it again
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
        return
    if look_again_in:
        step.release()
        run_step.apply_async((step.pk,), countdown=look_again_in)
    elif step.state == Step.State.SUCCEEDED:
        following = step.operation.step_after(step)
        if following is not None:
            run_step.delay(following.pk)


def console_fault_message(error):
    """What the status page says when a step broke on the console's own error."""
    return (
        "ECS Console stopped here on an error of its own, not a refusal from AWS "
        f"({type(error).__name__}: {error}). It will not try this step again. Anything AWS "
        "already made is still there: look at the cluster, then delete it or try again. "
        "The worker's log has the details."
    )


def start_operation(operation):
    """Send an operation's first step to a worker once the rows are committed.

    If the broker is away the rows stay pending and the beat schedule sends them later, so a
    submission is never lost to a Redis outage.
    """
    first = operation.ordered_steps[0]
    transaction.on_commit(lambda: run_step.delay(first.pk), robust=True)


@shared_task
def resume_unfinished_work():
    stalled = Step.objects.ready_to_run().filter(updated_at__lt=timezone.now() - STALLED_AFTER)
    for step_id in stalled.values_list("pk", flat=True):
        logger.info("Resuming step %s", step_id)
        run_step.delay(step_id)
