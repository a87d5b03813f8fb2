"""ECS Console: the ECS classic console's Create Cluster experience, on AWS or a local cloud."""

from .celery import app as celery_app

__all__ = ("celery_app",)
