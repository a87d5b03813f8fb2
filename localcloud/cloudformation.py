"""CloudFormation stacks that report each resource, roll back and delete in order, as on AWS."""

import contextvars
import re

from moto.cloudformation import parsing
from moto.cloudformation.models import CloudFormationBackend, Event, Stack, cloudformation_backends
from moto.cloudformation.parsing import ResourceMap
from moto.cloudformation.responses import CloudFormationResponse

from ._patching import replace, wrap

# What the CreateStack request asked for on failure: ROLLBACK (AWS's default), DO_NOTHING or DELETE.
_on_failure = contextvars.ContextVar("localcloud_on_failure", default="ROLLBACK")


def install():
    wrap(parsing, "parse_and_create_resource", _parse_and_create_resource)
    wrap(parsing, "clean_json", _clean_json)
    wrap(ResourceMap, "__getitem__", _resource_map_getitem)
    wrap(ResourceMap, "__iter__", _resource_map_iter)
    wrap(ResourceMap, "__len__", _resource_map_len)
    replace(Stack, "outputs", property(_outputs))
    replace(Stack, "delete", _stack_delete)
    wrap(CloudFormationBackend, "create_stack", _create_stack)
    replace(CloudFormationBackend, "delete_stack", _delete_stack)
    wrap(CloudFormationResponse, "create_stack", _create_stack_response)


class ResourceFailed(Exception):
    """A resource CloudFormation could not create or delete, with AWS's wording of why."""

    def __init__(self, logical_id, reason):
        super().__init__(reason)
        self.logical_id = logical_id
        self.reason = reason


def _failed(action, failure):
    return f"The following resource(s) failed to {action}: [{failure.logical_id}]. "


def _reason(error):
    message = getattr(error, "message", None) or str(error)
    return f'Resource handler returned message: "{message}"'


def _stack_of(resource_map):
    backend = cloudformation_backends[resource_map._account_id][resource_map._region_name]
    return backend.stacks.get(resource_map.stack_id) or backend.deleted_stacks.get(
        resource_map.stack_id
    )


def _resource_event(stack, logical_id, resource_type, status, physical_id="", reason=None):
    if stack is None:
        return
    stack.events.append(
        Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=logical_id,
            physical_resource_id=physical_id or "",
            resource_type=resource_type,
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=None,
        )
    )


def _parse_and_create_resource(
    original, logical_id, resource_json, resources_map, account_id, region_name
):
    stack = _stack_of(resources_map)
    resource_type = resource_json["Type"]
    _resource_event(stack, logical_id, resource_type, "CREATE_IN_PROGRESS")
    try:
        resource = original(logical_id, resource_json, resources_map, account_id, region_name)
    except ResourceFailed:
        raise
    except Exception as error:
        reason = _reason(error)
        _resource_event(stack, logical_id, resource_type, "CREATE_FAILED", reason=reason)
        raise ResourceFailed(logical_id, reason) from error
    physical_id = getattr(resource, "physical_resource_id", "") if resource is not None else ""
    _resource_event(stack, logical_id, resource_type, "CREATE_COMPLETE", physical_id=physical_id)
    return resource


def _clean_json(original, resource_json, resources_map):
    if isinstance(resource_json, dict) and "Fn::GetAZs" in resource_json:
        # AWS accepts "" or any expression naming the region, and answers with its zones.
        from moto.ec2.models import ec2_backends

        region = original(resource_json["Fn::GetAZs"], resources_map) or resources_map._region_name
        zones = ec2_backends[resources_map._account_id][region].describe_availability_zones()
        return [zone.name for zone in zones]
    return original(resource_json, resources_map)


# A stack that rolled back or was deleted keeps its record, but its resources must not come
# back: moto's resource map creates any resource it is asked for that it does not hold.
def _finished(resource_map):
    return resource_map.__dict__.get("_localcloud_finished", False)


def _held(resource_map):
    return [
        name for name in resource_map._resource_json_map if name in resource_map._parsed_resources
    ]


