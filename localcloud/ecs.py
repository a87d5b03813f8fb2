"""ECS as AWS runs it: registrations keep what the agent sends; clusters count and refuse."""

import copy
import json

from moto.core.responses import ActionResult
from moto.ecs.exceptions import ClusterNotFoundException, ECSException, InvalidParameterException
from moto.ec2.models.instances import Instance
from moto.ecs.models import Cluster, ContainerInstance, EC2ContainerServiceBackend, ecs_backends
from moto.moto_api._internal import mock_random
from moto.ecs.responses import EC2ContainerServiceResponse

from . import persistence, scenarios
from ._patching import replace, wrap

LIVE_STATUSES = ("ACTIVE", "DRAINING")

# The order AWS lists a cluster's statistics in (DescribeClusters include=STATISTICS).
STATISTICS = (
    ("runningEC2TasksCount", "RUNNING", "EC2"),
    ("runningFargateTasksCount", "RUNNING", "FARGATE"),
    ("pendingEC2TasksCount", "PENDING", "EC2"),
    ("pendingFargateTasksCount", "PENDING", "FARGATE"),
    ("activeEC2ServiceCount", "ACTIVE", "EC2"),
    ("activeFargateServiceCount", "ACTIVE", "FARGATE"),
    ("drainingEC2ServiceCount", "DRAINING", "EC2"),
    ("drainingFargateServiceCount", "DRAINING", "FARGATE"),
)


def install():
    wrap(EC2ContainerServiceBackend, "create_cluster", _create_cluster)
    wrap(EC2ContainerServiceBackend, "delete_cluster", _delete_cluster)
    wrap(EC2ContainerServiceBackend, "list_clusters", _list_clusters)
    wrap(
        EC2ContainerServiceBackend, "deregister_container_instance", _deregister_container_instance
    )
    wrap(EC2ContainerServiceBackend, "describe_container_instances", _describe_container_instances)
    wrap(EC2ContainerServiceBackend, "update_container_instances_state", _with_instance_table)
    wrap(EC2ContainerServiceBackend, "_get_resource", _get_resource)
    wrap(Instance, "terminate", _terminate_instance)
    wrap(Instance, "stop", _stop_instance)
    wrap(ContainerInstance, "__init__", _container_instance_init)
    replace(EC2ContainerServiceResponse, "register_container_instance", _register_response)
    replace(EC2ContainerServiceResponse, "describe_clusters", _describe_clusters_response)
    replace(
        EC2ContainerServiceResponse, "list_container_instances", _list_container_instances_response
    )
    replace(
        EC2ContainerServiceResponse, "update_cluster_settings", _update_cluster_settings_response
    )
    replace(Cluster, "update_from_cloudformation_json", classmethod(_cluster_from_stack_update))


class ClusterContainsContainerInstancesException(ECSException):
    code = "ClusterContainsContainerInstancesException"
    message = "The Cluster cannot be deleted while Container Instances are active or draining."


class ClusterContainsServicesException(ECSException):
    code = "ClusterContainsServicesException"
    message = "The Cluster cannot be deleted while Services are active."


class ClusterContainsTasksException(ECSException):
    code = "ClusterContainsTasksException"
    message = "The Cluster cannot be deleted while Tasks are active."


def inactive_container_instances(backend, cluster_name):
    """Deregistered container instances: AWS describes them (INACTIVE) but no longer lists them."""
    store = backend.__dict__.setdefault("_localcloud_inactive_container_instances", {})
    return store.setdefault(cluster_name, {})


def live_container_instances(backend, cluster_name):
    instances = backend.container_instances.get(cluster_name, {}).values()
    return [ci for ci in instances if ci.status in LIVE_STATUSES]


