"""The local workspace keeps its word: each named rule does what it says, as a client sees it over
HTTP (the Databricks SDK for Python), and is gone when switched off. A rule without a test here fails
`test_every_rule_has_a_source_and_a_test`.
"""

from __future__ import annotations

import inspect
import sys

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError

from tests.local_workspace import RULES, LocalWorkspace, serve

ADMIN, USER, SP = "ana@example.com", "bo@example.com", "11111111-0000-4000-8000-0000000000a1"


@pytest.fixture
def workspace(request):
    """A workspace with an admin, a user and a service principal, each with a token; marked
    `rules_off(...)` switches those rules off."""
    off = request.node.get_closest_marker("rules_off")
    workspace = LocalWorkspace(rules_off=off.args if off else ())
    workspace.add_user(ADMIN, token="t-admin", admin=True)
    workspace.add_user(USER, token="t-user")
    workspace.add_service_principal(SP, "ml", token="t-sp")
    workspace.add_token(ADMIN, "t-pat", entra=False)
    return workspace


@pytest.fixture
def call(workspace):
    """`call(method, path, body=None, as_=token, **query)` -> the JSON answer; raises DatabricksError."""
    with serve(workspace) as url:
        clients: dict[str, WorkspaceClient] = {}

        def do(method, path, body=None, as_="t-admin", **query):
            client = clients.setdefault(as_, WorkspaceClient(host=url, token=as_, auth_type="pat"))
            return client.api_client.do(method, path, body=body, query=query or None)

        yield do


def _error(call, *args, **kwargs) -> DatabricksError:
    with pytest.raises(DatabricksError) as caught:
        call(*args, **kwargs)
    return caught.value


JOB = {
    "name": "j",
    "run_as": {"service_principal_name": SP},
    "job_clusters": [{"job_cluster_key": "ml", "new_cluster": {"apply_policy_default_values": True, "num_workers": 1}}],
}


def test_every_rule_has_a_source_and_a_test():
    source = inspect.getsource(sys.modules[__name__])
    for name, rule in RULES.items():
        assert rule.behaviour and rule.source, name
        assert f'"{name}"' in source, f"rule {name} has no test here"


def test_an_unknown_rule_cannot_be_switched_off():
    with pytest.raises(ValueError, match="unknown rules"):
        LocalWorkspace(rules_off=["jobs.no_such_rule"])


def test_a_request_without_a_known_token_is_refused(workspace, call):
    error = _error(call, "GET", "/api/2.0/preview/scim/v2/Me", as_="nobody")
    assert error.error_code == "UNAUTHENTICATED" and str(error).startswith("Invalid access token.")
    assert (workspace.requests[-1].caller, workspace.requests[-1].status) == (None, 401)


def test_a_route_it_does_not_know_is_recorded(workspace, call):
    _error(call, "GET", "/api/2.0/no-such-api")
    assert workspace.unhandled == [("GET", "/api/2.0/no-such-api")]


# --- jobs ---


def test_policy_defaults_are_not_returned(call):  # "jobs.apply_policy_default_values_not_returned"
    job_id = call("POST", "/api/2.2/jobs/create", JOB)["job_id"]
    cluster = call("GET", "/api/2.2/jobs/get", job_id=job_id)["settings"]["job_clusters"][0]["new_cluster"]
    assert "apply_policy_default_values" not in cluster


@pytest.mark.rules_off("jobs.apply_policy_default_values_not_returned")
def test_policy_defaults_are_stored_without_the_rule(call):
    job_id = call("POST", "/api/2.2/jobs/create", JOB)["job_id"]
    cluster = call("GET", "/api/2.2/jobs/get", job_id=job_id)["settings"]["job_clusters"][0]["new_cluster"]
    assert cluster["apply_policy_default_values"] is True


