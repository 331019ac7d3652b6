"""The `<prefix>-tfc` stack: creates and wires the Terraform Cloud workspaces of every other stack.

Apply it once, before the first `cdktf deploy` (docs/deploying.md: Terraform Cloud bootstrap). It manages only the
environments whose stacks use the global `cloud` state; workspace names come from the same
`stack_id()` the stacks' cloud backends use, so the two can never disagree.
"""

from __future__ import annotations

from cdktf import CloudBackend, LocalBackend, NamedCloudWorkspace, TerraformStack
from cdktf_cdktf_provider_tfe.data_tfe_workspace import DataTfeWorkspace
from cdktf_cdktf_provider_tfe.project import Project
from cdktf_cdktf_provider_tfe.provider import TfeProvider
from cdktf_cdktf_provider_tfe.workspace_settings import WorkspaceSettings
from constructs import Construct

from config import CloudBootstrap, DefaultCloudState, EnvironmentSettings, LocalState, PlatformConfig
from config.naming import agent_identity_variable_set_name, bootstrap_stack_id, stack_ids, tfc_team_name
from constructs_lib.principals import distinct_label
from constructs_lib.tfc_agent_pool import TfcAgentPool, TfcAgentPoolProps
from constructs_lib.tfc_team import AGENT_APPLY, AGENT_PLAN, LOCAL_APPLY, LOCAL_PLAN, TfcTeam, TfcTeamProps
from constructs_lib.tfc_variable_set import TfcVariableSet, TfcVariableSetProps
from constructs_lib.tfc_workspace import TfcWorkspace, TfcWorkspaceProps

from .backend import local_state_path


def _project_part(project: EnvironmentSettings) -> str:
    """`<project>_` for a project named for itself, else '': the construct ids of an environment without projects
    (and of its project that keeps the environment's names) stay as they were, so its addresses do not move."""
    return f"{project.named_project}_" if project.named_project else ""


def _label(name: str) -> str:
    """The construct-id fragment of an agent pool name (kept as it was: logical ids stay put)."""
    return "".join(c if c.isalnum() else "_" for c in name.lower())


