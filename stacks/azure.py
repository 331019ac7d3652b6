"""The `<prefix>-<env>-azure` stack: Entra ID identity and the Key Vault that holds its secret."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_azuread.data_azuread_service_principal import DataAzureadServicePrincipal
from cdktf_cdktf_provider_azuread.provider import AzureadProvider
from cdktf_cdktf_provider_azurerm.data_azurerm_resource_group import DataAzurermResourceGroup
from cdktf_cdktf_provider_azurerm.provider import (
    AzurermProvider,
    AzurermProviderFeatures,
    AzurermProviderFeaturesKeyVault,
)
from cdktf_cdktf_provider_azurerm.resource_group import ResourceGroup
from cdktf_cdktf_provider_time.provider import TimeProvider
from constructs import Construct

from config import EnvironmentSettings
from config.naming import environment_label, key_vault_id, key_vault_uri, ml_identity_name, vault_private_endpoint_name
from constructs_lib.entra_application import EntraApplicationIdentity, EntraApplicationProps
from constructs_lib.key_vault import HardenedKeyVault, KeyVaultProps
from constructs_lib.key_vault_monitoring import (
    SecretExpiryEvents,
    SecretExpiryEventsProps,
    VaultAuditLog,
    VaultAuditLogProps,
)
from constructs_lib.principals import AzurePrincipal
from constructs_lib.private_endpoint import PrivateEndpoint, PrivateEndpointProps

# The first-party "AzureDatabricks" application: it reads Key Vault-backed secret scopes.
AZURE_DATABRICKS_APP_ID = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"
CLIENT_SECRET_CONTENT_TYPE = "application/x-entra-client-secret"


class AzureIdentityStack(TerraformStack):
    """Needs Entra ID and subscription rights; changes rarely; its state holds the client secret,
    so no other stack reads it: the databricks layer derives the vault's address from the same
    config (the vault's postconditions hold Azure to it) and looks the app up by display name.

    Attributes (also stack outputs, for people and `make output`): `client_id`, `tenant_id`,
    `vault_id`, `vault_uri`, `secret_name`.
    """

    def __init__(self, scope: Construct, stack_id: str, *, prefix: str, environment: EnvironmentSettings):
        super().__init__(scope, stack_id)
        azure = environment.azure
        vault_settings = azure.key_vault
        tags = {**environment.scope_tags, "managed-by": "mlplatform-cdktf", **azure.tags}

        AzureadProvider(self, "azuread", tenant_id=azure.tenant_id)
        AzurermProvider(
            self,
            "azurerm",
            subscription_id=azure.subscription_id,
            tenant_id=azure.tenant_id,
            # Register nothing: azurerm's default registers missing resource providers at subscription
            # scope, which a resource-group-scoped deployer cannot (docs/deploying.md: Resource providers).
            resource_provider_registrations="none",
            features=[
                AzurermProviderFeatures(
                    key_vault=[
                        AzurermProviderFeaturesKeyVault(
                            # Never purge on destroy: a destroyed vault stays recoverable (purge protection).
                            purge_soft_delete_on_destroy=False,
                            purge_soft_deleted_secrets_on_destroy=False,
                            recover_soft_deleted_key_vaults=True,
                            recover_soft_deleted_secrets=True,
                        )
                    ]
                )
            ],
        )
        TimeProvider(self, "time")

        application = azure.application
        self.identity = EntraApplicationIdentity(
            self,
            "ml_identity",
            EntraApplicationProps(
                display_name=application.display_name or ml_identity_name(prefix, environment.label),
                deployers=tuple(deployer.object_id for deployer in azure.deployers),
                user_deployers=tuple(d.object_id for d in azure.deployers if d.kind == "user"),
                owners=tuple(application.owners),
                plan_readers=tuple(azure.plan_readers),
                secret_expiry_days=application.secret_expiry_days,
                secret_rotation_days=application.secret_rotation_days,
                description=f"ML automation principal for {environment_label(prefix, environment.label)} (mlplatform-cdktf)",
            ),
        )

        if azure.resource_group.create:
            resource_group_name = ResourceGroup(
                self, "resource_group", name=azure.resource_group.name, location=azure.location, tags=tags
            ).name
        else:
            resource_group_name = DataAzurermResourceGroup(self, "resource_group", name=azure.resource_group.name).name

        self.key_vault = HardenedKeyVault(
            self,
            "key_vault",
            KeyVaultProps(
                name=vault_settings.name,
                resource_group_name=resource_group_name,
                location=azure.location,
                tenant_id=azure.tenant_id,
                sku=vault_settings.sku,
                soft_delete_retention_days=vault_settings.soft_delete_retention_days,
                public_network_access_enabled=vault_settings.public_network_access_enabled,
                network_default_action=vault_settings.network_default_action,
                allowed_ip_ranges=tuple(vault_settings.allowed_ip_ranges),
                prevent_destroy=vault_settings.prevent_destroy,
                tags=tags,
                # The databricks layer derives these from config (it reads no state): hold Azure to them.
                expected_id=key_vault_id(azure.subscription_id, azure.resource_group.name, vault_settings.name),
                expected_uri=key_vault_uri(vault_settings.name),
            ),
        )
        endpoint = vault_settings.private_endpoint
        if endpoint is not None:
            # The vault's data plane from inside the network (agents, VPN): the secret write and every
            # refresh of it go through here when public access is off.
            private_endpoint = PrivateEndpoint(
                self,
                "key_vault_private_endpoint",
                PrivateEndpointProps(
                    name=vault_private_endpoint_name(vault_settings.name),
                    resource_group_name=resource_group_name,
                    location=azure.location,
                    subnet_id=endpoint.subnet_id,
                    target_resource_id=self.key_vault.vault_id,
                    subresource="vault",
                    private_dns_zone_ids=(endpoint.private_dns_zone_id,) if endpoint.private_dns_zone_id else (),
                    dns_by_policy=endpoint.dns_zone_group == "policy",
                    tags=tags,
                ),
            )
            self.key_vault.reached_through(private_endpoint.endpoint)
        # Every configured deployer, and only them: an assignment never moves to whoever applies now
        # (principal_id is ForceNew), and each identity is granted once (Azure refuses a duplicate, 409).
        deployers = [
            AzurePrincipal(
                deployer.object_id,
                f"deployer_{deployer.object_id.replace('-', '')}",
                "User" if deployer.kind == "user" else "ServicePrincipal",
            )
            for deployer in azure.deployers
        ]
        for deployer_principal in deployers:
            self.key_vault.grant_secrets_officer(deployer_principal)
        azure_databricks = DataAzureadServicePrincipal(self, "azure_databricks", client_id=AZURE_DATABRICKS_APP_ID)
        self.key_vault.grant_secrets_user(
            AzurePrincipal.service_principal(azure_databricks.object_id, "azure_databricks")
        )
        # CI's plan identity: its refresh of the secret reads the value (as anyone who reads the state can).
        for reader in azure.plan_readers:
            self.key_vault.grant_secrets_user(
                AzurePrincipal.service_principal(reader, f"plan_reader_{reader.replace('-', '')}")
            )
        # Every deployer (CI's apply identity among them) may make exactly these grants and no other: no role
        # assignment right beyond this vault's two secret roles (docs/ci-cd.md: One-time set-up).
        self.key_vault.delegate_grants(deployers)

        secret = self.key_vault.add_secret(
            "client_secret",
            name=vault_settings.secret_name,
            value=self.identity.client_secret,
            expiration_date=self.identity.client_secret_end_date,
            content_type=CLIENT_SECRET_CONTENT_TYPE,
            tags={"client-id": self.identity.client_id},
        )

        monitoring = azure.monitoring
        if monitoring.vault_audit_logs:
            VaultAuditLog(
                self,
                "vault_audit_log",
                VaultAuditLogProps(
                    vault_id=self.key_vault.vault_id,
                    log_analytics_workspace_id=monitoring.vault_audit_logs.log_analytics_workspace_id,
                ),
            )
        if monitoring.secret_expiry_events:
            events = monitoring.secret_expiry_events
            SecretExpiryEvents(
                self,
                "secret_expiry_events",
                SecretExpiryEventsProps(
                    vault_id=self.key_vault.vault_id,
                    vault_name=vault_settings.name,
                    resource_group_name=resource_group_name,
                    location=azure.location,
                    destination_kind=events.kind,
                    destination_id=events.destination_id,
                    tags=tags,
                ),
            )

        self.client_id: str = self.identity.client_id
        self.tenant_id: str = self.identity.tenant_id
        self.vault_id: str = self.key_vault.vault_id
        self.vault_uri: str = self.key_vault.vault_uri
        self.secret_name: str = secret.name

        outputs = {
            "client_id": (self.client_id, "Client (application) id of the ML app registration"),
            "tenant_id": (self.tenant_id, "Entra ID tenant of the app registration"),
            "key_vault_id": (self.vault_id, "Resource id of the Key Vault that holds the client secret"),
            "key_vault_uri": (self.vault_uri, "URI of that Key Vault"),
            "client_secret_name": (self.secret_name, "Name of the client secret in the Key Vault (never its value)"),
        }
        for output_id, (value, description) in outputs.items():
            TerraformOutput(self, output_id, value=value, description=description)
