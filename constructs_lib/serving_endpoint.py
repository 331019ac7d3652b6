"""A model serving endpoint for Unity Catalog models, with traffic routes, AI gateway and grants.

Unity Catalog models are served through `served_entities` (`entity_name` = catalog.schema.model).
Routes sum to 100 (config checks it); scale-to-zero keeps idle environments free. Secrets reach the model as
`{{secrets/<scope>/<key>}}` environment variables, resolved by Databricks, never stored here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

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


class ServingEndpoint(Construct):
    """Attributes: `name`, `endpoint_id`. Grants: `grant_query`, `grant_manage`."""

    def __init__(self, scope: Construct, construct_id: str, props: ServingEndpointProps):
        super().__init__(scope, construct_id)
        self.endpoint = ModelServing(
            self,
            "endpoint",
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
        )
        self.name: str = self.endpoint.name
        self.endpoint_id: str = self.endpoint.serving_endpoint_id
        self._permissions = ObjectPermissions(
            self, "permissions", serving_endpoint_id=self.endpoint.serving_endpoint_id
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
        """`https://<workspace host>/serving-endpoints/<name>/invocations`.

        Built here on purpose: the resource's `endpoint_url` is set only for route-optimized
        endpoints (provider 1.99.0 copies the API's `endpoint_url`, "Endpoint invocation url if
        route optimization is enabled for endpoint"); this endpoint is not route-optimized."""
        return f"{workspace_host.rstrip('/')}/serving-endpoints/{self.name}/invocations"