def _resource_map_getitem(original, self, key):
    if _finished(self) and key in self._resource_json_map and key not in self._parsed_resources:
        raise KeyError(key)
    return original(self, key)


def _resource_map_iter(original, self):
    return iter(_held(self)) if _finished(self) else original(self)


def _resource_map_len(original, self):
    return len(_held(self)) if _finished(self) else original(self)


def _outputs(self):
    if _finished(self.resource_map):
        return None
    return Stack._localcloud_original_outputs.fget(self)


def _references(body, names):
    """The logical ids a resource's body refers to, and those it DependsOn."""
    found = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "Ref" and isinstance(value, str):
                    found.add(value)
                elif key == "Fn::GetAtt":
                    target = value[0] if isinstance(value, list) else str(value).split(".")[0]
                    found.add(target)
                elif key == "Fn::Sub":
                    template = value[0] if isinstance(value, list) else value
                    found.update(
                        m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", str(template))
                    )
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(body.get("Properties", {}))
    depends_on = body.get("DependsOn", [])
    found.update([depends_on] if isinstance(depends_on, str) else depends_on)
    return found & set(names)


def delete_resources(stack):
    """Delete a stack's resources, each after everything that refers to it, as AWS orders them."""
    resource_map = stack.resource_map
    template = resource_map._resource_json_map
    dependencies = {name: _references(body, template) for name, body in template.items()}
    # From here on the map must never make a resource again, whatever the outcome.
    resource_map._localcloud_finished = True
    remaining = [
        name
        for name in _held(resource_map)
        if template[name].get("DeletionPolicy") != "Retain"
        and resource_map._parsed_resources[name] is not None
    ]
    while remaining:
        ready = [
            name
            for name in remaining
            if not any(name in dependencies[other] for other in remaining if other != name)
        ] or remaining[:1]
        for name in ready:
            resource = resource_map._parsed_resources[name]
            resource_type = template[name]["Type"]
            physical_id = getattr(resource, "physical_resource_id", "")
            _resource_event(stack, name, resource_type, "DELETE_IN_PROGRESS", physical_id)
            try:
                _delete_resource(resource_map, resource, template[name])
            except Exception as error:
                reason = _reason(error)
                _resource_event(stack, name, resource_type, "DELETE_FAILED", physical_id, reason)
                raise ResourceFailed(name, reason) from error
            resource_map._parsed_resources.pop(name)
            _resource_event(stack, name, resource_type, "DELETE_COMPLETE", physical_id)
            remaining.remove(name)


def _delete_resource(resource_map, resource, body):
    deleter = EC2_DELETERS.get(body["Type"])
    if deleter is None:
        return resource_map._delete_resource(resource, body)
    from moto.ec2.models import ec2_backends

    deleter(ec2_backends[resource_map._account_id][resource_map._region_name], resource)


def _delete_internet_gateway(ec2, gateway):
    if gateway.vpc is not None:
        ec2.detach_internet_gateway(gateway.id, gateway.vpc.id)
    ec2.delete_internet_gateway(gateway.id)


def _delete_gateway_attachment(ec2, attachment):
    if attachment.gateway_id.startswith("igw-"):
        gateway = ec2.internet_gateways.get(attachment.gateway_id)
        if gateway is not None and gateway.vpc is not None and gateway.vpc.id == attachment.vpc_id:
            ec2.detach_internet_gateway(attachment.gateway_id, attachment.vpc_id)
    else:
        ec2.detach_vpn_gateway(attachment.gateway_id, attachment.vpc_id)


def _delete_route(ec2, route):
    if route.route_table.id in ec2.route_tables:
        ec2.delete_route(route.route_table.id, route.destination_cidr_block)


def _delete_association(ec2, association):
    route_table = ec2.route_tables.get(association.route_table_id)
    if route_table is not None:
        for association_id, subnet_id in list(route_table._associations.items()):
            if subnet_id == association.subnet_id:
                ec2.disassociate_route_table(association_id)


