"""The `<prefix>-<env>-serving` stack: the model serving endpoint, following the model registry.

A layer of its own because it reads what the databricks layer creates: the workflows' registered
model must exist before a plan can read its aliases (the lookup fails on a missing model), and a
served version must exist before the endpoint can be created. So on a fresh environment `cdktf
deploy` applies azure, then databricks (model, jobs, grants), then this stack, which creates no
endpoint until the training and deployment jobs have set the alias; the next deploy or heartbeat
creates it (docs/serving.md: First deploy of a fresh environment). Reads no other stack's state.
"""

from __future__ import annotations

from cdktf import Fn, TerraformOutput, TerraformStack, Token
from constructs import Construct

from config import EnvironmentSettings
from config.ai_gateway import AiGatewaySettings
from config.naming import secret_scope_name
from constructs_lib.model_version_lookup import UNRESOLVED, ModelVersionLookup
from constructs_lib.principals import Principal
from constructs_lib.secret_scope import secret_reference
from constructs_lib.serving_endpoint import (
    AiGateway,
    InferenceTable,
    RateLimit,
    ServedEntity,
    ServingEndpoint,
    ServingEndpointProps,
)

from .databricks import deployer_principals, workspace_providers


def _ai_gateway(settings: AiGatewaySettings | None) -> AiGateway | None:
    if settings is None:
        return None
    table = settings.inference_table
    return AiGateway(
        inference_table=InferenceTable(table.catalog, table.schema_name, table.table_prefix) if table else None,
        usage_tracking=settings.usage_tracking,
        rate_limits=tuple(RateLimit(r.calls, r.key, r.renewal_period) for r in settings.rate_limits),
    )


class ServingStack(TerraformStack):
    """Attributes: `endpoint` (its `count` is 0 until every served model resolves), `lookups`."""

    def __init__(self, scope: Construct, stack_id: str, *, prefix: str, environment: EnvironmentSettings):
        super().__init__(scope, stack_id)
        application = workspace_providers(self, prefix=prefix, environment=environment)
        settings = environment.databricks
        serving = settings.serving
        scope_name = settings.secret_scope.name or secret_scope_name(prefix, environment.label)

        self.lookups = [
            ModelVersionLookup(self, f"served_model_{index}", full_name=m.model, alias=m.alias, version=m.version)
            for index, m in enumerate(serving.served_models)
        ]
        versions = [lookup.version for lookup in self.lookups]
        self.endpoint = ServingEndpoint(
            self,
            "serving_endpoint",
            ServingEndpointProps(
                name=serving.name,
                served_entities=tuple(
                    ServedEntity(
                        name=m.served_name,
                        entity_name=m.model,
                        entity_version=version,
                        workload_size=m.workload_size,
                        scale_to_zero_enabled=m.scale_to_zero,
                        environment_vars={
                            **m.environment_vars,
                            **{
                                var: secret_reference(scope_name, key) for var, key in m.secret_environment_vars.items()
                            },
                        },
                    )
                    for m, version in zip(serving.served_models, versions, strict=True)
                ),
                routes=tuple(serving.traffic()),
                ai_gateway=_ai_gateway(serving.ai_gateway),
                tags={**environment.scope_tags, **serving.tags},
                ready=Token.as_string(Fn.alltrue([lookup.resolved for lookup in self.lookups])),
                not_ready_message=(
                    "A served model's alias is unset or its pinned version does not exist (see the "
                    "serving_versions output); the deployed endpoint keeps serving. Set the alias again "
                    "(run the deployment job) or pin a version that exists."
                ),
            ),
        )
        self.endpoint.grant(
            Principal.service_principal(application.client_id, "ml_principal"), serving.principal_permission
        )
        for deployer in deployer_principals(environment):
            self.endpoint.grant_manage(deployer)

        outputs = {
            "serving_endpoint_url": (
                self.endpoint.invocation_url(settings.workspace.host),
                "POST scoring requests here (null until the endpoint exists)",
            ),
            "serving_endpoint_name": (self.endpoint.name, "Name of the model serving endpoint"),
            "serving_versions": (
                {m.served_name: v for m, v in zip(serving.served_models, versions, strict=True)},
                f"Served entity -> the version it serves; {UNRESOLVED!r} while its alias is unset or version missing",
            ),
        }
        for output_id, (value, description) in outputs.items():
            TerraformOutput(self, output_id, value=value, description=description)
