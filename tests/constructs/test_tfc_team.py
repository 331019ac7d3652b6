"""TfcTeam on its own: a secret team with no organization access, granted named rights workspace by workspace."""

from __future__ import annotations

from constructs_lib.tfc_team import AGENT_APPLY, AGENT_PLAN, LOCAL_APPLY, LOCAL_PLAN, TfcTeam, TfcTeamProps
from tests.helpers import only, ref, resources, strip_metadata


def test_a_team_is_secret_and_gets_exactly_the_rights_it_is_granted(bare_stack, synth):
    team = TfcTeam(bare_stack, "prod_plan_team", TfcTeamProps(name="mlplatform-prod-plan", organization="org"))
    team.allow_on("azure_access", "ws-azure", LOCAL_PLAN)
    stack = synth(bare_stack)
    assert strip_metadata(only(stack, "tfe_team")) == {
        "name": "mlplatform-prod-plan",
        "organization": "org",
        "visibility": "secret",
    }
    assert strip_metadata(only(stack, "tfe_team_access")) == {
        "team_id": ref(stack, "tfe_team", "id"),
        "workspace_id": "ws-azure",
        "permissions": [
            {
                "runs": "read",
                "variables": "none",
                "state_versions": "read",
                "sentinel_mocks": "none",
                "workspace_locking": False,
                "run_tasks": False,
            }
        ],
    }
    assert "tfe_team_token" not in stack["resource"]  # a token in Terraform is a token in its state


def test_plans_never_lock_or_write_and_only_local_applies_write_the_state():
    assert (LOCAL_PLAN.runs, LOCAL_PLAN.state_versions, LOCAL_PLAN.workspace_locking) == ("read", "read", False)
    assert (LOCAL_APPLY.runs, LOCAL_APPLY.state_versions, LOCAL_APPLY.workspace_locking) == ("read", "write", True)
    # on agents Terraform Cloud's own runs hold the state; the tokens queue (plan) and confirm (apply) them
    assert (AGENT_PLAN.runs, AGENT_PLAN.state_versions, AGENT_PLAN.workspace_locking) == ("plan", "read-outputs", False)
    assert (AGENT_APPLY.runs, AGENT_APPLY.state_versions) == ("apply", "read-outputs")
    assert all(rights.variables in ("none", "read") for rights in (LOCAL_PLAN, LOCAL_APPLY, AGENT_PLAN, AGENT_APPLY))


def test_each_grant_is_its_own_access_resource(bare_stack, synth):
    team = TfcTeam(bare_stack, "t", TfcTeamProps(name="t", organization="org"))
    for layer in ("azure", "databricks", "serving"):
        team.allow_on(f"{layer}_access", f"ws-{layer}", AGENT_APPLY)
    accesses = resources(synth(bare_stack), "tfe_team_access").values()
    assert sorted(a["workspace_id"] for a in accesses) == ["ws-azure", "ws-databricks", "ws-serving"]
