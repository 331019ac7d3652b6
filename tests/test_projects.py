"""Projects (config/projects.py, docs/projects.md): what the config accepts and refuses, what each project's
stacks hold and name, and what onboarding, offboarding and upgrading change.

Each config here is synthesized once per session. Isolation is checked over the synthesized JSON of every stack:
nothing of one project grants, lists in an ACL or names another project's principal, app, scope, vault, tables,
model or endpoint. (tests/test_projects_workspace.py checks the same in the local workspace, with the real
provider.)
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from config import ConfigError, load_config
from config.projects import ENVIRONMENT_ONLY
from tests.helpers import default_raw, synth_into

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config" / "examples" / "two-projects.yaml"
LAYERS = ("azure", "databricks", "serving")


def _example_raw() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def _load(raw: dict[str, Any], tmp_path: Path, **selection: str):
    path = tmp_path / "environments.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return load_config(path, selection.get("environments"), selection.get("projects")), str(path)


def _problems(raw: dict[str, Any], tmp_path: Path) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        _load(raw, tmp_path)
    return raised.value.problems


def as_projects(raw: dict[str, Any], environment: str, project: str, **settings: Any) -> dict[str, Any]:
    """`raw` with `environment` in the projects form: what only an environment sets stays, the rest moves into one
    project `project` (with `settings` such as names='environment')."""
    raw = copy.deepcopy(raw)
    body = raw["environments"][environment]
    own: dict[str, Any] = dict(settings)
    for section, only in ENVIRONMENT_ONLY.items():
        moved = {key: value for key, value in body[section].items() if key not in only}
        body[section] = {key: value for key, value in body[section].items() if key in only}
        own[section] = moved
    body["projects"] = {project: own}
    return raw


# --- config ----------------------------------------------------------------------------------------


def test_the_example_has_two_projects_in_each_environment():
    loaded = load_config(EXAMPLE)
    assert [(e.name, e.project, e.label) for e in loaded.config.environments] == [
        ("dev", "churn", "dev-churn"),
        ("dev", "fraud", "dev-fraud"),
        ("prod", "churn", "prod-churn"),
        ("prod", "fraud", "prod-fraud"),
    ]
    churn, fraud = loaded.config.projects_of("dev")
    # shared: the environment's; own: the project's, over the environment's defaults
    assert churn.azure.deployers == fraud.azure.deployers
    assert churn.databricks.workspace == fraud.databricks.workspace
    assert (churn.azure.key_vault.name, fraud.azure.key_vault.name) == ("kv-churn-dev-0000", "kv-fraud-dev-0000")
    assert churn.azure.key_vault.soft_delete_retention_days == fraud.azure.key_vault.soft_delete_retention_days == 7
    assert (churn.databricks.cluster.max_workers, fraud.databricks.cluster.max_workers) == (2, 4)
    assert churn.azure.tags == {"environment": "dev", "owner": "ml-platform", "cost-center": "churn"}


def test_a_project_may_not_set_what_the_environment_shares(tmp_path):
    raw = _example_raw()
    raw["environments"]["dev"]["projects"]["fraud"]["azure"]["tenant_id"] = "12345678-0000-0000-0000-000000000000"
    raw["environments"]["dev"]["projects"]["fraud"]["databricks"]["workspace"] = {"host": "https://x"}
    raw["environments"]["dev"]["projects"]["fraud"]["execution_mode"] = "agent"
    path = str(tmp_path / "environments.yaml")
    assert _problems(raw, tmp_path) == [
        f"{path}: environment 'dev': projects.fraud.execution_mode: unknown project field; a project sets names, "
        "azure, databricks; the environment's own fields (tier, state, execution_mode, agent) are shared",
        f"{path}: environment 'dev': projects.fraud.azure.tenant_id: set it in the environment's azure section: "
        "every project of an environment is in its tenant",
        f"{path}: environment 'dev': projects.fraud.databricks.workspace: set it in the environment's databricks "
        "section: every project of an environment shares its workspace",
    ]


def test_project_names_follow_the_rule_of_environment_names(tmp_path):
    raw = _example_raw()
    projects = raw["environments"]["prod"]["projects"]
    projects["Fraud-Team"] = projects.pop("fraud")
    path = str(tmp_path / "environments.yaml")
    assert _problems(raw, tmp_path) == [
        f"{path}: environment 'prod': projects: invalid project name 'Fraud-Team': use 1-16 lowercase letters and "
        "digits, starting with a letter"
    ]


def test_only_one_project_keeps_the_environments_names(tmp_path):
    raw = _example_raw()
    for project in raw["environments"]["dev"]["projects"].values():
        project["names"] = "environment"
    path = str(tmp_path / "environments.yaml")
    assert _problems(raw, tmp_path) == [
        f"{path}: environment 'dev': projects.fraud.names: 'environment' is already taken by project 'churn': one "
        "project keeps the environment's names"
    ]


def test_names_two_projects_would_share_are_refused_naming_both(tmp_path):
    raw = _example_raw()
    fraud = raw["environments"]["dev"]["projects"]["fraud"]
    fraud["azure"]["key_vault"]["name"] = "kv-churn-dev-0000"
    fraud["databricks"]["serving"]["name"] = "mlplatform-dev-churn"
    fraud["databricks"]["workflows"]["model"] = "ml_dev.churn.churn_classifier"
    fraud["databricks"]["secret_scope"] = {"name": "mlplatform-dev-churn-keyvault"}  # churn's default
    path = str(tmp_path / "environments.yaml")
    also = "is also used by environment 'dev', project 'churn'"
    assert _problems(raw, tmp_path) == [
        f"{path}: environment 'dev', project 'fraud': azure.key_vault.name: 'kv-churn-dev-0000' {also}; Key Vault "
        "names are globally unique",
        f"{path}: environment 'dev', project 'fraud': databricks.secret_scope.name: 'mlplatform-dev-churn-keyvault' "
        f"{also}; secret scope names are unique within a workspace (defaults included)",
        f"{path}: environment 'dev', project 'fraud': databricks.serving.name: 'mlplatform-dev-churn' {also}; "
        "serving endpoint names are unique within a workspace",
        f"{path}: environment 'dev', project 'fraud': databricks.workflows.model: 'ml_dev.churn.churn_classifier' "
        f"{also}; each environment's workflows create and own their registered model: two in one workspace would "
        "both create it",
    ]


def test_a_group_every_project_would_create_is_refused(tmp_path):
    raw = _example_raw()
    for project in raw["environments"]["prod"]["projects"].values():
        del project["databricks"]["service_principal"]  # the default: create ml-automation
    path = str(tmp_path / "environments.yaml")
    assert _problems(raw, tmp_path) == [
        f"{path}: environment 'prod', project 'fraud': databricks.service_principal.group.name: 'ml-automation' is "
        "also used by environment 'prod', project 'churn'; two environments cannot both create one group in the "
        "same workspace; set create: false in one"
    ]


def test_a_project_may_not_be_given_what_another_owns(tmp_path):
    """Its served models, input tables and output schema become grants to its principal (stacks/databricks.py,
    stacks/workflows.py): another project's model or results there would be handed over."""
    raw = _example_raw()
    fraud = raw["environments"]["dev"]["projects"]["fraud"]["databricks"]
    fraud["serving"]["served_models"][0]["model"] = "ml_dev.churn.churn_classifier"
    fraud["workflows"]["input_tables"] = ["ml_dev.churn_scoring.scores"]
    fraud["workflows"]["output_schema"] = "ml_dev.churn_scoring"
    path = str(tmp_path / "environments.yaml")
    assert _problems(raw, tmp_path) == [
        f"{path}: environment 'dev', project 'fraud': databricks.serving.served_models[0].model: "
        "ml_dev.churn.churn_classifier is the workflows' model of environment 'dev', project 'churn'; serving it "
        "would grant this principal EXECUTE on it and CAN_QUERY on an endpoint of it: serve this project's own models",
        f"{path}: environment 'dev', project 'fraud': databricks.workflows.input_tables: ml_dev.churn_scoring.scores "
        "is in ml_dev.churn_scoring, the output schema of environment 'dev', project 'churn'; reading it would grant "
        "this principal SELECT on another's results",
        f"{path}: environment 'dev', project 'fraud': databricks.workflows.output_schema: ml_dev.churn_scoring is "
        "also the output schema of environment 'dev', project 'churn'; each writes its own schema",
    ]


