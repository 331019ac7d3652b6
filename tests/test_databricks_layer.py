"""The databricks layer: principal and role, Key Vault-backed scope, ML cluster, Unity Catalog grants."""

from __future__ import annotations

import pytest

from proof.mock_apply import local_value
from tests.helpers import config_from, mutated, only, ref, resources, strip_metadata, synth_stacks


def app_lookup(stack: dict) -> str:
    """The expression of the app registration's client id, looked up by display name (no state read)."""
    return ref(stack, "azuread_application", "client_id", section="data")


@pytest.fixture(scope="module")
def stacks(default_stacks):
    return default_stacks


@pytest.fixture(scope="module")
def prod(stacks):
    return stacks["mlplatform-prod-databricks"]


@pytest.fixture(scope="module")
def prod_azure(stacks):
    return stacks["mlplatform-prod-azure"]


def test_provider_targets_the_workspace_with_entra_id_and_no_token(prod, stacks, prod_azure):
    provider = prod["provider"]["databricks"][0]
    assert provider["host"] == "https://adb-3333333333333333.13.azuredatabricks.net"
    assert provider["azure_workspace_resource_id"].endswith("/workspaces/dbw-mlplatform-prod")
    assert provider["azure_tenant_id"] == "00000000-0000-0000-0000-000000000000"  # config, as the azure stack's
    assert prod_azure["provider"]["azuread"][0]["tenant_id"] == provider["azure_tenant_id"]
    assert not {"token", "password", "client_secret", "azure_client_secret"} & set(provider)
    # prod runs on agents: their managed identity is pinned; dev runs locally (azure-cli or CI's OIDC).
    assert provider["auth_type"] == "azure-msi"
    assert "auth_type" not in stacks["mlplatform-dev-databricks"]["provider"]["databricks"][0]


def test_service_principal_is_bound_to_the_entra_app_client_id(prod, stacks, prod_azure):
    sp = strip_metadata(only(prod, "databricks_service_principal"))
    assert sp.pop("application_id") == app_lookup(prod)
    assert sp == {
        "display_name": "mlplatform-prod-ml",
        "workspace_access": True,
        "databricks_sql_access": True,
        "allow_cluster_create": False,
        "allow_instance_pool_create": False,
    }


def test_principal_role_is_membership_of_the_ml_automation_group(prod):
    assert only(prod, "databricks_group")["display_name"] == "ml-automation"
    member = only(prod, "databricks_group_member")
    assert member["group_id"] == ref(prod, "databricks_group", "id")
    assert member["member_id"] == ref(prod, "databricks_service_principal", "id")
    assert "databricks_service_principal_role" not in prod["resource"]
    assert "databricks_access_control_rule_set" not in prod["resource"]


def test_secret_scope_is_backed_by_the_azure_layer_vault(prod, stacks, prod_azure):
    scope = only(prod, "databricks_secret_scope")
    assert scope["name"] == "mlplatform-prod-keyvault"
    metadata = scope["keyvault_metadata"]
    # From config (no state read); the azure stack's vault has postconditions holding Azure to these.
    assert metadata == {
        "resource_id": "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg-mlplatform-prod"
        "/providers/Microsoft.KeyVault/vaults/kv-mlplat-prd-0000",
        "dns_name": "https://kv-mlplat-prd-0000.vault.azure.net/",
    }
    assert local_value(prod_azure, "expected_address") == {"id": metadata["resource_id"], "uri": metadata["dns_name"]}
    assert "databricks_secret" not in prod["resource"]  # no Databricks-backed copy of any secret


def test_secret_acls_give_the_principal_read_and_the_admin_group_manage(prod):
    acls = {(a["principal"], a["permission"]) for a in resources(prod, "databricks_secret_acl").values()}
    assert acls == {
        (ref(prod, "databricks_service_principal", "application_id"), "READ"),
        ("ml-platform-admins", "MANAGE"),
    }
    assert {a["scope"] for a in resources(prod, "databricks_secret_acl").values()} == {
        ref(prod, "databricks_secret_scope", "name")
    }


