"""The region a person is working in: chosen in the header, kept in the session."""

import functools

import boto3
from django.conf import settings


@functools.lru_cache(maxsize=1)
def ecs_regions():
    """Regions where ECS runs, from botocore's own endpoint data: no AWS call needed."""
    regions = set(boto3.session.Session().get_available_regions("ecs"))
    return sorted(regions | {settings.AWS_REGION})


class RegionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.session.get("region") if hasattr(request, "session") else None
        request.region = chosen if chosen in ecs_regions() else settings.AWS_REGION
        return self.get_response(request)