def test_no_principal_of_an_environment_with_several_projects_joins_admins(tmp_path):
    raw = _example_raw()
    raw["environments"]["dev"]["projects"]["fraud"]["databricks"]["service_principal"]["group"] = {
        "name": "admins",
        "create": False,
    }
    path = str(tmp_path / "environments.yaml")
    assert _problems(raw, tmp_path) == [
        f"{path}: environment 'dev', project 'fraud': databricks.service_principal.group.name: 'admins' makes the "
        "principal a workspace administrator, with MANAGE on every secret scope: it could read every project's "
        "client secret; refused in an environment with several projects"
    ]


def test_a_project_may_not_rest_on_a_group_or_resource_group_another_creates(tmp_path):
    """Its destroy would take the group from under the other's principal, or fail on the other's vault."""
    raw = _example_raw()
    dev = raw["environments"]["dev"]
    dev["projects"]["churn"]["azure"]["resource_group"] = {"name": "rg-churn-dev", "create": True}
    dev["projects"]["fraud"]["azure"]["resource_group"] = {"name": "rg-churn-dev", "create": False}
    dev["projects"]["fraud"]["databricks"]["service_principal"]["group"] = {"name": "churn-automation", "create": False}
    path = str(tmp_path / "environments.yaml")
    assert _problems(raw, tmp_path) == [
        f"{path}: environment 'dev', project 'fraud': databricks.service_principal.group.name: churn-automation is "
        "created by environment 'dev', project 'churn'; its destroy would take the group from under this principal: "
        "give this project its own group, or make the shared group outside this app (then create: false in both)",
        f"{path}: environment 'dev', project 'fraud': azure.resource_group.name: rg-churn-dev is created by "
        "environment 'dev', project 'churn'; its destroy would fail on this vault in it: give this project its own "
        "resource group, or make the shared one outside this app (then create: false in both)",
    ]


