"""Model serving endpoints (`/api/2.0/serving-endpoints`): create, read, config updates, tags, the AI
gateway, listing and delete, with the endpoint's life cycle; and scoring (`POST /serving-endpoints/<name>/
invocations`), which answers without running a model: one prediction, 0, per input record.

An endpoint's configuration is applied asynchronously: create and a config update answer at once with
`config_update: IN_PROGRESS`, and the next read finds the result, NOT_UPDATING (READY), or
UPDATE_FAILED when a served version does not exist, which is what the provider's wait
(databricks-sdk-go v0.93.0 `WaitGetServingEndpointNotUpdating`) polls for. Answers are shaped by the
Databricks SDK's `serving` types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from databricks.sdk.service import serving

from .errors import ApiError, denied, invalid, not_found
from .rules import rule
from .server import Call, Route

if TYPE_CHECKING:
    from .workspace import LocalWorkspace

BASE = "/api/2.0/serving-endpoints"
INVOCATIONS = "/serving-endpoints/(?P<name>[^/]+)/invocations"
LEVELS = ("CAN_VIEW", "CAN_QUERY", "CAN_MANAGE")
"""An endpoint's permission levels, each allowing what the ones before it do."""

SCALE_TO_ZERO_REQUIRED = rule(
    "serving.scale_to_zero_required_on_update",
    "A config update whose served entity omits scale_to_zero_enabled is refused (400 'scaleToZeroEnabled is "
    "undefined. Please set it to either true or false.'); at create it defaults to false",
    "terraform-provider-databricks #3946 (open), #4064",
)
CONFIG_APPLIED_ASYNC = rule(
    "serving.config_applied_async",
    "Create and config updates answer config_update IN_PROGRESS; the next read reports NOT_UPDATING and ready "
    "READY, or UPDATE_FAILED when a served model version does not exist (the previous config keeps serving)",
    "Databricks REST API, serving-endpoints (EndpointState); DESIGN.md: a serving endpoint needs its model "
    "version to exist at create",
)
BOTH_ROUTE_NAMES = rule(
    "serving.routes_name_both",
    "Routes and served entities are answered under both their served_entities and served_models names",
    "terraform-provider-databricks v1.99.0 serving/resource_model_serving.go (suppressRouteModelEntityNameDiff: "
    "'The server returns both fields with the same value')",
)
INFERENCE_TABLE_SURVIVES = rule(
    "serving.inference_table_created_and_kept",
    "Enabling an inference table creates <catalog>.<schema>.<prefix>_payload, owned by the endpoint's creator; "
    "deleting the endpoint leaves the table",
    "Databricks docs, 'Inference tables for monitoring and debugging models' (the table is not deleted with "
    "the endpoint)",
)
PERMISSIONS_ENFORCED = rule(
    "serving.endpoint_permissions_enforced",
    "Reading an endpoint needs CAN_VIEW, querying it CAN_QUERY, changing its config, AI gateway or tags or deleting "
    "it CAN_MANAGE (each level allows what the ones below it do), held by the caller or one of its groups "
    "(403 PERMISSION_DENIED otherwise); workspace admins may do all",
    "Databricks docs, 'Access control lists' (learn.microsoft.com/azure/databricks/security/auth/access-control, "
    "Serving endpoint ACLs: CAN VIEW, CAN QUERY, CAN MANAGE; 'Workspace admins have the CAN MANAGE permission on all "
    "objects'); Databricks REST API, POST /serving-endpoints/{name}/invocations",
)
NAME_UNIQUE = rule(
    "serving.name_unique",
    "A second endpoint of the same name is refused (409 RESOURCE_ALREADY_EXISTS)",
    "Databricks REST API, POST /api/2.0/serving-endpoints",
)


@dataclass
class Endpoint:
    name: str
    id: str
    creator: str
    created: int
    config: dict[str, Any]
    ai_gateway: dict[str, Any] | None
    tags: dict[str, str]
    config_version: int = 1
    pending: dict[str, Any] | None = None
    """A config update not read yet: it is applied (or fails) at the next read."""
    ready: str = "NOT_READY"
    config_update: str = "IN_PROGRESS"
    failed_entities: list[str] = field(default_factory=list)


