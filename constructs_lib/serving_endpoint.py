"""A model serving endpoint for Unity Catalog models, with traffic routes, AI gateway and grants.

Unity Catalog models are served through `served_entities` (`entity_name` = catalog.schema.model).
Routes sum to 100 (config checks it); scale-to-zero keeps idle environments free. Secrets reach the model as
`{{secrets/<scope>/<key>}}` environment variables, resolved by Databricks, never stored here.

The endpoint exists only once it can serve (databricks 1.99.0, serving/resource_model_serving.go):
- its create needs every served version to exist, and a create whose wait fails deletes the endpoint.
  So `count` is 1 when every version resolves (`ServingEndpointProps.ready`), or when the workspace
  already has the endpoint (`data.databricks_serving_endpoints`); there a missing version fails the
  plan (precondition) and the deployed endpoint keeps serving, never destroyed by a moved alias.
- its update dereferences `ai_gateway` without a nil check once the block leaves config, and never
  sends a false `enabled` (#5504): a feature the deployed gateway has on cannot be switched off from
  here, so a plan that would try fails with what to do instead (precondition).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from cdktf import Fn, Op, Precondition, TerraformLocal, TerraformResourceLifecycle, Token
from cdktf_cdktf_provider_databricks.data_databricks_serving_endpoints import DataDatabricksServingEndpoints
from cdktf_cdktf_provider_databricks.model_serving import (
    ModelServing,
    ModelServingAiGateway,
    ModelServingAiGatewayInferenceTableConfig,
    ModelServingAiGatewayRateLimits,
    ModelServingAiGatewayUsageTrackingConfig,
    ModelServingConfigA,
    ModelServingConfigServedEntities,
    ModelServingConfigTrafficConfig,
    ModelServingConfigTrafficConfigRoutes,
    ModelServingTags,
)
from cdktf_cdktf_provider_databricks.permissions import Permissions
from constructs import Construct

from .object_permissions import ObjectPermissions
from .principals import Principal

EndpointPermission = Literal["CAN_QUERY", "CAN_MANAGE"]


@dataclass(frozen=True)
class ServedEntity:
    name: str
    entity_name: str
    """Unity Catalog model: catalog.schema.model."""
    entity_version: str
    """A version number, or an expression (`ModelVersionLookup.version`)."""
    workload_size: Literal["Small", "Medium", "Large"]
    scale_to_zero_enabled: bool
    environment_vars: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class InferenceTable:
    catalog_name: str
    schema_name: str
    table_name_prefix: str | None


@dataclass(frozen=True)
class RateLimit:
    calls: int
    key: Literal["user", "endpoint"]
    renewal_period: Literal["minute"]


@dataclass(frozen=True)
class AiGateway:
    inference_table: InferenceTable | None
    usage_tracking: bool
    rate_limits: tuple[RateLimit, ...]


@dataclass(frozen=True)
class ServingEndpointProps:
    """Values come from config (`databricks.serving`), which states their defaults and checks the traffic split."""

    name: str
    served_entities: tuple[ServedEntity, ...]
    routes: tuple[tuple[str, int], ...]
    """(served entity name, traffic percentage); config makes the percentages sum to 100."""
    ai_gateway: AiGateway | None
    tags: Mapping[str, str] = field(default_factory=dict)
    ready: bool | str = True
    """A boolean expression: every served entity's version exists. While false the endpoint is not created."""
    not_ready_message: str = "a served model version does not exist"
    """The precondition's error when a deployed endpoint's version stops resolving (fixed text, no config)."""

    def __post_init__(self) -> None:
        # Config names routes after the served models it lists; code that builds both by hand can
        # drift, and the provider would only refuse the endpoint at apply time.
        unknown = {n for n, _ in self.routes} - {e.name for e in self.served_entities}
        if unknown:
            raise ValueError(f"routes name unknown served entities: {sorted(unknown)}")


def _ai_gateway(gateway: AiGateway) -> ModelServingAiGateway:
    table = gateway.inference_table
    return ModelServingAiGateway(
        inference_table_config=ModelServingAiGatewayInferenceTableConfig(
            enabled=True,
            catalog_name=table.catalog_name,
            schema_name=table.schema_name,
            table_name_prefix=table.table_name_prefix,
        )
        if table
        else None,
        usage_tracking_config=ModelServingAiGatewayUsageTrackingConfig(enabled=True)
        if gateway.usage_tracking
        else None,
        rate_limits=[
            ModelServingAiGatewayRateLimits(calls=r.calls, key=r.key, renewal_period=r.renewal_period)
            for r in gateway.rate_limits
        ]
        or None,
    )


def _gateway_guards(gateway: AiGateway | None, deployed: TerraformLocal) -> list[Precondition]:
    """Preconditions refusing to switch off what the deployed gateway has on (module docstring)."""
    how = (
        "databricks provider 1.99.0 cannot switch it off (terraform-provider-databricks #5504; a removed "
        "ai_gateway block crashes its update): switch it off in the workspace first (Serving > endpoint > "
        "Edit AI Gateway, or PUT /api/2.0/serving-endpoints/<name>/ai-gateway), then apply"
    )
    wanted = {
        "gateway": gateway is not None,
        "inference_table": gateway is not None and gateway.inference_table is not None,
        "usage_tracking": gateway is not None and gateway.usage_tracking,
    }
    words = {
        "gateway": "an AI gateway and this config has none",
        "inference_table": "an inference table on and this config has it off",
        "usage_tracking": "usage tracking on and this config has it off",
    }
    return [
        Precondition(
            condition=Op.not_(Token.as_any(Fn.lookup(deployed.as_any_map, feature, False))),
            error_message=f"The deployed endpoint has {words[feature]}; {how}.",
        )
        for feature, on in wanted.items()
        if not on
    ]


