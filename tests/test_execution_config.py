"""Where runs execute and how the vault is reached: only topologies that can deploy pass validation."""

from __future__ import annotations

import pytest

from config.execution import REMOTE_REFUSED
from tests.helpers import only, resources
from tests.test_main import _delete, _set, mutated, refused_lines, run_main

PE = "environments.{}.azure.key_vault.private_endpoint"


def _azurerm_state(raw):
    raw["state"] = {
        "backend": "azurerm",
        "resource_group_name": "rg-state",
        "storage_account_name": "stmlstate",
        "container_name": "tfstate",
    }


BAD_EXECUTION_CONFIGS = [
    # (case id, mutation, fragments every one of which one error line must contain)
    (
        "remote-refused",
        _set("environments.staging.execution_mode", "remote"),
        [
            "environment 'staging'",
            "execution_mode",
            "ignores Terraform Cloud's Azure credentials",
            "#5544, #4127",
            "cannot reach the vault",
            "use 'agent'",
            "'local'",
        ],
    ),
    (
        "unknown-mode",
        _set("environments.dev.execution_mode", "cloud"),
        ["environment 'dev'", "execution_mode", "'local' or 'agent'"],
    ),
    (
        "agent-without-identity",
        _delete("environments.prod.agent"),
        ["environment 'prod': agent: required with execution_mode 'agent'", "managed identity"],
    ),
    (
        "agent-without-client-id",
        _delete("environments.prod.agent.client_id"),
        ["environment 'prod'", "agent.client_id", "required field is missing"],
    ),
    (
        "agent-client-id-not-guid",
        _set("environments.staging.agent.client_id", "agents"),
        ["environment 'staging'", "agent.client_id", "must be a GUID"],
    ),
    (
        "agent-on-local-environment",
        _set("environments.dev.agent", {"pool": "p1", "client_id": "44444444-4444-4444-4444-444444444444"}),
        ["environment 'dev': agent: set, but execution_mode is 'local'"],
    ),
    (
        "agent-with-own-azurerm-state",
        _set(
            "environments.prod.state",
            {
                "backend": "azurerm",
                "resource_group_name": "rg",
                "storage_account_name": "stml",
                "container_name": "tfstate",
            },
        ),
        ["environment 'prod'", "needs the cloud state backend", "'azurerm'"],
    ),
    (
        "agent-with-azurerm-global-state",
        _azurerm_state,
        ["environment 'staging'", "execution_mode: 'agent' needs the global state backend 'cloud' with a bootstrap"],
    ),
    (
        "agent-without-bootstrap",
        _delete("state.bootstrap"),
        ["environment 'prod'", "execution_mode: 'agent' needs the global state backend 'cloud' with a bootstrap"],
    ),
    (
        "pool-created-and-looked-up",
        lambda raw: [
            raw["environments"][env]["agent"].update(pool="shared", create_pool=env == "prod")
            for env in ("staging", "prod")
        ],
        ["agent pool 'shared'", "create_pool is true in one environment and false in another"],
    ),
    (
        "pool-shared-by-staging-and-prod",
        lambda raw: [
            raw["environments"][env]["agent"].update(pool="shared", create_pool=True) for env in ("staging", "prod")
        ],
        [
            "environment 'prod': agent.pool: 'shared' also runs environment 'staging', of tier staging "
            "(this one: prod)",
            "one pool (and identity) per tier",
        ],
    ),
    ("project-two-characters", _set("state.project", "ml"), ["state.project", "3-40 letters, digits"]),
    ("project-slash", _set("state.project", "ml/platform"), ["state.project", "3-40 letters"]),
    (
        "public-off-without-endpoint",
        lambda raw: (
            raw["environments"]["prod"]["azure"]["key_vault"].update(public_network_access_enabled=False),
            raw["environments"]["prod"]["azure"]["key_vault"].pop("private_endpoint"),
        ),
        ["environment 'prod'", "azure.key_vault", "public_network_access_enabled: false needs private_endpoint"],
    ),
    (
        "endpoint-subnet-is-a-vnet",
        _set(
            PE.format("staging") + ".subnet_id",
            "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg"
            "/providers/Microsoft.Network/virtualNetworks/vnet",
        ),
        [
            "environment 'staging'",
            "private_endpoint.subnet_id",
            "must be a resource id",
            "virtualNetworks/<vnet>/subnets/<subnet>",
        ],
    ),
    (
        "endpoint-zone-not-vault",
        _set(
            PE.format("prod") + ".private_dns_zone_id",
            "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg"
            "/providers/Microsoft.Network/privateDnsZones/privatelink.blob.core.windows.net",
        ),
        ["environment 'prod'", "private_endpoint.private_dns_zone_id", "privatelink.vaultcore.azure.net"],
    ),
    (
        "endpoint-missing-zone",
        _delete(PE.format("dev") + ".private_dns_zone_id"),
        ["environment 'dev'", "private_endpoint", "private_dns_zone_id: required with dns_zone_group: app"],
    ),
    (
        "endpoint-zone-with-the-policy",
        _set(PE.format("dev") + ".dns_zone_group", "policy"),
        ["environment 'dev'", "private_dns_zone_id: not with dns_zone_group: policy"],
    ),
]