def register_container_instance(
    backend,
    cluster_str,
    ec2_instance_id,
    total_resources=None,
    version_info=None,
    attributes=None,
    tags=None,
):
    """Register an EC2 instance as AWS does: once per instance, keeping what the agent reports."""
    cluster = backend._get_cluster(cluster_str)
    if cluster.status != "ACTIVE":
        raise ClusterNotFoundException()
    scenarios.refuse_registration(backend, cluster.name, ec2_instance_id)
    existing = next(
        (
            ci
            for ci in live_container_instances(backend, cluster.name)
            if ci.ec2_instance_id == ec2_instance_id
        ),
        None,
    )
    # A re-registering agent gets its container instance back, with what it now reports.
    # moto, and the network attributes below, read the EC2 instance and change nothing of
    # EC2's: a registration is ECS's change alone (which the cluster lookup above noted).
    with persistence.only_reading():
        container_instance = existing or backend.register_container_instance(
            cluster.name, ec2_instance_id
        )
        _add_network_attributes(backend, container_instance)
    if version_info:
        container_instance.version_info = {**container_instance.version_info, **version_info}
    if total_resources and not existing:
        container_instance.registered_resources = [_resource(r) for r in total_resources]
        container_instance.remaining_resources = copy.deepcopy(
            container_instance.registered_resources
        )
    for attribute in attributes or []:
        container_instance.attributes[attribute["name"]] = attribute.get("value")
    if tags:
        container_instance.tags = backend._merge_tags(getattr(container_instance, "tags", []), tags)
    container_instance.agent_connected = True
    scenarios.after_registration(backend, cluster.name, container_instance)
    return container_instance


def _resource(resource):
    # AWS fills every member of a Resource, the unused ones with zero.
    filled = {"doubleValue": 0.0, "longValue": 0, "integerValue": 0}
    filled.update(resource)
    if filled.get("type") == "STRINGSET":
        filled.setdefault("stringSetValue", [])
    return filled


def _add_network_attributes(backend, container_instance):
    from moto.ec2 import ec2_backends

    instance = ec2_backends[backend.account_id][backend.region_name].get_instance(
        container_instance.ec2_instance_id
    )
    if instance.subnet_id:
        container_instance.attributes["ecs.subnet-id"] = instance.subnet_id
    if instance.vpc_id:
        container_instance.attributes["ecs.vpc-id"] = instance.vpc_id


def _register_response(self):
    cluster_str = self._get_param("cluster", "default")
    document = json.loads(self._get_param("instanceIdentityDocument"))
    container_instance = register_container_instance(
        self.ecs_backend,
        cluster_str,
        document["instanceId"],
        total_resources=self._get_param("totalResources"),
        version_info=self._get_param("versionInfo"),
        attributes=self._get_param("attributes"),
        tags=self._get_param("tags"),
    )
    return ActionResult({"containerInstance": container_instance})


def _deregister_container_instance(original, self, cluster_str, container_instance_str, force):
    cluster = self._get_cluster(cluster_str)
    container_instance_id = container_instance_str.split("/")[-1]
    container_instance = self.container_instances.get(cluster.name, {}).get(container_instance_id)
    if container_instance is None:
        raise InvalidParameterException("Container instance can not be found.")
    original(self, cluster_str, container_instance_str, force)
    # AWS keeps the deregistered instance describable as INACTIVE and stops counting it.
    if container_instance.status in LIVE_STATUSES:
        cluster.registered_container_instances_count = max(
            0, cluster.registered_container_instances_count - 1
        )
    container_instance.status = "INACTIVE"
    container_instance.agent_connected = False
    inactive_container_instances(self, cluster.name)[container_instance_id] = container_instance
    return container_instance


def _container_instance_init(original, self, *args, **kwargs):
    original(self, *args, **kwargs)
    # ECS names a container instance by 32 hex digits, the last part of its ARN
    # (container-instance/<cluster>/<id>, the only format since 2021); moto uses a UUID.
    self.id = mock_random.uuid4().hex


def _stop_instance(original, self, *args, **kwargs):
    result = original(self, *args, **kwargs)
    # A stopped instance runs no agent: ECS keeps its container instance ACTIVE and registered,
    # with agentConnected false, until the agent connects again when the instance starts.
    backend = ecs_backends[self.ec2_backend.account_id][self.ec2_backend.region_name]
    for cluster_name, instances in list(backend.container_instances.items()):
        for container_instance in instances.values():
            if (
                container_instance.ec2_instance_id == self.id
                and container_instance.status in LIVE_STATUSES
            ):
                container_instance.agent_connected = False
    return result


def _terminate_instance(original, self, *args, **kwargs):
    was_running = self.state in ("pending", "running")
    result = original(self, *args, **kwargs)
    if was_running:
        # "If you terminate a running container instance, Amazon ECS automatically deregisters
        # the instance from your cluster": ECS does it at once, not the agent.
        backend = ecs_backends[self.ec2_backend.account_id][self.ec2_backend.region_name]
        for cluster_name, instances in list(backend.container_instances.items()):
            if cluster_name not in backend.clusters:
                continue
            for container_instance in list(instances.values()):
                if (
                    container_instance.ec2_instance_id == self.id
                    and container_instance.status in LIVE_STATUSES
                ):
                    _stop_tasks_on(backend, cluster_name, container_instance, self.id)
                    backend.deregister_container_instance(
                        cluster_name, container_instance.container_instance_arn, True
                    )
    return result