def test_a_field_error_names_where_it_was_written(tmp_path):
    raw = _example_raw()
    del raw["environments"]["dev"]["projects"]["churn"]["azure"]["key_vault"]["name"]
    raw["environments"]["dev"]["azure"]["key_vault"]["soft_delete_retention_days"] = 3  # shared: once, not twice
    path = str(tmp_path / "environments.yaml")
    assert _problems(raw, tmp_path) == [
        f"{path}: environment 'dev': projects.churn.azure.key_vault.name: required field is missing",
        f"{path}: environment 'dev': azure.key_vault.soft_delete_retention_days: Input should be greater than or "
        "equal to 7 (got 3)",
    ]


def test_a_problem_every_project_has_from_the_environment_is_reported_once_there(tmp_path):
    raw = _example_raw()
    raw["environments"]["prod"]["azure"]["key_vault"]["allowed_ip_ranges"] = ["198.51.100.0/24"]
    path = str(tmp_path / "environments.yaml")
    assert _problems(raw, tmp_path) == [
        f"{path}: environment 'prod': azure.key_vault: allowed_ip_ranges (198.51.100.0/24) do nothing while "
        "public_network_access_enabled is false (the default outside dev with a private endpoint): remove them, or "
        "turn public access on"
    ]


def test_a_problem_each_project_wrote_is_reported_where_each_wrote_it(tmp_path):
    raw = _example_raw()
    for name, project in raw["environments"]["dev"]["projects"].items():
        served = project["databricks"]["serving"]["served_models"]
        served.append({"model": f"ml_dev.{name}.other", "alias": "challenger"})  # two models, no traffic split
    path = str(tmp_path / "environments.yaml")
    problems = _problems(raw, tmp_path)
    assert [p.split(": ")[2] for p in problems] == [
        "projects.churn.databricks.serving",
        "projects.fraud.databricks.serving",
    ]
    assert all(p.startswith(f"{path}: environment 'dev': ") for p in problems)


def test_a_rule_of_a_whole_project_names_the_project(tmp_path):
    raw = _example_raw()
    raw["environments"]["prod"]["projects"]["fraud"]["databricks"]["cluster"]["autotermination_minutes"] = 0
    path = str(tmp_path / "environments.yaml")
    assert _problems(raw, tmp_path) == [
        f"{path}: environment 'prod': project 'fraud': databricks.cluster.autotermination_minutes: 0 (never "
        "terminate) is not allowed in prod; use 10-10000 minutes"
    ]


def test_unsafe_text_in_a_project_is_refused_with_its_path(tmp_path):
    raw = _example_raw()
    raw["environments"]["dev"]["projects"]["fraud"]["azure"]["tags"]["cost-center"] = "${var.x}"
    path = str(tmp_path / "environments.yaml")
    assert _problems(raw, tmp_path) == [
        f"{path}: environment 'dev': projects.fraud.azure.tags.cost-center: contains a Terraform interpolation "
        "('${'), which Terraform or cdktf would evaluate as code; config values are plain data"
    ]


