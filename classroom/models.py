"""The checkpoints each learner has reached, as rows: kept when what reached them is gone."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class CheckpointReachedQuerySet(models.QuerySet):
    def record(self, learner, checkpoint_names, at=None):
        """Note that the learner reached these checkpoints now, keeping the time of any reached
        before: only the first time counts."""
        at = at or timezone.now()
        self.bulk_create(
            [
                self.model(learner=learner, checkpoint=name, reached_at=at)
                for name in checkpoint_names
            ],
            ignore_conflicts=True,
        )

    def times_by_learner(self, learners):
        """{learner id: {checkpoint name: when it was first reached}} for these learners."""
        found = {}
        for row in self.filter(learner__in=learners):
            found.setdefault(row.learner_id, {})[row.checkpoint] = row.reached_at
        return found


class CheckpointReached(models.Model):
    """A learner reached a checkpoint of the lab (classroom/checkpoints.py), first at that time."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="checkpoints_reached"
    )
    checkpoint = models.CharField(max_length=100)  # a Checkpoint's name
    reached_at = models.DateTimeField(default=timezone.now)

    objects = CheckpointReachedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "checkpoint"], name="a_checkpoint_is_reached_once"
            )
        ]

    def __str__(self):
        return f"{self.learner} reached {self.checkpoint} at {self.reached_at:%Y-%m-%d %H:%M}"
