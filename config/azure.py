"""The azure layer's settings: the Entra app and its secret lifecycle, the resource group, the vault."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .addresses import IpRule
from .monitoring import MonitoringSettings
from .network import PrivateEndpointSettings, check_vault_access, subscription_of
from .tags import AzureTags
from .types import (
    ApplicationDisplayName,
    AzureRegion,
    DatabricksUserName,
    KeyVaultName,
    LowerGuid,
    ResourceGroupName,
    SecretName,
    Strict,
)

MAX_SECRET_EXPIRY_DAYS = 365
"""Microsoft recommends client secrets shorter than 12 months."""


class ApplicationSettings(Strict):
    """The Entra ID app registration and its client secret lifecycle."""

    display_name: ApplicationDisplayName | None = None
    """Shown in Entra ID; default `<prefix>-<env>-ml`. Unique per tenant: the databricks layer looks the
    app up by this name (its client id), so a second app of that name fails its plan."""
    owners: list[LowerGuid] = Field(default_factory=list)
    """Object ids of owners who do not deploy (e.g. the team's app administrators). The `deployers` own
    the app already; the owners list is set as a whole from both."""
    secret_expiry_days: int = Field(default=90, ge=2, le=MAX_SECRET_EXPIRY_DAYS)
    """E: each client password expires E days after it is created (its rotation marker's base, or the
    plan time if earlier). At least 2 x `secret_rotation_days` + `plan_period_days`: a password serves
    R days, stays valid R more for consumers that read it earlier, and a rotation can be a plan late."""
    secret_rotation_days: int = Field(default=30, ge=1, le=MAX_SECRET_EXPIRY_DAYS // 2)
    """R: every R days the Key Vault gets a new client secret (the two passwords renew alternately,
    each every 2R days); the previous one stays valid for R more days. Rotation happens when a plan
    runs: the weekly CI heartbeat, or any deploy."""

    @model_validator(mode="after")
    def _rotation_before_expiry(self) -> ApplicationSettings:
        if 2 * self.secret_rotation_days > self.secret_expiry_days:
            raise ValueError(
                f"secret_expiry_days ({self.secret_expiry_days}) must be at least twice secret_rotation_days "
                f"({self.secret_rotation_days}): each password serves {self.secret_rotation_days} days and must stay "
                f"valid {self.secret_rotation_days} more days for consumers that read it earlier"
            )
        return self


class DeployerSettings(Strict):
    """One identity that applies this environment's stacks."""

    object_id: LowerGuid
    """Its Entra ID object id: `az ad signed-in-user show --query id -o tsv` for yourself; for an app (the CI
    identity) the object id of its service principal (`az ad sp show --id <client id> --query id -o tsv`);
    for the agents' managed identity its principal id (`az identity show ... --query principalId`)."""
    kind: Literal["user", "service_principal"]
    """`service_principal` for apps and managed identities. Sets the role assignment's principal type."""
    user_name: DatabricksUserName | None = Field(
        default=None, json_schema_extra={"default_text": "required for kind `user`"}
    )
    """Required for kind `user`: the name Databricks knows the user by, their user principal name in lower case
    (`az ad signed-in-user show --query userPrincipalName -o tsv`). Every workspace ACL the databricks and
    serving stacks set names each deployer, so no deployer's apply takes the others' rights away and
    every deployer's plan agrees (docs/credentials.md: Deployers)."""
    application_id: LowerGuid | None = Field(
        default=None, json_schema_extra={"default_text": "required for kind `service_principal`"}
    )
    """Required for kind `service_principal`: its application (client) id, the name Databricks knows it by
    (`az ad sp show --id <object id> --query appId -o tsv`; a managed identity's client id)."""

    @model_validator(mode="after")
    def _databricks_name(self) -> DeployerSettings:
        wanted, other = ("user_name", "application_id") if self.kind == "user" else ("application_id", "user_name")
        if getattr(self, other) is not None:
            raise ValueError(f"{other}: not for a deployer of kind {self.kind}; give its {wanted}")
        if getattr(self, wanted) is None:
            how = (
                "its user principal name in lower case (az ad signed-in-user show --query userPrincipalName -o tsv)"
                if self.kind == "user"
                else "its application (client) id (az ad sp show --id <object id> --query appId -o tsv)"
            )
            raise ValueError(
                f"{wanted}: required for a deployer of kind {self.kind}, the name Databricks knows it by: {how}; "
                "each workspace ACL names every deployer (docs/credentials.md: Deployers)"
            )
        return self

    @property
    def databricks_name(self) -> str:
        """The user name or application id Databricks ACLs name this deployer by."""
        return self.user_name or self.application_id or ""


class ResourceGroupSettings(Strict):
    """The resource group of the vault."""

    name: ResourceGroupName
    """Its name; unique per subscription when created."""
    create: bool = True
    """false: use an existing resource group of that name (looked up, never managed here)."""


class KeyVaultSettings(Strict):
    """A hardened, RBAC-authorized vault: firewall on by default, destroy protection in prod."""

    name: KeyVaultName
    """Globally unique across Azure."""
    sku: Literal["standard", "premium"] = "standard"
    """`premium` keeps keys in HSMs."""
    soft_delete_retention_days: int = Field(default=90, ge=7, le=90)
    """How long a deleted vault or secret stays recoverable (purge protection is always on)."""
    public_network_access_enabled: bool = Field(
        default=True, json_schema_extra={"default_text": "`false` outside dev with `private_endpoint`, else `true`"}
    )
    """Default: false outside dev when `private_endpoint` is set, else true (firewalled)."""
    network_default_action: Literal["Allow", "Deny"] = "Deny"
    """The firewall's default; trusted Azure services (AzureDatabricks) always bypass it."""
    allowed_ip_ranges: list[IpRule] = Field(default_factory=list)
    """Egress ranges of the machines that run Terraform (laptop VPN, CI runners); `/32` is written as a bare address."""
    prevent_destroy: bool = Field(json_schema_extra={"default_text": "`true` in the prod tier, `false` elsewhere"})
    """Refuse `terraform destroy` of the vault; default true in prod, false elsewhere."""
    secret_name: SecretName = "ml-client-secret"
    """Name of the client secret in the vault; also its key in the Key Vault-backed scope."""
    private_endpoint: PrivateEndpointSettings | None = None
    """A private endpoint for the vault in an existing subnet, registered in the vault's private DNS zone.
    With it, public_network_access_enabled may be false (the default outside dev)."""

    @model_validator(mode="after")
    def _reachable(self) -> KeyVaultSettings:
        check_vault_access(self.public_network_access_enabled, self.private_endpoint, self.allowed_ip_ranges)
        return self


class AzureSettings(Strict):
    """The azure layer of one environment (stack `<prefix>-<env>-azure`)."""

    tenant_id: LowerGuid
    """Entra ID tenant of the app registration and the vault."""
    subscription_id: LowerGuid
    """Subscription of the vault."""
    location: AzureRegion
    """Region of the resource group, vault and private endpoint."""
    resource_group: ResourceGroupSettings
    """The vault's resource group."""
    deployers: list[DeployerSettings] = Field(min_length=1)
    """Every identity that applies this environment's stacks (laptop users, the CI app, the agents'
    managed identity). Each, and only these, gets Key Vault Secrets Officer on the vault and ownership
    of the app, and manages every workspace object the databricks and serving stacks create (the first
    service principal owns the jobs); a plan by anyone else stops at a precondition. Nothing moves when
    another one applies."""
    plan_readers: list[LowerGuid] = []
    """Object ids of service principals that plan this environment but never apply it: CI's plan identity
    (`<prefix>-<env>-github-actions-plan`, docs/ci-cd.md: Who can do what). Each gets Key Vault Secrets User
    on the vault (the azure plan's refresh reads the secret) and passes the check that stops a plan by
    anyone who is not a deployer; none owns the app or writes the vault."""
    application: ApplicationSettings = ApplicationSettings()
    """The ML app registration."""
    key_vault: KeyVaultSettings
    """The vault that holds the client secret."""
    tags: AzureTags = Field(default_factory=dict)
    """Tags on the resource group and vault, next to `environment` and `managed-by`."""
    monitoring: MonitoringSettings = MonitoringSettings()
    """Vault audit logs and secret-expiry events; off unless set."""

    @model_validator(mode="after")
    def _endpoint_in_the_vault_subscription(self) -> AzureSettings:
        endpoint = self.key_vault.private_endpoint
        if endpoint is not None and subscription_of(endpoint.subnet_id) != self.subscription_id:
            raise ValueError(
                f"key_vault.private_endpoint.subnet_id is in subscription {subscription_of(endpoint.subnet_id)}, the "
                f"vault and its endpoint in {self.subscription_id}: a private endpoint must be in its virtual "
                "network's subscription; use a subnet of the vault's subscription (a DNS zone in a hub "
                "subscription is fine)"
            )
        return self

    @model_validator(mode="after")
    def _deployers_once(self) -> AzureSettings:
        seen: set[str] = set()
        for deployer in self.deployers:
            if deployer.object_id in seen:
                raise ValueError(
                    f"deployers: {deployer.object_id} is listed twice; list each identity once (Azure refuses a "
                    "second identical role assignment (409))"
                )
            seen.add(deployer.object_id)
        names = [d.databricks_name for d in self.deployers]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(
                f"deployers: {twice[0]} names two deployers; each identity has one Databricks name (a user name "
                "or an application id)"
            )
        readers: set[str] = set()
        for reader in self.plan_readers:
            if reader in seen:
                raise ValueError(
                    f"plan_readers: {reader} is a deployer; a plan reader only reads (list it in one of the two)"
                )
            if reader in readers:
                raise ValueError(f"plan_readers: {reader} is listed twice; list each identity once")
            readers.add(reader)
        for owner in self.application.owners:
            if owner in seen:
                raise ValueError(
                    f"application.owners: {owner} is already a deployer, and deployers own the app; list it once, "
                    "under deployers"
                )
        return self
