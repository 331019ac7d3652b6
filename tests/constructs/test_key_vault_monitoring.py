"""Key Vault monitoring constructs on their own: the audit log, each expiry-event destination kind, and misuse."""

from __future__ import annotations

import pytest

from constructs_lib.key_vault_monitoring import (
    SecretExpiryEvents,
    SecretExpiryEventsProps,
    VaultAuditLog,
    VaultAuditLogProps,
)
from tests.helpers import only, ref, strip_metadata

PREFIX = "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg-monitoring-prod/providers/"
EVENT_TYPES = ["Microsoft.KeyVault.SecretNearExpiry", "Microsoft.KeyVault.SecretExpired"]


@pytest.mark.parametrize(
    "kind, destination, expected",
    [
        (
            "event_hub",
            PREFIX + "Microsoft.EventHub/namespaces/eh-ml-prod/eventhubs/expiry",
            {"eventhub_endpoint_id": PREFIX + "Microsoft.EventHub/namespaces/eh-ml-prod/eventhubs/expiry"},
        ),
        (
            "storage_queue",
            PREFIX + "Microsoft.Storage/storageAccounts/stmlprod/queueServices/default/queues/expiry",
            {
                "storage_queue_endpoint": {
                    "storage_account_id": PREFIX + "Microsoft.Storage/storageAccounts/stmlprod",
                    "queue_name": "expiry",
                }
            },
        ),
        (  # resource ids are case-insensitive in Azure, and config accepts any case
            "storage_queue",
            PREFIX + "Microsoft.Storage/storageAccounts/stmlprod/QUEUESERVICES/default/Queues/expiry",
            {
                "storage_queue_endpoint": {
                    "storage_account_id": PREFIX + "Microsoft.Storage/storageAccounts/stmlprod",
                    "queue_name": "expiry",
                }
            },
        ),
    ],
)
def test_event_hub_and_storage_queue_destinations(bare_stack, synth, kind, destination, expected):
    SecretExpiryEvents(
        bare_stack,
        "events",
        SecretExpiryEventsProps(
            vault_id="${var.vault_id}",
            vault_name="kv",
            resource_group_name="rg",
            location="westeurope",
            destination_kind=kind,
            destination_id=destination,
        ),
    )
    subscription = only(synth(bare_stack), "azurerm_eventgrid_system_topic_event_subscription")
    assert {
        k: v for k, v in subscription.items() if k in ("eventhub_endpoint_id", "storage_queue_endpoint")
    } == expected
    assert subscription["included_event_types"] == EVENT_TYPES


def test_storage_queue_kind_with_another_id_is_a_construct_error(bare_stack):
    with pytest.raises(ValueError, match="not a storage queue id"):
        SecretExpiryEvents(
            bare_stack,
            "events",
            SecretExpiryEventsProps(
                vault_id="v",
                vault_name="kv",
                resource_group_name="rg",
                location="westeurope",
                destination_kind="storage_queue",
                destination_id=PREFIX + "Microsoft.EventHub/namespaces/eh/eventhubs/x",
            ),
        )


def test_audit_log_sends_audit_events_to_log_analytics(bare_stack, synth):
    audit = VaultAuditLog(
        bare_stack, "audit", VaultAuditLogProps(vault_id="${var.vault_id}", log_analytics_workspace_id="${var.law}")
    )
    stack = synth(bare_stack)
    assert sorted(stack["resource"]) == ["azurerm_monitor_diagnostic_setting"]
    assert strip_metadata(only(stack, "azurerm_monitor_diagnostic_setting")) == {
        "name": "audit-to-log-analytics",
        "target_resource_id": "${var.vault_id}",
        "log_analytics_workspace_id": "${var.law}",
        "enabled_log": [{"category": "AuditEvent"}],
    }
    assert audit.setting.friendly_unique_id in stack["resource"]["azurerm_monitor_diagnostic_setting"]


def test_a_system_topic_on_the_vault_and_one_subscription_to_a_service_bus_queue(bare_stack, synth):
    queue = PREFIX + "Microsoft.ServiceBus/namespaces/sb/queues/secret-expiry"
    SecretExpiryEvents(
        bare_stack,
        "events",
        SecretExpiryEventsProps(
            vault_id="${var.vault_id}",
            vault_name="kv-ml-dev",
            resource_group_name="rg",
            location="westeurope",
            destination_kind="service_bus_queue",
            destination_id=queue,
            tags={"environment": "dev"},
        ),
    )
    stack = synth(bare_stack)
    assert strip_metadata(only(stack, "azurerm_eventgrid_system_topic")) == {
        "name": "kv-ml-dev-events",
        "resource_group_name": "rg",
        "location": "westeurope",
        "source_resource_id": "${var.vault_id}",
        "topic_type": "Microsoft.KeyVault.vaults",
        "tags": {"environment": "dev"},
    }
    assert strip_metadata(only(stack, "azurerm_eventgrid_system_topic_event_subscription")) == {
        "name": "secret-expiry",
        "system_topic": ref(stack, "azurerm_eventgrid_system_topic", "name"),
        "resource_group_name": "rg",
        "included_event_types": EVENT_TYPES,
        "service_bus_queue_endpoint_id": queue,
    }
