"""The azure layer: Entra app, rotating expiring secret, hardened vault, grants, outputs."""

from __future__ import annotations

import pytest

from tests.helpers import config_from, mutated, only, ref, resources, strip_metadata, synth_stacks

AZURE_DATABRICKS_APP = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"


@pytest.fixture(scope="module")
def prod(default_stacks):
    return default_stacks["mlplatform-prod-azure"]


@pytest.fixture(scope="module")
def dev(default_stacks):
    return default_stacks["mlplatform-dev-azure"]


def test_app_registration_is_single_tenant_and_owned_by_the_configured_deployers(prod):
    app = strip_metadata(only(prod, "azuread_application"))
    assert "precondition" in app.pop("lifecycle")
    assert app == {
        "description": "ML automation principal for mlplatform-prod (mlplatform-cdktf)",
        "display_name": "mlplatform-prod-ml",
        "owners": ["88888888-8888-8888-8888-888888888888"],
        "prevent_duplicate_names": True,
        "sign_in_audience": "AzureADMyOrg",
    }


def test_service_principal_is_bound_to_the_app_client_id(prod):
    sp = only(prod, "azuread_service_principal")
    assert sp["client_id"] == ref(prod, "azuread_application", "client_id")
    assert sp["app_role_assignment_required"] is False


def _slots(stack):
    """The two rotation markers and passwords by slot ('a', 'b'), as Terraform addresses."""
    rotations = {
        k.split("_secret_rotation_")[1].split("_")[0]: f"time_rotating.{k}" for k in resources(stack, "time_rotating")
    }
    passwords = {
        k.split("_client_secret_")[1].split("_")[0]: f"azuread_application_password.{k}"
        for k in resources(stack, "azuread_application_password")
    }
    assert set(rotations) == set(passwords) == {"a", "b"}
    return rotations, passwords


def test_two_staggered_passwords_renew_every_two_rotation_periods(prod):
    rotations, passwords = _slots(prod)
    marker = {slot: resources(prod, "time_rotating")[address.split(".")[1]] for slot, address in rotations.items()}
    assert strip_metadata(marker["a"]) == {"rotation_days": 60, "lifecycle": {"ignore_changes": ["rotation_days"]}}
    a = f"{rotations['a']}.rfc3339"
    assert strip_metadata(marker["b"]) == {
        "rotation_days": 60,
        # a + R once that is not after the plan, else a - R (first apply): b's first password is never
        # served, and every later one starts now
        "rfc3339": f'${{(timecmp(timeadd({a}, "720h"), plantimestamp()) > 0) ? timeadd({a}, "-720h") : '
        f'timeadd({a}, "720h")}}',
        "lifecycle": {"ignore_changes": ["rfc3339", "rotation_days"]},
    }
    for slot, address in passwords.items():
        password = strip_metadata(resources(prod, "azuread_application_password")[address.split(".")[1]])
        base = f"{rotations[slot]}.rfc3339"
        assert password == {
            "application_id": ref(prod, "azuread_application", "id"),
            "display_name": f"slot {slot} (mlplatform-cdktf, rotated by Terraform)",
            # E from the earlier of the marker's base and the plan: never more than E days from creation
            "end_date": f'${{timeadd((timecmp({base}, plantimestamp()) > 0) ? plantimestamp() : {base}, "2160h")}}',
            "rotate_when_changed": {"rotation": f"${{{rotations[slot]}.id}}"},
            "lifecycle": {"create_before_destroy": True, "ignore_changes": ["display_name", "end_date"]},
        }


# Arguments Terraform would replace on: all of azuread_application_password's (ForceNew in azuread 3.7.0,
# applications/application_password_resource.go); time_rotating's only by rfc3339 or an overdue rotation.
_PASSWORD_FORCE_NEW = ("application_id", "display_name", "end_date", "rotate_when_changed", "start_date")


