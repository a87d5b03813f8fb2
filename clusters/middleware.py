"""The region a person is working in: chosen in the header, kept in the session."""

import functools
from dataclasses import dataclass

import boto3
import botocore.session
from django.conf import settings

# Where the console's 2020 name differs from botocore's description. The developer guide's
# region tables wrote "São Paulo" with its accent from May 2020 on (aws-facts §2); botocore
# keeps the SDKs' plain ASCII "Sao Paulo".
CONSOLE_REGION_NAMES = {"sa-east-1": "South America (São Paulo)"}


@dataclass(frozen=True)
class Region:
    code: str
    name: str


def _region_names():
    """Each region's description from botocore's own endpoint data, in every partition."""
    endpoints = botocore.session.get_session().get_data("endpoints")
    names = {
        code: region["description"]
        for partition in endpoints["partitions"]
        for code, region in partition["regions"].items()
    }
    return names | CONSOLE_REGION_NAMES


@functools.lru_cache(maxsize=1)
def ecs_regions():
    """Regions where ECS runs, from botocore's endpoint data (no AWS call), named as the console
    names them. The US regions come first and the rest follow by name, as in the console's
    region menu (our choice: no source we have records its order)."""
    codes = set(boto3.session.Session().get_available_regions("ecs")) | {settings.AWS_REGION}
    names = _region_names()
    regions = [Region(code, names.get(code, code)) for code in codes]
    return sorted(regions, key=lambda region: (not region.name.startswith("US "), region.name))


def is_ecs_region(code):
    return any(region.code == code for region in ecs_regions())


class RegionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.session.get("region") if hasattr(request, "session") else None
        request.region = chosen if is_ecs_region(chosen) else settings.AWS_REGION
        return self.get_response(request)
