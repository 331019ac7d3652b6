"""HardenedKeyVault on its own: the secret waits for the officer grant to propagate; misuse is an error."""

from __future__ import annotations

import dataclasses

import pytest

from constructs_lib.key_vault import HardenedKeyVault, KeyVaultProps
from constructs_lib.principals import AzurePrincipal
from tests.helpers import logical_id, only, ref, resources, strip_metadata

PROPS = KeyVaultProps(
    name="kv-test-0000",
    resource_group_name="rg",
    location="westeurope",
    tenant_id="00000000-0000-0000-0000-000000000000",
    sku="standard",
    soft_delete_retention_days=90,
    public_network_access_enabled=True,
    network_default_action="Deny",
    allowed_ip_ranges=(),
    prevent_destroy=False,
)
DEPLOYER = AzurePrincipal("00000000-0000-0000-0000-0000000000aa", "deployer")


def _secret(vault: HardenedKeyVault):
    return vault.add_secret(
        "secret", name="s", value="${var.v}", expiration_date="2030-01-01T00:00:00Z", content_type="text/plain"
    )


def test_secret_depends_on_a_wait_that_depends_on_the_officer_grant(bare_stack, synth):
    vault = HardenedKeyVault(bare_stack, "kv", PROPS)
    grant = vault.grant_secrets_officer(DEPLOYER)
    _secret(vault)
    stack = synth(bare_stack)
    (grant_id,) = stack["resource"]["azurerm_role_assignment"]
    ((wait_id, wait),) = stack["resource"]["time_sleep"].items()
    assert stack["resource"]["azurerm_role_assignment"][grant_id]["role_definition_name"] == "Key Vault Secrets Officer"
    assert wait["create_duration"] == "120s"
    assert wait["depends_on"] == [f"azurerm_role_assignment.{grant_id}"]
    assert wait["triggers"] == {"role_assignment_id": f"${{azurerm_role_assignment.{grant_id}.id}}"}
    (secret,) = stack["resource"]["azurerm_key_vault_secret"].values()
    assert secret["depends_on"] == [f"time_sleep.{wait_id}"]
    assert grant.friendly_unique_id == grant_id


def test_secrets_user_grant_makes_no_wait(bare_stack, synth):
    vault = HardenedKeyVault(bare_stack, "kv", PROPS)
    vault.grant_secrets_user(AzurePrincipal.service_principal("${var.sp}", "reader"))
    assert "time_sleep" not in synth(bare_stack)["resource"]


def test_add_secret_before_the_officer_grant_fails_with_what_to_do(bare_stack):
    vault = HardenedKeyVault(bare_stack, "kv", PROPS)
    vault.grant_secrets_user(AzurePrincipal.service_principal("${var.sp}", "reader"))
    with pytest.raises(
        ValueError,
        match=r"add_secret\('secret'\) before grant_secrets_officer.*call "
        r"vault\.grant_secrets_officer\(deployer\) first",
    ):
        _secret(vault)


def test_vault_is_rbac_authorized_purge_protected_and_firewalled(bare_stack, synth):
    vault = HardenedKeyVault(
        bare_stack, "kv", dataclasses.replace(PROPS, allowed_ip_ranges=("203.0.113.7",), tags={"environment": "dev"})
    )
    stack = synth(bare_stack)
    assert sorted(stack["resource"]) == ["azurerm_key_vault"]
    assert strip_metadata(only(stack, "azurerm_key_vault")) == {
        "name": "kv-test-0000",
        "resource_group_name": "rg",
        "location": "westeurope",
        "tenant_id": "00000000-0000-0000-0000-000000000000",
        "sku_name": "standard",
        "rbac_authorization_enabled": True,
        "purge_protection_enabled": True,
        "soft_delete_retention_days": 90,
        "public_network_access_enabled": True,
        "network_acls": {"default_action": "Deny", "bypass": "AzureServices", "ip_rules": ["203.0.113.7"]},
        "tags": {"environment": "dev"},
    }
    assert vault.vault_id.startswith("${TfToken[")


def test_prevent_destroy_and_other_settings_reach_the_vault(bare_stack, synth):
    HardenedKeyVault(
        bare_stack,
        "kv",
        dataclasses.replace(
            PROPS,
            sku="premium",
            soft_delete_retention_days=7,
            public_network_access_enabled=False,
            network_default_action="Allow",
            prevent_destroy=True,
        ),
    )
    vault = only(synth(bare_stack), "azurerm_key_vault")
    assert vault["lifecycle"] == {"prevent_destroy": True}
    assert (vault["sku_name"], vault["soft_delete_retention_days"], vault["public_network_access_enabled"]) == (
        "premium",
        7,
        False,
    )
    assert vault["network_acls"]["default_action"] == "Allow"


def test_role_assignments_name_their_principal_and_skip_the_directory_check_for_service_principals(bare_stack, synth):
    vault = HardenedKeyVault(bare_stack, "kv", PROPS)
    officer = vault.grant_secrets_officer(DEPLOYER)
    user = vault.grant_secrets_user(AzurePrincipal.service_principal("${var.sp}", "azure_databricks"))
    stack = synth(bare_stack)
    scope = ref(stack, "azurerm_key_vault", "id")
    assignments = strip_metadata(resources(stack, "azurerm_role_assignment"))
    assert assignments == {
        logical_id(stack, "azurerm_role_assignment", "deployer_secrets_officer"): {
            "scope": scope,
            "role_definition_name": "Key Vault Secrets Officer",
            "principal_id": "00000000-0000-0000-0000-0000000000aa",
        },
        logical_id(stack, "azurerm_role_assignment", "azure_databricks_secrets_user"): {
            "scope": scope,
            "role_definition_name": "Key Vault Secrets User",
            "principal_id": "${var.sp}",
            "principal_type": "ServicePrincipal",
            "skip_service_principal_aad_check": True,
        },
    }
    assert (officer.friendly_unique_id, user.friendly_unique_id) == (
        logical_id(stack, "azurerm_role_assignment", "officer"),
        logical_id(stack, "azurerm_role_assignment", "user"),
    )