def _replacement_inputs(stack):
    """Per resource address: the arguments a config edit could change and that are not ignored."""
    found = {}
    for kind in ("azuread_application_password", "time_rotating"):
        for name, resource in resources(stack, kind).items():
            ignored = set(resource.get("lifecycle", {}).get("ignore_changes", []))
            found[f"{kind}.{name}"] = {
                k: v for k, v in strip_metadata(resource).items() if k not in ignored | {"lifecycle"}
            }
    return found


@pytest.mark.parametrize(
    "edit",
    [
        {"secret_rotation_days": 20, "secret_expiry_days": 60},
        {"secret_expiry_days": 180},
        {"display_name": "renamed ML automation"},
    ],
    ids=["rotation", "expiry", "display-name"],
)
def test_a_config_edit_replaces_neither_password_nor_marker(prod, edit):
    """R, E and the app's name apply at each slot's own next renewal: every argument Terraform would
    replace a password or marker on stays the same (or is ignored after creation)."""

    def change(raw):
        raw["environments"] = {"prod": raw["environments"]["prod"]}
        raw["environments"]["prod"]["azure"]["application"].update(edit)

    edited = synth_stacks(config_from(mutated(change)))["mlplatform-prod-azure"]
    assert _replacement_inputs(edited) == _replacement_inputs(prod)
    for name, password in resources(edited, "azuread_application_password").items():
        assert set(password) - {"//", "lifecycle"} <= set(_PASSWORD_FORCE_NEW), name
        assert set(password["lifecycle"]["ignore_changes"]) == {"display_name", "end_date"}


def test_dev_secret_uses_its_own_shorter_lifetime(dev):
    assert {r["rotation_days"] for r in resources(dev, "time_rotating").values()} == {28}  # 2 x 14
    assert all(p["end_date"].endswith(', "840h")}') for p in resources(dev, "azuread_application_password").values())


def test_vault_holds_azure_to_the_address_the_databricks_layer_derives(prod):
    """The databricks layer reads no state: it derives the vault id and URI from config
    (config/naming.py); a postcondition fails the azure apply if Azure's differ."""
    ((local_name, expected),) = [(k, v) for k, v in prod["locals"].items() if "expected_address" in k]
    assert expected == {
        "id": "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg-mlplatform-prod"
        "/providers/Microsoft.KeyVault/vaults/kv-mlplat-prd-0000",
        "uri": "https://kv-mlplat-prd-0000.vault.azure.net/",
    }
    conditions = only(prod, "azurerm_key_vault")["lifecycle"]["postcondition"]
    assert [c["condition"] for c in conditions] == [
        f"${{(lower(self.id) == lower(local.{local_name}.id))}}",
        f"${{(lower(self.vault_uri) == lower(local.{local_name}.uri))}}",
    ]


def test_vault_is_hardened(prod):
    vault = strip_metadata(only(prod, "azurerm_key_vault"))
    assert vault.pop("lifecycle").pop("prevent_destroy") is True
    assert vault == {
        "location": "westeurope",
        "name": "kv-mlplat-prd-0000",
        # Reached through its private endpoint only (tests/test_execution_config.py).
        "network_acls": {"bypass": "AzureServices", "default_action": "Deny", "ip_rules": []},
        "public_network_access_enabled": False,
        "purge_protection_enabled": True,
        "rbac_authorization_enabled": True,
        "resource_group_name": ref(prod, "azurerm_resource_group", "name"),
        "sku_name": "premium",
        "soft_delete_retention_days": 90,
        "tags": {"environment": "prod", "managed-by": "mlplatform-cdktf", "owner": "ml-platform"},
        "tenant_id": "00000000-0000-0000-0000-000000000000",
    }


def test_dev_vault_is_firewalled_but_destroyable_by_default(dev):
    vault = only(dev, "azurerm_key_vault")
    assert vault["network_acls"] == {
        "bypass": "AzureServices",
        "default_action": "Deny",
        "ip_rules": ["198.51.100.0/24"],
    }
    assert "prevent_destroy" not in vault["lifecycle"]
    assert vault["soft_delete_retention_days"] == 7


