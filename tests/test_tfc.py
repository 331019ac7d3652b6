"""The Terraform Cloud bootstrap stack: workspaces named as the backends, sharing, execution modes, agents."""

from __future__ import annotations

import pytest

from tests.helpers import config_from, mutated, only, ref, resources, strip_metadata, synth_stacks

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
    assert len(backend_names) == 9


def test_workspaces_live_in_the_project_with_pinned_terraform_and_tags(tfc):
    project = ref(tfc, "tfe_project", "id")
    assert strip_metadata(next(iter(resources(tfc, "tfe_project").values()))) == {
        "name": "mlplatform",
        "organization": "my-tfc-organization",
    }
    for workspace in resources(tfc, "tfe_workspace").values():
        env, layer = workspace["name"].split("-")[1:]
        assert workspace["project_id"] == project
        assert workspace["terraform_version"] == "1.11.4"
        assert workspace["tags"] == {"environment": env, "layer": layer, "tier": env}
        assert "vcs_repo" not in workspace and "working_directory" not in workspace  # CLI-driven


def test_execution_mode_per_environment_never_remote_and_no_auto_apply_in_prod(tfc):
    ids = _workspace_ids(tfc)
    by_workspace = {s["workspace_id"]: s for s in resources(tfc, "tfe_workspace_settings").values()}
    modes = {name: by_workspace[workspace_id]["execution_mode"] for name, workspace_id in ids.items()}
    assert modes == {
        "mlplatform-dev-azure": "local",
        "mlplatform-dev-databricks": "local",
        "mlplatform-dev-serving": "local",
        "mlplatform-staging-azure": "agent",
        "mlplatform-staging-databricks": "agent",
        "mlplatform-staging-serving": "agent",
        "mlplatform-prod-azure": "agent",
        "mlplatform-prod-databricks": "agent",
        "mlplatform-prod-serving": "agent",
    }
    for name, workspace_id in ids.items():
        settings = by_workspace[workspace_id]
        assert settings["global_remote_state"] is False
        assert settings["auto_apply"] is (not name.startswith("mlplatform-prod-")), name
        assert ("agent_pool_id" in settings) is (modes[name] == "agent"), name
    prod = [w for w in resources(tfc, "tfe_workspace").values() if w["name"].startswith("mlplatform-prod-")]
    assert all(w["allow_destroy_plan"] is False for w in prod)


def _pools(tfc):
    """pool name -> (logical id, allowed-workspaces logical id, allowed workspace ids)."""
    allowed = {
        a["agent_pool_id"]: (k, a["allowed_workspace_ids"])
        for k, a in resources(tfc, "tfe_agent_pool_allowed_workspaces").items()
    }
    return {
        p["name"]: (k, *allowed[f"${{tfe_agent_pool.{k}.id}}"]) for k, p in resources(tfc, "tfe_agent_pool").items()
    }


def test_agent_workspaces_name_their_pool_and_are_exactly_the_ones_allowed_on_it(tfc):
    ids = _workspace_ids(tfc)
    pools = _pools(tfc)
    assert sorted(pools) == ["mlplatform-prod", "mlplatform-staging"]
    assert all(
        strip_metadata(p) == {"name": p["name"], "organization": "my-tfc-organization", "organization_scoped": False}
        for p in resources(tfc, "tfe_agent_pool").values()
    )
    by_workspace = {s["workspace_id"]: s for s in resources(tfc, "tfe_workspace_settings").values()}
    for env in ("staging", "prod"):
        _, allowed_key, allowed_ids = pools[f"mlplatform-{env}"]
        layers = [ids[f"mlplatform-{env}-{layer}"] for layer in ("azure", "databricks", "serving")]
        assert allowed_ids == layers
        for workspace_id in layers:
            # Through the allowed-workspaces resource: the permission exists before the assignment.
            assert by_workspace[workspace_id]["agent_pool_id"] == (
                f"${{tfe_agent_pool_allowed_workspaces.{allowed_key}.agent_pool_id}}"
            )


def test_no_run_triggers(tfc):
    assert resources(tfc, "tfe_run_trigger") == {}
    assert all("auto_apply_run_trigger" not in w for w in resources(tfc, "tfe_workspace").values())


def test_no_workspace_shares_its_state(tfc):
    """The azure workspaces' state holds the client passwords; no stack reads another's state."""
    settings = resources(tfc, "tfe_workspace_settings").values()
    assert len(settings) == 3 * len(ENVIRONMENTS)
    for each in settings:
        assert each["global_remote_state"] is False
        assert each["remote_state_consumer_ids"] == []
    assert resources(tfc, "tfe_workspace_remote_state_consumers") == {}