class Serving:
    def __init__(self, workspace: LocalWorkspace):
        self.workspace = workspace
        self.endpoints: dict[str, Endpoint] = {}

    def routes(self) -> list[Route]:
        one = f"{BASE}/(?P<name>[^/]+)"
        return [
            ("POST", BASE, self.create),
            ("GET", BASE, self.list),
            ("GET", one, self.get),
            ("DELETE", one, self.delete),
            ("PUT", f"{one}/config", self.update_config),
            ("PATCH", f"{one}/tags", self.patch_tags),
            ("PUT", f"{one}/ai-gateway", self.put_ai_gateway),
            ("POST", INVOCATIONS, self.query),
        ]

    def endpoint(self, name: str) -> Endpoint:
        found = self.endpoints.get(name)
        if found is None:
            raise not_found(f"Endpoint with name '{name}' does not exist.")
        return found

    def level_of(self, caller: str, endpoint: Endpoint) -> str | None:
        """The highest level `caller` holds on `endpoint`, itself or through a group (an admin: CAN_MANAGE)."""
        if self.workspace.is_admin(caller):
            return "CAN_MANAGE"
        identities = self.workspace.identities_of(caller)
        held = [
            level
            for (_, name), level in self.workspace.permissions.entries("serving-endpoints", endpoint.id).items()
            if name in identities and level in LEVELS
        ]
        return max(held, key=LEVELS.index, default=None)

    def _require(self, call: Call, level: str) -> Endpoint:
        """The endpoint of the call's path, once the caller holds `level` on it (PERMISSIONS_ENFORCED)."""
        endpoint = self.endpoint(call.params["name"])
        held = self.level_of(call.caller, endpoint)
        if self.workspace.applies(PERMISSIONS_ENFORCED) and (held is None or LEVELS.index(held) < LEVELS.index(level)):
            raise denied(f"User {call.caller} does not have {level} permission on serving endpoint '{endpoint.name}'.")
        return endpoint

    def _missing_versions(self, config: dict[str, Any]) -> list[str]:
        uc = self.workspace.uc
        missing = []
        for entity in config.get("served_entities", []):
            model = uc.find("function", entity.get("entity_name", ""))
            version = int(entity.get("entity_version") or 0)
            if model is None or version not in model.versions:
                missing.append(f"{entity.get('entity_name')} version {entity.get('entity_version')}")
        return missing

    def _check_entities(self, config: dict[str, Any], *, update: bool) -> None:
        for entity in config.get("served_entities", []):
            if "scale_to_zero_enabled" not in entity:
                if update and self.workspace.applies(SCALE_TO_ZERO_REQUIRED):
                    raise invalid("scaleToZeroEnabled is undefined. Please set it to either true or false.")
                entity["scale_to_zero_enabled"] = False
            entity.setdefault("name", f"{entity.get('entity_name', '').split('.')[-1]}-{entity.get('entity_version')}")

    def _start(self, endpoint: Endpoint, config: dict[str, Any]) -> None:
        """Begin applying `config` (CONFIG_APPLIED_ASYNC); without the rule it is applied at once."""
        endpoint.pending, endpoint.config_update = config, "IN_PROGRESS"
        if not self.workspace.applies(CONFIG_APPLIED_ASYNC):
            self._settle(endpoint)

    def _settle(self, endpoint: Endpoint) -> None:
        if endpoint.pending is None:
            return
        missing = self._missing_versions(endpoint.pending)
        if missing:
            endpoint.config_update, endpoint.failed_entities = "UPDATE_FAILED", missing
        else:
            if endpoint.config:
                endpoint.config_version += 1
            endpoint.config, endpoint.config_update, endpoint.ready = endpoint.pending, "NOT_UPDATING", "READY"
        endpoint.pending = None

    def _inference_table(self, endpoint: Endpoint) -> None:
        table = (endpoint.ai_gateway or {}).get("inference_table_config") or {}
        if not table.get("enabled") or not self.workspace.applies(INFERENCE_TABLE_SURVIVES):
            return
        uc = self.workspace.uc
        schema = f"{table.get('catalog_name')}.{table.get('schema_name')}"
        name = f"{schema}.{table.get('table_name_prefix') or endpoint.name}_payload"
        if uc.find("schema", schema) is not None and uc.find("table", name) is None:
            uc.add("table", name, owner=endpoint.creator)

    def create(self, call: Call) -> dict[str, Any]:
        request = call.body
        name = request.get("name", "")
        if self.workspace.applies(NAME_UNIQUE) and name in self.endpoints:
            raise ApiError(409, "RESOURCE_ALREADY_EXISTS", f"Endpoint with name '{name}' already exists.")
        config = serving.EndpointCoreConfigInput.from_dict(request.get("config") or {}).as_dict()
        self._check_entities(config, update=False)
        endpoint = Endpoint(
            name,
            f"{self.workspace.next_id():032x}",
            call.caller,
            self.workspace.now_ms(),
            {},
            serving.AiGatewayConfig.from_dict(request["ai_gateway"]).as_dict() if request.get("ai_gateway") else None,
            {t["key"]: t.get("value", "") for t in request.get("tags", [])},
        )
        self.endpoints[name] = endpoint
        self.workspace.permissions.initial("serving-endpoints", endpoint.id, call.caller, "CAN_MANAGE")
        self._inference_table(endpoint)
        self._start(endpoint, config)
        return self._detailed(endpoint, call.caller)

    def _entities(self, endpoint: Endpoint) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        entities, models = [], []
        for entity in endpoint.config.get("served_entities", []):
            common = {
                "name": entity.get("name"),
                "workload_size": entity.get("workload_size"),
                "workload_type": entity.get("workload_type", "CPU"),
                "scale_to_zero_enabled": entity.get("scale_to_zero_enabled"),
                "environment_vars": entity.get("environment_vars"),
                "creator": endpoint.creator,
                "creation_timestamp": endpoint.created,
                "state": {"deployment": "DEPLOYMENT_READY", "deployment_state_message": ""},
            }
            entities.append(
                serving.ServedEntityOutput.from_dict(
                    {**common, "entity_name": entity.get("entity_name"), "entity_version": entity.get("entity_version")}
                ).as_dict()
            )
            models.append(
                serving.ServedModelOutput.from_dict(
                    {**common, "model_name": entity.get("entity_name"), "model_version": entity.get("entity_version")}
                ).as_dict()
            )
        return entities, models

    def _routes(self, endpoint: Endpoint) -> list[dict[str, Any]]:
        routes = []
        for route in (endpoint.config.get("traffic_config") or {}).get("routes", []):
            served = route.get("served_entity_name") or route.get("served_model_name")
            both = self.workspace.applies(BOTH_ROUTE_NAMES)
            routes.append(
                serving.Route(
                    served_entity_name=served if both or route.get("served_entity_name") else None,
                    served_model_name=served if both or route.get("served_model_name") else None,
                    traffic_percentage=route.get("traffic_percentage"),
                ).as_dict()
            )
        return routes

    def _detailed(self, endpoint: Endpoint, caller: str) -> dict[str, Any]:
        """The endpoint as `caller` reads it (`permission_level`: the level the caller holds)."""
        answer: dict[str, Any] = {
            "name": endpoint.name,
            "id": endpoint.id,
            "creator": endpoint.creator,
            "creation_timestamp": endpoint.created,
            "last_updated_timestamp": endpoint.created,
            "state": {"ready": endpoint.ready, "config_update": endpoint.config_update},
            "permission_level": self.level_of(caller, endpoint),
            "route_optimized": False,
        }
        if endpoint.config:
            entities, models = self._entities(endpoint)
            config: dict[str, Any] = {"served_entities": entities, "config_version": endpoint.config_version}
            if self.workspace.applies(BOTH_ROUTE_NAMES):
                config["served_models"] = models
            config["traffic_config"] = {"routes": self._routes(endpoint)}
            answer["config"] = config
        if endpoint.pending is not None:
            answer["pending_config"] = {"served_entities": endpoint.pending.get("served_entities", [])}
        if endpoint.ai_gateway:
            answer["ai_gateway"] = endpoint.ai_gateway
        if endpoint.tags:
            answer["tags"] = [{"key": k, "value": v} for k, v in endpoint.tags.items()]
        return serving.ServingEndpointDetailed.from_dict(answer).as_dict()

    def get(self, call: Call) -> dict[str, Any]:
        endpoint = self._require(call, "CAN_VIEW")
        self._settle(endpoint)
        return self._detailed(endpoint, call.caller)

    def list(self, call: Call) -> dict[str, Any]:
        listed = []
        for endpoint in self.endpoints.values():
            self._settle(endpoint)
            summary: dict[str, Any] = {
                "name": endpoint.name,
                "id": endpoint.id,
                "creator": endpoint.creator,
                "creation_timestamp": endpoint.created,
                "last_updated_timestamp": endpoint.created,
                "state": {"ready": endpoint.ready, "config_update": endpoint.config_update},
                "config": {
                    "served_entities": [
                        {
                            "name": e.get("name"),
                            "entity_name": e.get("entity_name"),
                            "entity_version": e.get("entity_version"),
                        }
                        for e in endpoint.config.get("served_entities", [])
                    ]
                },
            }
            if endpoint.ai_gateway:
                summary["ai_gateway"] = endpoint.ai_gateway
            if endpoint.tags:
                summary["tags"] = [{"key": k, "value": v} for k, v in endpoint.tags.items()]
            listed.append(serving.ServingEndpoint.from_dict(summary).as_dict())
        return {"endpoints": listed} if listed else {}

    def delete(self, call: Call) -> None:
        endpoint = self._require(call, "CAN_MANAGE")
        del self.endpoints[endpoint.name]
        self.workspace.permissions.forget("serving-endpoints", endpoint.id)

    def update_config(self, call: Call) -> dict[str, Any]:
        endpoint = self._require(call, "CAN_MANAGE")
        self._settle(endpoint)
        if endpoint.config_update == "IN_PROGRESS":
            raise ApiError(409, "RESOURCE_CONFLICT", f"Endpoint {endpoint.name} is currently being updated.")
        config = serving.EndpointCoreConfigInput.from_dict(call.body).as_dict()
        config.pop("name", None)
        self._check_entities(config, update=True)
        self._start(endpoint, config)
        return self._detailed(endpoint, call.caller)

    def patch_tags(self, call: Call) -> dict[str, Any]:
        endpoint = self._require(call, "CAN_MANAGE")
        for key in call.body.get("delete_tags", []):
            endpoint.tags.pop(key, None)
        for tag in call.body.get("add_tags", []):
            endpoint.tags[tag["key"]] = tag.get("value", "")
        return {"tags": [{"key": k, "value": v} for k, v in endpoint.tags.items()]}

    def put_ai_gateway(self, call: Call) -> dict[str, Any]:
        endpoint = self._require(call, "CAN_MANAGE")
        gateway = serving.AiGatewayConfig.from_dict(call.body).as_dict()
        endpoint.ai_gateway = gateway or None
        self._inference_table(endpoint)
        return gateway

    def query(self, call: Call) -> dict[str, Any]:
        """A scoring request: one prediction, 0, per record of `dataframe_records`, `instances` or
        `dataframe_split.data` (the model is not run)."""
        endpoint = self._require(call, "CAN_QUERY")
        self._settle(endpoint)
        body = call.body if isinstance(call.body, dict) else {}
        records = (
            body.get("dataframe_records") or body.get("instances") or (body.get("dataframe_split") or {}).get("data")
        )
        return serving.QueryEndpointResponse(predictions=[0] * len(records or [])).as_dict()
