"""CloudFormation stacks that report each resource, roll back and delete in order, as on AWS.

Creating, updating and deleting a stack is an operation kept on the stack (so it is saved with
it) that the pace advances (`pace.py`): CreateStack answers at once with the stack
CREATE_IN_PROGRESS, and each resource starts once everything it refers to is complete, those
that do not wait for each other side by side, each taking what its type takes on AWS.
"""

import contextvars
import json
import re
import time

from moto.cloudformation import parsing
from moto.cloudformation.exceptions import ExportNotFound, ValidationError
from moto.cloudformation.models import CloudFormationBackend, Event, Stack, cloudformation_backends
from moto.cloudformation.parsing import ResourceMap
from moto.cloudformation.responses import CloudFormationResponse, StackResourceDTO

from . import pace
from ._patching import replace, wrap

# What the CreateStack request asked for on failure: ROLLBACK (AWS's default), DO_NOTHING or DELETE.
_on_failure = contextvars.ContextVar("localcloud_on_failure", default="ROLLBACK")
# The resource the stack's operation is making now ("*": any, in an update): its completion is
# the operation's to report, when its time comes.
_making = contextvars.ContextVar("localcloud_making", default=None)
# What the update under way replaced: [logical id, type, old physical id], for its clean-up.
_replaced = contextvars.ContextVar("localcloud_replaced", default=None)
# The attribute of a stack holding its operation in progress.
OPERATION = "_localcloud_operation"


def install():
    wrap(parsing, "parse_and_create_resource", _parse_and_create_resource)
    wrap(parsing, "clean_json", _clean_json)
    wrap(parsing, "parse_and_update_resource", _parse_and_update_resource)
    wrap(ResourceMap, "__getitem__", _resource_map_getitem)
    wrap(ResourceMap, "__iter__", _resource_map_iter)
    wrap(ResourceMap, "__len__", _resource_map_len)
    replace(Stack, "outputs", property(_outputs))
    replace(Stack, "delete", _stack_delete)
    wrap(CloudFormationBackend, "create_stack", _create_stack)
    replace(CloudFormationBackend, "delete_stack", _delete_stack)
    wrap(CloudFormationResponse, "create_stack", _create_stack_response)
    replace(Stack, "create_resources", _create_resources)
    wrap(Stack, "update", _stack_update)
    wrap(CloudFormationResponse, "_validate_status", _validate_status)
    wrap(StackResourceDTO, "__init__", _stack_resource_init)
    wrap(CloudFormationResponse, "list_stack_resources", _list_stack_resources)
    replace(Stack, "parse_template", staticmethod(_parse_template))
    pace.register("stack", _advance_stack, _stacks_in_progress)


def _parse_template(template):
    """A JSON template read as JSON, as CloudFormation reads it; any other as moto reads it.

    moto reads every template as YAML first, and JSON is YAML, so the console's JSON template
    went through PyYAML's pure-Python parser: a tenth of the local cloud's work while a class
    of 30 created their clusters (py-spy), for the same document json reads at once."""
    try:
        document = json.loads(template)
    except (TypeError, ValueError):
        document = None
    if isinstance(document, dict):
        return document
    return Stack._localcloud_original_parse_template(template)


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
    physical_id = _physical_id(resource)
    making = _making.get()
    if making in (logical_id, "*"):
        # Under way: the operation says when it is complete.
        if physical_id:
            _resource_event(
                stack,
                logical_id,
                resource_type,
                "CREATE_IN_PROGRESS",
                physical_id,
                "Resource creation Initiated",
            )
    else:
        _resource_event(stack, logical_id, resource_type, "CREATE_COMPLETE", physical_id)
    return resource


def _parse_and_update_resource(
    original, logical_id, resource_json, resources_map, account_id, region_name
):
    """Note each resource the update replaces (a new physical id): its clean-up deletes the old."""
    old = resources_map._parsed_resources.get(logical_id)
    try:
        new = original(logical_id, resource_json, resources_map, account_id, region_name)
    except ResourceFailed:
        raise
    except Exception as error:
        # moto tries each again a few times, then raises the last: the update fails then.
        raise ResourceFailed(logical_id, _reason(error)) from error
    replaced = _replaced.get()
    if replaced is not None and old is not None and _physical_id(new) != _physical_id(old):
        replaced.append([logical_id, resource_json["Type"], _physical_id(old)])
    return new


