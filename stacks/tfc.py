"""The `<prefix>-tfc` stack: creates and wires the Terraform Cloud workspaces of every other stack.

Apply it once, before the first `cdktf deploy` (README: bootstrap order). It manages only the
environments whose stacks use the global `cloud` state; workspace names come from the same
`stack_id()` the stacks' cloud backends use, so the two can never disagree.
"""

from __future__ import annotations

from cdktf import CloudBackend, LocalBackend, NamedCloudWorkspace, TerraformStack
from cdktf_cdktf_provider_azuread.provider import AzureadProvider
from cdktf_cdktf_provider_tfe.project import Project
from cdktf_cdktf_provider_tfe.provider import TfeProvider
from constructs import Construct

from config import CloudState, EnvironmentSettings
from constructs_lib.federated_identity import TfcFederatedIdentity, TfcFederatedIdentityProps
from constructs_lib.tfc_variable_set import TfcVariableSet, TfcVariableSetProps
from constructs_lib.tfc_workspace import TfcWorkspace, TfcWorkspaceProps

from .backend import local_state_path
from .naming import stack_ids


class TfcBootstrapStack(TerraformStack):
    """Per environment: two workspaces, state sharing azure -> databricks, a run trigger, OIDC variables."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        state: CloudState,
        environments: list[EnvironmentSettings],
    ):
        super().__init__(scope, construct_id)
        bootstrap = state.bootstrap
        assert bootstrap is not None and state.project is not None  # guaranteed by the config model
        if bootstrap.backend == "cloud":
            CloudBackend(
                self,
                organization=state.organization,
                hostname=state.hostname,
                workspaces=NamedCloudWorkspace(bootstrap.admin_workspace or construct_id),
            )
        else:
            LocalBackend(self, path=local_state_path("state", construct_id))

        # The token comes from TFE_TOKEN (or `terraform login`), never from config.
        TfeProvider(self, "tfe", hostname=state.hostname, organization=state.organization)
        project = Project(self, "project", name=state.project, organization=state.organization)

        self.workspaces: dict[str, TfcWorkspace] = {}
        for environment in environments:
            names = stack_ids(prefix, environment.name)
            workspaces = {
                layer: TfcWorkspace(
                    self,
                    names[layer],
                    TfcWorkspaceProps(
                        name=names[layer],
                        organization=state.organization,
                        project_id=project.id,
                        terraform_version=bootstrap.terraform_version,
                        # Production changes wait for a human to confirm the plan.
                        auto_apply=environment.tier != "prod",
                        allow_destroy_plan=environment.tier != "prod",
                        description=f"mlplatform-cdktf: {layer} layer of {environment.name} (CLI-driven, cdktf deploy)",
                        tags={"environment": environment.name, "layer": layer, "tier": environment.tier},
                    ),
                )
                for layer in names
            }
            workspaces["azure"].share_state_with(workspaces["databricks"])
            workspaces["azure"].trigger_runs_in(workspaces["databricks"])
            self.workspaces.update({names[layer]: ws for layer, ws in workspaces.items()})

            oidc = bootstrap.azure_oidc
            run_client_id = oidc.run_client_id
            if oidc.create_identity:
                tenant_provider = AzureadProvider(
                    self, f"azuread_{environment.name}", tenant_id=environment.azure.tenant_id,
                    alias=environment.name,
                )
                run_client_id = TfcFederatedIdentity(
                    self,
                    f"{environment.name}_deployer",
                    TfcFederatedIdentityProps(
                        display_name=f"{prefix}-{environment.name}-tfc-deployer",
                        hostname=state.hostname,
                        organization=state.organization,
                        project=state.project,
                        workspaces=tuple(names.values()),
                    ),
                    provider=tenant_provider,
                ).client_id
            credentials = TfcVariableSet(
                self,
                f"{environment.name}_azure_credentials",
                TfcVariableSetProps(
                    name=f"{prefix}-{environment.name}-azure-oidc",
                    organization=state.organization,
                    description=f"Dynamic Azure credentials (OIDC) for the {environment.name} workspaces; no secrets",
                    environment_variables={
                        "TFC_AZURE_PROVIDER_AUTH": "true",
                        "TFC_AZURE_RUN_CLIENT_ID": run_client_id,
                        "ARM_TENANT_ID": environment.azure.tenant_id,
                        "ARM_SUBSCRIPTION_ID": environment.azure.subscription_id,
                    },
                ),
            )
            for layer, workspace in workspaces.items():
                credentials.attach_to(f"attach_{layer}", workspace.workspace_id)