def _stop_tasks_on(backend, cluster_name, container_instance, instance_id):
    """The tasks of a host that terminates stop with it, as ECS reports them: STOPPED, "Host EC2
    (instance i-…) terminated." (moto kept them RUNNING on a host that was gone, and StopTask on
    one then failed looking the host up)."""
    arn = container_instance.container_instance_arn
    for task in list(backend.tasks.get(cluster_name, {}).values()):
        if task.container_instance_arn == arn and task.last_status != "STOPPED":
            reason = f"Host EC2 (instance {instance_id}) terminated."
            backend.stop_task(cluster_name, task.task_arn, reason)


def _describe_container_instances(original, self, cluster_str, container_instance_ids):
    cluster = self._get_cluster(cluster_str)
    self.container_instances.setdefault(cluster.name, {})
    found, failures = original(self, cluster_str, container_instance_ids)
    inactive = inactive_container_instances(self, cluster.name)
    missing = []
    for failure in failures:
        container_instance = inactive.get(failure.arn.split("/")[-1])
        if container_instance is None:
            missing.append(failure)
        else:
            found.append(container_instance)
    return found, missing


def _with_instance_table(original, self, cluster_str, *args, **kwargs):
    # moto looks the cluster's instances up without a default and fails with a KeyError.
    self.container_instances.setdefault(self._get_cluster(cluster_str).name, {})
    return original(self, cluster_str, *args, **kwargs)


def _get_resource(original, self, resource_arn, parsed_arn):
    if parsed_arn["service"] == "container-instance":
        container_instance_id = resource_arn.split("/")[-1]
        for instances in self.container_instances.values():
            if container_instance_id in instances:
                container_instance = instances[container_instance_id]
                container_instance.__dict__.setdefault("tags", [])
                return container_instance
    return original(self, resource_arn, parsed_arn)


def _create_cluster(original, self, cluster_name, *args, **kwargs):
    existing = self.clusters.get(cluster_name)
    # AWS answers CreateCluster for an ACTIVE cluster's name with that cluster, unchanged.
    if existing is not None and existing.status == "ACTIVE":
        return existing
    cluster = original(self, cluster_name, *args, **kwargs)
    # A new cluster under an INACTIVE one's name starts with no container instances.
    self.container_instances.pop(cluster_name, None)
    inactive_container_instances(self, cluster_name).clear()
    return cluster


def _delete_cluster(original, self, cluster_str):
    cluster = self._get_cluster(cluster_str)
    if live_container_instances(self, cluster.name):
        raise ClusterContainsContainerInstancesException()
    if any(status in LIVE_STATUSES for status, _ in _services(self, cluster)):
        raise ClusterContainsServicesException()
    if any(status in ("RUNNING", "PENDING") for status, _ in _tasks(self, cluster)):
        raise ClusterContainsTasksException()
    return original(self, cluster_str)


def _cluster_from_stack_update(
    cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
):
    """A renamed cluster is a new one; the old one stays until the update's clean-up.

    moto deleted the old cluster first, so an update of a cluster that has services failed
    (ClusterContainsServicesException) before the services could move. CloudFormation creates
    the replacement, updates what refers to it, and deletes the old one last (`cloudformation.py`)
    ("Update behaviors of stack resources", Replacement, in the CloudFormation user guide)."""
    if original_resource.name == new_resource_name:
        return original_resource
    return ecs_backends[account_id][region_name].create_cluster(cluster_name=new_resource_name)


def _list_clusters(original, self):
    # AWS lists only clusters that are not INACTIVE.
    return [cluster.arn for cluster in self.clusters.values() if cluster.status != "INACTIVE"]


def _services(backend, cluster):
    return [
        (service.status, service.launch_type or "EC2")
        for service in backend.services.values()
        if service.cluster_arn == cluster.arn
    ]


def _tasks(backend, cluster):
    return [
        (task.last_status, task.launch_type or "EC2")
        for task in backend.tasks.get(cluster.name, {}).values()
    ]


