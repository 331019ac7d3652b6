"""The `<prefix>-<env>-databricks` stack: the workspace side of the ML serving setup."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_azuread.provider import AzureadProvider
from cdktf_cdktf_provider_databricks.provider import DatabricksProvider
from constructs import Construct

from config import EnvironmentSettings
from config.naming import key_vault_id, key_vault_uri, ml_cluster_name, ml_identity_name, secret_scope_name
from constructs_lib.entra_application import EntraApplicationLookup
from constructs_lib.ml_cluster import MlCluster, MlClusterProps, adls_oauth_spark_conf
from constructs_lib.principals import Principal, construct_label
from constructs_lib.secret_scope import KeyVaultBackedSecretScope, KeyVaultBackedSecretScopeProps
from constructs_lib.unity_catalog import UnityCatalog
from constructs_lib.workspace_principal import WorkspaceServicePrincipal, WorkspaceServicePrincipalProps

from .workflows import MlWorkflows


def workspace_providers(
    stack: TerraformStack, *, prefix: str, environment: EnvironmentSettings
) -> EntraApplicationLookup:
    """The databricks provider on the environment's workspace with Entra ID auth, azuread for the
    lookup of the ML app, and the lookup itself (its `client_id` binds and names the principal)."""
    azure = environment.azure
    DatabricksProvider(
        stack,
        "databricks",
        host=environment.databricks.workspace.host,
        azure_workspace_resource_id=environment.databricks.workspace.resource_id,
        azure_tenant_id=azure.tenant_id,
        # On agents the managed identity is the only credential: pinned, no other method can win.
        # Where it runs locally (laptop: azure-cli, CI: github-oidc-azure) the deploy targets
        # refuse the Databricks variables that would shadow Entra ID (Makefile: require-env).
        auth_type="azure-msi" if environment.execution_mode == "agent" else None,
    )
    AzureadProvider(stack, "azuread", tenant_id=azure.tenant_id)
    return EntraApplicationLookup(
        stack,
        "ml_application",
        display_name=azure.application.display_name or ml_identity_name(prefix, environment.label),
        owned_by=tuple(deployer.object_id for deployer in azure.deployers),
    )


def deployer_principals(environment: EnvironmentSettings) -> tuple[Principal, ...]:
    """Every deployer as Databricks names it (`azure.deployers`). Each ACL the layers set names them
    all: provider 1.99.0 adds whoever applies to an ACL and hides only the caller's own entry when it
    reads (permissions/permission_definitions.go), so an ACL naming none of them would follow each
    apply, and every other deployer's plan would show the change (docs/credentials.md: Deployers)."""
    return tuple(
        Principal.user(d.databricks_name)
        if d.kind == "user"
        else Principal.service_principal(d.databricks_name, "deployer_" + construct_label(d.databricks_name))
        for d in environment.azure.deployers
    )


