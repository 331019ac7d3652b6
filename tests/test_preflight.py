"""`make preflight`: the checks against the local workspace (tests/local_workspace/), the one the
real provider deploys to in tests/test_lifecycle.py.

Each test arranges what the workspace holds, runs the preflight of one environment of the default
config (or a variant) through the Databricks SDK with the `azure-cli` Entra ID method (a fake `az`
first on PATH, logged in as DEPLOYER), and asserts the exact lines and exit code. Nothing here
reaches a network.
"""

from __future__ import annotations

import pytest

from ops.preflight.__main__ import preflight, run
from ops.preflight.needs import existing_groups, needs
from tests.helpers import config_from, mutated, resources
from tests.local_workspace import LocalWorkspace, serve
from tests.local_workspace.azure_cli import TOKEN, install_fake_az
from tests.local_workspace.azure_cli import USER as DEPLOYER

MODEL = "ml_prod.models.churn_classifier"
EXTERNAL = "shared.models.fraud"


@pytest.fixture(autouse=True)
def azure_cli(tmp_path, monkeypatch):
    """A logged-in fake `az`, and no Databricks or Azure setting of the machine running the tests."""
    import os

    for name in list(os.environ):
        if name.startswith(("DATABRICKS_", "ARM_", "AZURE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.databrickscfg, no ~/.azure
    bin_folder = install_fake_az(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{bin_folder}{os.pathsep}{os.environ['PATH']}")
    return bin_folder


def workspace_of(*, token: str = TOKEN) -> LocalWorkspace:
    """A workspace where the fake `az`'s user is an admin, answering `token` as that user."""
    workspace = LocalWorkspace()
    workspace.add_user(DEPLOYER, token=token, admin=True)
    return workspace


def everything_granted(workspace: LocalWorkspace, environment) -> LocalWorkspace:
    """The groups config names exist and the deployer owns every securable the environment needs (the
    usual platform setup)."""
    for _, group in existing_groups(environment):
        workspace.scim.add_group(group)
    for need in needs(environment):
        if workspace.uc.find(need.kind, need.full_name) is None:
            workspace.uc.add(need.kind, need.full_name, owner=DEPLOYER)
    return workspace


def owned_by(workspace: LocalWorkspace, owner: str, *securables: tuple[str, str]) -> None:
    for kind, name in securables:
        workspace.uc.get(kind, name).owner = owner


def aliased(workspace: LocalWorkspace, model: str, alias: str, version: int) -> None:
    """`model` has versions 1..`version` and `alias` names the last, as the deployment job leaves it."""
    while max(workspace.uc.get("function", model).versions, default=0) < version:
        workspace.uc.add_version(model, "ml-principal-app-id")
    if alias:
        workspace.uc.get("function", model).aliases[alias] = version


def environment_of(config, name: str):
    return next(e for e in config.environments if e.name == name)


def check(environment, workspace: LocalWorkspace, capsys, auth_type: str = "azure-cli"):
    with serve(workspace) as url:
        code = preflight(environment, auth_type, base_url=url)
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def test_a_fresh_environment_passes_and_says_the_endpoint_waits_for_training(default_config, capsys):
    prod = environment_of(default_config, "prod")
    workspace = everything_granted(workspace_of(), prod)
    code, out, err = check(prod, workspace, capsys)
    assert (code, err) == (0, [])
    assert (
        f"ok: preflight prod: workspace {prod.databricks.workspace.host} answers the azure-cli token of {DEPLOYER}"
        in out
    )
    assert (
        "note: preflight prod: model 'ml_prod.models.churn_classifier' alias 'champion' does not exist yet "
        "(Registered model 'ml_prod.models.churn_classifier' does not exist.): the serving stack creates no "
        "endpoint until the training and deployment jobs produce it (docs/serving.md: First deploy of a fresh environment)"
    ) in out
    assert "ok: preflight prod: group 'ml-engineers' (databricks.cluster.users_group) exists" in out
    assert out[-1] == "preflight prod: 9 checks passed, nothing missing"


def test_it_only_reads(default_config, capsys):
    prod = environment_of(default_config, "prod")
    workspace = everything_granted(workspace_of(), prod)
    check(prod, workspace, capsys)
    assert {request.method for request in workspace.requests} == {"GET"}
    assert "/api/2.1/unity-catalog/effective-permissions/schema/ml_prod.models" in {r.path for r in workspace.requests}


def test_the_alias_once_set_is_reported_with_its_version(default_config, capsys):
    prod = environment_of(default_config, "prod")
    workspace = everything_granted(workspace_of(), prod)
    workspace.uc.add("function", MODEL, owner="ml-principal-app-id")
    aliased(workspace, MODEL, "champion", 7)
    code, out, _ = check(prod, workspace, capsys)
    assert code == 0
    assert f"ok: preflight prod: model '{MODEL}' alias 'champion' exists (version 7)" in out


def test_a_group_config_names_but_does_not_create_must_exist(default_config, capsys):
    prod = environment_of(default_config, "prod")
    workspace = everything_granted(workspace_of(), prod)
    group = workspace.scim.group_named("ml-platform-admins")
    del workspace.scim.groups[group.id]
    code, _, err = check(prod, workspace, capsys)
    assert (code, err) == (
        2,
        [
            "error: preflight prod: group 'ml-platform-admins' (databricks.secret_scope.manage_group) does not exist "
            "in the workspace: create it, or sync it from Entra ID, before the first apply"
        ],
    )


def test_a_missing_catalog_is_one_line(default_config, capsys):
    prod = environment_of(default_config, "prod")
    workspace = everything_granted(workspace_of(), prod)
    workspace.uc.remove("catalog", "ml_prod")  # the catalog and what it holds
    code, _, err = check(prod, workspace, capsys)
    assert code == 2
    assert err == [f"error: preflight prod: catalog 'ml_prod' does not exist (or {DEPLOYER} cannot see it)"]


def test_privileges_missing_on_the_models_schema_are_named(default_config, capsys):
    prod = environment_of(default_config, "prod")
    workspace = everything_granted(workspace_of(), prod)
    owned_by(workspace, "data-platform", ("schema", "ml_prod.models"))  # the catalog owner may still grant here
    workspace.uc.grant("schema", "ml_prod.models", "admins", "ALL_PRIVILEGES")  # through a group: all but MANAGE
    code, _, err = check(prod, workspace, capsys)
    assert code == 2
    assert err == [
        f"error: preflight prod: schema 'ml_prod.models': {DEPLOYER} lacks MANAGE (docs/access.md: Unity Catalog privileges)"
    ]


def test_a_table_the_deployer_cannot_grant_on(default_config, capsys):
    prod = environment_of(default_config, "prod")
    workspace = everything_granted(workspace_of(), prod)
    owned_by(
        workspace,
        "data-platform",
        ("catalog", "ml_prod"),
        ("schema", "ml_prod.raw"),
        ("table", "ml_prod.raw.customers"),
    )
    workspace.uc.grant("catalog", "ml_prod", DEPLOYER, "USE_CATALOG")
    workspace.uc.grant("schema", "ml_prod.raw", DEPLOYER, "USE_SCHEMA", "SELECT")  # SELECT reaches its tables
    code, _, err = check(prod, workspace, capsys)
    assert code == 2
    right = (
        "the right to grant the ML principal its privileges here (ownership of it or of its catalog or schema, "
        "or MANAGE) (docs/access.md: Unity Catalog privileges)"
    )
    assert err == [
        f"error: preflight prod: catalog 'ml_prod': {DEPLOYER} lacks {right}",
        f"error: preflight prod: schema 'ml_prod.raw': {DEPLOYER} lacks {right}",
        f"error: preflight prod: table 'ml_prod.raw.customers': {DEPLOYER} lacks {right}",
    ]


def test_manage_inherited_from_the_catalog_or_the_metastore_admin_role_is_enough(default_config, capsys):
    prod = environment_of(default_config, "prod")
    workspace = everything_granted(workspace_of(), prod)
    owned_by(
        workspace,
        "data-platform",
        ("table", "ml_prod.raw.customers"),
        ("schema", "ml_prod.raw"),
        ("catalog", "ml_prod"),
    )
    workspace.uc.grant("catalog", "ml_prod", DEPLOYER, "USE_CATALOG", "MANAGE")  # inherited by raw and its tables
    workspace.uc.grant("schema", "ml_prod.raw", DEPLOYER, "USE_SCHEMA")
    assert check(prod, workspace, capsys)[0] == 0
    for securable in workspace.uc.securables.values():
        securable.grants.clear()
    workspace.uc.metastore_owner = "admins"  # a group the deployer is in
    code, _, err = check(prod, workspace, capsys)
    assert code == 2  # the admin may grant, but uses no privilege it does not hold
    assert err == [
        f"error: preflight prod: catalog 'ml_prod': {DEPLOYER} lacks USE_CATALOG (docs/access.md: Unity Catalog privileges)",
        f"error: preflight prod: schema 'ml_prod.raw': {DEPLOYER} lacks USE_SCHEMA (docs/access.md: Unity Catalog privileges)",
    ]


def _serve_external(version: str | None = None):
    def change(raw):
        served = {"model": EXTERNAL, "traffic_percentage": 20}
        served.update({"version": version} if version else {"alias": "champion"})
        models = raw["environments"]["prod"]["databricks"]["serving"]["served_models"]
        models[0]["traffic_percentage"] = 80
        models.append(served)

    return environment_of(config_from(mutated(change)), "prod")


def test_a_served_model_of_another_team_must_have_its_alias(capsys):
    prod = _serve_external()
    workspace = everything_granted(workspace_of(), prod)
    code, _, err = check(prod, workspace, capsys)
    assert code == 2
    assert err == [
        f"error: preflight prod: model '{EXTERNAL}' alias 'champion' does not exist (Alias 'champion' of registered "
        f"model '{EXTERNAL}' does not exist.): the endpoint cannot serve it; create it or change serving.served_models"
    ]
    aliased(workspace, EXTERNAL, "champion", 3)
    assert check(prod, workspace, capsys)[0] == 0


def test_a_pinned_version_is_looked_up(capsys):
    prod = _serve_external(version="4")
    workspace = everything_granted(workspace_of(), prod)
    aliased(workspace, EXTERNAL, "", 4)
    code, out, _ = check(prod, workspace, capsys)
    assert code == 0
    assert f"ok: preflight prod: model '{EXTERNAL}' version 4 exists (version 4)" in out
    workspace.uc.grant("function", EXTERNAL, DEPLOYER, "EXECUTE")
    owned_by(workspace, "fraud-team", ("function", EXTERNAL))  # EXECUTE is held, but the grant right is not
    assert check(prod, workspace, capsys)[0] == 0  # the schema's owner (the deployer here) may grant on the model


def test_a_token_the_workspace_refuses_stops_at_the_first_line(default_config, capsys, monkeypatch):
    prod = environment_of(default_config, "prod")
    code, out, err = check(prod, workspace_of(token="another-token"), capsys)  # it knows another token only
    assert (code, out) == (2, [])
    assert err == [
        f"error: preflight prod: workspace {prod.databricks.workspace.host} does not answer the azure-cli "
        "Entra ID token: Invalid access token."
    ]


def test_no_azure_cli_login_is_one_line(default_config, capsys, tmp_path):
    prod = environment_of(default_config, "prod")
    install_fake_az(tmp_path / "bin", logged_in=False)
    code, out, err = check(prod, workspace_of(), capsys)
    assert (code, out, len(err)) == (2, [], 1)
    host = prod.databricks.workspace.host
    assert err[0].startswith(f"error: preflight prod: azure-cli: cannot authenticate to {host}: default auth: ")
    assert err[0].endswith(" (run `az login`; is the workspace reachable from here?)")


def test_without_the_azure_cli_preflight_says_so_before_any_call(default_config, capsys, tmp_path, monkeypatch):
    prod = environment_of(default_config, "prod")
    monkeypatch.setenv("PATH", str(tmp_path))  # no `az` anywhere
    workspace = workspace_of()
    code, out, err = check(prod, workspace, capsys)
    assert (code, out, workspace.requests) == (2, [], [])
    assert err == [
        "error: preflight prod: azure-cli: the Azure CLI (`az`) is not on PATH: install it and run `az login`, or "
        "set DATABRICKS_AUTH_TYPE to github-oidc-azure or azure-client-secret"
    ]


def test_a_workspace_that_cannot_be_reached_is_said_so_with_what_to_check(default_config, capsys):
    """A refused connection (a closed port on 127.0.0.1: nothing leaves the machine) is one line naming the
    workspace and what to check, not urllib3's nested repr cut at 300 characters."""
    import socket

    prod = environment_of(default_config, "prod")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    code = preflight(prod, "azure-cli", base_url=closed, timeout_seconds=1)
    err = capsys.readouterr().err.splitlines()
    host = prod.databricks.workspace.host
    assert (code, len(err)) == (2, 1)
    assert err[0] == (
        f"error: preflight prod: azure-cli: cannot authenticate to {host}: cannot connect to 127.0.0.1 (refused or "
        "timed out) (check databricks.workspace.host, and that this machine reaches the workspace: VPN or private "
        "link if its public access is off)"
    )


def test_a_name_that_does_not_resolve_is_said_in_words():
    """The SDK's error when DNS has no answer (databricks-sdk 0.162.0 over urllib3 2, as printed here)."""
    from ops.preflight.checks import reason

    error = ValueError(
        "default auth: azure-cli: HTTPSConnectionPool(host='adb-7405611234567890.10.azuredatabricks.net', port=443): "
        "Max retries exceeded with url: /aad/auth (Caused by NameResolutionError(\"HTTPSConnection(host='adb-"
        "7405611234567890.10.azuredatabricks.net', port=443): Failed to resolve 'adb-7405611234567890.10."
        "azuredatabricks.net' ([Errno -2] Name or service not known)\")). Config: host=https://adb-..."
    )
    assert reason(error) == "the name adb-7405611234567890.10.azuredatabricks.net does not resolve here (DNS)"


def test_a_long_reason_ends_at_a_clause_never_inside_a_word():
    from ops.preflight.checks import MAX_REASON, reason

    sentence = "The workspace refused the request because the token's audience is not the workspace's. "
    said = reason(RuntimeError(sentence * 6))
    assert len(said) <= MAX_REASON + len(" (cut)") and said.endswith("workspace's (cut)")


def test_a_placeholder_workspace_is_refused_with_what_to_replace(capsys):
    """Run directly (not through make, whose require-env says the same), preflight names the placeholders
    instead of timing out on the example host."""
    assert run({"MLPLATFORM_ENVIRONMENTS": "dev"}) == 2
    err = capsys.readouterr().err.splitlines()
    assert (
        "error: config/environments.yaml: environment 'dev': databricks.workspace.host: "
        "'https://adb-1111111111111111.11.azuredatabricks.net' is a placeholder of the embedded default; replace it "
        "with your own before deploying (every value marked PLACEHOLDER in config/environments.yaml)"
    ) in err


def test_a_databricks_credential_is_refused_before_any_call(default_config, capsys):
    prod = environment_of(default_config, "prod")
    workspace = workspace_of()
    code, _, err = check(prod, workspace, capsys, auth_type="pat")
    assert (code, workspace.requests) == (2, [])
    assert err == [
        "error: preflight prod: DATABRICKS_AUTH_TYPE=pat is not an Entra ID method (azure-cli, github-oidc-azure, "
        "azure-client-secret): a Key Vault-backed secret scope needs an Entra ID token"
    ]


def test_the_agents_managed_identity_method_is_not_in_the_python_sdk(default_config, capsys):
    prod = environment_of(default_config, "prod")
    code, _, err = check(prod, workspace_of(), capsys, auth_type="azure-msi")
    assert code == 2
    assert err == [
        "error: preflight prod: DATABRICKS_AUTH_TYPE=azure-msi: the Databricks SDK for Python has no managed-identity "
        "method; run preflight where a person or CI deploys (azure-cli, github-oidc-azure)"
    ]


def test_one_environment_at_a_time(capsys):
    assert run({}) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: preflight checks one environment; select it with ENV=<name> (configured: dev, staging, prod)"
    ]


def test_a_config_mistake_is_reported_as_check_does(capsys):
    assert run({"MLPLATFORM_ENVIRONMENTS": "qa"}) == 2
    assert capsys.readouterr().err.splitlines() == [
        "error: MLPLATFORM_ENVIRONMENTS: unknown environment 'qa'; config/environments.yaml defines: dev, staging, prod"
    ]


def test_the_token_never_appears_in_the_output(default_config, capsys):
    prod = environment_of(default_config, "prod")
    workspace = everything_granted(workspace_of(), prod)
    with serve(workspace) as url:
        preflight(prod, "azure-cli", base_url=url)
    captured = capsys.readouterr()
    assert TOKEN.split(".")[1] not in captured.out + captured.err


def test_what_it_checks_grantable_is_what_the_plan_grants(default_config, default_stacks):
    """The securables the databricks stacks grant on are exactly those the preflight checks the right to grant."""
    for environment in default_config.environments:
        stack = default_stacks[f"mlplatform-{environment.name}-databricks"]
        kinds = {"catalog": "catalog", "schema": "schema", "table": "table", "model": "function"}
        granted = {
            (kinds[kind], grant[kind].lower())
            for grant in resources(stack, "databricks_grant").values()
            for kind in kinds
            if kind in grant
        }
        checked = {(n.kind, n.full_name.lower()) for n in needs(environment) if n.grants}
        assert granted == checked, environment.name


def test_smoke_before_any_deploy_says_to_deploy_first(default_config, capsys):
    """`make smoke` runs the after-deploy checks (tests/test_lifecycle.py runs them after real applies)."""
    prod = environment_of(default_config, "prod")
    with serve(workspace_of()) as url:
        code = preflight(prod, "azure-cli", base_url=url, after_deploy=True, config_prefix="mlplatform")
    out, err = capsys.readouterr()
    assert (code, out, err.splitlines()) == (
        2,
        "",
        ["error: smoke prod: service principal 'mlplatform-prod-ml' does not exist: deploy the databricks layer first"],
    )


def test_preflight_takes_one_flag(capsys):
    assert run({"MLPLATFORM_ENVIRONMENTS": "prod"}, argv=["--after"]) == 2
    assert capsys.readouterr().err.splitlines() == ["error: preflight takes --after-deploy only (got --after)"]
