"""A Terraform Cloud team and exactly the workspace access it is granted, workspace by workspace.

Why per workspace, not per project: every environment's workspaces share one project, and a project-level
grant would reach all of them (a dev token could read prod's azure state, which holds the client passwords).
`tfe_team_access` with custom `permissions` (tfe v0.71.0 internal/provider/resource_tfe_team_access.go: runs
read|plan|apply, variables none|read|write, state_versions none|read-outputs|read|write, sentinel_mocks
none|read, workspace_locking, run_tasks) names each right; the team has no organization access at all.
The team's token is made by a person (Team settings > Team API token) and kept as a GitHub environment
secret: a `tfe_team_token` would put it in this stack's state.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_tfe.team import Team
from cdktf_cdktf_provider_tfe.team_access import TeamAccess, TeamAccessPermissions
from constructs import Construct


@dataclass(frozen=True)
class WorkspaceRights:
    """One team's rights on one workspace (tfe_team_access `permissions`)."""

    runs: str
    """`read`, `plan` (queue plans) or `apply` (and apply them)."""
    state_versions: str
    """`none`, `read-outputs`, `read` (the whole state: the client passwords) or `write`."""
    workspace_locking: bool
    """May lock the workspace (what a CLI apply in local execution does)."""
    variables: str = "none"
    """`none`, `read` or `write`."""


# What a plan or an apply needs, where Terraform runs (docs/ci-cd.md: Who can do what).
LOCAL_PLAN = WorkspaceRights(runs="read", state_versions="read", workspace_locking=False)
"""Local execution, a plan: reads the state (refresh, saved plan), never locks (the plan runs with -lock=false)."""
LOCAL_APPLY = WorkspaceRights(runs="read", state_versions="write", workspace_locking=True)
"""Local execution, an apply: locks, writes the new state."""
AGENT_PLAN = WorkspaceRights(runs="plan", state_versions="read-outputs", workspace_locking=False, variables="read")
"""Agents, a plan: queues a saved-plan run; the agents read the state themselves."""
AGENT_APPLY = WorkspaceRights(runs="apply", state_versions="read-outputs", workspace_locking=False, variables="read")
"""Agents, an apply: applies the saved-plan run a reviewer approved."""


@dataclass(frozen=True)
class TfcTeamProps:
    name: str
    """e.g. `mlplatform-prod-plan`."""
    organization: str


class TfcTeam(Construct):
    """Attributes: `team_id`. `allow_on(label, workspace_id, rights)` adds one workspace's access."""

    def __init__(self, scope: Construct, construct_id: str, props: TfcTeamProps):
        super().__init__(scope, construct_id)
        self.team = Team(self, "team", name=props.name, organization=props.organization, visibility="secret")
        self.team_id: str = self.team.id

    def allow_on(self, label: str, workspace_id: str, rights: WorkspaceRights) -> TeamAccess:
        """Give this team `rights` on one workspace (one `tfe_team_access`, named `label`)."""
        return TeamAccess(
            self,
            label,
            team_id=self.team_id,
            workspace_id=workspace_id,
            permissions=[
                TeamAccessPermissions(
                    runs=rights.runs,
                    variables=rights.variables,
                    state_versions=rights.state_versions,
                    sentinel_mocks="none",
                    workspace_locking=rights.workspace_locking,
                    run_tasks=False,
                )
            ],
        )