def _physical_id(resource):
    return getattr(resource, "physical_resource_id", "") if resource is not None else ""


def _clean_json(original, resource_json, resources_map):
    if isinstance(resource_json, dict) and "Fn::GetAZs" in resource_json:
        # AWS accepts "" or any expression naming the region, and answers with its zones.
        from moto.ec2.models import ec2_backends

        region = original(resource_json["Fn::GetAZs"], resources_map) or resources_map._region_name
        zones = ec2_backends[resources_map._account_id][region].describe_availability_zones()
        return [zone.name for zone in zones]
    return original(resource_json, resources_map)


# A stack that rolled back or was deleted keeps its record, but its resources must not come
# back: moto's resource map creates any resource it is asked for that it does not hold. Nor may
# a stack being created make one before its turn (a DescribeStackResources, its outputs).
def _finished(resource_map):
    return resource_map.__dict__.get("_localcloud_finished", False)


def _building(resource_map):
    return resource_map.__dict__.get("_localcloud_building", False)


def _closed(resource_map):
    return _finished(resource_map) or (_building(resource_map) and _making.get() is None)


def _held(resource_map):
    return [
        name for name in resource_map._resource_json_map if name in resource_map._parsed_resources
    ]


def _resource_map_getitem(original, self, key):
    if _closed(self) and key in self._resource_json_map and key not in self._parsed_resources:
        raise KeyError(key)
    return original(self, key)


def _resource_map_iter(original, self):
    return iter(_held(self)) if _closed(self) else original(self)


def _resource_map_len(original, self):
    return len(_held(self)) if _closed(self) else original(self)


def _outputs(self):
    if _finished(self.resource_map) or _building(self.resource_map):
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


def _start_deleting(stack, name):
    """Delete one resource of the stack, reporting it in progress (or failed: ResourceFailed)."""
    resource_map = stack.resource_map
    body = resource_map._resource_json_map[name]
    resource = resource_map._parsed_resources[name]
    physical_id = _physical_id(resource)
    _resource_event(stack, name, body["Type"], "DELETE_IN_PROGRESS", physical_id)
    try:
        _delete_resource(resource_map, resource, body)
    except Exception as error:
        reason = _reason(error)
        _resource_event(stack, name, body["Type"], "DELETE_FAILED", physical_id, reason)
        raise ResourceFailed(name, reason) from error
    return resource


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


def _resource_status(stack, logical_id):
    """A resource's status, as its latest event gave it (moto answers the stack's status in
    DescribeStackResources, CREATE_COMPLETE in ListStackResources, whatever the resource's)."""
    for event in reversed(stack.events):
        if event.logical_resource_id == logical_id and event.physical_resource_id != stack.stack_id:
            return event.resource_status
    return "CREATE_COMPLETE"


def _stack_resource_init(original, self, stack, resource):
    original(self, stack, resource)
    self.resource_status = _resource_status(stack, self.logical_resource_id)


def _list_stack_resources(original, self):
    answer = original(self)
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    for summary in answer.result["StackResourceSummaries"]:
        summary["ResourceStatus"] = _resource_status(stack, summary["LogicalResourceId"])
    return answer


def _backend_of(stack):
    return cloudformation_backends[stack.account_id][stack.region_name]


def _begin(stack):
    """Run the stack's new operation as far as it goes now, and put the rest in the timetable."""
    when = _run(stack, time.time())
    if when is not None:
        pace.schedule(when, ("stack", stack.account_id, stack.region_name, stack.stack_id))


def _run(stack, now):
    """Advance the stack's operation to `now`; return when it is next due (None once done)."""
    operation = vars(stack).get(OPERATION)
    if operation is None:
        return None
    advance = {"CREATE": _advance_create, "DELETE": _advance_delete, "UPDATE": _advance_update}
    return advance[operation["action"]](stack, operation, now)


def _advance_stack(key, now):
    _, account, region, stack_id = key
    backend = cloudformation_backends[account][region]
    stack = backend.stacks.get(stack_id)
    return None if stack is None else _run(stack, now)


def _stacks_in_progress():
    for account, region, backend in list(cloudformation_backends.iter_backends()):
        for stack in list(backend.stacks.values()):
            operation = vars(stack).get(OPERATION)
            if operation is not None:
                # Whatever was under way when the cloud stopped is looked at again at once.
                yield time.time(), ("stack", account, region, stack.stack_id)


def _dependencies(template):
    return {name: sorted(_references(body, template)) for name, body in template.items()}