def test_cluster_runs_as_the_principal_on_the_latest_ml_lts_runtime(prod):
    cluster = strip_metadata(only(prod, "databricks_cluster"))
    assert cluster == {
        "cluster_name": "mlplatform-prod-ml",
        "spark_version": ref(prod, "databricks_spark_version", "id", section="data"),
        "node_type_id": ref(prod, "databricks_node_type", "id", section="data"),
        "autoscale": {"min_workers": 2, "max_workers": 8},
        "autotermination_minutes": 60,
        "data_security_mode": "SINGLE_USER",
        "single_user_name": ref(prod, "databricks_service_principal", "application_id"),
        "custom_tags": {"environment": "prod", "cost-center": "ml-prod"},
    }
    assert strip_metadata(only(prod, "databricks_spark_version", section="data")) == {
        "latest": True,
        "long_term_support": True,
        "ml": True,
        "scala": "2.13",
    }
    assert strip_metadata(only(prod, "databricks_node_type", section="data")) == {"local_disk": True, "min_cores": 4}


def _permissions(stack, object_key):
    found = [p for p in resources(stack, "databricks_permissions").values() if object_key in p]
    assert len(found) == 1, "one authoritative databricks_permissions per object"
    return found[0]


def test_cluster_permissions_restart_for_principal_attach_for_users_manage_for_every_deployer(prod):
    """prod's one deployer is the agents' managed identity (application id 5555...): named, so the
    ACL does not follow whoever applies (docs/credentials.md: Deployers)."""
    permissions = _permissions(prod, "cluster_id")
    assert permissions["cluster_id"] == ref(prod, "databricks_cluster", "id")
    assert permissions["access_control"] == [
        {
            "permission_level": "CAN_RESTART",
            "service_principal_name": ref(prod, "databricks_service_principal", "application_id"),
        },
        {"permission_level": "CAN_MANAGE", "service_principal_name": "55555555-5555-5555-5555-555555555555"},
        {"group_name": "ml-engineers", "permission_level": "CAN_ATTACH_TO"},
    ]


def _uc_grants(stack):
    """(securable type, name, principal, privileges) of every databricks_grant in the stack."""
    found = []
    for grant in resources(stack, "databricks_grant").values():
        (kind,) = {"catalog", "schema", "model", "function", "table"} & set(grant)
        found.append((kind, grant[kind], grant["principal"], tuple(grant["privileges"])))
    return sorted(found)


def test_principal_gets_exactly_its_unity_catalog_privileges_non_authoritatively(stacks):
    # prod also has an inference table (ml_prod.monitoring): it adds nothing for the principal.
    for env, catalog in (("dev", "ml_dev"), ("staging", "ml_staging"), ("prod", "ml_prod")):
        stack = stacks[f"mlplatform-{env}-databricks"]
        principal = ref(stack, "databricks_service_principal", "application_id")
        expected = [
            ("catalog", catalog, ("USE_CATALOG",)),  # once, though prod serves two versions
            ("schema", f"{catalog}.models", ("USE_SCHEMA",)),
            # no EXECUTE on the served model: the principal owns it (the ML workflows create it)
            # the ML workflows (tests/test_ml_workflows.py): read the input, write the output schema
            ("schema", f"{catalog}.raw", ("USE_SCHEMA",)),
            ("table", f"{catalog}.raw.customers", ("SELECT",)),
            ("schema", f"{catalog}.scoring", ("USE_SCHEMA", "CREATE_TABLE")),
        ]
        assert _uc_grants(stack) == sorted((k, n, principal, p) for k, n, p in expected), env
        assert "databricks_grants" not in stack["resource"], env


def test_outputs_give_the_cluster_scope_and_principal(prod):
    outputs = {k: v["value"] for k, v in prod["output"].items()}
    assert "databricks_model_serving" not in prod["resource"]  # the serving stack has it
    assert outputs == {
        "cluster_id": ref(prod, "databricks_cluster", "id"),
        "secret_scope_name": ref(prod, "databricks_secret_scope", "name"),
        "principal_application_id": ref(prod, "databricks_service_principal", "application_id"),
    }