class ServingEndpoint(Construct):
    """Attributes: `name`, `endpoint_id` (null until it exists), `exists` (a boolean expression).
    Grants: `grant_query`, `grant_manage`."""

    def __init__(self, scope: Construct, construct_id: str, props: ServingEndpointProps):
        super().__init__(scope, construct_id)
        listing = DataDatabricksServingEndpoints(self, "deployed_endpoints")
        endpoints = listing.endpoints
        name = TerraformLocal(self, "name", props.name)
        names = Token.as_list(Fn.lookup_nested(endpoints, ["*", "name"]))
        gateway = Fn.try_(
            [
                Fn.lookup(
                    Fn.zipmap(names, Token.as_list(Fn.lookup_nested(endpoints, ["*", "ai_gateway"]))),
                    name.as_string,
                    [],
                ),
                [],
            ]
        )
        deployed = TerraformLocal(
            self,
            "deployed",
            {
                "exists": Fn.contains(names, name.as_string),
                # An endpoint without a gateway lists it as null, not [] (databricks 1.99.0
                # serving/data_serving_endpoints.go -> converters/go_to_tf.go), and length(null) fails.
                "gateway": Op.gt(Token.as_number(Fn.try_([Fn.length_of(gateway), 0])), Token.as_number("0")),
                "inference_table": Fn.try_(
                    [Fn.lookup_nested(gateway, [0, "inference_table_config", 0, "enabled"]), False]
                ),
                "usage_tracking": Fn.try_(
                    [Fn.lookup_nested(gateway, [0, "usage_tracking_config", 0, "enabled"]), False]
                ),
            },
        )
        self.exists = Token.as_any(Fn.lookup(deployed.as_any_map, "exists", False))
        ready = TerraformLocal(self, "ready", props.ready)
        self.endpoint = ModelServing(
            self,
            "endpoint",
            count=Token.as_number(Fn.conditional(Op.or_(ready.expression, self.exists), 1, 0)),
            name=props.name,
            config=ModelServingConfigA(
                served_entities=[
                    ModelServingConfigServedEntities(
                        name=e.name,
                        entity_name=e.entity_name,
                        entity_version=e.entity_version,
                        workload_size=e.workload_size,
                        scale_to_zero_enabled=e.scale_to_zero_enabled,
                        environment_vars=dict(e.environment_vars) or None,
                    )
                    for e in props.served_entities
                ],
                traffic_config=ModelServingConfigTrafficConfig(
                    routes=[
                        ModelServingConfigTrafficConfigRoutes(served_entity_name=name, traffic_percentage=percent)
                        for name, percent in props.routes
                    ]
                ),
            ),
            ai_gateway=_ai_gateway(props.ai_gateway) if props.ai_gateway else None,
            tags=[ModelServingTags(key=k, value=v) for k, v in props.tags.items()] or None,
            lifecycle=TerraformResourceLifecycle(
                precondition=[
                    Precondition(condition=ready.expression, error_message=props.not_ready_message),
                    *_gateway_guards(props.ai_gateway, deployed),
                ]
            ),
        )
        self.name: str = props.name
        self.endpoint_id: str = Token.as_string(Fn.one(Fn.lookup_nested(self.endpoint, ["*", "serving_endpoint_id"])))
        self._url_format = TerraformLocal(self, "invocation_url_format", "%s/serving-endpoints/%s/invocations")
        self._permissions = ObjectPermissions(
            self, "permissions", count=self.endpoint.count, serving_endpoint_id=self.endpoint_id
        )

    def grant(self, principal: Principal, permission_level: EndpointPermission) -> Permissions:
        """Give `principal` one endpoint permission level; returns the endpoint's permissions resource."""
        return self._permissions.grant(principal, permission_level)

    def grant_query(self, principal: Principal) -> Permissions:
        """Call the endpoint (CAN_QUERY)."""
        return self.grant(principal, "CAN_QUERY")

    def grant_manage(self, principal: Principal) -> Permissions:
        """Change the endpoint's config, e.g. deploy new model versions (CAN_MANAGE)."""
        return self.grant(principal, "CAN_MANAGE")

    def invocation_url(self, workspace_host: str) -> str:
        """`https://<workspace host>/serving-endpoints/<name>/invocations`, null until the endpoint exists.

        Built here on purpose: the resource's `endpoint_url` is set only for route-optimized
        endpoints (provider 1.99.0 copies the API's `endpoint_url`, "Endpoint invocation url if
        route optimization is enabled for endpoint"); this endpoint is not route-optimized."""
        host = TerraformLocal(self, "workspace_host", workspace_host.rstrip("/"))
        return Token.as_string(
            Fn.one(
                Fn.formatlist(
                    self._url_format.as_string, [host.as_string, Fn.lookup_nested(self.endpoint, ["*", "name"])]
                )
            )
        )