def test_the_keys_projects_are_expanded_with_are_refused_in_the_file(tmp_path):
    raw = default_raw()
    raw["environments"]["dev"]["__project_name__"] = "forged"
    raw["environments"]["prod"]["__names__"] = "project"
    path = str(tmp_path / "environments.yaml")
    assert _problems(raw, tmp_path) == [
        f"{path}: environment 'dev': __project_name__: unknown field; a project is named by its key under `projects`",
        f"{path}: environment 'prod': __names__: unknown field; a project is named by its key under `projects`",
    ]


def test_projects_are_selected_by_name(tmp_path):
    loaded, _ = _load(_example_raw(), tmp_path, environments="dev", projects="fraud")
    assert [e.label for e in loaded.config.environments] == ["dev-fraud"]
    # the bootstrap and CI stacks still see every project of every environment
    assert len(loaded.config.all_environments) == 4
    with pytest.raises(ConfigError) as raised:
        _load(_example_raw(), tmp_path, projects="fraud,ads")
    assert raised.value.problems == [
        "MLPLATFORM_PROJECTS: environment 'dev' has no project 'ads'; it defines: churn, fraud",
        "MLPLATFORM_PROJECTS: environment 'prod' has no project 'ads'; it defines: churn, fraud",
    ]


def test_another_projects_placeholder_does_not_hold_a_deploy_back(tmp_path):
    raw = _example_raw()
    raw["environments"]["dev"]["projects"]["fraud"]["databricks"]["workflows"]["failure_notifications"] = [
        "ml-platform@example.com"  # a placeholder of the embedded default
    ]
    loaded, _ = _load(raw, tmp_path, environments="dev", projects="churn")
    churn = loaded.placeholders()
    assert any("projects.churn.databricks.workflows.git.url" in line for line in churn)
    assert not any("projects.fraud" in line for line in churn)
    assert any(": environment 'dev': azure.tenant_id:" in line for line in churn)  # shared: still everyone's
    everyone, _ = _load(raw, tmp_path, environments="dev")
    assert any("projects.fraud.databricks.workflows.failure_notifications" in line for line in everyone.placeholders())


# --- synthesized stacks --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def example_stacks(tmp_path_factory):
    return synth_into(load_config(EXAMPLE).config, tmp_path_factory.mktemp("two-projects"))


@pytest.fixture(scope="session")
def churn_only_stacks(tmp_path_factory):
    """The example before fraud was onboarded (or after it was offboarded)."""
    raw = _example_raw()
    for environment in raw["environments"].values():
        del environment["projects"]["fraud"]
    folder = tmp_path_factory.mktemp("churn-only")
    (folder / "environments.yaml").write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return synth_into(load_config(folder / "environments.yaml").config, folder / "out")


@pytest.fixture(scope="session")
def upgraded_stacks(tmp_path_factory):
    """The default config with dev in the projects form, its one project keeping the environment's names, and a
    second project onboarded beside it."""
    raw = as_projects(default_raw(), "dev", "churn", names="environment")
    fraud = copy.deepcopy(raw["environments"]["dev"]["projects"]["churn"])
    del fraud["names"]
    fraud["azure"]["key_vault"]["name"] = "kv-fraud-dev-0000"
    fraud["azure"]["resource_group"] = {"name": "rg-mlplatform-dev-fraud"}  # churn's stack creates the environment's
    fraud["databricks"]["service_principal"]["group"] = {"name": "fraud-automation"}
    fraud["databricks"]["workflows"]["model"] = "ml_dev.fraud.fraud_detector"
    fraud["databricks"]["workflows"]["output_schema"] = "ml_dev.fraud_scoring"
    fraud["databricks"]["serving"] = {
        "name": "mlplatform-dev-fraud",
        "served_models": [{"model": "ml_dev.fraud.fraud_detector", "alias": "champion"}],
    }
    raw["environments"]["dev"]["projects"]["fraud"] = fraud
    folder = tmp_path_factory.mktemp("upgraded")
    (folder / "environments.yaml").write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return synth_into(load_config(folder / "environments.yaml").config, folder / "out")