def test_no_stack_reads_another_stacks_state(stacks):
    """The azure state holds the client passwords: terraform_remote_state would hand it to whoever
    plans the databricks layer (it needs the whole snapshot, not just outputs)."""
    for name, stack in stacks.items():
        assert "terraform_remote_state" not in stack.get("data", {}), name
        assert "cross-stack" not in str(stack.get("output", {})), name


def test_the_client_id_is_looked_up_by_the_app_display_name(stacks):
    for env in ("dev", "staging", "prod"):
        databricks, azure = stacks[f"mlplatform-{env}-databricks"], stacks[f"mlplatform-{env}-azure"]
        lookup = strip_metadata(only(databricks, "azuread_application", section="data"))
        (postcondition,) = lookup.pop("lifecycle")["postcondition"]
        assert lookup == {"display_name": only(azure, "azuread_application")["display_name"]}
        # the app found must be owned by a deployer: a same-named app someone else registered is refused
        ((owners_local, owners),) = [(k, v) for k, v in databricks["locals"].items() if "expected_owners" in k]
        assert owners == only(azure, "azuread_application")["owners"]
        assert postcondition["condition"] == f"${{(length(setintersection(self.owners, local.{owners_local})) > 0)}}"
        assert lookup["display_name"] == f"mlplatform-{env}-ml"
        assert databricks["provider"]["azuread"][0] == {"tenant_id": azure["provider"]["azuread"][0]["tenant_id"]}
        assert only(databricks, "databricks_cluster")["single_user_name"] == ref(
            databricks, "databricks_service_principal", "application_id"
        )


def test_databricks_stack_depends_on_its_own_environment_azure_stack_only(default_outdir):
    import json

    manifest = json.loads((default_outdir / "manifest.json").read_text())
    for env in ("dev", "staging", "prod"):
        assert manifest["stacks"][f"mlplatform-{env}-databricks"]["dependencies"] == [f"mlplatform-{env}-azure"]
        assert manifest["stacks"][f"mlplatform-{env}-azure"]["dependencies"] == []


STATES = {
    "cloud": {"backend": "cloud", "organization": "acme", "hostname": "tfe.acme.example", "project": "ml-platform"},
    "azurerm": {
        "backend": "azurerm",
        "resource_group_name": "rg-tfstate",
        "storage_account_name": "sttfstate01",
        "container_name": "tfstate",
        "tenant_id": "00000000-0000-0000-0000-000000000000",
    },
    "local": {"backend": "local"},
}


@pytest.mark.parametrize("kind", sorted(STATES))
def test_layers_agree_on_vault_secret_and_tenant_from_config_for_every_backend_kind(kind):
    def change(raw):
        raw["state"] = STATES[kind]
        raw["environments"] = {"dev": raw["environments"]["dev"]}

    stacks = synth_stacks(config_from(mutated(change)))
    azure, databricks = stacks["mlplatform-dev-azure"], stacks["mlplatform-dev-databricks"]
    assert "terraform_remote_state" not in databricks["data"]
    expected = local_value(azure, "expected_address")
    assert only(databricks, "databricks_secret_scope")["keyvault_metadata"] == {
        "resource_id": expected["id"],
        "dns_name": expected["uri"],
    }
    assert expected["id"].endswith(f"/vaults/{only(azure, 'azurerm_key_vault')['name']}")
    assert databricks["provider"]["databricks"][0]["azure_tenant_id"] == only(azure, "azurerm_key_vault")["tenant_id"]