class DatabricksWorkspaceStack(TerraformStack):
    """Reads no other stack's state: the azure stack's state holds the client passwords.

    What it needs from the azure layer follows from the same environment's config (tenant, the
    vault's id and URI, the secret's name), except the app's client id, which Entra ID generates: a
    read-only lookup by the app's display name finds it (`EntraApplicationLookup`). The app
    (`build_app`) deploys the azure stack first through a stack dependency.

    The databricks provider authenticates with Entra ID (Azure CLI, an Entra service principal's
    ARM_* variables, or OIDC): a Key Vault-backed secret scope cannot be created with a PAT.
    """

    def __init__(
        self,
        scope: Construct,
        stack_id: str,
        *,
        prefix: str,
        environment: EnvironmentSettings,
    ):
        super().__init__(scope, stack_id)
        settings = environment.databricks
        azure = environment.azure
        vault = azure.key_vault
        tenant_id = azure.tenant_id

        application = workspace_providers(self, prefix=prefix, environment=environment)
        deployers = deployer_principals(environment)

        sp = settings.service_principal
        self.principal = WorkspaceServicePrincipal(
            self,
            "ml_principal",
            WorkspaceServicePrincipalProps(
                application_id=application.client_id,
                display_name=sp.display_name or ml_identity_name(prefix, environment.label),
                workspace_access=sp.entitlements.workspace_access,
                databricks_sql_access=sp.entitlements.databricks_sql_access,
                allow_cluster_create=sp.entitlements.allow_cluster_create,
                group_name=sp.group.name,
                create_group=sp.group.create,
                user_groups=tuple(sp.user_groups),
                manager_groups=tuple(sp.manager_groups),
                account_id=sp.account_id,
                deployers=deployers,
            ),
        )
        ml = self.principal.principal

        self.secret_scope = KeyVaultBackedSecretScope(
            self,
            "secret_scope",
            KeyVaultBackedSecretScopeProps(
                name=settings.secret_scope.name or secret_scope_name(prefix, environment.label),
                key_vault_id=key_vault_id(azure.subscription_id, azure.resource_group.name, vault.name),
                key_vault_uri=key_vault_uri(vault.name),
            ),
        )
        self.secret_scope.grant_read(ml)
        if settings.secret_scope.manage_group:
            self.secret_scope.grant_manage(Principal.group(settings.secret_scope.manage_group))

        cluster = settings.cluster
        spark_conf = {}
        if cluster.adls:
            spark_conf = adls_oauth_spark_conf(
                storage_account=cluster.adls.storage_account,
                client_id=application.client_id,
                tenant_id=tenant_id,
                client_secret_reference=self.secret_scope.reference(vault.secret_name),
            )
        self.cluster = MlCluster(
            self,
            "ml_cluster",
            MlClusterProps(
                cluster_name=cluster.name or ml_cluster_name(prefix, environment.label),
                single_user_name=self.principal.application_id,
                min_workers=cluster.min_workers,
                max_workers=cluster.max_workers,
                autotermination_minutes=cluster.autotermination_minutes,
                spark_version=cluster.spark_version,
                node_type_id=cluster.node_type_id,
                min_cores=cluster.min_cores,
                custom_tags={**environment.scope_tags, **cluster.custom_tags},
                pypi_packages=tuple(cluster.pypi_packages),
                spark_conf=spark_conf,
            ),
        )
        self.cluster.grant(ml, cluster.principal_permission)
        for deployer in deployers:
            self.cluster.grant_manage(deployer)
        if cluster.users_group:
            self.cluster.grant_attach(Principal.group(cluster.users_group))

        # The endpoint (the serving stack) reaches its models as its creator, the deploying identity;
        # the ML principal needs its own Unity Catalog privileges for what its cluster and jobs do.
        self.unity_catalog = UnityCatalog(self, "unity_catalog")
        # The workflows create their registered model, owned by the principal (no grant on it below).
        self.workflows = (
            MlWorkflows(
                self,
                "ml_workflows",
                prefix=prefix,
                environment=environment,
                settings=settings.workflows,
                principal=ml,
                deployers=deployers,
                cluster=self.cluster,
                unity_catalog=self.unity_catalog,
            )
            if settings.workflows
            else None
        )
        owned = settings.workflows.model.lower() if settings.workflows else None
        for model in settings.serving.served_models:
            if model.model.lower() != owned:  # the principal owns the workflows' model: nothing to grant
                self.unity_catalog.model(model.model).grant_execute(ml)
        # An inference table is written as the endpoint's creator too (docs/access.md: Unity Catalog
        # privileges lists what the deploying identity must hold); the principal gets nothing there:
        # request and response payloads are not its business (least privilege).

        outputs = {
            "cluster_id": (self.cluster.cluster_id, "Id of the ML cluster that runs as the ML principal"),
            "secret_scope_name": (self.secret_scope.name, "Key Vault-backed secret scope holding the client secret"),
            "principal_application_id": (self.principal.application_id, "Application id of the ML principal"),
        }
        for output_id, (value, description) in outputs.items():
            TerraformOutput(self, output_id, value=value, description=description)
