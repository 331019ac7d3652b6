"""Vault monitoring: audit logs and secret-expiry events, per environment, from config to resources."""

from __future__ import annotations

import pytest

from tests.helpers import only, ref, strip_metadata
from tests.test_main import _set, mutated, refused_lines, run_main

PREFIX = "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg-monitoring-prod/providers/"
EVENT_TYPES = ["Microsoft.KeyVault.SecretNearExpiry", "Microsoft.KeyVault.SecretExpired"]


@pytest.fixture(scope="module")
def prod(default_stacks):
    return default_stacks["mlplatform-prod-azure"]


def test_prod_sends_the_vault_audit_log_to_log_analytics(prod):
    assert strip_metadata(only(prod, "azurerm_monitor_diagnostic_setting")) == {
        "name": "audit-to-log-analytics",
        "target_resource_id": ref(prod, "azurerm_key_vault", "id"),
        "log_analytics_workspace_id": PREFIX + "Microsoft.OperationalInsights/workspaces/log-mlplatform-prod",
        "enabled_log": [{"category": "AuditEvent"}],
    }


def test_prod_delivers_secret_expiry_events_through_a_system_topic_on_the_vault(prod):
    topic = strip_metadata(only(prod, "azurerm_eventgrid_system_topic"))
    assert topic == {
        "name": "kv-mlplat-prd-0000-events",
        "resource_group_name": ref(prod, "azurerm_resource_group", "name"),
        "location": "westeurope",
        "source_resource_id": ref(prod, "azurerm_key_vault", "id"),
        "topic_type": "Microsoft.KeyVault.vaults",
        "tags": {"environment": "prod", "managed-by": "mlplatform-cdktf", "owner": "ml-platform"},
    }
    assert strip_metadata(only(prod, "azurerm_eventgrid_system_topic_event_subscription")) == {
        "name": "secret-expiry",
        "system_topic": ref(prod, "azurerm_eventgrid_system_topic", "name"),
        "resource_group_name": ref(prod, "azurerm_resource_group", "name"),
        "included_event_types": EVENT_TYPES,
        "service_bus_queue_endpoint_id": PREFIX
        + "Microsoft.ServiceBus/namespaces/sb-mlplatform-prod/queues/secret-expiry",
    }


def test_monitoring_is_off_unless_configured(default_stacks):
    for env in ("dev", "staging"):
        resources = default_stacks[f"mlplatform-{env}-azure"]["resource"]
        assert not {"azurerm_monitor_diagnostic_setting", "azurerm_eventgrid_system_topic"} & set(resources), env


BAD_MONITORING = [
    (
        "log-analytics-not-a-workspace-id",
        _set("environments.prod.azure.monitoring.vault_audit_logs.log_analytics_workspace_id", "log-mlplatform-prod"),
        [
            "environment 'prod'",
            "azure.monitoring.vault_audit_logs.log_analytics_workspace_id",
            "Microsoft.OperationalInsights/workspaces",
        ],
    ),
    (
        "expiry-destination-a-webhook",
        _set("environments.prod.azure.monitoring.secret_expiry_events.destination_id", "https://hooks.example/x"),
        ["environment 'prod'", "azure.monitoring.secret_expiry_events.destination_id", "Service Bus queue"],
    ),
]


@pytest.mark.parametrize("case,change,fragments", BAD_MONITORING, ids=[c[0] for c in BAD_MONITORING])
def test_bad_monitoring_config_is_a_clear_error(tmp_path, case, change, fragments):
    lines = refused_lines(run_main(tmp_path, mutated(change)), tmp_path)
    assert any(all(f in line for f in fragments) for line in lines), lines