def test_agent_environments_get_managed_identity_identifiers_only(tfc):
    sets = {k: v["name"] for k, v in resources(tfc, "tfe_variable_set").items()}
    assert sorted(sets.values()) == ["mlplatform-prod-agent-identity", "mlplatform-staging-agent-identity"]
    ids = _workspace_ids(tfc)
    names = {workspace_id: name for name, workspace_id in ids.items()}
    variables: dict[str, dict[str, str]] = {}
    for variable in resources(tfc, "tfe_variable").values():
        assert variable["category"] == "env"
        assert variable["sensitive"] is False
        owner = (
            sets[variable["variable_set_id"].split(".")[1]]
            if "variable_set_id" in variable
            else names[variable["workspace_id"]]
        )
        variables.setdefault(owner, {})[variable["key"]] = variable["value"]
    # Exactly what azurerm, azuread and the Databricks provider (azure-msi) read; nothing they ignore:
    # the shared set reaches both workspaces, the subscription (azurerm only) the azure workspace alone.
    assert variables == {
        "mlplatform-staging-agent-identity": {
            "ARM_USE_MSI": "true",
            "ARM_CLIENT_ID": "44444444-4444-4444-4444-444444444444",
            "ARM_TENANT_ID": "00000000-0000-0000-0000-000000000000",
        },
        "mlplatform-prod-agent-identity": {
            "ARM_USE_MSI": "true",
            "ARM_CLIENT_ID": "55555555-5555-5555-5555-555555555555",
            "ARM_TENANT_ID": "00000000-0000-0000-0000-000000000000",
        },
        "mlplatform-staging-azure": {"ARM_SUBSCRIPTION_ID": "22222222-2222-2222-2222-222222222222"},
        "mlplatform-prod-azure": {"ARM_SUBSCRIPTION_ID": "33333333-3333-3333-3333-333333333333"},
    }
    attached = {
        (a["variable_set_id"], a["workspace_id"]) for a in resources(tfc, "tfe_workspace_variable_set").values()
    }
    prod_set = next(f"${{tfe_variable_set.{k}.id}}" for k, n in sets.items() if n == "mlplatform-prod-agent-identity")
    assert {w for s, w in attached if s == prod_set} == {
        ids["mlplatform-prod-azure"],
        ids["mlplatform-prod-databricks"],
        ids["mlplatform-prod-serving"],
    }
    assert not {w for _, w in attached} & {ids["mlplatform-dev-azure"], ids["mlplatform-dev-databricks"]}


def test_bootstrap_state_is_local_and_tfe_token_is_not_in_config(tfc):
    assert tfc["terraform"]["backend"] == {"local": {"path": "../../../state/mlplatform-tfc.tfstate"}}
    assert tfc["provider"]["tfe"] == [{"hostname": "app.terraform.io", "organization": "my-tfc-organization"}]


@pytest.fixture(scope="module")
def admin_and_shared_pool():
    """Bootstrap state in an admin workspace; staging (made tier prod) and prod share one existing pool."""

    def change(raw):
        raw["environments"] = {e: raw["environments"][e] for e in ("staging", "prod")}
        raw["state"]["bootstrap"] = {"backend": "cloud", "admin_workspace": "platform-admin"}
        raw["environments"]["staging"]["tier"] = "prod"  # a pool serves one tier (two prod regions, say)
        for env in ("staging", "prod"):
            # one pool, one managed identity (different ones would be refused: the agents hold both)
            raw["environments"][env]["agent"].update(
                pool="azure-agents", create_pool=False, client_id="44444444-4444-4444-4444-444444444444"
            )
            raw["environments"][env]["azure"]["deployers"] = raw["environments"]["staging"]["azure"]["deployers"]

    return synth_stacks(config_from(mutated(change)))["mlplatform-tfc"]


def test_bootstrap_state_can_live_in_an_admin_workspace_that_runs_locally(admin_and_shared_pool):
    stack = admin_and_shared_pool
    assert stack["terraform"]["cloud"]["workspaces"] == {"name": "platform-admin"}
    admin = only(stack, "tfe_workspace", section="data")
    assert strip_metadata(admin) == {"name": "platform-admin", "organization": "my-tfc-organization"}
    admin_settings = [
        s
        for s in resources(stack, "tfe_workspace_settings").values()
        if s["workspace_id"] == ref(stack, "tfe_workspace", "id", section="data")
    ]
    assert [strip_metadata(s) for s in admin_settings] == [
        {"workspace_id": ref(stack, "tfe_workspace", "id", section="data"), "execution_mode": "local"}
    ]
    assert "azuread" not in stack.get("provider", {})


