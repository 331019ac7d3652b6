"""The typed, validated shape of `config/environments.yaml`.

Everything a stack or construct needs is validated here, before any construct exists, so a
user mistake is reported as one line per problem instead of surfacing halfway through a
synthesis (or, worse, at `terraform apply`). Rules that come from Azure and Databricks
(name formats, ranges, GUIDs) live next to the field they constrain.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from .azure_regions import AZURE_REGIONS
from .text import shorten, unsafe_strings

TIERS = ("dev", "staging", "prod")
Tier = Literal["dev", "staging", "prod"]

# --- reusable constrained types -------------------------------------------------------------


def _rule(pattern: str, description: str) -> AfterValidator:
    """A regex rule whose error message says what is allowed in words, not as a regex."""
    compiled = re.compile(pattern, re.ASCII)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"invalid value {shorten(value)}: {description}")
        return value

    return AfterValidator(check)


Guid = Annotated[
    str,
    _rule(
        r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
        "must be a GUID such as 00000000-0000-0000-0000-000000000000",
    ),
]


def _lower(value: str) -> str:
    return value.lower()


LowerGuid = Annotated[Guid, AfterValidator(_lower)]

ENVIRONMENT_NAME_PATTERN = r"[a-z][a-z0-9]{0,15}"
ENVIRONMENT_NAME_RULE = "1-16 lowercase letters and digits, starting with a letter"
EnvironmentName = Annotated[str, _rule(ENVIRONMENT_NAME_PATTERN, ENVIRONMENT_NAME_RULE)]

# Entra ID / Databricks display names: printable, bounded.
DisplayName = Annotated[str, _rule(r"[^\x00-\x1f]{1,120}", "1-120 printable characters")]

# Databricks workspace group names (also used for the users/admin groups): printable, no slashes.
GroupName = Annotated[str, _rule(r"[^/\x00-\x1f]{1,256}", "1-256 printable characters without '/'")]

# Azure tags: at most 50 per resource, key <= 512 characters without <>%&\?/, value <= 256; tag
# names are case-insensitive in Azure, so keys differing only in case collide.
TagKey = Annotated[
    str, _rule(r"[^<>%&\\?/]{1,512}", "1-512 characters without '<', '>', '%', '&', '\\', '?' and '/'")
]
TagValue = Annotated[str, StringConstraints(max_length=256)]


def _tags(max_count: int, why: str) -> Any:
    def check(tags: dict[str, str]) -> dict[str, str]:
        if len(tags) > max_count:
            raise ValueError(f"at most {max_count} tags ({why}); got {len(tags)}")
        seen: dict[str, str] = {}
        for key in tags:
            if key.lower() in seen:
                raise ValueError(
                    f"tag keys {shorten(seen[key.lower()])} and {shorten(key)} differ only in case; Azure treats them as one"
                )
            seen[key.lower()] = key
        return tags

    return Annotated[dict[TagKey, TagValue], AfterValidator(check)]


# The stacks add 'environment' and 'managed-by' to the Azure tags; 'environment' to the others.
AzureTags = _tags(48, "Azure allows 50 per resource and the app adds 'environment' and 'managed-by'")
ClusterTags = _tags(
    44, "Azure allows 50 per VM; the app adds 'environment' and Azure Databricks its default tags"
)
EndpointTags = _tags(49, "the app adds 'environment'")

# Terraform Cloud organization and project names.
TfcName = Annotated[str, _rule(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}", "1-40 letters, digits, '-' and '_'")]
# tfe_project names, as the tfe provider (v0.71.0, resource_tfe_project.go) validates them: 3-40 characters.
TfcProjectName = Annotated[
    str,
    _rule(r"(?a)(?=.{3,40}\Z)[\w\-][\w\- ]+[\w\-]", "3-40 letters, digits, '_', '-' and spaces, not starting or ending with a space"),
]


def _check_key_vault_name(value: str) -> str:
    # https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#vault-name-and-managed-hsm-pool-name
    if not 3 <= len(value) <= 24:
        raise ValueError(f"Key Vault names are 3-24 characters long (got {len(value)})")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]", value) or "--" in value:
        raise ValueError(
            "Key Vault names use letters, digits and single hyphens, start with a letter "
            "and end with a letter or digit"
        )
    return value


KeyVaultName = Annotated[str, AfterValidator(_check_key_vault_name)]

# Azure resource group names: 1-90 of letters, digits, underscores, hyphens, periods, parentheses; no trailing period.
ResourceGroupName = Annotated[
    str, _rule(r"[-\w.()]{0,89}[-\w()]", "1-90 letters, digits, '_', '-', '.', '(' and ')', not ending in '.'")
]

StorageAccountName = Annotated[str, _rule(r"[a-z0-9]{3,24}", "3-24 lowercase letters and digits")]
StorageContainerName = Annotated[
    str, _rule(r"(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*", "3-63 lowercase letters, digits and single hyphens")
]

# Key Vault secret names double as Databricks secret keys: 1-127 of letters, digits and hyphens.
SecretName = Annotated[str, _rule(r"[A-Za-z0-9-]{1,127}", "1-127 letters, digits and hyphens")]

# Databricks secret scope names: letters, digits, dashes, underscores and periods, at most 128.
SecretScopeName = Annotated[str, _rule(r"[A-Za-z0-9_.-]{1,128}", "1-128 letters, digits, '-', '_' and '.'")]

# Serving endpoint names: letters, digits, '-' and '_', at most 63 characters.
EndpointName = Annotated[str, _rule(r"[A-Za-z0-9_-]{1,63}", "1-63 letters, digits, '-' and '_'")]

# Unity Catalog three-level model name.
UcModelName = Annotated[
    str,
    _rule(r"\w[\w-]*\.\w[\w-]*\.\w[\w-]*", "a Unity Catalog model name: catalog.schema.model"),
]
UcIdentifier = Annotated[str, _rule(r"\w[\w-]{0,254}", "a Unity Catalog name: letters, digits, '_' and '-'")]
EnvVarName = Annotated[str, _rule(r"[A-Za-z_][A-Za-z0-9_]*", "letters, digits and '_', not starting with a digit")]


_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
HOST_NAME = re.compile(rf"(?=.{{4,253}}$)(?:{_LABEL}\.)+[a-z]{{2,63}}", re.ASCII)
# Azure Databricks workspace URLs, in the public, US Government and China clouds.
_DATABRICKS_DOMAINS = (".azuredatabricks.net", ".databricks.azure.us", ".databricks.azure.cn")


def _check_host_name(value: str) -> str:
    if not HOST_NAME.fullmatch(value.lower()):
        raise ValueError(f"invalid host name {shorten(value)}: dot-separated labels of letters, digits and '-', e.g. app.terraform.io")
    return value.lower()


def _check_https_host(value: str) -> str:
    match = re.fullmatch(r"https://([^/]+)/?", value, re.ASCII)
    host = match.group(1).lower() if match else ""
    if not match or not HOST_NAME.fullmatch(host):
        raise ValueError(
            "must be the workspace URL as https://<host> with no path, "
            "e.g. https://adb-1234567890123456.7.azuredatabricks.net"
        )
    if not host.endswith(_DATABRICKS_DOMAINS):
        raise ValueError(
            f"{shorten(host)} is not an Azure Databricks workspace host (*{', *'.join(_DATABRICKS_DOMAINS)})"
        )
    return f"https://{host}"


HostName = Annotated[str, AfterValidator(_check_host_name)]


HttpsHost = Annotated[str, AfterValidator(_check_https_host)]


def _check_region(value: str) -> str:
    if value not in AZURE_REGIONS:
        close = [r for r in sorted(AZURE_REGIONS) if r[:4] == value[:4].lower()][:4]
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `az account list-locations -o table`"
        raise ValueError(f"{shorten(value)} is not an Azure region name (lowercase, no spaces, e.g. westeurope){hint}")
    return value


AzureRegion = Annotated[str, AfterValidator(_check_region)]

_WORKSPACE_ID = re.compile(
    r"^/subscriptions/[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}/resourceGroups/[-\w.()]{0,89}[-\w()]"
    r"/providers/Microsoft\.Databricks/workspaces/[A-Za-z0-9_-]{3,64}$"
)


def _check_workspace_resource_id(value: str) -> str:
    if not _WORKSPACE_ID.fullmatch(value) or not value.isascii():
        raise ValueError(
            "must be an Azure Databricks workspace resource id: /subscriptions/<guid>/resourceGroups/<rg>"
            "/providers/Microsoft.Databricks/workspaces/<name>"
        )
    return value


WorkspaceResourceId = Annotated[str, AfterValidator(_check_workspace_resource_id)]


# Special-purpose IPv4 space (RFC 6890) that can never be a deployer's public egress address.
# The documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) stay allowed: the
# embedded default uses them as placeholders.
_NOT_PUBLIC = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
    )
]
WIDEST_IP_RULE = 16
"""The widest firewall range accepted: an office, VPN or runner egress range is far narrower."""


def _check_ip_rule(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise ValueError(f"{shorten(value)} is not an IPv4 address or CIDR range (host bits must be zero)") from None
    if network.version != 4:
        raise ValueError(f"{shorten(value)}: Key Vault firewall rules accept IPv4 only")
    # Key Vault refuses private ranges in IP rules: private traffic belongs on a private endpoint.
    overlap = next((reserved for reserved in _NOT_PUBLIC if network.overlaps(reserved)), None)
    if overlap is not None:
        raise ValueError(
            f"{shorten(value)} is not a public range (it overlaps {overlap}); Key Vault IP rules accept public IPv4 only"
        )
    if network.prefixlen < WIDEST_IP_RULE:
        raise ValueError(
            f"{shorten(value)} is wider than /{WIDEST_IP_RULE}; allow only the egress ranges that run Terraform"
        )
    # Azure stores a single address without '/32'; writing it that way avoids a perpetual plan diff.
    return str(network.network_address) if network.prefixlen == 32 else str(network)


IpRule = Annotated[str, AfterValidator(_check_ip_rule)]


class Strict(BaseModel):
    """Base for every config section: unknown keys are errors, values are immutable."""

    # strict: no silent coercion (a YAML `true` is not the integer 1, "3" is not 3).
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, strict=True)


# --- state backends ---------------------------------------------------------------------------


class BootstrapSettings(Strict):
    """The `<prefix>-tfc` stack that creates and wires the Terraform Cloud workspaces."""

    # Where the bootstrap stack's own state lives: a local file, or an admin workspace.
    backend: Literal["local", "cloud"] = "local"
    admin_workspace: TfcName | None = None
    terraform_version: Annotated[str, _rule(r"[0-9]+\.[0-9]+\.[0-9]+", "a Terraform version such as 1.11.4")] = "1.11.4"


class CloudState(Strict):
    """Terraform Cloud / HCP Terraform: one workspace per stack, named after the stack."""

    backend: Literal["cloud"]
    organization: TfcName
    hostname: HostName = "app.terraform.io"
    project: TfcProjectName | None = None
    bootstrap: BootstrapSettings | None = None

    @model_validator(mode="after")
    def _bootstrap_needs_project(self) -> "CloudState":
        if self.bootstrap is not None and self.project is None:
            raise ValueError("project is required when bootstrap is set: the workspaces are created in that project")
        return self


class AzurermState(Strict):
    """An Azure storage account; the key is `<prefix>/<env>/<layer>.tfstate`, auth by Entra ID."""

    backend: Literal["azurerm"]
    resource_group_name: ResourceGroupName
    storage_account_name: StorageAccountName
    container_name: StorageContainerName
    subscription_id: LowerGuid | None = None
    tenant_id: LowerGuid | None = None


class LocalState(Strict):
    """A file under the project's `state/` folder: for trying the app out, never for a team."""

    backend: Literal["local"]
    directory: Annotated[str, _rule(r"[A-Za-z0-9_./-]+", "a folder path of letters, digits, '_', '.', '/' and '-'")] = "state"


