"""Operations run one at a time on a cluster (a state and two constraints), steps are held by a
renewed lease, and a delete no longer records whether a stack existed: it always looks for one.

Operations already recorded get the state their steps tell; where several are unfinished on one
cluster, the oldest runs and the rest wait behind it, as if they had been asked that way.
"""

from django.conf import settings
from django.db import migrations, models

ENDED_STATES = {"succeeded", "failed"}


def state_from_steps(apps, schema_editor):
    Operation = apps.get_model("clusters", "Operation")
    running = set()
    pending_actions = set()
    for operation in Operation.objects.order_by("created_at"):
        states = [step.state for step in operation.steps.all()]
        ended = "failed" in states or all(state == "succeeded" for state in states)
        cluster = (operation.region, operation.cluster_name)
        if ended or (*cluster, operation.action) in pending_actions:
            operation.state = "ended"
        elif cluster in running:
            operation.state = "queued"
        else:
            operation.state = "running"
            running.add(cluster)
        if operation.state != "ended":
            pending_actions.add((*cluster, operation.action))
        if operation.action == "delete":
            operation.config = {}
        operation.save(update_fields=["state", "config"])


class Migration(migrations.Migration):

    dependencies = [
        ('clusters', '0004_deregistration'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='operation',
            name='ended_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='operation',
            name='state',
            field=models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('ended', 'Ended')], default='running', max_length=10),
        ),
        migrations.AddField(
            model_name='step',
            name='claim_token',
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.AddField(
            model_name='step',
            name='not_before',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(state_from_steps, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='operation',
            constraint=models.UniqueConstraint(condition=models.Q(('state', 'running')), fields=('region', 'cluster_name'), name='one_running_operation_per_cluster'),
        ),
        migrations.AddConstraint(
            model_name='operation',
            constraint=models.UniqueConstraint(condition=models.Q(('state__in', ['queued', 'running'])), fields=('region', 'cluster_name', 'action'), name='one_pending_operation_of_an_action_per_cluster'),
        ),
    ]
