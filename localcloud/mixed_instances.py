"""The instances an Auto Scaling group with a mixed instances policy launches: On-Demand or
Spot as its instances distribution says, of the instance types its overrides name.

moto launches every instance of such a group On-Demand, of the launch template's type. Auto
Scaling (user guide, "Auto Scaling groups with multiple instance types and purchase options")
keeps OnDemandBaseCapacity instances On-Demand, then OnDemandPercentageAboveBaseCapacity of
the rest (rounded up, default 100); the others are Spot, and EC2 reports them with
InstanceLifecycle "spot". Spot capacity is spread over the pools the allocation strategy
allows: lowest-price over the first SpotInstancePools (default 2) types, the
capacity-optimized strategies over all of them. The local cloud has no Spot prices, so
"cheapest" is the overrides' order, and each new instance takes the allowed type the group
runs fewest of. On-Demand instances take the first type (the "prioritized" strategy).
"""

import math

DEFAULT_SPOT_POOLS = 2


def assign(group, new_states):
    """Give each newly launched instance of the group its market and instance type."""
    policy = getattr(group, "mixed_instances_policy", None)
    if not policy:
        return
    types = [
        override["InstanceType"]
        for override in (policy.get("LaunchTemplate") or {}).get("Overrides") or []
        if override.get("InstanceType")
    ]
    distribution = policy.get("InstancesDistribution") or {}
    launched = [s for s in group.active_instances() if s not in new_states]
    for state in new_states:
        group_size = len(launched) + 1
        on_demand = sum(1 for s in launched if s.instance.lifecycle != "spot")
        spot = on_demand >= on_demand_count(distribution, group_size)
        if spot:
            state.instance.lifecycle = "spot"
        if types:
            chosen = _spot_type(distribution, types, launched) if spot else types[0]
            state.instance.instance_type = chosen
            state.instance_type = chosen
        launched.append(state)


def on_demand_count(distribution, group_size):
    """How many of a group of this size run On-Demand."""
    base = int(distribution.get("OnDemandBaseCapacity") or 0)
    percent = distribution.get("OnDemandPercentageAboveBaseCapacity")
    percent = 100 if percent is None else int(percent)
    above = max(0, group_size - base)
    return min(group_size, base) + math.ceil(above * percent / 100)


def _spot_type(distribution, types, launched):
    strategy = distribution.get("SpotAllocationStrategy") or "price-capacity-optimized"
    if strategy == "lowest-price":
        pools = int(distribution.get("SpotInstancePools") or DEFAULT_SPOT_POOLS)
        types = types[: max(1, pools)]
    running = [s.instance.instance_type for s in launched if s.instance.lifecycle == "spot"]
    return min(types, key=lambda t: (running.count(t), types.index(t)))