def test_run_as_is_answered_at_the_top_level(call):  # "jobs.run_as_write_only"
    job = call("GET", "/api/2.2/jobs/get", job_id=call("POST", "/api/2.2/jobs/create", JOB)["job_id"])
    assert job["run_as_user_name"] == SP and "run_as" not in job["settings"]


def test_the_creator_owns_the_job(call):  # "jobs.creator_is_owner"
    job_id = call("POST", "/api/2.2/jobs/create", {"name": "j"}, as_="t-user")["job_id"]
    acl = call("GET", f"/api/2.0/permissions/jobs/{job_id}")["access_control_list"]
    assert {"user_name": USER, "all_permissions": [{"permission_level": "IS_OWNER", "inherited": False}]} in acl


def test_run_as_a_service_principal_needs_an_admin(call):  # "jobs.run_as_service_principal_needs_admin"
    error = _error(call, "POST", "/api/2.2/jobs/create", JOB, as_="t-user")
    assert error.error_code == "PERMISSION_DENIED" and "Service Principal User role" in str(error)


def test_missing_jobs_and_clusters_are_a_400(call):  # "jobs.missing_job_is_400", "compute.missing_cluster_is_400"
    job = _error(call, "GET", "/api/2.2/jobs/get", job_id=42)
    cluster = _error(call, "GET", "/api/2.1/clusters/get", cluster_id="0000-000000-none")
    assert (job.error_code, str(job)) == ("INVALID_PARAMETER_VALUE", "Job 42 does not exist.")
    assert (cluster.error_code, str(cluster)) == ("INVALID_PARAMETER_VALUE", "Cluster 0000-000000-none does not exist")


def test_job_settings_get_their_defaults(call):  # "jobs.settings_defaults"
    settings = call("GET", "/api/2.2/jobs/get", job_id=call("POST", "/api/2.2/jobs/create", {"name": "j"})["job_id"])[
        "settings"
    ]
    assert (settings["format"], settings["email_notifications"], settings["max_concurrent_runs"]) == (
        "MULTI_TASK",
        {},
        1,
    )


# --- permissions ---


def test_admins_inherit_and_creators_manage(call):  # "permissions.admins_inherit", "permissions.creator_manages"
    cluster_id = call("POST", "/api/2.1/clusters/create", {"cluster_name": "c"}, as_="t-user")["cluster_id"]
    acl = {
        (e.get("user_name") or e.get("group_name")): e["all_permissions"][0]
        for e in call("GET", f"/api/2.0/permissions/clusters/{cluster_id}")["access_control_list"]
    }
    assert acl[USER] == {"permission_level": "CAN_MANAGE", "inherited": False}
    assert acl["admins"] == {
        "permission_level": "CAN_MANAGE",
        "inherited": True,
        "inherited_from_object": ["/clusters/"],
    }


def test_a_set_replaces_entries_and_keeps_the_job_owner(call):  # "permissions.set_replaces_direct_entries"
    job_id = call("POST", "/api/2.2/jobs/create", {"name": "j"})["job_id"]
    path = f"/api/2.0/permissions/jobs/{job_id}"
    call("PUT", path, {"access_control_list": [{"user_name": USER, "permission_level": "CAN_VIEW"}]})
    levels = {
        e.get("user_name"): e["all_permissions"][0]["permission_level"]
        for e in call("GET", path)["access_control_list"]
    }
    assert levels == {ADMIN: "IS_OWNER", USER: "CAN_VIEW", None: "CAN_MANAGE"}  # None: the admins group
    two = [{"user_name": u, "permission_level": "IS_OWNER"} for u in (ADMIN, USER)]
    assert "only one owner" in str(_error(call, "PUT", path, {"access_control_list": two}))


def test_acl_entries_name_principals_that_exist(call):  # "permissions.principals_must_exist"
    cluster_id = call("POST", "/api/2.1/clusters/create", {"cluster_name": "c"})["cluster_id"]
    entry = {"group_name": "nobody", "permission_level": "CAN_RESTART"}
    error = _error(call, "PUT", f"/api/2.0/permissions/clusters/{cluster_id}", {"access_control_list": [entry]})
    assert str(error) == "Principal: GroupName(nobody) does not exist"


