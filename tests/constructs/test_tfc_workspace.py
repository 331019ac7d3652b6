"""TfcWorkspace on its own: a CLI-driven workspace in local execution, state shared with named consumers only."""

from __future__ import annotations

import dataclasses

from constructs_lib.tfc_workspace import TfcWorkspace, TfcWorkspaceProps
from tests.helpers import only, ref, strip_metadata

PROPS = TfcWorkspaceProps(
    name="mlplatform-dev-azure", organization="acme", project_id="${var.project}", terraform_version="1.11.4"
)


def test_workspace_with_the_safe_defaults(bare_stack, synth):
    workspace = TfcWorkspace(bare_stack, "ws", PROPS)
    stack = synth(bare_stack)
    assert sorted(stack["resource"]) == ["tfe_workspace", "tfe_workspace_settings"]
    assert strip_metadata(only(stack, "tfe_workspace")) == {
        "name": "mlplatform-dev-azure",
        "organization": "acme",
        "project_id": "${var.project}",
        "terraform_version": "1.11.4",
        "allow_destroy_plan": True,
        "queue_all_runs": False,
    }
    assert strip_metadata(only(stack, "tfe_workspace_settings")) == {
        "workspace_id": ref(stack, "tfe_workspace", "id"),
        "execution_mode": "local",
        "auto_apply": False,
        "global_remote_state": False,
        "remote_state_consumer_ids": [],
    }
    assert workspace.agent_pool is None


def test_description_tags_and_apply_choices_reach_the_workspace(bare_stack, synth):
    TfcWorkspace(
        bare_stack,
        "ws",
        dataclasses.replace(
            PROPS, auto_apply=True, allow_destroy_plan=False, description="azure layer", tags={"tier": "prod"}
        ),
    )
    stack = synth(bare_stack)
    workspace = only(stack, "tfe_workspace")
    assert (workspace["description"], workspace["tags"], workspace["allow_destroy_plan"]) == (
        "azure layer",
        {"tier": "prod"},
        False,
    )
    assert only(stack, "tfe_workspace_settings")["auto_apply"] is True


def test_state_is_shared_with_no_one(bare_stack, synth):
    TfcWorkspace(bare_stack, "azure", PROPS)
    stack = synth(bare_stack)
    settings = only(stack, "tfe_workspace_settings")
    assert settings["global_remote_state"] is False
    assert settings["remote_state_consumer_ids"] == []
    assert not hasattr(TfcWorkspace, "share_state_with")


def test_an_environment_variable_belongs_to_this_workspace_only_and_is_never_sensitive(bare_stack, synth):
    workspace = TfcWorkspace(bare_stack, "ws", PROPS)
    workspace.set_environment_variable("ARM_SUBSCRIPTION_ID", "33333333-3333-3333-3333-333333333333")
    stack = synth(bare_stack)
    assert strip_metadata(only(stack, "tfe_variable")) == {
        "workspace_id": ref(stack, "tfe_workspace", "id"),
        "category": "env",
        "key": "ARM_SUBSCRIPTION_ID",
        "value": "33333333-3333-3333-3333-333333333333",
        "sensitive": False,
    }
