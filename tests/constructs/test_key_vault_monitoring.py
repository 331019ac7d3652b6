"""Key Vault monitoring constructs on their own: each expiry-event destination kind, and misuse."""

from __future__ import annotations

import pytest

from constructs_lib.key_vault_monitoring import SecretExpiryEvents, SecretExpiryEventsProps
from tests.helpers import only

PREFIX = "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg-monitoring-prod/providers/"
EVENT_TYPES = ["Microsoft.KeyVault.SecretNearExpiry", "Microsoft.KeyVault.SecretExpired"]


@pytest.mark.parametrize("kind, destination, expected", [
    ("event_hub", PREFIX + "Microsoft.EventHub/namespaces/eh-ml-prod/eventhubs/expiry",
     {"eventhub_endpoint_id": PREFIX + "Microsoft.EventHub/namespaces/eh-ml-prod/eventhubs/expiry"}),
    ("storage_queue", PREFIX + "Microsoft.Storage/storageAccounts/stmlprod/queueServices/default/queues/expiry",
     {"storage_queue_endpoint": {"storage_account_id": PREFIX + "Microsoft.Storage/storageAccounts/stmlprod",
                                 "queue_name": "expiry"}}),
])
def test_event_hub_and_storage_queue_destinations(bare_stack, synth, kind, destination, expected):
    SecretExpiryEvents(bare_stack, "events", SecretExpiryEventsProps(
        vault_id="${var.vault_id}", vault_name="kv", resource_group_name="rg", location="westeurope",
        destination_kind=kind, destination_id=destination))
    subscription = only(synth(bare_stack), "azurerm_eventgrid_system_topic_event_subscription")
    assert {k: v for k, v in subscription.items() if k in ("eventhub_endpoint_id", "storage_queue_endpoint")} == expected
    assert subscription["included_event_types"] == EVENT_TYPES


def test_storage_queue_kind_with_another_id_is_a_construct_error(bare_stack):
    with pytest.raises(ValueError, match="not a storage queue id"):
        SecretExpiryEvents(bare_stack, "events", SecretExpiryEventsProps(
            vault_id="v", vault_name="kv", resource_group_name="rg", location="westeurope",
            destination_kind="storage_queue", destination_id=PREFIX + "Microsoft.EventHub/namespaces/eh/eventhubs/x"))