# --- SCIM ---


def test_user_names_are_lower_case(call):  # "scim.user_names_lower_case"
    created = call("POST", "/api/2.0/preview/scim/v2/Users", {"userName": "Cy@Example.com"})
    assert created["userName"] == "cy@example.com"


def test_principals_and_groups_are_unique(call):  # "scim.service_principal_unique", "scim.group_unique"
    error = _error(call, "POST", "/api/2.0/preview/scim/v2/ServicePrincipals", {"applicationId": SP})
    assert str(error).endswith(f"Service principal with application ID {SP} already exists.")  # the Go SDK trims
    assert "already exists" in str(_error(call, "POST", "/api/2.0/preview/scim/v2/Groups", {"displayName": "admins"}))


# --- secrets ---

VAULT = {
    "resource_id": "/subscriptions/x/resourceGroups/r/providers/Microsoft.KeyVault/vaults/kv",
    "dns_name": "https://kv.vault.azure.net/",
}
SCOPE = {"scope": "s", "scope_backend_type": "AZURE_KEYVAULT", "backend_azure_keyvault": VAULT}


def test_a_key_vault_scope_needs_an_entra_token(call):  # "secrets.key_vault_scope_needs_entra_token"
    error = _error(call, "POST", "/api/2.0/secrets/scopes/create", SCOPE, as_="t-pat")
    assert str(error) == "Scope with Azure KeyVault must have userAADToken defined!"
    call("POST", "/api/2.0/secrets/scopes/create", SCOPE)


def test_the_scope_creator_manages_it_and_acls_name_principals_that_exist(call):
    # "secrets.creator_manages_scope", "secrets.acl_principal_must_exist"
    call("POST", "/api/2.0/secrets/scopes/create", SCOPE)
    assert call("GET", "/api/2.0/secrets/acls/list", scope="s")["items"] == [
        {"principal": ADMIN, "permission": "MANAGE"}
    ]
    error = _error(
        call, "POST", "/api/2.0/secrets/acls/put", {"scope": "s", "principal": "nobody", "permission": "READ"}
    )
    assert error.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_a_key_vault_scope_lists_the_vault_it_can_read(workspace, call):  # "secrets.key_vault_scope_reads_the_vault"
    call("POST", "/api/2.0/secrets/scopes/create", SCOPE)
    assert _error(call, "GET", "/api/2.0/secrets/list", scope="s").error_code == "PERMISSION_DENIED"
    workspace.secrets.vaults[VAULT["resource_id"].lower()] = ["ml-client-secret"]
    assert call("GET", "/api/2.0/secrets/list", scope="s")["secrets"] == [{"key": "ml-client-secret"}]


def test_reading_a_scope_needs_read_on_it_or_admin(workspace, call):  # "secrets.reading_needs_read_acl"
    call("POST", "/api/2.0/secrets/scopes/create", SCOPE)
    workspace.secrets.vaults[VAULT["resource_id"].lower()] = ["ml-client-secret"]
    error = _error(call, "GET", "/api/2.0/secrets/list", scope="s", as_="t-sp")
    assert error.error_code == "PERMISSION_DENIED"  # the SDK adds its config to a 403's message
    assert str(error).startswith(f"User {SP} does not have READ permission on scope s. Config: host=")
    assert (workspace.requests[-1].path, workspace.requests[-1].status) == ("/api/2.0/secrets/list", 403)
    call("POST", "/api/2.0/secrets/acls/put", {"scope": "s", "principal": SP, "permission": "READ"})
    assert call("GET", "/api/2.0/secrets/list", scope="s", as_="t-sp")["secrets"] == [{"key": "ml-client-secret"}]
    assert _error(call, "GET", "/api/2.0/secrets/list", scope="s", as_="t-user").error_code == "PERMISSION_DENIED"
    call("POST", "/api/2.0/secrets/acls/put", {"scope": "s", "principal": "users", "permission": "WRITE"})
    assert call("GET", "/api/2.0/secrets/list", scope="s", as_="t-user")["secrets"] == [{"key": "ml-client-secret"}]