def test_role_assignments_grant_officer_to_deployer_and_user_to_azure_databricks_only(prod):
    vault_id = ref(prod, "azurerm_key_vault", "id")
    grants = {
        (a["role_definition_name"], a["principal_id"]) for a in resources(prod, "azurerm_role_assignment").values()
    }
    # The ML principal holds no vault role: the scope is read by the AzureDatabricks app.
    azure_databricks = ref(prod, "azuread_service_principal", "object_id", section="data")
    assert grants == {
        ("Key Vault Secrets Officer", "88888888-8888-8888-8888-888888888888"),  # the configured deployer
        ("Key Vault Secrets User", azure_databricks),
        # ... who may make exactly those two grants, and no other (tests/constructs/test_key_vault.py)
        ("Role Based Access Control Administrator", "88888888-8888-8888-8888-888888888888"),
    }
    (delegation,) = [a for a in resources(prod, "azurerm_role_assignment").values() if "condition" in a]
    assert "88888888-8888-8888-8888-888888888888, " + azure_databricks in delegation["condition"]
    assert "azurerm_client_config" not in prod["data"]  # never "whoever applies now"
    assert {a["scope"] for a in resources(prod, "azurerm_role_assignment").values()} == {vault_id}
    assert only(prod, "azuread_service_principal", section="data")["client_id"] == AZURE_DATABRICKS_APP


def test_secret_holds_the_newer_password_and_waits_for_the_officer_grant_to_propagate(prod):
    secret = only(prod, "azurerm_key_vault_secret")
    officer = next(
        k
        for k, a in resources(prod, "azurerm_role_assignment").items()
        if a["role_definition_name"] == "Key Vault Secrets Officer"
    )
    wait_id, wait = next(iter(resources(prod, "time_sleep").items()))
    assert len(resources(prod, "time_sleep")) == 1
    assert wait["depends_on"] == [f"azurerm_role_assignment.{officer}"]
    assert wait["create_duration"] == "120s"
    # ... and, with public access off, for the private endpoint its write goes through
    endpoint_id = next(iter(resources(prod, "azurerm_private_endpoint")))
    assert secret["depends_on"] == [f"time_sleep.{wait_id}", f"azurerm_private_endpoint.{endpoint_id}"]

    rotations, passwords = _slots(prod)
    a_is_newer = f"(timecmp({rotations['a']}.rfc3339, {rotations['b']}.rfc3339) >= 0)"
    assert secret["value"] == f"${{{a_is_newer} ? {passwords['a']}.value : {passwords['b']}.value}}"
    assert secret["expiration_date"] == f"${{{a_is_newer} ? {passwords['a']}.end_date : {passwords['b']}.end_date}}"
    assert secret["name"] == "ml-client-secret"
    assert secret["content_type"] == "application/x-entra-client-secret"
    assert secret["key_vault_id"] == ref(prod, "azurerm_key_vault", "id")


def test_stack_outputs_name_what_the_databricks_layer_needs(prod):
    outputs = {k: v["value"] for k, v in prod["output"].items() if not k.startswith("cross-stack-output-")}
    assert outputs == {
        "client_id": ref(prod, "azuread_application", "client_id"),
        "tenant_id": ref(prod, "azuread_service_principal", "application_tenant_id"),
        "key_vault_id": ref(prod, "azurerm_key_vault", "id"),
        "key_vault_uri": ref(prod, "azurerm_key_vault", "vault_uri"),
        "client_secret_name": ref(prod, "azurerm_key_vault_secret", "name"),
    }


def test_password_value_is_in_no_output(default_stacks):
    for name, stack in default_stacks.items():
        for output in stack.get("output", {}).values():
            assert "azuread_application_password" not in str(output["value"]), name


def test_providers_are_pinned_to_the_environment_tenant_and_subscription(prod):
    assert prod["provider"]["azuread"] == [{"tenant_id": "00000000-0000-0000-0000-000000000000"}]
    azurerm = prod["provider"]["azurerm"][0]
    assert azurerm["subscription_id"] == "33333333-3333-3333-3333-333333333333"
    assert azurerm["features"][0]["key_vault"][0]["purge_soft_delete_on_destroy"] is False


