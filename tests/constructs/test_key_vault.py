"""HardenedKeyVault on its own: the secret waits for the officer grant to propagate; misuse is an error."""

from __future__ import annotations

import pytest

from constructs_lib.key_vault import HardenedKeyVault, KeyVaultProps
from constructs_lib.principals import AzurePrincipal

PROPS = KeyVaultProps(name="kv-test-0000", resource_group_name="rg", location="westeurope",
                      tenant_id="00000000-0000-0000-0000-000000000000", sku="standard",
                      soft_delete_retention_days=90, public_network_access_enabled=True,
                      network_default_action="Deny", allowed_ip_ranges=(), prevent_destroy=False)
DEPLOYER = AzurePrincipal("00000000-0000-0000-0000-0000000000aa", "deployer")


def _secret(vault: HardenedKeyVault):
    return vault.add_secret("secret", name="s", value="${var.v}", expiration_date="2030-01-01T00:00:00Z",
                            content_type="text/plain")


def test_secret_depends_on_a_wait_that_depends_on_the_officer_grant(bare_stack, synth):
    vault = HardenedKeyVault(bare_stack, "kv", PROPS)
    grant = vault.grant_secrets_officer(DEPLOYER)
    _secret(vault)
    stack = synth(bare_stack)
    (grant_id,) = stack["resource"]["azurerm_role_assignment"]
    (wait_id, wait), = stack["resource"]["time_sleep"].items()
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
    with pytest.raises(ValueError, match=r"add_secret\('secret'\) before grant_secrets_officer.*call "
                                         r"vault\.grant_secrets_officer\(deployer\) first"):
        _secret(vault)
