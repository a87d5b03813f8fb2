"""The local cloud: moto, changed where it departs from AWS, plus an emulated ECS agent."""

import threading

_lock = threading.Lock()
_installed = False


def install():
    """Make moto's backends behave as AWS does; safe to call again, in a mock or in the server."""
    global _installed
    with _lock:
        if _installed:
            return
        from . import autoscaling, cloudformation, ec2, ecs, iam, pace, serialization, ssm

        for module in (iam, ssm, ec2, pace, ecs, autoscaling, cloudformation, serialization):
            module.install()
        from . import cfn_template, physical_ids, scenarios

        physical_ids.install()
        cfn_template.install()
        scenarios.install()
        _installed = True
