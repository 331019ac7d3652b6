"""The Terraform Cloud bootstrap stack: workspaces named as the backends, sharing, triggers, OIDC."""

from __future__ import annotations

import pytest

from constructs_lib.federated_identity import workload_subject
from tests.helpers import config_from, mutated, ref, resources, strip_metadata, synth_stacks

ENVIRONMENTS = ("dev", "staging", "prod")


@pytest.fixture(scope="module")
def tfc(default_stacks):
    return default_stacks["mlplatform-tfc"]


def _workspace_ids(tfc):
    return {w["name"]: f"${{tfe_workspace.{key}.id}}" for key, w in resources(tfc, "tfe_workspace").items()}


def test_one_workspace_per_stack_named_exactly_as_the_stack_backend(default_stacks, tfc):
    backend_names = {
        stack["terraform"]["cloud"]["workspaces"]["name"]
        for stack_id, stack in default_stacks.items()
        if stack_id != "mlplatform-tfc"
    }
    assert set(_workspace_ids(tfc)) == backend_names
    assert len(backend_names) == 6


def test_workspaces_live_in_the_project_with_pinned_terraform_and_tags(tfc):
    project = ref(tfc, "tfe_project", "id")
    assert strip_metadata(next(iter(resources(tfc, "tfe_project").values()))) == {
        "name": "mlplatform", "organization": "my-tfc-organization",
    }
    for workspace in resources(tfc, "tfe_workspace").values():
        env, layer = workspace["name"].split("-")[1:]
        assert workspace["project_id"] == project
        assert workspace["terraform_version"] == "1.11.4"
        assert workspace["tags"] == {"environment": env, "layer": layer, "tier": env}
        assert "vcs_repo" not in workspace and "working_directory" not in workspace  # CLI-driven


def test_remote_execution_and_no_auto_apply_in_prod(tfc):
    ids = _workspace_ids(tfc)
    by_workspace = {s["workspace_id"]: s for s in resources(tfc, "tfe_workspace_settings").values()}
    for name, workspace_id in ids.items():
        settings = by_workspace[workspace_id]
        assert settings["execution_mode"] == "remote"
        assert settings["global_remote_state"] is False
        assert settings["auto_apply"] is (not name.startswith("mlplatform-prod-")), name
    prod = [w for w in resources(tfc, "tfe_workspace").values() if w["name"].startswith("mlplatform-prod-")]
    assert all(w["allow_destroy_plan"] is False and w["auto_apply_run_trigger"] is False for w in prod)


def test_each_databricks_workspace_reads_exactly_its_environment_azure_state(tfc):
    ids = _workspace_ids(tfc)
    consumers = {s["workspace_id"]: s["remote_state_consumer_ids"] for s in resources(tfc, "tfe_workspace_settings").values()}
    for env in ENVIRONMENTS:
        assert consumers[ids[f"mlplatform-{env}-azure"]] == [ids[f"mlplatform-{env}-databricks"]]
        assert consumers[ids[f"mlplatform-{env}-databricks"]] == []


def test_an_azure_apply_triggers_its_databricks_run(tfc):
    ids = _workspace_ids(tfc)
    triggers = {(t["sourceable_id"], t["workspace_id"]) for t in resources(tfc, "tfe_run_trigger").values()}
    assert triggers == {(ids[f"mlplatform-{e}-azure"], ids[f"mlplatform-{e}-databricks"]) for e in ENVIRONMENTS}


def test_dynamic_credentials_are_plain_env_variables_and_no_secret(tfc):
    sets = {k: v["name"] for k, v in resources(tfc, "tfe_variable_set").items()}
    assert sorted(sets.values()) == [f"mlplatform-{e}-azure-oidc" for e in ("dev", "prod", "staging")]
    variables: dict[str, dict[str, str]] = {}
    for variable in resources(tfc, "tfe_variable").values():
        assert variable["category"] == "env"
        assert variable["sensitive"] is False
        set_name = sets[variable["variable_set_id"].split(".")[1]]
        variables.setdefault(set_name, {})[variable["key"]] = variable["value"]
    assert variables["mlplatform-prod-azure-oidc"] == {
        "TFC_AZURE_PROVIDER_AUTH": "true",
        "TFC_AZURE_RUN_CLIENT_ID": "99999999-9999-9999-9999-999999999999",
        "ARM_TENANT_ID": "00000000-0000-0000-0000-000000000000",
        "ARM_SUBSCRIPTION_ID": "33333333-3333-3333-3333-333333333333",
    }
    ids = _workspace_ids(tfc)
    attached = {(a["variable_set_id"], a["workspace_id"]) for a in resources(tfc, "tfe_workspace_variable_set").values()}
    dev_set = next(f"${{tfe_variable_set.{k}.id}}" for k, n in sets.items() if n == "mlplatform-dev-azure-oidc")
    assert {w for s, w in attached if s == dev_set} == {ids["mlplatform-dev-azure"], ids["mlplatform-dev-databricks"]}


def test_bootstrap_state_is_local_and_tfe_token_is_not_in_config(tfc):
    assert tfc["terraform"]["backend"] == {"local": {"path": "../../../state/mlplatform-tfc.tfstate"}}
    assert tfc["provider"]["tfe"] == [{"hostname": "app.terraform.io", "organization": "my-tfc-organization"}]


@pytest.fixture(scope="module")
def with_identity():
    def change(raw):
        raw["environments"] = {"prod": raw["environments"]["prod"]}
        raw["state"]["bootstrap"] = {"backend": "cloud", "admin_workspace": "platform-admin",
                                     "azure_oidc": {"create_identity": True}}

    return synth_stacks(config_from(mutated(change)))["mlplatform-tfc"]


def test_created_identity_trusts_exactly_plan_and_apply_of_its_workspaces(with_identity):
    credentials = list(resources(with_identity, "azuread_application_federated_identity_credential").values())
    assert sorted(c["subject"] for c in credentials) == sorted(
        workload_subject("my-tfc-organization", "mlplatform", ws, phase)
        for ws in ("mlplatform-prod-azure", "mlplatform-prod-databricks") for phase in ("plan", "apply")
    )
    assert workload_subject("o", "p", "w", "plan") == "organization:o:project:p:workspace:w:run_phase:plan"
    application = ref(with_identity, "azuread_application", "id")
    assert {c["application_id"] for c in credentials} == {application}
    assert {c["issuer"] for c in credentials} == {"https://app.terraform.io"}
    assert all(c["audiences"] == ["api://AzureADTokenExchange"] for c in credentials)


def test_created_identity_is_the_run_client_id(with_identity):
    run_client = [v for v in resources(with_identity, "tfe_variable").values() if v["key"] == "TFC_AZURE_RUN_CLIENT_ID"]
    assert [v["value"] for v in run_client] == [ref(with_identity, "azuread_application", "client_id")]
    assert with_identity["provider"]["azuread"] == [{"alias": "prod", "tenant_id": "00000000-0000-0000-0000-000000000000"}]


def test_bootstrap_state_can_live_in_an_admin_workspace(with_identity):
    assert with_identity["terraform"]["cloud"]["workspaces"] == {"name": "platform-admin"}


def test_no_bootstrap_stack_without_a_bootstrap_section():
    def change(raw):
        raw["environments"] = {"dev": raw["environments"]["dev"]}
        del raw["state"]["bootstrap"]

    assert sorted(synth_stacks(config_from(mutated(change)))) == ["mlplatform-dev-azure", "mlplatform-dev-databricks"]
