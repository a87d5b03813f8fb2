"""What an instance takes from its launch template that moto leaves out: detailed monitoring
and the Spot market.

EC2 launches with the launch template's settings wherever the RunInstances request does not
name its own (EC2 User Guide, "Launch an instance from a launch template": parameters given
at launch override the template's). moto reads neither Monitoring nor InstanceMarketOptions
from a template, so an Auto Scaling group's instances always showed monitoring disabled and
On-Demand.
"""

import contextvars

from moto.ec2.responses.instances import InstanceResponse

from ._patching import wrap

# What the RunInstances request being answered named itself; an Auto Scaling group's launches
# name nothing, so the template decides.
_named_in_request = contextvars.ContextVar("localcloud_named_in_request", default=frozenset())


def install():
    wrap(InstanceResponse, "run_instances", _run_instances_response)


def _run_instances_response(original, self):
    named = {
        name
        for name, param in (
            ("Monitoring", "Monitoring.Enabled"),
            ("InstanceMarketOptions", "InstanceMarketOptions.MarketType"),
        )
        if self._get_param(param) is not None
    }
    token = _named_in_request.set(frozenset(named))
    try:
        return original(self)
    finally:
        _named_in_request.reset(token)


def apply(reservation, template_data):
    """Give the reservation's instances the template's monitoring and market, unless the
    request named its own."""
    named = _named_in_request.get()
    enabled = (template_data.get("Monitoring") or {}).get("Enabled")
    if enabled is not None and "Monitoring" not in named:
        state = "enabled" if str(enabled).lower() == "true" else "disabled"
        for instance in reservation.instances:
            instance.monitoring_state = state
    market = (template_data.get("InstanceMarketOptions") or {}).get("MarketType")
    if market == "spot" and "InstanceMarketOptions" not in named:
        for instance in reservation.instances:
            instance.lifecycle = "spot"