def test_secret_carries_expiry_content_type_and_tags(bare_stack, synth):
    vault = HardenedKeyVault(bare_stack, "kv", PROPS)
    vault.grant_secrets_officer(DEPLOYER)
    vault.add_secret(
        "client_secret",
        name="ml-client-secret",
        value="${var.v}",
        expiration_date="${var.end}",
        content_type="application/x-entra-client-secret",
        tags={"client-id": "${var.cid}"},
    )
    stack = synth(bare_stack)
    assert strip_metadata(only(stack, "azurerm_key_vault_secret")) == {
        "key_vault_id": ref(stack, "azurerm_key_vault", "id"),
        "name": "ml-client-secret",
        "value": "${var.v}",
        "expiration_date": "${var.end}",
        "content_type": "application/x-entra-client-secret",
        "tags": {"client-id": "${var.cid}"},
        "depends_on": [f"time_sleep.{logical_id(stack, 'time_sleep', 'officer')}"],
    }


def test_two_officers_make_two_waits_and_the_secret_waits_for_both(bare_stack, synth):
    vault = HardenedKeyVault(bare_stack, "kv", PROPS)
    vault.grant_secrets_officer(DEPLOYER)
    vault.grant_secrets_officer(AzurePrincipal.service_principal("${var.ci}", "ci"))
    _secret(vault)
    stack = synth(bare_stack)
    waits = sorted(f"time_sleep.{name}" for name in resources(stack, "time_sleep"))
    assert len(waits) == 2
    assert sorted(only(stack, "azurerm_key_vault_secret")["depends_on"]) == waits


def test_secrets_wait_for_the_network_path_and_a_late_path_is_an_error(bare_stack, synth):
    from cdktf_cdktf_provider_azurerm.private_endpoint import PrivateEndpoint as Endpoint

    vault = HardenedKeyVault(bare_stack, "kv", PROPS)
    endpoint = Endpoint(
        bare_stack,
        "pe",
        name="pe",
        location="westeurope",
        resource_group_name="rg",
        subnet_id="/s",
        private_service_connection={
            "name": "c",
            "is_manual_connection": False,
            "private_connection_resource_id": vault.vault_id,
            "subresource_names": ["vault"],
        },
    )
    vault.reached_through(endpoint)
    vault.grant_secrets_officer(DEPLOYER)
    vault.add_secret("s", name="n", value="${var.v}", expiration_date="2030-01-01T00:00:00Z", content_type="t")
    stack = synth(bare_stack)
    secret = only(stack, "azurerm_key_vault_secret")
    assert secret["depends_on"][-1] == f"azurerm_private_endpoint.{logical_id(stack, 'azurerm_private_endpoint', 'pe')}"
    with pytest.raises(ValueError, match="after add_secret"):
        vault.reached_through(endpoint)


def test_deployers_may_make_exactly_the_vault_s_grants_and_no_other(bare_stack, synth):
    """Role Based Access Control Administrator on the vault only, its ABAC condition naming the two Key Vault
    secret roles and the vault's grantees, for writes and deletes alike (Microsoft Learn, "Delegate Azure role
    assignment management to others with conditions")."""
    from constructs_lib.principals import AzurePrincipal

    vault = HardenedKeyVault(bare_stack, "kv", PROPS)
    deployer = AzurePrincipal("11111111-1111-1111-1111-111111111111", "deployer_1", "ServicePrincipal")
    vault.grant_secrets_officer(deployer)
    vault.grant_secrets_user(AzurePrincipal.service_principal("22222222-2222-2222-2222-222222222222", "adb"))
    vault.delegate_grants([deployer])
    stack = synth(bare_stack)
    (delegation,) = [a for a in resources(stack, "azurerm_role_assignment").values() if "condition" in a]
    roles = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7, 4633458b-17de-408a-b874-0445c86b69e6"
    principals = "11111111-1111-1111-1111-111111111111, 22222222-2222-2222-2222-222222222222"

    def allowed(side):
        return (
            f"@{side}[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals "
            f"{{{roles}}} AND @{side}[Microsoft.Authorization/roleAssignments:PrincipalId] "
            f"ForAnyOfAnyValues:GuidEquals {{{principals}}}"
        )

    assert strip_metadata(delegation) == {
        "scope": ref(stack, "azurerm_key_vault", "id"),
        "role_definition_name": "Role Based Access Control Administrator",
        "principal_id": "11111111-1111-1111-1111-111111111111",
        "principal_type": "ServicePrincipal",
        "condition_version": "2.0",
        "condition": (
            "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR ("
            + allowed("Request")
            + ")) AND ((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR ("
            + allowed("Resource")
            + "))"
        ),
        "description": "mlplatform-cdktf: may grant only the Key Vault secret roles of this vault, only to its grantees",
    }