@pytest.mark.parametrize("case,change,fragments", BAD_EXECUTION_CONFIGS, ids=[c[0] for c in BAD_EXECUTION_CONFIGS])
def test_unsupported_topology_is_a_one_line_config_error(tmp_path, case, change, fragments):
    lines = refused_lines(run_main(tmp_path, mutated(change)), tmp_path)
    assert any(all(f in line for f in fragments) for line in lines), lines
    assert not (tmp_path / "cdktf.out").exists()


def test_remote_refusal_is_one_line_naming_both_reasons_and_the_alternatives():
    assert "\n" not in REMOTE_REFUSED
    for fragment in ("Azure credentials", "#5544", "#4127", "cannot reach the vault", "'agent'", "'local'"):
        assert fragment in REMOTE_REFUSED


def test_default_execution_modes_and_vault_access(default_config):
    by_name = {e.name: e for e in default_config.environments}
    assert {n: e.execution_mode for n, e in by_name.items()} == {"dev": "local", "staging": "agent", "prod": "agent"}
    assert by_name["dev"].agent is None
    assert {n: e.azure.key_vault.public_network_access_enabled for n, e in by_name.items()} == {
        "dev": True,
        "staging": False,
        "prod": False,
    }
    assert all(e.azure.key_vault.private_endpoint is not None for e in by_name.values())


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_vault_has_a_private_endpoint_in_its_dns_zone(default_stacks, default_config, env):
    stack = default_stacks[f"mlplatform-{env}-azure"]
    settings = next(e for e in default_config.environments if e.name == env).azure.key_vault
    vault_key = next(iter(resources(stack, "azurerm_key_vault")))
    vault = resources(stack, "azurerm_key_vault")[vault_key]
    endpoint = only(stack, "azurerm_private_endpoint")
    assert endpoint["name"] == f"pe-{settings.name}"
    assert endpoint["location"] == "westeurope"
    assert endpoint["resource_group_name"] == vault["resource_group_name"]
    assert endpoint["subnet_id"] == settings.private_endpoint.subnet_id
    assert endpoint["private_service_connection"] == {
        "name": f"pe-{settings.name}-vault",
        "private_connection_resource_id": f"${{azurerm_key_vault.{vault_key}.id}}",
        "subresource_names": ["vault"],
        "is_manual_connection": False,
    }
    assert endpoint["private_dns_zone_group"] == {
        "name": "vault",
        "private_dns_zone_ids": [settings.private_endpoint.private_dns_zone_id],
    }
    assert vault["public_network_access_enabled"] is (env == "dev")
    # dev: allow-listed public access next to the endpoint, so a laptop run still reaches the vault.
    assert vault["network_acls"]["default_action"] == "Deny"
    assert vault["network_acls"]["ip_rules"] == (["198.51.100.0/24"] if env == "dev" else [])