def test_an_existing_pool_is_looked_up_once_and_allows_every_environment_on_it(admin_and_shared_pool):
    stack = admin_and_shared_pool
    assert resources(stack, "tfe_agent_pool") == {}
    pool = only(stack, "tfe_agent_pool", section="data")
    assert {k: v for k, v in strip_metadata(pool).items() if k != "lifecycle"} == {
        "name": "azure-agents",
        "organization": "my-tfc-organization",
    }
    assert len(pool["lifecycle"]["postcondition"]) == 2  # workspace-scoped, no project (tests/constructs)
    allowed = only(stack, "tfe_agent_pool_allowed_workspaces")
    assert allowed["agent_pool_id"] == ref(stack, "tfe_agent_pool", "id", section="data")
    ids = _workspace_ids(stack)
    assert allowed["allowed_workspace_ids"] == [
        ids[f"mlplatform-{env}-{layer}"] for env in ("staging", "prod") for layer in ("azure", "databricks", "serving")
    ]


def test_no_bootstrap_stack_without_a_bootstrap_section():
    def change(raw):
        raw["environments"] = {"dev": raw["environments"]["dev"]}
        del raw["state"]["bootstrap"]

    assert sorted(synth_stacks(config_from(mutated(change)))) == [
        "mlplatform-dev-azure",
        "mlplatform-dev-databricks",
        "mlplatform-dev-serving",
    ]


def test_a_selection_narrows_the_environment_stacks_never_the_bootstrap(tmp_path):
    """With MLPLATFORM_ENVIRONMENTS=dev the bootstrap still manages every environment's workspaces:
    built from the selection, a deploy of it would destroy the others'."""
    from config import load_config
    from tests.helpers import synth_into

    stacks = synth_into(load_config(selection="dev").config, tmp_path)
    assert sorted(stacks) == [
        "mlplatform-dev-azure",
        "mlplatform-dev-databricks",
        "mlplatform-dev-serving",
        "mlplatform-tfc",
    ]
    names = sorted(w["name"] for w in resources(stacks["mlplatform-tfc"], "tfe_workspace").values())
    assert names == sorted(
        f"mlplatform-{e}-{layer}" for e in ENVIRONMENTS for layer in ("azure", "databricks", "serving")
    )


def test_each_environment_s_plan_and_apply_teams_reach_its_own_workspaces_only(tfc):
    """A dev token cannot read prod's azure state (the client passwords): no project-level grant, one
    tfe_team_access per (team, workspace) of the team's own environment."""
    teams = {key: team["name"] for key, team in resources(tfc, "tfe_team").items()}
    workspaces = {key: ws["name"] for key, ws in resources(tfc, "tfe_workspace").items()}
    reach: dict[str, set[str]] = {}
    rights: dict[tuple[str, str], tuple[str, str, bool]] = {}
    for access in resources(tfc, "tfe_team_access").values():
        team = teams[access["team_id"].removeprefix("${tfe_team.").removesuffix(".id}")]
        workspace = workspaces[access["workspace_id"].removeprefix("${tfe_workspace.").removesuffix(".id}")]
        reach.setdefault(team, set()).add(workspace)
        (permissions,) = access["permissions"]
        rights[(team, workspace)] = (
            permissions["runs"],
            permissions["state_versions"],
            permissions["workspace_locking"],
        )
    assert reach == {
        f"mlplatform-{env}-{role}": {f"mlplatform-{env}-{layer}" for layer in ("azure", "databricks", "serving")}
        for env in ("dev", "staging", "prod")
        for role in ("plan", "apply")
    }
    assert "tfe_team_project_access" not in tfc["resource"]
    # dev runs locally (the CLI reads and writes the state); staging and prod on agents (runs are queued)
    assert rights[("mlplatform-dev-plan", "mlplatform-dev-azure")] == ("read", "read", False)
    assert rights[("mlplatform-dev-apply", "mlplatform-dev-azure")] == ("read", "write", True)
    assert rights[("mlplatform-prod-plan", "mlplatform-prod-azure")] == ("plan", "read-outputs", False)
    assert rights[("mlplatform-prod-apply", "mlplatform-prod-azure")] == ("apply", "read-outputs", False)