def cluster_description(backend, cluster, include=()):
    """A cluster as AWS's DescribeClusters shows it, with the sections `include` asks for."""
    tasks = _tasks(backend, cluster)
    services = _services(backend, cluster)
    counts = tasks + services
    description = {
        "clusterArn": cluster.arn,
        "clusterName": cluster.name,
        "status": cluster.status,
        "registeredContainerInstancesCount": len(live_container_instances(backend, cluster.name)),
        "runningTasksCount": sum(1 for status, _ in tasks if status == "RUNNING"),
        "pendingTasksCount": sum(1 for status, _ in tasks if status == "PENDING"),
        "activeServicesCount": sum(1 for status, _ in services if status == "ACTIVE"),
        "capacityProviders": list(cluster.capacity_providers or []),
        "defaultCapacityProviderStrategy": list(cluster.default_capacity_provider_strategy or []),
    }
    if "STATISTICS" in include:
        description["statistics"] = [
            {"name": name, "value": str(counts.count((status, launch_type)))}
            for name, status, launch_type in STATISTICS
        ]
    # Each section only when `include` names it ("If this field is omitted, this information
    # isn't included", DescribeClusters), and no tags key for a cluster that has none.
    if "TAGS" in include and cluster.tags:
        description["tags"] = list(cluster.tags)
    if "SETTINGS" in include:
        description["settings"] = list(cluster.settings or [])
    if "CONFIGURATIONS" in include and cluster.configuration:
        description["configuration"] = cluster.configuration
    if "ATTACHMENTS" in include:
        description["attachments"] = []
    if cluster.service_connect_defaults:
        description["serviceConnectDefaults"] = cluster.service_connect_defaults
    return description


def _describe_clusters_response(self):
    include = self._get_param("include", []) or []
    clusters, failures = self.ecs_backend.describe_clusters(self._get_param("clusters", []))
    return ActionResult(
        {
            "clusters": [cluster_description(self.ecs_backend, c, include) for c in clusters],
            "failures": failures,
        }
    )


# ListContainerInstances answers at most 100 ARNs a page (AWS's maximum and default for
# maxResults) with a nextToken for the rest; moto answers every ARN at once.
LIST_PAGE_MAX = 100


def page_of(items, max_results, next_token):
    """One page of a listing, as AWS pages it: an opaque token that says where to go on."""
    size = min(int(max_results or LIST_PAGE_MAX), LIST_PAGE_MAX)
    if size < 1:
        raise InvalidParameterException("maxResults must be between 1 and 100.")
    start = int(next_token) if next_token and str(next_token).isdigit() else 0
    page = items[start : start + size]
    following = str(start + size) if start + size < len(items) else None
    return page, following


def _list_container_instances_response(self):
    arns = self.ecs_backend.list_container_instances(
        self._get_param("cluster", "default"), status=self._get_param("status")
    )
    page, following = page_of(arns, self._get_param("maxResults"), self._get_param("nextToken"))
    result = {"containerInstanceArns": page}
    if following:
        result["nextToken"] = following
    return ActionResult(result)


# The cluster settings UpdateClusterSettings takes, and their values (ECS API reference,
# ClusterSetting: containerInsights is the only name; "enhanced" came with Container Insights
# with enhanced observability).
CLUSTER_SETTING_VALUES = {"containerInsights": ("enabled", "disabled", "enhanced")}


def update_cluster_settings(backend, cluster_str, settings):
    """UpdateClusterSettings as AWS does it, which moto lacks: each named setting takes its new
    value, the others stay; an unknown name or value is refused before anything changes."""
    cluster = backend._get_cluster(cluster_str)
    if cluster.status != "ACTIVE":
        raise ClusterNotFoundException()
    if not settings:
        raise InvalidParameterException("Settings cannot be empty.")
    for setting in settings:
        name, value = setting.get("name"), setting.get("value")
        if name not in CLUSTER_SETTING_VALUES:
            raise InvalidParameterException(f"Setting name {name} is not supported.")
        if value not in CLUSTER_SETTING_VALUES[name]:
            raise InvalidParameterException(
                f"Setting value {value} is not supported for setting {name}."
            )
    merged = {s["name"]: s["value"] for s in cluster.settings or []}
    merged.update({s["name"]: s["value"] for s in settings})
    cluster.settings = [{"name": name, "value": value} for name, value in merged.items()]
    return cluster


def _update_cluster_settings_response(self):
    cluster = update_cluster_settings(
        self.ecs_backend, self._get_param("cluster"), self._get_param("settings")
    )
    return ActionResult(
        {"cluster": cluster_description(self.ecs_backend, cluster, include=("SETTINGS",))}
    )