def test_each_project_has_its_own_stacks_and_state(example_stacks):
    assert sorted(example_stacks) == sorted(
        [
            f"mlplatform-{env}-{project}-{layer}"
            for env in ("dev", "prod")
            for project in ("churn", "fraud")
            for layer in LAYERS
        ]
        + ["mlplatform-tfc"]
    )
    for stack_id, stack in example_stacks.items():
        if stack_id != "mlplatform-tfc":
            assert stack["terraform"]["cloud"]["workspaces"] == {"name": stack_id, "project": "mlplatform"}
    workspaces = {w["name"] for w in example_stacks["mlplatform-tfc"]["resource"]["tfe_workspace"].values()}
    assert workspaces == set(example_stacks) - {"mlplatform-tfc"}


def test_each_project_names_its_own_resources(example_stacks):
    databricks = example_stacks["mlplatform-dev-fraud-databricks"]["resource"]
    assert [r["display_name"] for r in databricks["databricks_service_principal"].values()] == [
        "mlplatform-dev-fraud-ml"
    ]
    assert [r["name"] for r in databricks["databricks_secret_scope"].values()] == ["mlplatform-dev-fraud-keyvault"]
    assert [r["name"] for r in databricks["databricks_cluster_policy"].values()] == ["mlplatform-dev-fraud-ml-jobs"]
    assert sorted(r["name"] for r in databricks["databricks_job"].values()) == [
        "mlplatform-dev-fraud-batch-inference",
        "mlplatform-dev-fraud-deployment",
        "mlplatform-dev-fraud-training",
    ]
    cluster = next(iter(databricks["databricks_cluster"].values()))
    assert cluster["custom_tags"] == {"environment": "dev", "project": "fraud"}
    azure = example_stacks["mlplatform-dev-fraud-azure"]["resource"]
    assert [r["display_name"] for r in azure["azuread_application"].values()] == ["mlplatform-dev-fraud-ml"]
    vault = next(iter(azure["azurerm_key_vault"].values()))
    assert (vault["name"], vault["tags"]["project"], vault["tags"]["cost-center"]) == (
        "kv-fraud-dev-0000",
        "fraud",
        "fraud",
    )


def _identifiers(stacks: dict[str, Any], env: str, project: str) -> set[str]:
    """What names one project's principal, app, scope, vault, group, jobs, cluster, policy, tables, model and
    endpoint in its own stacks: every literal name its resources and lookups carry."""
    found: set[str] = set()
    for layer in LAYERS:
        stack = stacks[f"mlplatform-{env}-{project}-{layer}"]
        for section in ("resource", "data"):
            for blocks in stack.get(section, {}).values():
                for block in blocks.values():
                    for key in ("name", "display_name", "cluster_name", "scope", "full_name", "entity_name"):
                        value = block.get(key)
                        if isinstance(value, str) and "${" not in value:
                            found.add(value)
        for grant in stack["resource"].get("databricks_grant", {}).values():
            for key in ("table", "schema", "catalog", "model", "function"):
                if key in grant and "${" not in grant[key]:
                    found.add(grant[key])
        found |= {g for g in _grantees(stack) if "${" not in g}
    return found


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_no_stack_of_one_project_names_anything_of_the_other(example_stacks, env):
    """Names both carry (the catalog, the resource group, the secret's name inside each one's own vault) are each
    project's own use of a shared place; every other name of one project must be absent from the other's stacks."""
    for mine, theirs in (("churn", "fraud"), ("fraud", "churn")):
        their_names = _identifiers(example_stacks, env, theirs) - _identifiers(example_stacks, env, mine)
        assert {
            f"mlplatform-{env}-{theirs}-ml",
            f"mlplatform-{env}-{theirs}-keyvault",
            f"mlplatform-{env}-{theirs}-ml-jobs",
            f"mlplatform-{env}-{theirs}",
            f"kv-{theirs}-{'prd' if env == 'prod' else env}-0000",
            f"{theirs}-automation",
            f"{theirs}-engineers",
        } <= their_names
        for layer in LAYERS:
            text = json.dumps(example_stacks[f"mlplatform-{env}-{mine}-{layer}"])
            named = {n for n in their_names if json.dumps(n)[1:-1] in text}
            assert named == set(), f"{env} {mine} {layer} names {theirs}'s {sorted(named)}"


