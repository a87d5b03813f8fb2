"""CloudFormation templates that choose with conditions, as AWS runs them.

The console's stack is one template for every cluster: each choice is a parameter, and
conditions with Fn::If and AWS::NoValue leave out what a cluster does not have. moto departs
from AWS there in four ways, each fixed here:

- A resource whose Condition is false is not part of the stack on AWS: no events, and neither
  DescribeStackResources nor ListStackResources lists it. moto listed it as an empty entry
  (DescribeStackResources then failed) and recorded CREATE events for it each time it was read.
- An Fn::If that returns AWS::NoValue inside a list (a block device mapping, a Spot override)
  left a null in the list; CloudFormation removes the item, as the console's own template
  relies on for its BlockDeviceMappings.
- DescribeStacks showed a list parameter (CommaDelimitedList, List<…>) as Python's repr of the
  list (`['t2.micro']`); AWS shows the value as it was given (`t2.micro,t3.micro`), the string
  UpdateStack's UsePreviousValue then keeps. UsePreviousValue for a parameter that took its
  default failed (HTTP 500); AWS keeps the value the stack has. A list parameter that took its
  Default stayed one string; AWS splits a default as it splits a value given.
- The stack's own tags never reached an Auto Scaling group or its instances. CreateStack's
  Tags: "CloudFormation also propagates these tags to the resources created in the stack"
  (CloudFormation API reference), and "CloudFormation adds the following tags to all Auto
  Scaling groups and associated instances: aws:cloudformation:stack-name, …:stack-id,
  …:logical-id" (template reference, AWS::AutoScaling::AutoScalingGroup TagProperty).
"""

from moto.autoscaling.models import FakeAutoScalingGroup
from moto.cloudformation import parsing
from moto.cloudformation.models import CloudFormationBackend, Stack, cloudformation_backends
from moto.cloudformation.parsing import ResourceMap

from ._patching import replace, wrap


def install():
    wrap(parsing, "clean_json", _clean_json, layer="cfn_template")
    wrap(ResourceMap, "__getitem__", _resource_map_getitem, layer="cfn_template")
    wrap(ResourceMap, "__iter__", _resource_map_iter, layer="cfn_template")
    wrap(ResourceMap, "__len__", _resource_map_len, layer="cfn_template")
    wrap(ResourceMap, "load_parameters", _load_parameters)
    replace(Stack, "parameter_list", property(_parameter_list))
    wrap(CloudFormationBackend, "_resolve_update_parameters", _resolve_update_parameters)
    replace(
        FakeAutoScalingGroup,
        "create_from_cloudformation_json",
        classmethod(_group_from_cloudformation),
    )


def _left_out(resource_map, logical_id):
    """Whether the template declares this resource with a Condition that is false."""
    declared = resource_map._resource_json_map.get(logical_id)
    if not isinstance(declared, dict) or "Condition" not in declared:
        return False
    conditions = getattr(resource_map, "lazy_condition_map", None)
    return conditions is not None and not conditions[declared["Condition"]]


def _resource_map_getitem(original, self, key):
    if _left_out(self, key):
        return None
    return original(self, key)


def _resource_map_iter(original, self):
    return (key for key in original(self) if not _left_out(self, key))


def _resource_map_len(original, self):
    return sum(1 for _ in iter(self))


def _clean_json(original, resource_json, resources_map):
    cleaned = original(resource_json, resources_map)
    if isinstance(resource_json, list) and isinstance(cleaned, list):
        # moto resolves AWS::NoValue to None; a dict already drops such a key.
        return [item for item in cleaned if item is not None]
    return cleaned


def _is_list(declared):
    kind = declared.get("Type", "String")
    return kind == "CommaDelimitedList" or kind.startswith("List<")


def _load_parameters(original, self):
    original(self)
    declared = self._template.get("Parameters") or {}
    for key, value in self.resolved_parameters.items():
        if key not in self.input_parameters and isinstance(value, str) and _is_list(declared[key]):
            self.resolved_parameters[key] = value.split(",")
            self._parsed_resources[key] = self.resolved_parameters[key]


def _parameter_list(self):
    """Each parameter as DescribeStacks shows it: the string given, else the default. What was
    given is the resource map's (the stack's own `parameters` are not those of an executed change
    set, which AWS shows as the stack's from then on)."""
    resource_map = self.resource_map
    declared = self.template_dict.get("Parameters") or {}
    hidden = set(getattr(resource_map, "no_echo_parameter_keys", []))
    given = resource_map.input_parameters or {}
    shown = []
    for key, value in resource_map.resolved_parameters.items():
        if key in hidden:
            value = "****"
        elif key in given:
            value = given[key]
        elif "Default" in declared.get(key, {}):
            value = str(declared[key]["Default"])
        elif isinstance(value, list):
            value = ",".join(str(item) for item in value)
        shown.append({"ParameterKey": key, "ParameterValue": value})
    return shown


def _resolve_update_parameters(original, self, instance, incoming_params):
    """UsePreviousValue keeps what the stack shows, a default it took included."""
    if isinstance(instance, Stack):
        shown = {p["ParameterKey"]: p["ParameterValue"] for p in instance.parameter_list}
        incoming_params = [
            {"ParameterKey": p["ParameterKey"], "ParameterValue": shown[p["ParameterKey"]]}
            if p.get("UsePreviousValue")
            and p["ParameterKey"] not in instance.parameters
            and p["ParameterKey"] in shown
            else p
            for p in incoming_params
        ]
    return original(self, instance, incoming_params)


def _group_from_cloudformation(
    cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
):
    """The group gets the stack's tags and CloudFormation's own, each propagated at launch."""
    backend = cloudformation_backends[account_id][region_name]
    stack = backend.stacks.get(kwargs.get("StackId"))
    if stack is not None:
        properties = dict(cloudformation_json.get("Properties") or {})
        tags = list(properties.get("Tags") or [])
        written = {tag["Key"] for tag in tags}
        stack_tags = {
            **stack.tags,
            "aws:cloudformation:stack-name": stack.name,
            "aws:cloudformation:stack-id": stack.stack_id,
            "aws:cloudformation:logical-id": kwargs.get("LogicalId", ""),
        }
        # A tag the template writes on the group keeps the template's value.
        tags += [
            {"Key": key, "Value": value, "PropagateAtLaunch": True}
            for key, value in stack_tags.items()
            if key not in written
        ]
        properties["Tags"] = tags
        cloudformation_json = {**cloudformation_json, "Properties": properties}
    return cls._localcloud_original_create_from_cloudformation_json(
        resource_name, cloudformation_json, account_id, region_name, **kwargs
    )
