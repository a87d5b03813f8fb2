"""Where each learner stands: one pass of the checkpoints over their account, shared by every
trainer who looks and made at most once a learner every CLASS_READ_SECONDS; and the rows the Class
page and its CSV show, reached checkpoints coming from CheckpointReached."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from clusters.aws import AwsError
from clusters.inventory import shared_read

from .checkpoints import CHECKPOINTS, Checkpoint, LearnerAccount
from .learners import acting_as
from .models import CheckpointReached


@dataclass(frozen=True)
class Pass:
    """The checkpoints' results over one learner's account, by checkpoint name; `error` is
    AWS's reason when it stopped answering during the pass (the checks after it have none)."""

    results: dict
    error: str = ""


def check_account(learner, region):
    """Run every check over the learner's account, as the learner, and record those reached."""
    reached_before = set(
        CheckpointReached.objects.filter(learner=learner).values_list("checkpoint", flat=True)
    )
    account = LearnerAccount(region, reached_before)
    results, error = {}, ""
    with acting_as(learner):
        for checkpoint in CHECKPOINTS:
            try:
                results[checkpoint.name] = checkpoint.check(account)
            except AwsError as failure:
                error = str(failure)
                break
    CheckpointReached.objects.record(
        learner,
        [name for name, result in results.items() if result.reached and name not in reached_before],
    )
    return Pass(results, error)


def learner_pass(learner, region):
    """The learner's latest pass: made again once it is CLASS_READ_SECONDS old, by whichever
    request comes first, while every other viewer is answered with the last one."""
    return shared_read(
        f"classroom:{region}:learner:{learner.pk}",
        settings.CLASS_READ_SECONDS,
        lambda: check_account(learner, region),
    )


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
    if result.reached:  # reached this pass; its row is written, this answers before reading it
        return Cell(checkpoint, CellState.REACHED, "")
    return Cell(checkpoint, CellState.WRONG if result.wrong else CellState.NOT_YET, result.missing)


def class_rows(learners, region):
    """One row per learner: each checkpoint reached (with its first time), wrong or not yet."""
    learners = list(learners)
    passes = {learner.pk: learner_pass(learner, region) for learner in learners}
    times = CheckpointReached.objects.times_by_learner(learners)
    rows = []
    for learner in learners:
        found = passes[learner.pk]
        reached = times.get(learner.pk, {})
        cells = tuple(
            _cell(checkpoint, reached.get(checkpoint.name), found.results.get(checkpoint.name))
            for checkpoint in CHECKPOINTS
        )
        rows.append(LearnerRow(learner, cells, found.error))
    return rows

