"""The databricks layer's settings: workspace, the ML principal's role, scope, cluster, serving."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from .addresses import WorkspaceResourceId, WorkspaceUrl
from .ai_gateway import AiGatewaySettings
from .autoscale import check_autoscale
from .tags import ClusterTags, EndpointTags
from .text import shorten
from .types import (
    DisplayName,
    EndpointName,
    EnvVarName,
    GroupName,
    LowerGuid,
    ModelAlias,
    ModelVersion,
    PipRequirement,
    RuntimeKey,
    SecretName,
    SecretScopeName,
    StorageAccountName,
    Strict,
    UcModelName,
    VmSize,
)
from .workflows import WorkflowsSettings

BUILT_IN_GROUPS = ("admins", "users")
"""Every Databricks workspace has these; they can be joined, never created."""


class WorkspaceSettings(Strict):
    """The existing Azure Databricks workspace (this app does not create workspaces)."""

    host: WorkspaceUrl
    """The workspace URL."""
    resource_id: WorkspaceResourceId
    """The workspace's Azure resource id (the provider's Entra ID auth needs it)."""


class EntitlementSettings(Strict):
    """Each entitlement is a deliberate choice; the default is the least an automation principal needs."""

    workspace_access: bool = True
    """Use the workspace (notebooks, jobs)."""
    databricks_sql_access: bool = True
    """Use Databricks SQL."""
    allow_cluster_create: bool = False
    """Create clusters (the ML cluster is created by the deployer, not by the principal)."""


class GroupSettings(Strict):
    """The workspace group the ML principal joins."""

    name: GroupName = "ml-automation"
    """`admins` outside dev prints a warning: the principal becomes a workspace administrator."""
    create: bool = True
    """false: the group exists already (e.g. synced from Entra ID) and is looked up by name."""

    @model_validator(mode="after")
    def _not_built_in(self) -> GroupSettings:
        if self.create and self.name.lower() in BUILT_IN_GROUPS:
            raise ValueError(
                f"'{self.name}' is a built-in workspace group and cannot be created; set create: false to join it"
            )
        return self


class ServicePrincipalSettings(Strict):
    """The workspace service principal bound to the Entra app, and its role."""

    display_name: DisplayName | None = None
    """Default `<prefix>-<env>-ml`."""
    entitlements: EntitlementSettings = EntitlementSettings()
    """What the principal may do in the workspace."""
    group: GroupSettings = GroupSettings()
    """Its workspace group."""
    user_groups: list[GroupName] = Field(default_factory=list)
    """Groups of people who may use the principal (roles/servicePrincipal.user)."""
    manager_groups: list[GroupName] = Field(default_factory=list)
    """Groups who may manage it (roles/servicePrincipal.manager), next to every deployer (`azure.deployers`)."""
    account_id: LowerGuid | None = None
    """The Databricks account id; needed only for the principal's access control rule set."""

    @model_validator(mode="after")
    def _account_for_rule_set(self) -> ServicePrincipalSettings:
        if (self.user_groups or self.manager_groups) and self.account_id is None:
            raise ValueError(
                "account_id (the Databricks account id) is required when user_groups or manager_groups are set"
            )
        return self


class SecretScopeSettings(Strict):
    """The Key Vault-backed secret scope."""

    name: SecretScopeName | None = None
    """Default `<prefix>-<env>-keyvault`."""
    manage_group: GroupName | None = None
    """A workspace group that gets MANAGE on the scope; never `users` (every workspace user)."""

    @field_validator("manage_group")
    @classmethod
    def _not_everyone(cls, value: str | None) -> str | None:
        if value is not None and value.lower() == "users":
            raise ValueError(
                "'users' is every workspace user: MANAGE on the scope that holds the client secret would let "
                "anyone read it or change its ACL; name the group of the platform's administrators"
            )
        return value


