"""Auto Scaling groups that balance their instances across Availability Zones and keep their
activity history, as AWS does."""

import copy
import uuid
from collections import Counter
from datetime import datetime, timezone

from moto.autoscaling.models import FakeAutoScalingGroup, autoscaling_backends
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import ActionResult

from . import mixed_instances, scenarios
from ._patching import replace, wrap


def install():
    wrap(FakeAutoScalingGroup, "replace_autoscaling_group_instances", _launch_balanced)
    wrap(FakeAutoScalingGroup, "set_desired_capacity", _set_desired_capacity)
    # moto answers DescribeScalingActivities with no activities at all.
    replace(AutoScalingResponse, "describe_scaling_activities", _describe_scaling_activities)
    replace(
        FakeAutoScalingGroup,
        "update_from_cloudformation_json",
        classmethod(_update_from_cloudformation),
    )


def _number(value):
    return None if value is None else int(value)


def _update_from_cloudformation(
    cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
):
    """Update the group in place, as CloudFormation does unless the group's name changes.

    moto replaces the group on every update, so scaling a stack launched all-new instances.
    The group keeps its mixed instances policy (moto's own update would drop it): CloudFormation
    sends every property of the group, the policy among them.
    """
    properties = cloudformation_json["Properties"]
    backend = autoscaling_backends[account_id][region_name]
    wanted_name = properties.get("AutoScalingGroupName")
    if (wanted_name and wanted_name != original_resource.name) or (
        original_resource.name not in backend.autoscaling_groups
    ):
        replacement = cls._localcloud_original_update_from_cloudformation_json
        return replacement(
            original_resource, new_resource_name, cloudformation_json, account_id, region_name
        )
    # The template's Tags are the group's (moto's update takes none, so they were dropped),
    # set first so that instances the update launches carry them; instances already running
    # keep theirs, as AWS tags only those launched afterwards.
    original_resource.tags = copy.deepcopy(properties.get("Tags", []))
    group = backend.update_auto_scaling_group(
        name=original_resource.name,
        availability_zones=properties.get("AvailabilityZones", []),
        desired_capacity=_number(properties.get("DesiredCapacity")),
        max_size=_number(properties.get("MaxSize")),
        min_size=_number(properties.get("MinSize")),
        launch_config_name=properties.get("LaunchConfigurationName"),
        launch_template=properties.get("LaunchTemplate") or {},
        vpc_zone_identifier=",".join(properties.get("VPCZoneIdentifier", [])) or None,
        health_check_period=_number(properties.get("HealthCheckGracePeriod")),
        health_check_type=properties.get("HealthCheckType"),
        # moto rewrites the policy it keeps; the template's own copy stays as written.
        mixed_instances_policy=copy.deepcopy(properties.get("MixedInstancesPolicy")),
    )
    return group


def _zones_and_subnets(group):
    """The group's zones in the order given, each with the first of its subnets (or None)."""
    if group.vpc_zone_identifier:
        subnet_ids = [s for s in group.vpc_zone_identifier.split(",") if s]
        subnets = group.autoscaling_backend.ec2_backend.subnets
        # A subnet already deleted (a stack being torn down) no longer places instances.
        zone_of = {
            subnet.id: subnet.availability_zone
            for by_zone in subnets.values()
            for subnet in by_zone.values()
            if subnet.id in subnet_ids
        }
        zones = {}
        for subnet_id in subnet_ids:
            if subnet_id in zone_of:
                zones.setdefault(zone_of[subnet_id], subnet_id)
        return zones
    return {zone: None for zone in group.availability_zones}


def _zone_counts(group, zones):
    counts = Counter({zone: 0 for zone in zones})
    counts.update(state.instance.placement.zone for state in group.active_instances())
    return counts


def _launch_balanced(original, self, count_needed, propagated_tags):
    before = list(self.instance_states)
    _launch_over_zones(original, self, count_needed, propagated_tags)
    mixed_instances.assign(self, [s for s in self.instance_states if s not in before])