StateSettings = Annotated[Union[CloudState, AzurermState, LocalState], Field(discriminator="backend")]


# --- azure layer ------------------------------------------------------------------------------

from .network import PrivateEndpointSettings, check_vault_access  # noqa: E402 - needs Strict above

MAX_SECRET_EXPIRY_DAYS = 365


class ApplicationSettings(Strict):
    """The Entra ID app registration and its client secret lifecycle."""

    display_name: DisplayName | None = None
    owners: list[LowerGuid] = Field(default_factory=list)
    # Microsoft recommends client secrets shorter than 12 months; 90 days keeps a leaked one short-lived.
    secret_expiry_days: int = Field(default=90, ge=2, le=MAX_SECRET_EXPIRY_DAYS)
    """Each of the two client passwords expires this many days after its rotation marker's base time.
    At least 2 x `secret_rotation_days` (a password serves R days, then stays valid R days for
    consumers that read it earlier); the excess is slack for a rotation that runs late."""
    secret_rotation_days: int = Field(default=30, ge=1, le=MAX_SECRET_EXPIRY_DAYS // 2)
    """R: every R days the Key Vault gets a new client secret (the two passwords renew alternately,
    each every 2R days); the previous one stays valid for R more days. Rotation happens when a plan
    runs: plan at least daily."""

    @model_validator(mode="after")
    def _rotation_before_expiry(self) -> "ApplicationSettings":
        if 2 * self.secret_rotation_days > self.secret_expiry_days:
            raise ValueError(
                f"secret_expiry_days ({self.secret_expiry_days}) must be at least twice secret_rotation_days "
                f"({self.secret_rotation_days}): each password serves {self.secret_rotation_days} days and must stay "
                f"valid {self.secret_rotation_days} more days for consumers that read it earlier"
            )
        return self


class ResourceGroupSettings(Strict):
    name: ResourceGroupName
    # false: use an existing resource group of that name (looked up, never managed here).
    create: bool = True


class KeyVaultSettings(Strict):
    """A hardened, RBAC-authorized vault: firewall on by default, destroy protection in prod."""

    name: KeyVaultName
    sku: Literal["standard", "premium"] = "standard"
    soft_delete_retention_days: int = Field(default=90, ge=7, le=90)
    public_network_access_enabled: bool = True
    # Deny everywhere by default: the deployer's egress range goes into allowed_ip_ranges.
    network_default_action: Literal["Allow", "Deny"] = "Deny"
    allowed_ip_ranges: list[IpRule] = Field(default_factory=list)
    prevent_destroy: bool
    secret_name: SecretName = "ml-client-secret"
    private_endpoint: PrivateEndpointSettings | None = None
    """A private endpoint for the vault in an existing subnet, registered in the vault's private DNS zone.
    With it, public_network_access_enabled may be false (the default outside dev)."""

    @model_validator(mode="after")
    def _reachable(self) -> "KeyVaultSettings":
        check_vault_access(self.public_network_access_enabled, self.private_endpoint)
        return self


from .monitoring import MonitoringSettings  # noqa: E402  (it builds on Strict, defined above)


class AzureSettings(Strict):
    tenant_id: LowerGuid
    subscription_id: LowerGuid
    location: AzureRegion
    resource_group: ResourceGroupSettings
    application: ApplicationSettings = ApplicationSettings()
    key_vault: KeyVaultSettings
    tags: AzureTags = Field(default_factory=dict)
    monitoring: MonitoringSettings = MonitoringSettings()
    """Vault audit logs and secret-expiry events (config/monitoring.py); off unless set."""


# --- databricks layer -------------------------------------------------------------------------


class WorkspaceSettings(Strict):
    host: HttpsHost
    resource_id: WorkspaceResourceId


class EntitlementSettings(Strict):
    """Each entitlement is a deliberate choice; the default is the least an automation principal needs."""

    workspace_access: bool = True
    databricks_sql_access: bool = True
    allow_cluster_create: bool = False


BUILT_IN_GROUPS = ("admins", "users")
"""Every Databricks workspace has these; they can be joined, never created."""


class GroupSettings(Strict):
    name: GroupName = "ml-automation"
    # false: the group exists already (e.g. synced from Entra ID) and is looked up by name.
    create: bool = True

    @model_validator(mode="after")
    def _not_built_in(self) -> "GroupSettings":
        if self.create and self.name in BUILT_IN_GROUPS:
            raise ValueError(
                f"'{self.name}' is a built-in workspace group and cannot be created; set create: false to join it"
            )
        return self


class ServicePrincipalSettings(Strict):
    display_name: DisplayName | None = None
    entitlements: EntitlementSettings = EntitlementSettings()
    group: GroupSettings = GroupSettings()
    # Groups of people who may use / manage the principal (roles/servicePrincipal.user / .manager).
    user_groups: list[GroupName] = Field(default_factory=list)
    manager_groups: list[GroupName] = Field(default_factory=list)
    # The Databricks account id; needed only for the principal's access control rule set.
    account_id: LowerGuid | None = None

    @model_validator(mode="after")
    def _account_for_rule_set(self) -> "ServicePrincipalSettings":
        if (self.user_groups or self.manager_groups) and self.account_id is None:
            raise ValueError(
                "account_id (the Databricks account id) is required when user_groups or manager_groups are set"
            )
        return self


class SecretScopeSettings(Strict):
    name: SecretScopeName | None = None
    manage_group: GroupName | None = None


class AdlsSettings(Strict):
    """ADLS Gen2 OAuth access from the cluster, authenticating as the ML principal."""

    storage_account: StorageAccountName


class ClusterSettings(Strict):
    name: DisplayName | None = None
    spark_version: Annotated[str, _rule(r"[0-9]+\.[0-9]+\.x-[a-z0-9-]+-scala[0-9.]+", "a runtime key such as 15.4.x-cpu-ml-scala2.12")] | None = None
    node_type_id: Annotated[str, _rule(r"[A-Za-z0-9_]+", "an Azure VM size such as Standard_D4ds_v5")] | None = None
    min_cores: int = Field(default=4, ge=1, le=128)
    min_workers: int = Field(default=1, ge=0, le=1000)
    max_workers: int = Field(default=4, ge=1, le=1000)
    # 0 disables auto-termination; otherwise Databricks accepts 10-10000 minutes.
    autotermination_minutes: int = 30
    principal_permission: Literal["CAN_ATTACH_TO", "CAN_RESTART", "CAN_MANAGE"] = "CAN_RESTART"
    users_group: GroupName | None = None
    custom_tags: ClusterTags = Field(default_factory=dict)
    pypi_packages: list[Annotated[str, _rule(r"[A-Za-z0-9][A-Za-z0-9._\-\[\],<>=!~ ]*", "a pip requirement such as mlflow==2.19.0")]] = Field(
        default_factory=list
    )
    adls: AdlsSettings | None = None

    @field_validator("autotermination_minutes")
    @classmethod
    def _autotermination_range(cls, value: int) -> int:
        if value != 0 and not 10 <= value <= 10000:
            raise ValueError(f"must be 0 (never) or 10-10000 minutes (got {value})")
        return value

    @model_validator(mode="after")
    def _workers_ordered(self) -> "ClusterSettings":
        if self.min_workers > self.max_workers:
            raise ValueError(
                f"min_workers ({self.min_workers}) must be <= max_workers ({self.max_workers})"
            )
        return self


class ServedModelSettings(Strict):
    model: UcModelName
    version: Annotated[str, _rule(r"[1-9][0-9]*", "a model version number such as 3")]
    workload_size: Literal["Small", "Medium", "Large"] = "Small"
    scale_to_zero: bool = True
    traffic_percentage: int | None = Field(default=None, ge=0, le=100)
    name: Annotated[str, _rule(r"[A-Za-z0-9_-]{1,63}", "1-63 letters, digits, '-' and '_'")] | None = None
    environment_vars: dict[EnvVarName, Annotated[str, StringConstraints(max_length=1024)]] = Field(default_factory=dict)
    # Environment variable -> secret key in this environment's Key Vault-backed scope.
    secret_environment_vars: dict[EnvVarName, SecretName] = Field(default_factory=dict)

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _each_variable_once(self) -> "ServedModelSettings":
        both = sorted(set(self.environment_vars) & set(self.secret_environment_vars))
        if both:
            raise ValueError(
                f"{', '.join(both)}: set in both environment_vars and secret_environment_vars; keep one"
            )
        return self

    @field_validator("environment_vars")
    @classmethod
    def _no_secret_literals(cls, value: dict[str, str]) -> dict[str, str]:
        for key, text in value.items():
            if "{{secrets/" in text:
                raise ValueError(f"{key}: put secret references in secret_environment_vars, not environment_vars")
        return value

    @property
    def entity_name_default(self) -> str:
        return f"{self.model.split('.')[-1]}-{self.version}"

    @property
    def served_name(self) -> str:
        return self.name or self.entity_name_default


class InferenceTableSettings(Strict):
    catalog: UcIdentifier
    schema_name: UcIdentifier = Field(alias="schema")
    table_prefix: UcIdentifier | None = None


class RateLimitSettings(Strict):
    calls: int = Field(ge=1, le=1_000_000)
    key: Literal["user", "endpoint"] = "endpoint"
    renewal_period: Literal["minute"] = "minute"


class AiGatewaySettings(Strict):
    inference_table: InferenceTableSettings | None = None
    usage_tracking: bool = False
    rate_limits: list[RateLimitSettings] = Field(default_factory=list)


class ServingSettings(Strict):
    name: EndpointName
    served_models: list[ServedModelSettings] = Field(min_length=1, max_length=15)
    # CAN_MANAGE lets the principal deploy new model versions; CAN_QUERY only calls the endpoint.
    principal_permission: Literal["CAN_QUERY", "CAN_MANAGE"] = "CAN_QUERY"
    ai_gateway: AiGatewaySettings | None = None
    tags: EndpointTags = Field(default_factory=dict)

    @model_validator(mode="after")
    def _traffic_routes(self) -> "ServingSettings":
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
        return [(m.served_name, 100 if m.traffic_percentage is None else m.traffic_percentage) for m in self.served_models]


class DatabricksSettings(Strict):
    workspace: WorkspaceSettings
    service_principal: ServicePrincipalSettings = ServicePrincipalSettings()
    secret_scope: SecretScopeSettings = SecretScopeSettings()
    cluster: ClusterSettings = ClusterSettings()
    serving: ServingSettings


# --- environments and the whole file ----------------------------------------------------------

from .execution import AgentSettings, ExecutionMode, check_environment, check_platform  # noqa: E402


def _tier_defaults(tier: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Fill the defaults that depend on the tier into a copy of the raw environment mapping.

    A prod vault is protected from `terraform destroy`. Explicit values always win.
    """
    azure = raw.get("azure")
    if not isinstance(azure, dict) or not isinstance(azure.get("key_vault"), dict):
        return raw
    vault = dict(azure["key_vault"])
    vault.setdefault("prevent_destroy", tier == "prod")
    if vault.get("private_endpoint") is not None:
        # Behind a private endpoint, staging and prod vaults refuse public traffic altogether.
        vault.setdefault("public_network_access_enabled", tier == "dev")
    return {**raw, "azure": {**azure, "key_vault": vault}}


ENVIRONMENT_NAME_KEY = "__environment_name__"


class EnvironmentSettings(Strict):
    """One environment: its tier, an optional state override and both layers' settings."""

    name: EnvironmentName = Field(validation_alias=ENVIRONMENT_NAME_KEY)
    tier: Tier
    state: StateSettings | None = None
    execution_mode: ExecutionMode = "local"
    """Where this environment's Terraform runs execute: `local` (where `cdktf deploy` runs) or `agent`
    (Terraform Cloud agents in your Azure network). `remote` is refused (README: credentials and networking)."""
    agent: AgentSettings | None = None
    """The agent pool and the agents' managed identity; required with execution_mode: agent."""
    azure: AzureSettings
    databricks: DatabricksSettings

    @model_validator(mode="before")
    @classmethod
    def _apply_tier_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("tier") in TIERS:
            return _tier_defaults(data["tier"], data)
        return data

    @model_validator(mode="after")
    def _execution_rules(self) -> "EnvironmentSettings":
        check_environment(self.execution_mode, self.agent, self.state)
        return self

    @model_validator(mode="after")
    def _production_rules(self) -> "EnvironmentSettings":
        if self.tier == "prod" and self.databricks.cluster.autotermination_minutes == 0:
            raise ValueError(
                "databricks.cluster.autotermination_minutes: 0 (never terminate) is not allowed in prod; "
                "use 10-10000 minutes"
            )
        return self

    @property
    def warnings(self) -> list[str]:
        notes = []
        if self.tier != "dev" and self.databricks.service_principal.group.name == "admins":
            notes.append(
                "databricks.service_principal.group.name: the ML principal joins 'admins' "
                f"in a {self.tier} environment; it becomes a workspace administrator"
            )
        return notes


class UnsafeInputError(Exception):
    """Strings that would become Terraform code or forge output: (path in the raw config, reason) each.

    Raised before any field is validated; not a ValueError, so pydantic lets it through unchanged."""

    def __init__(self, problems: list[tuple[tuple[Any, ...], str]]):
        super().__init__(f"{len(problems)} unsafe value(s)")
        self.problems = problems


class CrossEnvironmentError(Exception):
    """Environments that are each valid but collide with one another; one message line each.

    Deliberately not a ValueError: pydantic lets it through, and the loader reports its lines as they are."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _collisions(environments: list[EnvironmentSettings], key) -> list[tuple[EnvironmentSettings, EnvironmentSettings, str]]:
    """(first, later, value) for each environment whose `key(environment)` an earlier one already has."""
    seen: dict[Any, EnvironmentSettings] = {}
    found = []
    for environment in environments:
        for value, scope in key(environment):
            if (scope, value.lower()) in seen:
                found.append((seen[(scope, value.lower())], environment, value))
            else:
                seen[(scope, value.lower())] = environment
    return found


def _created_resource_group(e: EnvironmentSettings):
    group = e.azure.resource_group
    return [(group.name, e.azure.subscription_id)] if group.create else []


def _created_group(e: EnvironmentSettings):
    group = e.databricks.service_principal.group
    return [(group.name, e.databricks.workspace.host)] if group.create else []


# (field, values of one environment as (value, scope within which it must be unique), why)
_UNIQUE_ACROSS_ENVIRONMENTS = (
    ("azure.key_vault.name", lambda e: [(e.azure.key_vault.name, "azure")],
     "Key Vault names are globally unique"),
    ("azure.resource_group.name", _created_resource_group,
     "two environments cannot both create one resource group in the same subscription"),
    ("azure.application.display_name",
     lambda e: [(e.azure.application.display_name, e.azure.tenant_id)] if e.azure.application.display_name else [],
     "the app registration refuses duplicate display names in a tenant"),
    ("databricks.secret_scope.name",
     lambda e: [(e.databricks.secret_scope.name, e.databricks.workspace.host)] if e.databricks.secret_scope.name else [],
     "secret scope names are unique within a workspace"),
    ("databricks.serving.name", lambda e: [(e.databricks.serving.name, e.databricks.workspace.host)],
     "serving endpoint names are unique within a workspace"),
    ("databricks.service_principal.group.name", _created_group,
     "two environments cannot both create one group in the same workspace; set create: false in one"),
)


class PlatformConfig(Strict):
    """The whole config file: a naming prefix, the default state backend and the environments."""

    prefix: Annotated[str, _rule(r"[a-z][a-z0-9]{1,19}", "2-20 lowercase letters and digits, starting with a letter")] = "mlplatform"
    state: StateSettings
    environments: list[EnvironmentSettings] = Field(min_length=1)
    ci: "CiSettings | None" = None
    """Delivery from GitHub Actions (config/ci.py); absent: nothing CI-related is created."""

    @model_validator(mode="before")
    @classmethod
    def _environments_from_mapping(cls, data: Any) -> Any:
        """Refuse unsafe text anywhere (config/text.py), then turn the environments mapping
        (name -> settings) into the ordered list the model keeps."""
        problems = list(unsafe_strings(data))
        if problems:
            raise UnsafeInputError(problems)
        if not isinstance(data, dict) or not isinstance(data.get("environments"), dict):
            return data
        environments = []
        for name, body in data["environments"].items():
            if isinstance(body, dict):
                # The key is the name: a `name:` inside the body is refused as an unknown field
                # (ENVIRONMENT_NAME_KEY is not a name a YAML user would type).
                body = {**body, ENVIRONMENT_NAME_KEY: name}
                if "tier" not in body and name in TIERS:
                    body["tier"] = name
            environments.append(body)
        return {**data, "environments": environments}

    @model_validator(mode="after")
    def _unique_across_environments(self) -> "PlatformConfig":
        problems = [
            f"environment '{later.name}': {field}: {shorten(value)} is also used by environment '{first.name}'; {why}"
            for field, key, why in _UNIQUE_ACROSS_ENVIRONMENTS
            for first, later, value in _collisions(self.environments, key)
        ]
        problems += check_platform(self)
        if problems:
            raise CrossEnvironmentError(problems)
        return self

    def state_for(self, environment: EnvironmentSettings) -> CloudState | AzurermState | LocalState:
        return environment.state or self.state

    def environment(self, name: str) -> EnvironmentSettings:
        return next(e for e in self.environments if e.name == name)


def has_bootstrap(config: PlatformConfig) -> bool:
    """Whether the app has the Terraform Cloud bootstrap stack (global cloud state with `bootstrap`)."""
    return isinstance(config.state, CloudState) and config.state.bootstrap is not None


from .ci import CiSettings  # noqa: E402  (config/ci.py builds on the types above)

PlatformConfig.model_rebuild()
