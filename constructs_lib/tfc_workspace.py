"""A Terraform Cloud (HCP Terraform) workspace for one cdktf stack, with state sharing and run triggers.

CLI-driven workflow, remote execution: `cdktf deploy` uploads the stack's synthesized JSON as a
configuration version and the run executes in Terraform Cloud. A VCS-driven workflow would have
nothing to plan, because `cdktf.out/` is generated, never committed.

State is shared narrowly: `share_state_with(other)` lists `other` as a remote-state consumer
(global sharing stays off), and `trigger_runs_in(other)` queues a run of `other` after each apply here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from cdktf_cdktf_provider_tfe.run_trigger import RunTrigger
from cdktf_cdktf_provider_tfe.workspace import Workspace
from cdktf_cdktf_provider_tfe.workspace_settings import WorkspaceSettings
from constructs import Construct


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
    """Attributes: `workspace_id`, `name`."""

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
            # Runs queued by a run trigger follow the same rule as any other run.
            auto_apply_run_trigger=props.auto_apply,
            queue_all_runs=False,
        )
        self._consumers: list[str] = []
        self.settings = WorkspaceSettings(
            self,
            "settings",
            workspace_id=self.workspace.id,
            execution_mode="remote",
            auto_apply=props.auto_apply,
            global_remote_state=False,
            remote_state_consumer_ids=[],
        )
        self.workspace_id: str = self.workspace.id
        self.name: str = self.workspace.name

    def share_state_with(self, consumer: "TfcWorkspace") -> None:
        """Let `consumer` read this workspace's state outputs (terraform_remote_state)."""
        self._consumers.append(consumer.workspace_id)
        self.settings.remote_state_consumer_ids = list(self._consumers)

    def trigger_runs_in(self, downstream: "TfcWorkspace") -> RunTrigger:
        """Queue a run of `downstream` whenever an apply here succeeds."""
        return RunTrigger(self, f"triggers_{downstream.node.id}", workspace_id=downstream.workspace_id,
                          sourceable_id=self.workspace_id)
