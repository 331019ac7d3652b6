"""KeyVaultBackedSecretScope on its own: a window onto the vault, ACL grants, references instead of values."""

from __future__ import annotations

from cdktf import TerraformOutput

from constructs_lib.principals import Principal
from constructs_lib.secret_scope import KeyVaultBackedSecretScope, KeyVaultBackedSecretScopeProps
from tests.helpers import logical_id, only, ref, resources, strip_metadata

PROPS = KeyVaultBackedSecretScopeProps(
    name="mlplatform-dev-keyvault", key_vault_id="${var.vault_id}", key_vault_uri="${var.vault_uri}"
)
ML = Principal.service_principal("${var.app_id}", "ml")


def test_scope_is_backed_by_the_vault_and_holds_nothing_itself(bare_stack, synth):
    KeyVaultBackedSecretScope(bare_stack, "secret_scope", PROPS)
    stack = synth(bare_stack)
    assert sorted(stack["resource"]) == ["databricks_secret_scope"]
    assert strip_metadata(only(stack, "databricks_secret_scope")) == {
        "name": "mlplatform-dev-keyvault",
        "keyvault_metadata": {"resource_id": "${var.vault_id}", "dns_name": "${var.vault_uri}"},
    }


def test_read_and_manage_grants_are_one_acl_each_on_this_scope(bare_stack, synth):
    scope = KeyVaultBackedSecretScope(bare_stack, "secret_scope", PROPS)
    read = scope.grant_read(ML)
    manage = scope.grant_manage(Principal.group("ML Admins"))
    write = scope.grant(ML, "WRITE")
    stack = synth(bare_stack)
    name = ref(stack, "databricks_secret_scope", "name")
    assert strip_metadata(resources(stack, "databricks_secret_acl")) == {
        logical_id(stack, "databricks_secret_acl", "read_ml"): {
            "scope": name,
            "principal": "${var.app_id}",
            "permission": "READ",
        },
        logical_id(stack, "databricks_secret_acl", "manage_group_ml_admins"): {
            "scope": name,
            "principal": "ML Admins",
            "permission": "MANAGE",
        },
        logical_id(stack, "databricks_secret_acl", "write_ml"): {
            "scope": name,
            "principal": "${var.app_id}",
            "permission": "WRITE",
        },
    }
    assert [g.friendly_unique_id for g in (read, manage, write)] == [
        logical_id(stack, "databricks_secret_acl", fragment) for fragment in ("read_ml", "manage_group", "write_ml")
    ]


def test_reference_names_the_scope_by_reference_so_users_depend_on_it(bare_stack, synth):
    scope = KeyVaultBackedSecretScope(bare_stack, "secret_scope", PROPS)
    TerraformOutput(bare_stack, "reference", value=scope.reference("ml-client-secret"))
    stack = synth(bare_stack)
    name = ref(stack, "databricks_secret_scope", "name")
    assert stack["output"]["reference"]["value"] == "{{secrets/" + name + "/ml-client-secret}}"
