"""Hearing about a vault: its audit log and its secrets' expiry events.

Rotation happens only when a plan runs; a quiet quarter would end in an expired client secret and
a dead endpoint. `SecretExpiryEvents` routes the vault's `SecretNearExpiry` (30 days before the
secret's `expiration_date`) and `SecretExpired` events through an Event Grid system topic to a
queue or hub someone watches; `VaultAuditLog` sends every data-plane access (AuditEvent) to Log
Analytics. Both take the vault's attributes, so the vault construct itself stays unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from cdktf_cdktf_provider_azurerm.eventgrid_system_topic import EventgridSystemTopic
from cdktf_cdktf_provider_azurerm.eventgrid_system_topic_event_subscription import (
    EventgridSystemTopicEventSubscription,
    EventgridSystemTopicEventSubscriptionStorageQueueEndpoint,
)
from cdktf_cdktf_provider_azurerm.monitor_diagnostic_setting import (
    MonitorDiagnosticSetting,
    MonitorDiagnosticSettingEnabledLog,
)
from constructs import Construct

SECRET_EXPIRY_EVENT_TYPES = ("Microsoft.KeyVault.SecretNearExpiry", "Microsoft.KeyVault.SecretExpired")
# Azure resource ids are case-insensitive: the separator is matched in any case.
_STORAGE_QUEUE_SEPARATOR = re.compile(r"/queueServices/default/queues/", re.IGNORECASE)


@dataclass(frozen=True)
class VaultAuditLogProps:
    vault_id: str
    log_analytics_workspace_id: str


class VaultAuditLog(Construct):
    """A diagnostic setting sending the vault's AuditEvent log to Log Analytics. Attribute: `setting`."""

    def __init__(self, scope: Construct, construct_id: str, props: VaultAuditLogProps):
        super().__init__(scope, construct_id)
        self.setting = MonitorDiagnosticSetting(
            self,
            "setting",
            name="audit-to-log-analytics",
            target_resource_id=props.vault_id,
            log_analytics_workspace_id=props.log_analytics_workspace_id,
            enabled_log=[MonitorDiagnosticSettingEnabledLog(category="AuditEvent")],
        )


@dataclass(frozen=True)
class SecretExpiryEventsProps:
    vault_id: str
    vault_name: str
    resource_group_name: str
    location: str
    destination_kind: Literal["service_bus_queue", "event_hub", "storage_queue"]
    destination_id: str
    """A Service Bus queue, Event Hub, or storage queue (`.../storageAccounts/<a>/queueServices/default/queues/<q>`)."""
    tags: Mapping[str, str] = field(default_factory=dict)


class SecretExpiryEvents(Construct):
    """An Event Grid system topic on the vault and a subscription for expiry events. Attributes: `topic`, `subscription`."""

    def __init__(self, scope: Construct, construct_id: str, props: SecretExpiryEventsProps):
        super().__init__(scope, construct_id)
        endpoint: dict = {}
        if props.destination_kind == "service_bus_queue":
            endpoint["service_bus_queue_endpoint_id"] = props.destination_id
        elif props.destination_kind == "event_hub":
            endpoint["eventhub_endpoint_id"] = props.destination_id
        else:
            parts = _STORAGE_QUEUE_SEPARATOR.split(props.destination_id)
            if len(parts) != 2:
                raise ValueError(f"not a storage queue id: {props.destination_id!r}")
            account_id, queue_name = parts
            endpoint["storage_queue_endpoint"] = EventgridSystemTopicEventSubscriptionStorageQueueEndpoint(
                storage_account_id=account_id, queue_name=queue_name
            )

        self.topic = EventgridSystemTopic(
            self,
            "topic",
            name=f"{props.vault_name}-events",
            resource_group_name=props.resource_group_name,
            location=props.location,
            source_resource_id=props.vault_id,
            topic_type="Microsoft.KeyVault.vaults",
            tags=dict(props.tags),
        )
        self.subscription = EventgridSystemTopicEventSubscription(
            self,
            "subscription",
            name="secret-expiry",
            system_topic=self.topic.name,
            resource_group_name=props.resource_group_name,
            included_event_types=list(SECRET_EXPIRY_EVENT_TYPES),
            **endpoint,
        )
