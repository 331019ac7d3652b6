"""A Terraform Cloud (HCP Terraform) workspace for one cdktf stack, with narrow state sharing.

CLI-driven workflow: `cdktf deploy` synthesizes locally and talks to the workspace. Where the plan
runs is the workspace's execution mode, and only two work for this app (docs/credentials.md): `local` (plans run where `cdktf deploy` runs; Terraform Cloud keeps state and locks)
and `agent` (plans run on `tfc-agent`s inside the customer's Azure network, see `run_on`).
`remote` is not offered: hosted runners can neither authenticate the Databricks provider with
Terraform Cloud's Azure dynamic credentials nor reach a firewalled vault.

No run triggers: `cdktf deploy` already orders the stacks, and a triggered run would queue a
second databricks run next to the one cdktf starts (waiting for confirmation in prod).
State is shared with no one (no remote-state consumers, global sharing off): the azure
workspace's state holds the client passwords, and no stack of this app reads another's state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf_cdktf_provider_tfe.variable import Variable
from cdktf_cdktf_provider_tfe.workspace import Workspace
from cdktf_cdktf_provider_tfe.workspace_settings import WorkspaceSettings
from constructs import Construct

from .tfc_agent_pool import TfcAgentPool


@dataclass(frozen=True)
class TfcWorkspaceProps:
    name: str
    """Exactly the name the stack's cloud backend uses (its stack id)."""
    organization: str
    project_id: str
    terraform_version: str
    auto_apply: bool = False
    allow_destroy_plan: bool = True
    description: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


class TfcWorkspace(Construct):
    """Local execution until `run_on(pool)`. Attributes: `workspace_id`, `name`, `agent_pool`."""

    def __init__(self, scope: Construct, construct_id: str, props: TfcWorkspaceProps):
        super().__init__(scope, construct_id)
        self.workspace = Workspace(
            self,
            "workspace",
            name=props.name,
            organization=props.organization,
            project_id=props.project_id,
            description=props.description,
            terraform_version=props.terraform_version,
            tags=dict(props.tags) or None,
            allow_destroy_plan=props.allow_destroy_plan,
            queue_all_runs=False,
        )
        self.settings = WorkspaceSettings(
            self,
            "settings",
            workspace_id=self.workspace.id,
            execution_mode="local",
            auto_apply=props.auto_apply,
            global_remote_state=False,
            remote_state_consumer_ids=[],
        )
        self.workspace_id: str = self.workspace.id
        self.name: str = self.workspace.name
        self.agent_pool: TfcAgentPool | None = None

    def set_environment_variable(self, key: str, value: str) -> Variable:
        """An environment variable of this workspace's runs; for identifiers only, never a secret."""
        return Variable(
            self,
            f"env_{key.lower()}",
            workspace_id=self.workspace_id,
            category="env",
            key=key,
            value=value,
            sensitive=False,
        )

    def run_on(self, pool: TfcAgentPool) -> None:
        """Run this workspace's plans and applies on `pool`'s agents (agent execution mode), allowed on it."""
        if self.agent_pool is not None:
            raise ValueError(f"workspace {self.node.id} already runs on agent pool {self.agent_pool.name}")
        self.agent_pool = pool
        self.settings.execution_mode = "agent"
        self.settings.agent_pool_id = pool.allow(self)
