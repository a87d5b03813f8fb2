"""Whether the person may see the Class page: asked only by pages that show the menu."""

from django.utils.functional import SimpleLazyObject

from .learners import is_trainer


def classroom(request):
    return {"is_trainer": SimpleLazyObject(lambda: is_trainer(request.user))}
