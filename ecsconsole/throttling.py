"""Sign-in throttling: django-axes's database handler, with a limit for each lockout parameter."""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_lockout_parameters
from django.conf import settings
from django.db.models import Sum


class PerParameterLimitHandler(AxesDatabaseHandler):
    """Axes has one failure limit for every lockout parameter; the console needs a small one
    for a user name and a large one for an address, which a classroom behind one NAT shares.
    Axes's maintainers answer that need with a handler of one's own (jazzband/django-axes#661).

    Axes locks out when get_failures() reaches AXES_FAILURE_LIMIT, so this reports the
    failures of the parameter nearest its own limit (SIGN_IN_FAILURE_LIMITS), rescaled onto
    AXES_FAILURE_LIMIT: f failures against a limit l read as f * AXES_FAILURE_LIMIT // l, which
    reaches AXES_FAILURE_LIMIT exactly when f reaches l.
    """

    def get_failures(self, request, credentials=None):
        scale = settings.AXES_FAILURE_LIMIT
        parameters = get_lockout_parameters(request, credentials)
        attempts = self.get_user_attempts(request, credentials)
        return max(
            (
                (queryset.aggregate(total=Sum("failures_since_start"))["total"] or 0)
                * scale
                // settings.SIGN_IN_FAILURE_LIMITS[parameter]
                for parameter, queryset in zip(parameters, attempts)
            ),
            default=0,
        )
