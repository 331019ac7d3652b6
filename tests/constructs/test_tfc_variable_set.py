"""TfcVariableSet on its own: non-sensitive environment variables, attached to chosen workspaces."""

from __future__ import annotations

from constructs_lib.tfc_variable_set import TfcVariableSet, TfcVariableSetProps
from tests.helpers import logical_id, only, ref, resources, strip_metadata

PROPS = TfcVariableSetProps(
    name="mlplatform-dev-agent-identity",
    organization="acme",
    environment_variables={"ARM_USE_MSI": "true", "ARM_CLIENT_ID": "cid"},
    description="identifiers only",
)


def test_each_variable_is_an_env_variable_of_the_set_and_never_sensitive(bare_stack, synth):
    TfcVariableSet(bare_stack, "agent_identity", PROPS)
    stack = synth(bare_stack)
    assert strip_metadata(only(stack, "tfe_variable_set")) == {
        "name": "mlplatform-dev-agent-identity",
        "organization": "acme",
        "description": "identifiers only",
        "priority": True,  # wins over a workspace's own ARM_CLIENT_ID (tfe v0.71.0 resource_tfe_variable_set.go)
    }
    set_id = ref(stack, "tfe_variable_set", "id")
    assert strip_metadata(resources(stack, "tfe_variable")) == {
        logical_id(stack, "tfe_variable", "arm_use_msi"): {
            "variable_set_id": set_id,
            "category": "env",
            "key": "ARM_USE_MSI",
            "value": "true",
            "sensitive": False,
        },
        logical_id(stack, "tfe_variable", "arm_client_id"): {
            "variable_set_id": set_id,
            "category": "env",
            "key": "ARM_CLIENT_ID",
            "value": "cid",
            "sensitive": False,
        },
    }
    assert "tfe_workspace_variable_set" not in stack["resource"]


def test_attach_to_links_the_set_to_one_workspace_each(bare_stack, synth):
    variable_set = TfcVariableSet(bare_stack, "agent_identity", TfcVariableSetProps(name="s", organization="acme"))
    made = variable_set.attach_to("attach_azure", "${var.azure_workspace}")
    variable_set.attach_to("attach_databricks", "${var.databricks_workspace}")
    stack = synth(bare_stack)
    set_id = ref(stack, "tfe_variable_set", "id")
    assert strip_metadata(resources(stack, "tfe_workspace_variable_set")) == {
        logical_id(stack, "tfe_workspace_variable_set", "attach_azure"): {
            "variable_set_id": set_id,
            "workspace_id": "${var.azure_workspace}",
        },
        logical_id(stack, "tfe_workspace_variable_set", "attach_databricks"): {
            "variable_set_id": set_id,
            "workspace_id": "${var.databricks_workspace}",
        },
    }
    assert made.friendly_unique_id == logical_id(stack, "tfe_workspace_variable_set", "attach_azure")
    assert "tfe_variable" not in stack["resource"]