def _grantees(stack: dict[str, Any]) -> set[str]:
    """Every principal a stack grants anything to: ACL entries, secret ACLs, Unity Catalog grants, memberships."""
    resources = stack["resource"]
    grantees = set()
    for acl in resources.get("databricks_permissions", {}).values():
        for entry in acl["access_control"]:
            grantees.add(entry.get("user_name") or entry.get("service_principal_name") or entry.get("group_name"))
    grantees |= {a["principal"] for a in resources.get("databricks_secret_acl", {}).values()}
    grantees |= {g["principal"] for g in resources.get("databricks_grant", {}).values()}
    return grantees


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_each_project_grants_only_its_own_principal_its_people_and_the_deployers(example_stacks, env):
    config = load_config(EXAMPLE).config
    for project in config.projects_of(env):
        deployers = {d.databricks_name for d in project.azure.deployers}
        workflows = project.databricks.workflows
        people = {project.databricks.cluster.users_group, workflows.engineers_group if workflows else None}
        for layer in ("databricks", "serving"):
            stack = example_stacks[f"mlplatform-{project.label}-{layer}"]
            principal = next(iter(stack["resource"].get("databricks_service_principal", {})), None)
            own = {g for g in _grantees(stack) if g.startswith("${")}
            # references: to this stack's own principal, or its own lookup of its own app
            for reference in own:
                assert re.fullmatch(
                    r"\$\{(databricks_service_principal\.%s|data\.azuread_application\.[A-Za-z0-9_]+|local\.[A-Za-z0-9_]+)\.[a-z_]+\}"
                    % (principal or "x"),
                    reference,
                ), reference
            assert _grantees(stack) - own <= deployers | people, f"{project.label} {layer}"
            lookups = stack.get("data", {}).get("azuread_application", {}).values()
            assert {lookup["display_name"] for lookup in lookups} <= {f"mlplatform-{project.label}-ml"}


# --- onboarding, offboarding, upgrading ---------------------------------------------------------------


def test_onboarding_a_project_changes_no_stack_of_the_others(example_stacks, churn_only_stacks):
    """Byte-identical stacks plan to no change against the state the last apply left."""
    for stack_id, stack in churn_only_stacks.items():
        if stack_id == "mlplatform-tfc":
            continue
        assert example_stacks[stack_id] == stack, stack_id


def test_onboarding_only_adds_to_the_bootstrap_and_offboarding_only_removes_the_projects_own(
    example_stacks, churn_only_stacks
):
    before, after = churn_only_stacks["mlplatform-tfc"]["resource"], example_stacks["mlplatform-tfc"]["resource"]
    added = []
    for kind, blocks in before.items():
        for name, block in blocks.items():
            if kind == "tfe_agent_pool_allowed_workspaces":
                # the pool also admits the new workspaces: an update in place that keeps every existing one
                grown = after[kind][name]["allowed_workspace_ids"]
                assert set(block["allowed_workspace_ids"]) < set(grown)
                assert {w for w in grown if w not in block["allowed_workspace_ids"]} == {
                    f"${{tfe_workspace.{n}.id}}" for n in after["tfe_workspace"] if "-prod-fraud-" in n
                }
                continue
            assert after[kind][name] == block, f"{kind}.{name} changed"
    for kind, blocks in after.items():
        added += [block for name, block in blocks.items() if name not in before.get(kind, {})]
    # fraud's workspaces and each team's access to them: 2 environments x 3 layers, 2 teams each
    assert sorted(b["name"] for b in added if "terraform_version" in b) == sorted(
        f"mlplatform-{env}-fraud-{layer}" for env in ("dev", "prod") for layer in LAYERS
    )
    assert len([b for b in added if "team_id" in b]) == 2 * 3 * 2
    # offboarding fraud is the reverse: exactly its stacks stop being synthesized
    assert set(example_stacks) - set(churn_only_stacks) == {
        f"mlplatform-{env}-fraud-{layer}" for env in ("dev", "prod") for layer in LAYERS
    }


def test_upgrading_to_the_projects_form_changes_no_byte_of_any_stack(default_stacks, upgraded_stacks):
    """The default config's dev as one project with `names: environment`, and a new project beside it: every
    stack the default config had is synthesized exactly as before (same stack ids, state, addresses, names)."""
    for stack_id, stack in default_stacks.items():
        if stack_id == "mlplatform-tfc":
            continue
        assert upgraded_stacks[stack_id] == stack, stack_id
    before, after = default_stacks["mlplatform-tfc"]["resource"], upgraded_stacks["mlplatform-tfc"]["resource"]
    for kind, blocks in before.items():
        for name, block in blocks.items():
            assert after[kind][name] == block, f"{kind}.{name} changed"
    assert set(upgraded_stacks) - set(default_stacks) == {f"mlplatform-dev-fraud-{layer}" for layer in LAYERS}
