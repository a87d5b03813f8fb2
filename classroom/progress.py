"""Where each learner stands: one pass of the checkpoints over their account, shared by every
trainer who looks and made at most once a learner every CLASS_READ_SECONDS; and the rows the Class
page and its CSV show, reached checkpoints coming from CheckpointReached."""

from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from accounts.models import NoAwsAccount, person_for
from clusters.aws import AwsError, acting_for
from clusters.inventory import last_reading, shared_read

from .checkpoints import CHECKPOINTS, Checkpoint, LearnerAccount
from .models import CheckpointReached

# How many learners' accounts a web process reads at once, each in a thread of its own: a class
# of 30 in four rounds, each about as long as one learner's pass. The threads are the process's,
# kept between requests (with their cache connections), so trainers watching together share
# them rather than each bringing eight more.
PASSES_AT_ONCE = 8
_passes = ThreadPoolExecutor(max_workers=PASSES_AT_ONCE, thread_name_prefix="class-pass")


@dataclass(frozen=True)
class Pass:
    """The checkpoints' results over one learner's account, by checkpoint name; `error` is
    AWS's reason when it stopped answering during the pass (the checks after it have none)."""

    results: dict
    error: str = ""


def check_account(person, region, reached_before=frozenset()):
    """Run every check over the account of the learner `person` (clusters.aws.Person), acting
    as them. It reads AWS only, never the database, so the passes of a class run side by side
    in threads of their own (the person is found beforehand, in the request's thread)."""
    account = LearnerAccount(region, reached_before)
    results, error = {}, ""
    with acting_for(person):
        for checkpoint in CHECKPOINTS:
            try:
                results[checkpoint.name] = checkpoint.check(account)
            except AwsError as failure:
                error = str(failure)
                break
    return Pass(results, error)


def record_reached(learner, found, reached):
    """Record the checkpoints the pass found reached that `reached` (name: time) lacks, and add
    them to it."""
    newly = [
        name for name, result in found.results.items() if result.reached and name not in reached
    ]
    if newly:
        at = timezone.now()
        CheckpointReached.objects.record(learner, newly, at=at)
        reached.update(dict.fromkeys(newly, at))


def check_learner(learner, region):
    """One pass over the learner's account now, unshared, with what it reached recorded."""
    reached = CheckpointReached.objects.times_by_learner([learner]).get(learner.pk, {})
    found = check_account(person_for(learner), region, frozenset(reached))
    record_reached(learner, found, reached)
    return found


def learner_pass(learner, person, region, reached_before):
    """The learner's latest pass: made again once it is CLASS_READ_SECONDS old, by whichever
    request comes first, while every other viewer is answered with the last one. A learner
    without an AWS account yet (an admin gives one) has a pass that says so."""
    if isinstance(person, NoAwsAccount):
        return Pass({}, "No AWS account yet: an admin gives this learner a role to work in.")
    return shared_read(
        _pass_key(learner, region),
        settings.CLASS_READ_SECONDS,
        lambda: check_account(person, region, reached_before),
    )


def _pass_key(learner, region):
    return f"classroom:{region}:learner:{learner.pk}"


def _back_or_last(learner, region, making):
    """The pass being made for the learner if it is back, else their last one; a learner never
    read before waits for theirs."""
    if not making.done():
        last = last_reading(_pass_key(learner, region))
        if last is not None:
            return last
    return making.result()


def _person_or_why_not(learner):
    try:
        return person_for(learner)
    except NoAwsAccount as missing:
        return missing


class CellState:
    """The status icon of a checkpoint (templates/clusters/status_icon.html)."""

    REACHED = "succeeded"
    WRONG = "failed"
    NOT_YET = "skipped"


@dataclass(frozen=True)
class Cell:
    checkpoint: Checkpoint
    state: str
    words: str
    reached_at: datetime | None = None


@dataclass(frozen=True)
class LearnerRow:
    learner: object
    cells: tuple[Cell, ...]
    error: str = ""

    @property
    def finished(self):
        return all(cell.reached_at for cell in self.cells)


def _cell(checkpoint, reached_at, result):
    if reached_at is not None:
        return Cell(checkpoint, CellState.REACHED, "", reached_at)
    if result is None:
        return Cell(checkpoint, CellState.NOT_YET, "Not read: AWS did not answer.")
    return Cell(checkpoint, CellState.WRONG if result.wrong else CellState.NOT_YET, result.missing)


def class_rows(learners, region):
    """One row per learner: each checkpoint reached (with its first time), wrong or not yet.
    The learners' passes that are due are made side by side, PASSES_AT_ONCE at a time: each
    waits on AWS, and a class's worth one after the other would keep the page waiting. The page
    waits for them CLASS_PAGE_WAIT_SECONDS at most (for a learner read before): without the
    bound, a class of 30 building their clusters (make bench) kept the trainer waiting 12 s at
    every look (p95), four rounds of passes against a busy cloud."""
    learners = list(learners)
    times = CheckpointReached.objects.times_by_learner(learners)
    for learner in learners:
        times.setdefault(learner.pk, {})
    people = [_person_or_why_not(learner) for learner in learners]
    making = [
        _passes.submit(learner_pass, learner, person, region, frozenset(times[learner.pk]))
        for learner, person in zip(learners, people)
    ]
    wait(making, timeout=settings.CLASS_PAGE_WAIT_SECONDS)
    passes = [_back_or_last(learner, region, pass_) for learner, pass_ in zip(learners, making)]
    rows = []
    for learner, found in zip(learners, passes):
        reached = times[learner.pk]
        record_reached(learner, found, reached)
        cells = tuple(
            _cell(checkpoint, reached.get(checkpoint.name), found.results.get(checkpoint.name))
            for checkpoint in CHECKPOINTS
        )
        rows.append(LearnerRow(learner, cells, found.error))
    return rows