@pytest.fixture(scope="module")
def knobs():
    """One synthesis of a dev-only config with every azure knob turned away from its default."""

    def change(raw):
        raw["environments"] = {"dev": raw["environments"]["dev"]}
        azure = raw["environments"]["dev"]["azure"]
        azure["resource_group"] = {"name": "rg-shared", "create": False}
        azure["application"] = {
            "secret_expiry_days": 180,
            "secret_rotation_days": 75,
            "owners": ["44444444-4444-4444-4444-444444444444"],
        }
        azure["key_vault"].update(
            network_default_action="Allow",
            public_network_access_enabled=True,
            allowed_ip_ranges=["198.51.100.7/32", "198.51.100.0/28"],
            prevent_destroy=True,
            secret_name="sp-secret",
        )

    return synth_stacks(config_from(mutated(change)))["mlplatform-dev-azure"]


def test_existing_resource_group_is_looked_up_not_created(knobs):
    assert "azurerm_resource_group" not in knobs["resource"]
    assert only(knobs, "azurerm_resource_group", section="data")["name"] == "rg-shared"
    assert only(knobs, "azurerm_key_vault")["resource_group_name"] == ref(
        knobs, "azurerm_resource_group", "name", section="data"
    )


def test_expiry_and_rotation_follow_config(knobs):
    assert {r["rotation_days"] for r in resources(knobs, "time_rotating").values()} == {150}
    rotation_b = next(r for k, r in resources(knobs, "time_rotating").items() if "_rotation_b_" in k)
    assert rotation_b["rfc3339"].endswith(', "1800h")}') and '"-1800h"' in rotation_b["rfc3339"]
    assert all(p["end_date"].endswith(', "4320h")}') for p in resources(knobs, "azuread_application_password").values())


def test_extra_owners_join_the_deployers(knobs):
    assert only(knobs, "azuread_application")["owners"] == [
        "66666666-6666-6666-6666-666666666666",
        "67676767-6767-6767-6767-676767676767",
        "44444444-4444-4444-4444-444444444444",
    ]


def test_every_deployer_is_officer_once_with_its_own_wait_and_principal_type(default_stacks):
    dev = default_stacks["mlplatform-dev-azure"]
    officers = {
        a["principal_id"]: (name, a["principal_type"])
        for name, a in resources(dev, "azurerm_role_assignment").items()
        if a["role_definition_name"] == "Key Vault Secrets Officer"
    }
    assert {k: v[1] for k, v in officers.items()} == {
        "66666666-6666-6666-6666-666666666666": "User",
        "67676767-6767-6767-6767-676767676767": "ServicePrincipal",
    }
    waits = sorted(w["depends_on"][0] for w in resources(dev, "time_sleep").values())
    assert waits == sorted(f"azurerm_role_assignment.{name}" for name, _ in officers.values())
    secret = only(dev, "azurerm_key_vault_secret")
    assert sorted(d for d in secret["depends_on"] if d.startswith("time_sleep.")) == sorted(
        f"time_sleep.{k}" for k in resources(dev, "time_sleep")
    )


def test_network_rules_follow_config_and_single_addresses_drop_slash_32(knobs):
    vault = only(knobs, "azurerm_key_vault")
    assert vault["public_network_access_enabled"] is True
    assert vault["network_acls"] == {
        "bypass": "AzureServices",
        "default_action": "Allow",
        "ip_rules": ["198.51.100.7", "198.51.100.0/28"],
    }
    assert vault["lifecycle"]["prevent_destroy"] is True
    assert only(knobs, "azurerm_key_vault_secret")["name"] == "sp-secret"


def test_azurerm_registers_no_resource_provider(default_stacks):
    """A resource-group-scoped deployer cannot register providers at subscription scope."""
    for env in ("dev", "staging", "prod"):
        provider = default_stacks[f"mlplatform-{env}-azure"]["provider"]["azurerm"][0]
        assert provider["resource_provider_registrations"] == "none"
        assert "resource_providers_to_register" not in provider