def _complete_due(stack, operation, now, status):
    """Report COMPLETE each resource whose time has come; return their names."""
    template = stack.resource_map._resource_json_map
    due = sorted((when, name) for name, when in operation["started"].items() if when <= now)
    for _, name in due:
        del operation["started"][name]
        operation["done"].append(name)
        resource = stack.resource_map._parsed_resources.get(name)
        _resource_event(stack, name, template[name]["Type"], status, _physical_id(resource))
    return [name for _, name in due]


def _create_resources(self):
    """Start creating the stack's resources (moto makes them all, in template order, here)."""
    self.status = "CREATE_IN_PROGRESS"
    self.description = self.template_dict.get("Description")
    resource_map = self.resource_map
    resource_map.tags.update(
        {
            "aws:cloudformation:stack-name": self.name,
            "aws:cloudformation:stack-id": self.stack_id,
        }
    )
    template = resource_map._resource_json_map
    _check_imports(self)
    setattr(
        self,
        OPERATION,
        {
            "action": "CREATE",
            "dependencies": _dependencies(template),
            "started": {},
            "done": [],
            "on_failure": _on_failure.get(),
        },
    )
    resource_map._localcloud_building = True
    _begin(self)


def _advance_create(stack, operation, now):
    resource_map = stack.resource_map
    template = resource_map._resource_json_map
    while True:
        # One due moment at a time, in order, as CloudFormation lives them: a scheduler that
        # wakes late (a busy machine) must not complete a resource that was still under way
        # when the one after its sibling failed.
        moments = [when for when in operation["started"].values() if when <= now]
        moment = min(moments) if moments else now
        progressed = bool(_complete_due(stack, operation, moment, "CREATE_COMPLETE"))
        waiting = [
            name
            for name in template
            if name not in operation["started"] and name not in operation["done"]
        ]
        ready = [
            name
            for name in waiting
            if all(d in operation["done"] for d in operation["dependencies"][name])
        ]
        if not ready and waiting and not operation["started"]:
            # A cycle CloudFormation would have refused: make them in template order.
            ready = waiting[:1]
        for name in ready:
            progressed = True
            try:
                when = _start_creating(stack, name, moment)
            except ResourceFailed as failure:
                _cancel(stack, operation, moment)
                _fail_creation(stack, failure, operation["on_failure"])
                return None
            if when is None:
                operation["done"].append(name)
            else:
                operation["started"][name] = when
        if not progressed:
            break
    if operation["started"]:
        return min(operation["started"].values())
    delattr(stack, OPERATION)
    resource_map._localcloud_building = False
    # A custom resource waits for its answer (moto's verify_readiness completes the stack then).
    made = [r for r in resource_map._parsed_resources.values() if hasattr(r, "is_created")]
    if all(resource.is_created() for resource in made):
        stack.mark_creation_complete()
    return None


def _start_creating(stack, name, now):
    """Start making one resource; return when it is complete (None: nothing to wait for)."""
    resource_map = stack.resource_map
    body = resource_map._resource_json_map[name]
    condition = body.get("Condition")
    if condition and not resource_map.lazy_condition_map[condition]:
        return None
    if name in resource_map._parsed_resources:
        # Made ahead by moto (an export read it): already reported complete.
        return None
    token = _making.set(name)
    try:
        resource = resource_map[name]
    finally:
        _making.reset(token)
    if resource is None:
        return None
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.core import TaggedEC2Resource

    if isinstance(resource, TaggedEC2Resource):
        # What moto's ResourceMap.create does for each EC2 resource.
        resource_map.tags["aws:cloudformation:logical-id"] = name
        ec2_backends[resource_map._account_id][resource_map._region_name].create_tags(
            [resource.physical_resource_id], resource_map.tags
        )
    return now + pace.create_seconds(body["Type"], resource_map._account_id)


def _cancel(stack, operation, now):
    """What AWS reports of the resources under way when another fails."""
    _complete_due(stack, operation, now, "CREATE_COMPLETE")
    template = stack.resource_map._resource_json_map
    for name in list(operation["started"]):
        resource = stack.resource_map._parsed_resources.get(name)
        _resource_event(
            stack,
            name,
            template[name]["Type"],
            "CREATE_FAILED",
            _physical_id(resource),
            "Resource creation cancelled",
        )
    operation["started"].clear()
    delattr(stack, OPERATION)
    stack.resource_map._localcloud_building = False


