"""The app's shape: one stack per environment and layer, each with its own configured backend."""

from __future__ import annotations

import pytest

from config import load_config
from config.naming import state_key
from tests.helpers import DEFAULT_CONFIG_PATH, config_from, mutated, synth_stacks

EXPECTED_STACKS = [
    f"mlplatform-{env}-{layer}" for env in ("dev", "staging", "prod") for layer in ("azure", "databricks", "serving")
]


def test_default_config_synthesizes_six_environment_stacks_and_the_bootstrap(default_stacks):
    assert sorted(default_stacks) == sorted([*EXPECTED_STACKS, "mlplatform-tfc"])


@pytest.mark.parametrize("stack_id", EXPECTED_STACKS)
def test_default_backend_is_a_terraform_cloud_workspace_named_after_the_stack(default_stacks, stack_id):
    assert default_stacks[stack_id]["terraform"]["cloud"] == {
        "hostname": "app.terraform.io",
        "organization": "my-tfc-organization",
        "workspaces": {"name": stack_id, "project": "mlplatform"},
    }


def _with_state(state: dict, only_env: str = "dev"):
    def change(raw):
        raw["state"] = state
        raw["environments"] = {only_env: raw["environments"][only_env]}

    return config_from(mutated(change))


def test_azurerm_backend_uses_one_key_per_environment_and_layer():
    stacks = synth_stacks(
        _with_state(
            {
                "backend": "azurerm",
                "resource_group_name": "rg-tfstate",
                "storage_account_name": "sttfstate0001",
                "container_name": "tfstate",
            }
        )
    )
    for layer in ("azure", "databricks", "serving"):
        assert stacks[f"mlplatform-dev-{layer}"]["terraform"]["backend"] == {
            "azurerm": {
                "container_name": "tfstate",
                "key": f"mlplatform/dev/{layer}.tfstate",
                "resource_group_name": "rg-tfstate",
                "storage_account_name": "sttfstate0001",
                "use_azuread_auth": True,
            }
        }


def test_local_backend_keeps_state_outside_cdktf_out():
    stacks = synth_stacks(_with_state({"backend": "local"}))
    assert stacks["mlplatform-dev-azure"]["terraform"]["backend"] == {
        "local": {"path": "../../../state/mlplatform-dev-azure.tfstate"}
    }


def test_an_environment_overrides_the_global_state_backend():
    def change(raw):
        raw["environments"]["prod"]["state"] = {
            "backend": "azurerm",
            "resource_group_name": "rg-tfstate-prod",
            "storage_account_name": "sttfstateprod",
            "container_name": "tfstate",
            "subscription_id": "33333333-3333-3333-3333-333333333333",
        }
        # Agents run Terraform Cloud workspaces only: an azurerm-state environment runs locally.
        raw["environments"]["prod"]["execution_mode"] = "local"
        del raw["environments"]["prod"]["agent"]

    stacks = synth_stacks(config_from(mutated(change)))
    assert "cloud" in stacks["mlplatform-dev-azure"]["terraform"]
    prod = stacks["mlplatform-prod-databricks"]["terraform"]["backend"]["azurerm"]
    assert prod["storage_account_name"] == "sttfstateprod"
    assert prod["subscription_id"] == "33333333-3333-3333-3333-333333333333"
    assert prod["key"] == state_key("mlplatform", "prod", "databricks") == "mlplatform/prod/databricks.tfstate"


def test_prefix_names_every_stack_and_workspace():
    stacks = synth_stacks(config_from(mutated(lambda raw: raw.update(prefix="churnml"))))
    assert "churnml-dev-azure" in stacks
    assert stacks["churnml-dev-azure"]["terraform"]["cloud"]["workspaces"]["name"] == "churnml-dev-azure"


def test_environment_selection_keeps_only_the_named_environments_in_file_order():
    loaded = load_config(DEFAULT_CONFIG_PATH, selection="prod, dev")
    assert [e.name for e in loaded.config.environments] == ["dev", "prod"]


def test_vault_firewall_denies_by_default_and_prod_is_protected_from_destroy(default_config):
    vaults = {e.name: e.azure.key_vault for e in default_config.environments}
    assert [vaults[n].network_default_action for n in ("dev", "staging", "prod")] == ["Deny", "Deny", "Deny"]
    assert [vaults[n].prevent_destroy for n in ("dev", "staging", "prod")] == [False, False, True]