class TfcBootstrapStack(TerraformStack):
    """Per environment: two workspaces, state sharing azure -> databricks, and where their runs execute.

    `local` environments: workspaces in local execution, no variables (credentials are wherever
    `cdktf deploy` runs). `agent` environments: workspaces on the agent pool (created or looked up,
    one resource per pool) and a variable set of managed-identity identifiers that azurerm, azuread
    and the Databricks provider (`azure-msi`) read on the agents. No secret, no agent token.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        state: DefaultCloudState,
        environments: list[EnvironmentSettings],
    ):
        super().__init__(scope, construct_id)
        bootstrap = state.bootstrap
        assert bootstrap is not None and state.project is not None  # guaranteed by the config model
        # The token comes from `terraform login` (or TFE_TOKEN), never from config.
        TfeProvider(self, "tfe", hostname=state.hostname, organization=state.organization)
        if isinstance(bootstrap, CloudBootstrap):
            admin_workspace = bootstrap.admin_workspace or bootstrap_stack_id(prefix)
            CloudBackend(
                self,
                organization=state.organization,
                hostname=state.hostname,
                workspaces=NamedCloudWorkspace(admin_workspace),
            )
            # The admin workspace holds no Azure credentials: its runs execute where `cdktf deploy`
            # runs (with TFE_TOKEN). Create it in local execution first (docs/deploying.md); this keeps it so.
            admin = DataTfeWorkspace(self, "admin_workspace", name=admin_workspace, organization=state.organization)
            WorkspaceSettings(self, "admin_workspace_settings", workspace_id=admin.id, execution_mode="local")
        else:
            # Config's default local folder (LocalState.directory), as for the CI stack.
            LocalBackend(self, path=local_state_path(LocalState(backend="local").directory, construct_id))

        project_resource = Project(self, "project", name=state.project, organization=state.organization)

        agent_pools: dict[str, TfcAgentPool] = {}
        pool_labels: dict[str, str] = {}
        for environment in PlatformConfig.per_environment(environments):
            # One workspace per stack of each of the environment's projects (config/projects.py); each project's
            # grants below are named for it, so onboarding or offboarding one touches no other's.
            workspaces: dict[tuple[str, str], TfcWorkspace] = {}
            for project in [e for e in environments if e.name == environment.name]:
                names = stack_ids(prefix, project.label)
                owner = (
                    f"{environment.name}, project {project.named_project}"
                    if project.named_project
                    else environment.name
                )
                for layer in names:
                    workspaces[(_project_part(project), layer)] = TfcWorkspace(
                        self,
                        names[layer],
                        TfcWorkspaceProps(
                            name=names[layer],
                            organization=state.organization,
                            project_id=project_resource.id,
                            terraform_version=bootstrap.terraform_version,
                            # Production changes wait for a human to confirm the plan.
                            auto_apply=environment.tier != "prod",
                            allow_destroy_plan=environment.tier != "prod",
                            description=f"mlplatform-cdktf: {layer} layer of {owner} (CLI-driven, cdktf deploy)",
                            tags={
                                **project.scope_tags,
                                "layer": layer,
                                "tier": environment.tier,
                            },
                        ),
                    )

            # Per environment a plan team and an apply team, each granted its own environment's workspaces only:
            # their tokens are TF_API_TOKEN of the GitHub environments <env>-plan and <env> (docs/ci-cd.md).
            on_agents = environment.execution_mode == "agent"
            for role, rights in (
                ("plan", AGENT_PLAN if on_agents else LOCAL_PLAN),
                ("apply", AGENT_APPLY if on_agents else LOCAL_APPLY),
            ):
                team = TfcTeam(
                    self,
                    f"{environment.name}_{role}_team",
                    TfcTeamProps(name=tfc_team_name(prefix, environment.name, role), organization=state.organization),
                )
                for (part, layer), workspace in workspaces.items():
                    team.allow_on(f"{part}{layer}_access", workspace.workspace_id, rights)

            agent = environment.agent
            if environment.execution_mode != "agent" or agent is None:
                continue
            pool = agent_pools.get(agent.pool)
            if pool is None:
                pool = TfcAgentPool(
                    self,
                    distinct_label(pool_labels, f"agent_pool_{_label(agent.pool)}", agent.pool),
                    TfcAgentPoolProps(name=agent.pool, organization=state.organization, create=agent.create_pool),
                )
                agent_pools[agent.pool] = pool
            credentials = TfcVariableSet(
                self,
                f"{environment.name}_agent_identity",
                TfcVariableSetProps(
                    name=agent_identity_variable_set_name(prefix, environment.name),
                    organization=state.organization,
                    description=(
                        f"Managed identity of the {agent.pool} agents for the {environment.name} workspaces "
                        "(azurerm, azuread, databricks azure-msi); identifiers only, no secrets"
                    ),
                    # What all three providers read for managed-identity auth (the Databricks SDK:
                    # ARM_USE_MSI, ARM_CLIENT_ID, ARM_TENANT_ID; it ignores ARM_SUBSCRIPTION_ID).
                    environment_variables={
                        "ARM_USE_MSI": "true",
                        "ARM_CLIENT_ID": agent.client_id,
                        "ARM_TENANT_ID": environment.azure.tenant_id,
                    },
                ),
            )
            for (part, layer), workspace in workspaces.items():
                workspace.run_on(pool)
                credentials.attach_to(f"attach_{part}{layer}", workspace.workspace_id)
                if layer == "azure":
                    # Only azurerm reads the subscription: the azure workspaces alone get it.
                    workspace.set_environment_variable("ARM_SUBSCRIPTION_ID", environment.azure.subscription_id)
