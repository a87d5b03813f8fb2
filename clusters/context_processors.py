"""What every page's header needs."""

from .middleware import ecs_regions


def console(request):
    return {"regions": ecs_regions(), "region": getattr(request, "region", "")}