class AdlsSettings(Strict):
    """ADLS Gen2 OAuth access from the cluster, authenticating as the ML principal."""

    storage_account: StorageAccountName
    """The storage account the cluster reads (OAuth spark conf; the secret by `{{secrets/...}}` reference)."""


class ClusterSettings(Strict):
    """The ML cluster: runs as the ML principal (SINGLE_USER)."""

    name: DisplayName | None = None
    """Default `<prefix>-<env>-ml`."""
    spark_version: RuntimeKey | None = None
    """Pin a runtime; default: the latest ML LTS on Scala 2.13, looked up at every plan (docs/ml-workflows.md: ML runtime)."""
    node_type_id: VmSize | None = None
    """Pin a VM size; by default the smallest with local disk and `min_cores` cores is looked up."""
    min_cores: int = Field(default=4, ge=1, le=128)
    """Cores of the looked-up node type."""
    min_workers: int = Field(default=1, ge=0, le=1000)
    """Autoscale minimum; less than max_workers."""
    max_workers: int = Field(default=4, ge=1, le=1000)
    """Autoscale maximum."""
    autotermination_minutes: int = 30
    """0 (never; refused in prod) or 10-10000 minutes of inactivity."""
    principal_permission: Literal["CAN_ATTACH_TO", "CAN_RESTART", "CAN_MANAGE"] = "CAN_RESTART"
    """The ML principal's permission on the cluster."""
    users_group: GroupName | None = None
    """A group of people who get CAN_ATTACH_TO (attach notebooks, see results)."""
    custom_tags: ClusterTags = Field(default_factory=dict)
    """Tags on the cluster's VMs, next to `environment`."""
    pypi_packages: list[PipRequirement] = Field(default_factory=list)
    """Libraries installed on the cluster."""
    adls: AdlsSettings | None = None
    """ADLS Gen2 access as the ML principal; with one deployer only (a secret in the Spark conf: #2543)."""

    @field_validator("autotermination_minutes")
    @classmethod
    def _autotermination_range(cls, value: int) -> int:
        if value != 0 and not 10 <= value <= 10000:
            raise ValueError(f"must be 0 (never) or 10-10000 minutes (got {value})")
        return value

    @model_validator(mode="after")
    def _workers_ordered(self) -> ClusterSettings:
        check_autoscale(self.min_workers, self.max_workers)
        return self


class ServedModelSettings(Strict):
    """One Unity Catalog model the endpoint serves: a version that follows an alias, or a pinned version."""

    model: UcModelName
    """catalog.schema.model."""
    alias: ModelAlias | None = None
    """Serve the version this alias points at, looked up at every plan (e.g. `champion`, moved by the
    deployment job). Exactly one of alias and version."""
    version: ModelVersion | None = None
    """Serve this version (write it as a number or as text). Exactly one of alias and version."""
    workload_size: Literal["Small", "Medium", "Large"] = "Small"
    """Concurrency of the served model."""
    scale_to_zero: Literal[True] = True
    """Scale to zero when idle. Only true: databricks 1.99.0 never sends a false `scale_to_zero_enabled`
    (omitempty in databricks-sdk-go v0.93.0), and the API then refuses every update
    (terraform-provider-databricks #3946, open)."""
    traffic_percentage: int | None = Field(default=None, ge=0, le=100)
    """Share of traffic; required on every model when there are several, summing to 100."""
    name: EndpointName | None = None
    """Served entity name; default `<model>-<alias>` or `<model>-<version>`."""
    environment_vars: dict[EnvVarName, Annotated[str, StringConstraints(max_length=1024)]] = Field(default_factory=dict)
    """Plain environment variables of the model server (never secrets)."""
    secret_environment_vars: dict[EnvVarName, SecretName] = Field(default_factory=dict)
    """Environment variable -> secret key in this environment's Key Vault-backed scope."""

    @field_validator("scale_to_zero", mode="before")
    @classmethod
    def _scale_to_zero_reaches_the_api(cls, value: Any) -> Any:
        if value is False:
            raise ValueError(
                "false never reaches the API with databricks provider 1.99.0 (it drops false booleans; the API "
                "then refuses every update of the endpoint: terraform-provider-databricks #3946); keep true, and "
                "size the warm capacity with workload_size"
            )
        return value

    @model_validator(mode="after")
    def _alias_or_version(self) -> ServedModelSettings:
        if (self.alias is None) == (self.version is None):
            raise ValueError(
                "give exactly one of alias (follow a Unity Catalog alias, e.g. champion) and version (pin one)"
            )
        return self

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _each_variable_once(self) -> ServedModelSettings:
        both = sorted(set(self.environment_vars) & set(self.secret_environment_vars))
        if both:
            raise ValueError(f"{', '.join(both)}: set in both environment_vars and secret_environment_vars; keep one")
        return self

    @field_validator("environment_vars")
    @classmethod
    def _no_secret_literals(cls, value: dict[str, str]) -> dict[str, str]:
        for key, text in value.items():
            if "{{secrets/" in text:
                raise ValueError(f"{key}: put secret references in secret_environment_vars, not environment_vars")
        return value

    @model_validator(mode="after")
    def _default_name_fits(self) -> ServedModelSettings:
        if self.name is None and len(self.served_name) > 63:
            raise ValueError(
                f"the default served name {shorten(self.served_name)} (model-alias or model-version) is longer than 63 characters; set name"
            )
        return self

    @property
    def served_name(self) -> str:
        return self.name or f"{self.model.split('.')[-1]}-{self.alias or self.version}"