@pytest.fixture(scope="module")
def knobs():
    """A dev-only synthesis with every databricks knob turned away from its default."""

    def change(raw):
        raw["environments"] = {"dev": raw["environments"]["dev"]}
        # one deployer, the CI app: the ADLS conf below references a secret (config: one deployer then)
        raw["environments"]["dev"]["azure"]["deployers"] = raw["environments"]["dev"]["azure"]["deployers"][1:]
        dbx = raw["environments"]["dev"]["databricks"]
        dbx["service_principal"] = {
            "display_name": "churn-bot",
            "entitlements": {"workspace_access": False, "databricks_sql_access": False, "allow_cluster_create": True},
            "group": {"name": "data-science", "create": False},
            "user_groups": ["ml-engineers"],
            "manager_groups": ["ml-platform-admins"],
            "account_id": "55555555-5555-5555-5555-555555555555",
        }
        dbx["secret_scope"] = {"name": "churn-kv"}
        dbx["cluster"].update(
            spark_version="15.4.x-cpu-ml-scala2.12",
            node_type_id="Standard_D8ds_v5",
            principal_permission="CAN_MANAGE",
            pypi_packages=["mlflow==2.19.0"],
            adls={"storage_account": "stmldata01"},
        )
        dbx["serving"]["principal_permission"] = "CAN_MANAGE"
        dbx["serving"]["served_models"][0].update(
            environment_vars={"LOG_LEVEL": "INFO"},
            secret_environment_vars={"FEATURE_STORE_KEY": "feature-key"},
        )

    return synth_stacks(config_from(mutated(change)))["mlplatform-dev-databricks"]


def test_entitlements_and_existing_group_follow_config(knobs):
    sp = only(knobs, "databricks_service_principal")
    assert (sp["workspace_access"], sp["databricks_sql_access"], sp["allow_cluster_create"]) == (False, False, True)
    assert "databricks_group" not in knobs["resource"]
    assert only(knobs, "databricks_group_member")["group_id"] == ref(knobs, "databricks_group", "id", section="data")


def test_groups_that_may_use_or_manage_the_principal_get_its_rule_set(knobs):
    rule_set = only(knobs, "databricks_access_control_rule_set")
    app_id = ref(knobs, "databricks_service_principal", "application_id")
    assert (
        rule_set["name"] == f"accounts/55555555-5555-5555-5555-555555555555/servicePrincipals/{app_id}/ruleSets/default"
    )
    # the deployer, named (not read from whoever applies, which would move with each apply)
    deployers = ["servicePrincipals/68686868-6868-6868-6868-686868686868"]
    assert "databricks_current_user" not in knobs.get("data", {})
    assert rule_set["grant_rules"] == [
        {"principals": ["groups/ml-engineers"], "role": "roles/servicePrincipal.user"},
        {"principals": [*deployers, "groups/ml-platform-admins"], "role": "roles/servicePrincipal.manager"},
    ]


def test_pinned_runtime_and_node_type_skip_the_lookups(knobs):
    cluster = only(knobs, "databricks_cluster")
    assert cluster["spark_version"] == "15.4.x-cpu-ml-scala2.12"
    assert cluster["node_type_id"] == "Standard_D8ds_v5"
    assert "databricks_spark_version" not in knobs.get("data", {})
    assert cluster["library"] == [{"pypi": {"package": "mlflow==2.19.0"}}]
    assert _permissions(knobs, "cluster_id")["access_control"][0]["permission_level"] == "CAN_MANAGE"


def test_adls_oauth_reads_the_client_secret_as_a_scope_reference(knobs):
    conf = only(knobs, "databricks_cluster")["spark_conf"]
    suffix = "stmldata01.dfs.core.windows.net"
    scope = ref(knobs, "databricks_secret_scope", "name")
    secret = conf[f"fs.azure.account.oauth2.client.secret.{suffix}"]
    assert secret == f"{{{{secrets/{scope}/ml-client-secret}}}}"
    assert conf[f"fs.azure.account.auth.type.{suffix}"] == "OAuth"
    assert conf[f"fs.azure.account.oauth2.client.id.{suffix}"] == app_lookup(knobs)
    assert (
        conf[f"fs.azure.account.oauth2.client.endpoint.{suffix}"]
        == "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/oauth2/token"
    )


def test_the_configured_scope_name_is_used(knobs):
    assert only(knobs, "databricks_secret_scope")["name"] == "churn-kv"