def _launch_over_zones(original, self, count_needed, propagated_tags):
    zones = _zones_and_subnets(self)
    full = scenarios.zones_without_capacity(self, zones)
    if len(zones) < 2 and not full:
        return original(self, count_needed, propagated_tags)
    saved = (self.vpc_zone_identifier, self.availability_zones)
    try:
        for _ in range(count_needed):
            counts = _zone_counts(self, zones)
            # Each launch goes to the zone with the fewest instances, first zone first on a tie.
            zone = min(zones, key=lambda z: counts[z])
            if zone in full:
                # EC2 refuses it there; Auto Scaling tries the group's other zones.
                scenarios.record_failed_launch(self, zone, zones[zone])
                others = [z for z in zones if z not in full]
                if not others:
                    break
                zone = min(others, key=lambda z: counts[z])
            subnet_id = zones[zone]
            self.vpc_zone_identifier = subnet_id if subnet_id else saved[0]
            self.availability_zones = [zone]
            original(self, 1, dict(propagated_tags))
    finally:
        self.vpc_zone_identifier, self.availability_zones = saved


def _set_desired_capacity(original, self, new_capacity):
    target = self.min_size if new_capacity is None else new_capacity
    excess = len(self.active_instances()) - (target or 0)
    if excess > 0:
        _order_for_scale_in(self, excess)
    created = not hasattr(self, "localcloud_activities")
    previous_desired = 0 if created else self.desired_capacity
    before = [state.instance.id for state in self.active_instances()]
    result = original(self, new_capacity)
    after = [state.instance.id for state in self.active_instances()]
    _record_activities(self, created, previous_desired, before, after)
    return result


def _record_activities(group, created, previous_desired, before, after):
    """One Successful activity per instance launched or terminated, newest first, with the
    Description and Cause AWS writes (DescribeScalingActivities in the Auto Scaling API
    Reference; "Verify a scaling activity for an Auto Scaling group" in the user guide)."""
    activities = group.__dict__.setdefault("localcloud_activities", [])
    now = datetime.now(timezone.utc).replace(microsecond=0)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    if created:
        request = "a user request created an AutoScalingGroup"
    else:
        request = (
            "a user request update of AutoScalingGroup constraints to min: "
            f"{group.min_size}, max: {group.max_size}, desired: {group.desired_capacity}"
        )
    request += f" changing the desired capacity from {previous_desired} to {group.desired_capacity}."
    launched = [i for i in after if i not in before]
    terminated = [i for i in before if i not in after]
    for instance_id in launched:
        index = len(before) + launched.index(instance_id)
        cause = (
            f"At {stamp} {request}  At {stamp} an instance was started in response to a "
            "difference between desired and actual capacity, increasing the capacity from "
            f"{index} to {index + 1}."
        )
        activities.insert(0, _activity(group, f"Launching a new EC2 instance: {instance_id}", cause, now))
    for position, instance_id in enumerate(terminated):
        count = len(before) - position
        cause = (
            f"At {stamp} {request}  At {stamp} an instance was taken out of service in response "
            "to a difference between desired and actual capacity, shrinking the capacity from "
            f"{count} to {count - 1}."
        )
        activities.insert(0, _activity(group, f"Terminating EC2 instance: {instance_id}", cause, now))


def _activity(group, description, cause, at):
    return {
        "ActivityId": str(uuid.uuid4()),
        "AutoScalingGroupName": group.name,
        "AutoScalingGroupARN": group.arn,
        "Description": description,
        "Cause": cause,
        "StartTime": at,
        "EndTime": at,
        "StatusCode": "Successful",
        "Progress": 100,
        "Details": "{}",
    }


def _describe_scaling_activities(self):
    name = self._get_param("AutoScalingGroupName")
    wanted = set(self._get_param("ActivityIds", []) or [])
    groups = self.autoscaling_backend.autoscaling_groups
    chosen = [groups[name]] if name in groups else [] if name else list(groups.values())
    activities = [
        activity
        for group in chosen
        for activity in getattr(group, "localcloud_activities", [])
        if not wanted or activity["ActivityId"] in wanted
    ]
    activities.sort(key=lambda activity: activity["StartTime"], reverse=True)
    return ActionResult({"Activities": activities})


def _order_for_scale_in(group, count):
    """Put first the instances AWS's default termination policy picks: from the fullest zone."""
    zones = _zones_and_subnets(group)
    counts = _zone_counts(group, zones)
    pool = [s for s in group.active_instances() if not s.protected_from_scale_in]
    chosen = []
    while pool and len(chosen) < count:
        zone = max(
            {s.instance.placement.zone for s in pool},
            key=lambda z: (counts[z], -list(zones).index(z) if z in zones else 0),
        )
        pick = next(s for s in pool if s.instance.placement.zone == zone)
        chosen.append(pick)
        pool.remove(pick)
        counts[zone] -= 1
    group.instance_states = chosen + [s for s in group.instance_states if s not in chosen]