@pytest.mark.rules_off("secrets.reading_needs_read_acl")
def test_without_the_rule_anyone_reads_a_scope(workspace, call):
    call("POST", "/api/2.0/secrets/scopes/create", SCOPE)
    workspace.secrets.vaults[VAULT["resource_id"].lower()] = ["ml-client-secret"]
    assert call("GET", "/api/2.0/secrets/list", scope="s", as_="t-sp")["secrets"] == [{"key": "ml-client-secret"}]


# --- compute ---


def test_a_cluster_reads_back_with_what_the_service_fills_in(call):
    # "compute.cluster_defaults", "compute.libraries_installed_on_running_cluster"
    cluster_id = call("POST", "/api/2.1/clusters/create", {"cluster_name": "c", "node_type_id": "Standard_F4s"})[
        "cluster_id"
    ]
    cluster = call("GET", "/api/2.1/clusters/get", cluster_id=cluster_id)
    assert (cluster["state"], cluster["driver_node_type_id"], cluster["enable_elastic_disk"]) == (
        "RUNNING",
        "Standard_F4s",
        True,
    )
    call("POST", "/api/2.0/libraries/install", {"cluster_id": cluster_id, "libraries": [{"pypi": {"package": "x"}}]})
    (status,) = call("GET", "/api/2.0/libraries/cluster-status", cluster_id=cluster_id)["library_statuses"]
    assert status["status"] == "INSTALLED"


def test_only_the_creator_edits_a_cluster_that_references_secrets(call):  # "compute.only_owner_changes_secrets"
    conf = {"spark_conf": {"fs.azure.account.oauth2.client.secret.x": "{{secrets/s/k}}"}}
    cluster_id = call("POST", "/api/2.1/clusters/create", {"cluster_name": "c", **conf})["cluster_id"]
    edit = {"cluster_id": cluster_id, "cluster_name": "c", "spark_version": "17.3.x-cpu-ml-scala2.13", **conf}
    error = _error(call, "POST", "/api/2.1/clusters/edit", edit, as_="t-sp")
    assert str(error) == "Only Cluster Owner is allowed to change the secrets."
    call("POST", "/api/2.1/clusters/edit", edit)  # its creator may


def test_policy_names_are_unique(call):  # "compute.policy_name_unique"
    call("POST", "/api/2.0/policies/clusters/create", {"name": "p", "definition": "{}"})
    assert "already exists" in str(
        _error(call, "POST", "/api/2.0/policies/clusters/create", {"name": "p", "definition": "{}"})
    )


# --- Unity Catalog ---


def test_names_are_lower_case_and_privileges_inherit(workspace, call):
    # "uc.names_lower_case", "uc.effective_privileges_inherit"
    workspace.uc.add("table", "Cat.Raw.Customers")
    workspace.uc.grant("catalog", "cat", USER, "USE_CATALOG")
    assert call("GET", "/api/2.1/unity-catalog/tables/CAT.raw.customers")["full_name"] == "cat.raw.customers"
    (assignment,) = call("GET", "/api/2.1/unity-catalog/effective-permissions/table/cat.raw.customers")[
        "privilege_assignments"
    ]
    assert assignment["privileges"] == [
        {"privilege": "USE_CATALOG", "inherited_from_type": "CATALOG", "inherited_from_name": "cat"}
    ]


def _model(call, **changes):
    call("PATCH", "/api/2.1/unity-catalog/models/cat.ml.m", changes) if changes else None