# moto's CloudFormation models of these types have no delete, so moto leaves them behind and
# then cannot delete the VPC; AWS deletes them with the stack.
EC2_DELETERS = {
    "AWS::EC2::InternetGateway": _delete_internet_gateway,
    "AWS::EC2::VPCGatewayAttachment": _delete_gateway_attachment,
    "AWS::EC2::Route": _delete_route,
    "AWS::EC2::RouteTable": lambda ec2, table: ec2.delete_route_table(table.id),
    "AWS::EC2::SubnetRouteTableAssociation": _delete_association,
    "AWS::EC2::NatGateway": lambda ec2, gateway: ec2.delete_nat_gateway(gateway.id),
    "AWS::EC2::SpotFleet": lambda ec2, fleet: ec2.cancel_spot_fleet_requests([fleet.id], True),
}


def _stack_delete(self):
    self._add_stack_event("DELETE_IN_PROGRESS", resource_status_reason="User Initiated")
    self.status = "DELETE_IN_PROGRESS"
    try:
        delete_resources(self)
    except ResourceFailed as failure:
        self.status = "DELETE_FAILED"
        self._add_stack_event(
            "DELETE_FAILED",
            resource_status_reason=_failed("delete", failure),
        )
        raise
    self.status = "DELETE_COMPLETE"
    self._add_stack_event("DELETE_COMPLETE")


def _delete_stack(self, name_or_stack_id):
    stack = self.stacks.get(name_or_stack_id) or next(
        (s for s in self.stacks.values() if s.name == name_or_stack_id), None
    )
    if stack is None:
        # AWS answers DeleteStack for a stack that is gone (or never was) with success.
        return
    try:
        stack.delete()
    except ResourceFailed:
        # The stack stays, DELETE_FAILED, its reason in the events; DeleteStack itself succeeds.
        return
    _retire(self, stack)


def _retire(backend, stack):
    backend.stacks.pop(stack.stack_id, None)
    backend.deleted_stacks[stack.stack_id] = stack
    for name, export in list(backend.exports.items()):
        if export.exporting_stack_id == stack.stack_id:
            backend.exports.pop(name)


def _create_stack(original, self, name, *args, **kwargs):
    try:
        return original(self, name, *args, **kwargs)
    except ResourceFailed as failure:
        stack = next(s for s in self.stacks.values() if s.name == name)
        return _fail_creation(self, stack, failure)


def _fail_creation(backend, stack, failure):
    """What AWS does when a resource fails: CREATE_FAILED, then roll back unless told not to."""
    on_failure = _on_failure.get()
    # Whatever follows, the stack makes nothing more (moto would retry on the next describe).
    stack.resource_map._localcloud_finished = True
    if on_failure == "DO_NOTHING":
        stack.status = "CREATE_FAILED"
        stack._add_stack_event(
            "CREATE_FAILED",
            resource_status_reason=_failed("create", failure),
        )
        return stack
    stack.status = "ROLLBACK_IN_PROGRESS"
    stack._add_stack_event(
        "ROLLBACK_IN_PROGRESS",
        resource_status_reason=_failed("create", failure) + "Rollback requested by user.",
    )
    try:
        delete_resources(stack)
    except ResourceFailed:
        stack.status = "ROLLBACK_FAILED"
        stack._add_stack_event("ROLLBACK_FAILED")
        return stack
    stack.status = "ROLLBACK_COMPLETE"
    stack._add_stack_event("ROLLBACK_COMPLETE")
    if on_failure == "DELETE":
        stack._add_stack_event("DELETE_IN_PROGRESS", resource_status_reason="User Initiated")
        stack.status = "DELETE_COMPLETE"
        stack._add_stack_event("DELETE_COMPLETE")
        _retire(backend, stack)
    return stack


def _create_stack_response(original, self):
    on_failure = self._get_param("OnFailure")
    if not on_failure:
        disable_rollback = str(self._get_param("DisableRollback", "false")).lower() == "true"
        on_failure = "DO_NOTHING" if disable_rollback else "ROLLBACK"
    token = _on_failure.set(on_failure)
    try:
        return original(self)
    finally:
        _on_failure.reset(token)