def _stack_delete(self):
    if vars(self).get(OPERATION, {}).get("action") == "DELETE":
        return
    self._add_stack_event("DELETE_IN_PROGRESS", resource_status_reason="User Initiated")
    self.status = "DELETE_IN_PROGRESS"
    _delete_resources(self, "DELETE")


def _delete_resources(stack, purpose):
    """Start deleting the stack's resources, each after everything that refers to it, as AWS
    orders them: to DELETE the stack, to ROLLBACK its creation, or both (ROLLBACK_THEN_DELETE,
    OnFailure=DELETE)."""
    resource_map = stack.resource_map
    # From here on the map must never make a resource again, whatever the outcome; what a
    # create under way had started is deleted with the rest.
    resource_map._localcloud_finished = True
    resource_map._localcloud_building = False
    setattr(
        stack,
        OPERATION,
        {
            "action": "DELETE",
            "purpose": purpose,
            "dependencies": _dependencies(resource_map._resource_json_map),
            "started": {},
            "done": [],
        },
    )
    _begin(stack)


def _advance_delete(stack, operation, now):
    resource_map = stack.resource_map
    template = resource_map._resource_json_map
    dependencies = operation["dependencies"]
    while True:
        progressed = False
        for name in _complete_due(stack, operation, now, "DELETE_COMPLETE"):
            resource_map._parsed_resources.pop(name, None)
            progressed = True
        remaining = [
            name
            for name in _held(resource_map)
            if template[name].get("DeletionPolicy") != "Retain"
            and resource_map._parsed_resources[name] is not None
            and name not in operation["started"]
        ]
        # Each after everything that refers to it is gone.
        ready = [
            name
            for name in remaining
            if not any(
                name in dependencies.get(other, ())
                for other in [*remaining, *operation["started"]]
                if other != name
            )
        ]
        if not ready and remaining and not operation["started"]:
            ready = remaining[:1]
        for name in ready:
            progressed = True
            try:
                _start_deleting(stack, name)
            except ResourceFailed as failure:
                delattr(stack, OPERATION)
                # The stack stays, its reason in the events.
                if operation.get("purpose", "DELETE") == "DELETE":
                    stack.status = "DELETE_FAILED"
                    stack._add_stack_event(
                        "DELETE_FAILED", resource_status_reason=_failed("delete", failure)
                    )
                else:
                    stack.status = "ROLLBACK_FAILED"
                    stack._add_stack_event("ROLLBACK_FAILED")
                return None
            operation["started"][name] = now + pace.delete_seconds(
                template[name]["Type"], stack.account_id
            )
        if not progressed:
            break
    if operation["started"]:
        return min(operation["started"].values())
    delattr(stack, OPERATION)
    purpose = operation.get("purpose", "DELETE")
    if purpose.startswith("ROLLBACK"):
        stack.status = "ROLLBACK_COMPLETE"
        stack._add_stack_event("ROLLBACK_COMPLETE")
        if purpose == "ROLLBACK":
            return None
        stack._add_stack_event("DELETE_IN_PROGRESS", resource_status_reason="User Initiated")
    stack.status = "DELETE_COMPLETE"
    stack._add_stack_event("DELETE_COMPLETE")
    _retire(_backend_of(stack), stack)
    return None


def _delete_stack(self, name_or_stack_id):
    stack = self.stacks.get(name_or_stack_id) or next(
        (s for s in self.stacks.values() if s.name == name_or_stack_id), None
    )
    if stack is None:
        # AWS answers DeleteStack for a stack that is gone (or never was) with success.
        return
    # Its failure, DELETE_FAILED, is in its status and events; DeleteStack itself succeeds.
    stack.delete()


def _retire(backend, stack):
    backend.stacks.pop(stack.stack_id, None)
    backend.deleted_stacks[stack.stack_id] = stack
    for name, export in list(backend.exports.items()):
        if export.exporting_stack_id == stack.stack_id:
            backend.exports.pop(name)


def _validate_status(original, self, stack):
    operation = vars(stack).get(OPERATION)
    if operation is not None:
        raise ValidationError(
            stack.stack_id,
            message=f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated.",
        )
    return original(self, stack)