def test_only_the_owner_writes_versions_and_aliases(workspace, call):  # "uc.owner_writes_versions_and_aliases"
    workspace.uc.add("schema", "cat.ml")
    call("POST", "/api/2.1/unity-catalog/models", {"catalog_name": "cat", "schema_name": "ml", "name": "m"})
    call("PATCH", "/api/2.1/unity-catalog/models/cat.ml.m", {"owner": SP})
    create = ("POST", "/api/2.0/mlflow/unity-catalog/model-versions/create", {"name": "cat.ml.m", "source": "s"})
    assert _error(call, *create).error_code == "PERMISSION_DENIED"
    assert call(*create, as_="t-sp")["model_version"]["version"] == "1"
    alias = ("PUT", "/api/2.1/unity-catalog/models/cat.ml.m/aliases/champion", {"version_num": 1})
    assert _error(call, *alias).error_code == "PERMISSION_DENIED"
    call(*alias, as_="t-sp")


def test_owners_grantees_and_parents_must_exist(workspace, call):
    # "uc.owner_must_exist", "uc.grantee_must_exist", "uc.parent_must_exist"
    model = {"catalog_name": "cat", "schema_name": "ml", "name": "m"}
    assert _error(call, "POST", "/api/2.1/unity-catalog/models", model).error_code == "SCHEMA_DOES_NOT_EXIST"
    workspace.uc.add("schema", "cat.ml")
    call("POST", "/api/2.1/unity-catalog/models", model)
    assert "Could not find principal" in str(
        _error(call, "PATCH", "/api/2.1/unity-catalog/models/cat.ml.m", {"owner": "x"})
    )
    change = {"changes": [{"principal": "x", "add": ["USE_SCHEMA"]}]}
    assert "Could not find principal" in str(
        _error(call, "PATCH", "/api/2.1/unity-catalog/permissions/schema/cat.ml", change)
    )


# --- serving ---


def _endpoint(workspace, call, *, version="1", gateway=None):
    workspace.uc.add("function", "cat.ml.m", owner=SP)
    workspace.uc.add_version("cat.ml.m", SP)
    entity = {
        "entity_name": "cat.ml.m",
        "entity_version": version,
        "workload_size": "Small",
        "scale_to_zero_enabled": True,
    }
    body = {"name": "e", "config": {"served_entities": [entity]}, **({"ai_gateway": gateway} if gateway else {})}
    return call("POST", "/api/2.0/serving-endpoints", body), entity


