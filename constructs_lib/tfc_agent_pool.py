"""A Terraform Cloud agent pool, created here or looked up by name, and the workspaces allowed on it.

Agents (`tfc-agent`) run inside the customer's Azure network, so a run reaches the Key Vault through
its private endpoint and authenticates with the agents' managed identity; nothing about the agents
(their token, their identity) is in Terraform. `tfe_agent_pool_allowed_workspaces` is authoritative
(tfe v0.71.0 replaces the pool's whole allowed list): this construct owns that list, which is why
there is one per pool and `allow()` adds to it rather than creating a resource per workspace.

A pool looked up by name (`create=False`) is someone else's: the plan fails (a postcondition on
`data.tfe_agent_pool`) unless it is workspace-scoped (`organization_scoped = false`) and allowed for
no project (`allowed_project_ids` empty): an organization-scoped pool runs any workspace of the
organization, and a project allowed on it any workspace of that project, on agents that hold this
environment's managed identity (tfe v0.71.0 internal/provider/data_source_agent_pool.go exposes both).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cdktf import Fn, Op, Postcondition, TerraformResourceLifecycle, TerraformSelf
from cdktf_cdktf_provider_tfe.agent_pool import AgentPool
from cdktf_cdktf_provider_tfe.agent_pool_allowed_workspaces import AgentPoolAllowedWorkspaces
from cdktf_cdktf_provider_tfe.data_tfe_agent_pool import DataTfeAgentPool
from constructs import Construct, Node


class AllowedWorkspace(Protocol):
    """What a pool needs of a workspace it allows (tfc_workspace.TfcWorkspace is one): no import of
    that module, so the two modules do not import each other."""

    workspace_id: str

    @property
    def node(self) -> Node: ...


_LOOKED_UP_POOL_IS_THIS_TIERS_ONLY = [
    Postcondition(
        condition=Op.not_(TerraformSelf.get_any("organization_scoped")),
        error_message=(
            "The existing agent pool is organization-scoped: every workspace of the organization may run on its "
            "agents and use their managed identity. Make it workspace-scoped (Organization settings > Agents), "
            "or set agent.create_pool: true."
        ),
    ),
    Postcondition(
        # `< 1`, not `== 0`: cdktf 0.21's Op.eq(..., 0) renders the 0 as `undefined` (proven by the test)
        condition=Op.lt(Fn.length_of(TerraformSelf.get_any("allowed_project_ids")), 1),
        error_message=(
            "The existing agent pool is allowed for one or more projects: their workspaces may run on its agents "
            "and use their managed identity. Remove the projects from the pool's allowed list, "
            "or set agent.create_pool: true."
        ),
    ),
]
"""Fixed text: no config value in an expression."""


@dataclass(frozen=True)
class TfcAgentPoolProps:
    name: str
    organization: str
    create: bool
    """True: create a workspace-scoped pool; False: look up an existing pool of that name."""


class TfcAgentPool(Construct):
    """Attributes: `pool_id` (the pool itself), `name`. Workspaces run on it with `workspace.run_on(pool)`."""

    def __init__(self, scope: Construct, construct_id: str, props: TfcAgentPoolProps):
        super().__init__(scope, construct_id)
        if props.create:
            # Not organization-scoped: only the workspaces allowed below may use these agents.
            self.pool_id: str = AgentPool(
                self, "pool", name=props.name, organization=props.organization, organization_scoped=False
            ).id
        else:
            self.pool_id = DataTfeAgentPool(
                self,
                "pool",
                name=props.name,
                organization=props.organization,
                lifecycle=TerraformResourceLifecycle(postcondition=_LOOKED_UP_POOL_IS_THIS_TIERS_ONLY),
            ).id
        self.name: str = props.name
        self._allowed: list[str] = []
        self._allowed_resource: AgentPoolAllowedWorkspaces | None = None

    def allow(self, workspace: AllowedWorkspace) -> str:
        """Allow `workspace` on this pool; returns the pool id to give its settings, read through the
        allowed-workspaces resource so that the permission exists before the workspace is assigned."""
        if workspace.workspace_id in self._allowed:
            raise ValueError(f"workspace {workspace.node.id} is already allowed on agent pool {self.name}")
        self._allowed.append(workspace.workspace_id)
        if self._allowed_resource is None:
            self._allowed_resource = AgentPoolAllowedWorkspaces(
                self, "allowed_workspaces", agent_pool_id=self.pool_id, allowed_workspace_ids=list(self._allowed)
            )
        else:
            self._allowed_resource.allowed_workspace_ids = list(self._allowed)
        return self._allowed_resource.agent_pool_id