def _stack_update(original, self, template, role_arn=None, parameters=None, tags=None):
    """moto updates the resources at once; the stack then stays UPDATE_IN_PROGRESS for as long
    as AWS takes over them, each reported in progress, then complete."""
    old = self.resource_map._resource_json_map
    for body in old.values():
        # moto wrote `"Properties": {}` into the bodies without any, which then differ from the
        # same body in the new template: the resource would be "modified" by every update.
        if body.get("Properties") == {}:
            del body["Properties"]
    diff = self.resource_map.build_resource_diff(self.parse_template(template), parameters)
    previous = (self.template, dict(self.parameters))
    replaced = []
    token, replacing = _making.set("*"), _replaced.set(replaced)
    try:
        original(self, template, role_arn, parameters, tags)
        _update_dependents(self, diff, replaced)
    except ResourceFailed as failure:
        _roll_back_update(original, self, failure, previous, role_arn, replaced)
        return
    finally:
        _making.reset(token)
        _replaced.reset(replacing)
    new = self.resource_map._resource_json_map
    # moto reported it complete at once: that is the operation's to say.
    if self.events and self.events[-1].resource_status == "UPDATE_COMPLETE":
        self.events.pop()
    self.status = "UPDATE_IN_PROGRESS"
    now = time.time()
    started = {}
    for name in diff["Modify"]:
        resource = self.resource_map._parsed_resources.get(name)
        _resource_event(self, name, new[name]["Type"], "UPDATE_IN_PROGRESS", _physical_id(resource))
        started[name] = now + pace.seconds(pace.UPDATE_SECONDS, self.account_id)
    for name in diff["Add"]:
        if name in self.resource_map._parsed_resources:
            started[name] = now + pace.create_seconds(new[name]["Type"], self.account_id)
    setattr(
        self,
        OPERATION,
        {
            "action": "UPDATE",
            "started": started,
            "done": [],
            "added": [name for name in diff["Add"] if name in started],
            "removed": [[name, old[name]["Type"]] for name in diff["Remove"]],
            "replaced": replaced,
        },
    )
    _begin(self)


def _roll_back_update(original, stack, failure, previous, role_arn, replaced):
    """A resource that fails to update fails the update, not UpdateStack: it is UPDATE_FAILED
    with the reason, and the stack goes back to its previous template and parameters
    (UPDATE_ROLLBACK_IN_PROGRESS, then UPDATE_ROLLBACK_COMPLETE), as the CloudFormation user
    guide's "Stack status codes" describe. What the update made as a replacement is deleted at
    the rollback's clean-up, the old resources kept."""
    template = stack.resource_map._resource_json_map
    resource_type = template.get(failure.logical_id, {}).get("Type", "")
    if not _failed_already(stack, failure.logical_id):
        _resource_event(stack, failure.logical_id, resource_type, "UPDATE_FAILED", reason=failure.reason)
    stack.status = "UPDATE_ROLLBACK_IN_PROGRESS"
    stack._add_stack_event(
        "UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=_failed("update", failure)
    )
    # The rollback replaces each replacement by the old resource again: what it notes as
    # replaced is what the update made, which its clean-up deletes.
    del replaced[:]
    events = len(stack.events)
    try:
        original(stack, previous[0], role_arn, previous[1], None)
    except Exception as error:
        _drop_moto_update_events(stack, events)
        stack.status = "UPDATE_ROLLBACK_FAILED"
        stack._add_stack_event("UPDATE_ROLLBACK_FAILED", resource_status_reason=_reason(error))
        return
    _drop_moto_update_events(stack, events)
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
    for name, resource_type, physical_id in replaced:
        _delete_replaced(stack, name, resource_type, physical_id)
    stack.status = "UPDATE_ROLLBACK_COMPLETE"
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")


def _failed_already(stack, logical_id):
    return any(
        e.logical_resource_id == logical_id and e.resource_status.endswith("_FAILED")
        for e in stack.events[-3:]
    )


def _drop_moto_update_events(stack, since):
    """moto's update reports the stack UPDATE_IN_PROGRESS and UPDATE_COMPLETE: not a rollback's."""
    stack.events[since:] = [
        e
        for e in stack.events[since:]
        if not (
            e.physical_resource_id == stack.stack_id
            and e.resource_status in ("UPDATE_IN_PROGRESS", "UPDATE_COMPLETE")
        )
    ]