def test_a_config_is_applied_at_the_next_read_or_fails_on_a_missing_version(workspace, call):
    # "serving.config_applied_async"
    created, _ = _endpoint(workspace, call)
    assert created["state"] == {"ready": "NOT_READY", "config_update": "IN_PROGRESS"}
    assert call("GET", "/api/2.0/serving-endpoints/e")["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}
    call(
        "PUT",
        "/api/2.0/serving-endpoints/e/config",
        {"served_entities": [{"entity_name": "cat.ml.m", "entity_version": "9", "scale_to_zero_enabled": True}]},
    )
    answer = call("GET", "/api/2.0/serving-endpoints/e")
    assert answer["state"]["config_update"] == "UPDATE_FAILED"
    assert answer["config"]["served_entities"][0]["entity_version"] == "1"  # the previous config keeps serving


def test_an_update_without_scale_to_zero_is_refused(workspace, call):  # "serving.scale_to_zero_required_on_update"
    _, entity = _endpoint(workspace, call)
    call("GET", "/api/2.0/serving-endpoints/e")
    del entity["scale_to_zero_enabled"]
    error = _error(call, "PUT", "/api/2.0/serving-endpoints/e/config", {"served_entities": [entity]})
    assert str(error) == "scaleToZeroEnabled is undefined. Please set it to either true or false."


def test_routes_and_entities_answer_both_names_and_names_are_unique(workspace, call):
    # "serving.routes_name_both", "serving.name_unique"
    _endpoint(workspace, call)
    config = call("GET", "/api/2.0/serving-endpoints/e")["config"]
    assert config["served_models"][0]["model_name"] == config["served_entities"][0]["entity_name"] == "cat.ml.m"
    assert _error(call, "POST", "/api/2.0/serving-endpoints", {"name": "e"}).error_code == "RESOURCE_ALREADY_EXISTS"


INVOCATIONS = ("POST", "/serving-endpoints/e/invocations", {"dataframe_records": [{"tenure": 3}, {"tenure": 9}]})


def test_an_endpoint_is_read_queried_and_changed_only_at_its_levels(workspace, call):
    # "serving.endpoint_permissions_enforced"
    _endpoint(workspace, call)
    endpoint_id = call("GET", "/api/2.0/serving-endpoints/e")["id"]
    get = ("GET", "/api/2.0/serving-endpoints/e")
    error = _error(call, *get, as_="t-user")
    assert error.error_code == "PERMISSION_DENIED"
    assert str(error).startswith(f"User {USER} does not have CAN_VIEW permission on serving endpoint 'e'. Config:")
    assert (workspace.requests[-1].caller, workspace.requests[-1].status) == (USER, 403)
    for level, allowed, refused in (("CAN_VIEW", get, INVOCATIONS), ("CAN_QUERY", INVOCATIONS, ("DELETE", get[1]))):
        entry = {"user_name": USER, "permission_level": level}
        call("PATCH", f"/api/2.0/permissions/serving-endpoints/{endpoint_id}", {"access_control_list": [entry]})
        call(*allowed, as_="t-user")
        assert _error(call, *refused, as_="t-user").error_code == "PERMISSION_DENIED"
    assert call(*get, as_="t-user")["permission_level"] == "CAN_QUERY"
    assert call(*INVOCATIONS, as_="t-user") == {"predictions": [0, 0]}
    assert call(*get)["permission_level"] == "CAN_MANAGE"  # an admin


@pytest.mark.rules_off("serving.endpoint_permissions_enforced")
def test_without_the_rule_anyone_reads_and_queries_an_endpoint(workspace, call):
    _endpoint(workspace, call)
    assert "permission_level" not in call("GET", "/api/2.0/serving-endpoints/e", as_="t-user")
    assert call(*INVOCATIONS, as_="t-user") == {"predictions": [0, 0]}


def test_an_inference_table_outlives_its_endpoint(workspace, call):  # "serving.inference_table_created_and_kept"
    workspace.uc.add("schema", "cat.logs")
    table = {"enabled": True, "catalog_name": "cat", "schema_name": "logs", "table_name_prefix": "e"}
    _endpoint(workspace, call, gateway={"inference_table_config": table})
    call("DELETE", "/api/2.0/serving-endpoints/e")
    assert workspace.uc.get("table", "cat.logs.e_payload").owner == ADMIN


# --- access control rule sets ---


def test_a_rule_set_starts_with_its_creator_and_updates_need_its_etag(call):
    # "access_control.creator_manages_service_principal", "access_control.etag_must_match"
    app = "22222222-0000-4000-8000-0000000000b2"
    call("POST", "/api/2.0/preview/scim/v2/ServicePrincipals", {"applicationId": app})
    name = f"accounts/a/servicePrincipals/{app}/ruleSets/default"
    rule_set = call("GET", "/api/2.0/preview/accounts/access-control/rule-sets", name=name, etag="")
    assert rule_set["grant_rules"] == [{"role": "roles/servicePrincipal.manager", "principals": [f"users/{ADMIN}"]}]
    stale = {"name": name, "rule_set": {"name": name, "etag": "etag-0", "grant_rules": []}}
    assert (
        _error(call, "PUT", "/api/2.0/preview/accounts/access-control/rule-sets", stale).error_code
        == "RESOURCE_CONFLICT"
    )
    current = {"name": name, "rule_set": {"name": name, "etag": rule_set["etag"], "grant_rules": []}}
    assert call("PUT", "/api/2.0/preview/accounts/access-control/rule-sets", current)["etag"] == "etag-2"