class ServingSettings(Strict):
    """The model serving endpoint."""

    name: EndpointName
    """Unique within the workspace."""
    served_models: list[ServedModelSettings] = Field(min_length=1, max_length=15)
    """1-15 models (each by alias or pinned version), with their traffic split. The endpoint is created
    once every one of them resolves to an existing version (docs/serving.md: First deploy of a fresh environment)."""
    principal_permission: Literal["CAN_QUERY", "CAN_MANAGE"] = "CAN_QUERY"
    """CAN_QUERY calls the endpoint; CAN_MANAGE also deploys new model versions."""
    ai_gateway: AiGatewaySettings | None = None
    """Inference table, usage tracking, rate limits."""
    tags: EndpointTags = Field(default_factory=dict)
    """Tags on the endpoint, next to `environment`."""

    @model_validator(mode="after")
    def _traffic_routes(self) -> ServingSettings:
        names = [m.served_name for m in self.served_models]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"served model names must be unique; repeated: {', '.join(duplicates)}")
        given = [m.traffic_percentage for m in self.served_models]
        if all(p is None for p in given):
            if len(given) > 1:
                raise ValueError(
                    "traffic_percentage is required on every served model when an endpoint serves more than one"
                )
            return self
        if any(p is None for p in given):
            raise ValueError("traffic_percentage must be given on every served model or on none")
        total = sum(p for p in given if p is not None)
        if total != 100:
            raise ValueError(f"traffic percentages must sum to 100 (got {total})")
        return self

    def traffic(self) -> list[tuple[str, int]]:
        """(served name, percentage) routes; a single model takes all traffic."""
        return [
            (m.served_name, 100 if m.traffic_percentage is None else m.traffic_percentage) for m in self.served_models
        ]


class DatabricksSettings(Strict):
    """The databricks layer of one environment (stack `<prefix>-<env>-databricks`)."""

    workspace: WorkspaceSettings
    """The workspace."""
    service_principal: ServicePrincipalSettings = ServicePrincipalSettings()
    """The ML principal and its role."""
    secret_scope: SecretScopeSettings = SecretScopeSettings()
    """The Key Vault-backed scope."""
    cluster: ClusterSettings = ClusterSettings()
    """The ML cluster."""
    serving: ServingSettings
    """The serving endpoint."""
    workflows: WorkflowsSettings | None = None
    """The ML jobs that run as the principal (config/workflows.py); absent: none."""