def _update_dependents(stack, diff, replaced):
    """Update what refers to a replaced resource, though its own template did not change: its
    Ref now names the new resource (moto updated only the resources whose template changed)."""
    resource_map = stack.resource_map
    template = resource_map._resource_json_map
    changed = {name for name, _, _ in replaced}
    while changed:
        dependents = [
            name
            for name, body in template.items()
            if name not in diff["Modify"]
            and name not in diff["Add"]
            and resource_map._parsed_resources.get(name) is not None
            and _references(body, changed)
        ]
        before = len(replaced)
        for name in dependents:
            updated = parsing.parse_and_update_resource(
                name, template[name], resource_map, resource_map._account_id, resource_map._region_name
            )
            if updated is not None:
                resource_map._parsed_resources[name] = updated
                diff["Modify"].append(name)
        changed = {name for name, _, _ in replaced[before:]}


def _advance_update(stack, operation, now):
    template = stack.resource_map._resource_json_map
    due = sorted((when, name) for name, when in operation["started"].items() if when <= now)
    for _, name in due:
        del operation["started"][name]
        resource = stack.resource_map._parsed_resources.get(name)
        status = "CREATE_COMPLETE" if name in operation["added"] else "UPDATE_COMPLETE"
        _resource_event(stack, name, template[name]["Type"], status, _physical_id(resource))
    if operation["started"]:
        return min(operation["started"].values())
    delattr(stack, OPERATION)
    replaced = operation.get("replaced", [])
    if operation["removed"] or replaced:
        stack._add_stack_event("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
        for name, resource_type in operation["removed"]:
            _resource_event(stack, name, resource_type, "DELETE_COMPLETE")
        for name, resource_type, physical_id in replaced:
            _delete_replaced(stack, name, resource_type, physical_id)
    stack.status = "UPDATE_COMPLETE"
    stack._add_stack_event("UPDATE_COMPLETE")
    return None


def _delete_replaced(stack, name, resource_type, physical_id):
    """Delete the resource an update replaced. If that fails, the update is still complete: the
    old resource is left behind, DELETE_FAILED with the reason (CloudFormation user guide,
    "Update behaviors of stack resources": the old resource is deleted during clean-up)."""
    _resource_event(stack, name, resource_type, "DELETE_IN_PROGRESS", physical_id)
    deleter = REPLACED_DELETERS.get(resource_type)
    try:
        if deleter is not None:
            deleter(stack.account_id, stack.region_name, physical_id)
    except Exception as error:
        _resource_event(
            stack, name, resource_type, "DELETE_FAILED", physical_id, _reason(error)
        )
        return
    _resource_event(stack, name, resource_type, "DELETE_COMPLETE", physical_id)


def _delete_replaced_cluster(account_id, region_name, name):
    from moto.ecs.models import ecs_backends

    ecs_backends[account_id][region_name].delete_cluster(name)


# Types whose update leaves the old resource in place (moto's deletes the others at once).
REPLACED_DELETERS = {"AWS::ECS::Cluster": _delete_replaced_cluster}


def _create_stack(original, self, name, *args, **kwargs):
    try:
        return original(self, name, *args, **kwargs)
    except ResourceFailed as failure:
        stack = next(s for s in self.stacks.values() if s.name == name)
        return _fail_creation(stack, failure)
    except ExportNotFound:
        # Refused by CreateStack itself, as AWS refuses it: no stack is left behind.
        for stack_id, stack in list(self.stacks.items()):
            if stack.name == name:
                del self.stacks[stack_id]
                for export in stack.exports:
                    self.exports.pop(export.name, None)
        raise


def _check_imports(stack):
    """AWS's CreateStack refuses a template that imports an export no stack has ("No export
    named … found.", ValidationError) before it makes anything; the imports built from
    resources can only be known while creating, and are left to that."""
    parameters = set(stack.template_dict.get("Parameters") or {})
    exports = {export.name for export in stack.resource_map.cross_stack_resources.values()}

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "Fn::ImportValue":
                    name = value
                    if isinstance(value, dict) and value.get("Ref") in parameters:
                        name = parsing.clean_json(value, stack.resource_map)
                    if isinstance(name, str) and name not in exports:
                        raise ExportNotFound(name)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for body in (stack.template_dict.get("Resources") or {}).values():
        if "Condition" not in body:
            walk(body)


def _fail_creation(stack, failure, on_failure=None):
    """What AWS does when a resource fails: CREATE_FAILED, then roll back unless told not to."""
    on_failure = on_failure or _on_failure.get()
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
    _delete_resources(stack, "ROLLBACK_THEN_DELETE" if on_failure == "DELETE" else "ROLLBACK")
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
