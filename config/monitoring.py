"""Config for hearing about the vault: audit logs and secret-expiry events (all optional).

Rotation only happens when a plan runs; these make a stalled rotation visible before the secret
expires. Destinations are given by Azure resource id (no webhook URLs, no keys in config).
"""

from __future__ import annotations

from typing import Annotated, Literal

from .addresses import azure_resource_id, resource_id_regex
from .types import Strict, checked

LogAnalyticsWorkspaceId = Annotated[
    str,
    azure_resource_id(
        r"Microsoft\.OperationalInsights/workspaces/[A-Za-z0-9][A-Za-z0-9-]{2,62}",
        "Microsoft.OperationalInsights/workspaces/<name>",
    ),
]

EventDestinationKind = Literal["service_bus_queue", "event_hub", "storage_queue"]
_DESTINATIONS = {
    "service_bus_queue": (
        resource_id_regex(r"Microsoft\.ServiceBus/namespaces/[A-Za-z0-9-]{6,50}/queues/[A-Za-z0-9][\w.~/-]{0,259}"),
        "Microsoft.ServiceBus/namespaces/<ns>/queues/<queue>",
    ),
    "event_hub": (
        resource_id_regex(r"Microsoft\.EventHub/namespaces/[A-Za-z0-9-]{6,50}/eventhubs/[A-Za-z0-9][\w.-]{0,255}"),
        "Microsoft.EventHub/namespaces/<ns>/eventhubs/<hub>",
    ),
    "storage_queue": (
        resource_id_regex(
            r"Microsoft\.Storage/storageAccounts/[a-z0-9]{3,24}/queueServices/default/queues/[a-z0-9-]{3,63}"
        ),
        "Microsoft.Storage/storageAccounts/<account>/queueServices/default/queues/<queue>",
    ),
}


def destination_kind(resource_id: str) -> EventDestinationKind:
    """Which kind of event handler a resource id names (validated ids only)."""
    kinds: tuple[EventDestinationKind, ...] = ("service_bus_queue", "event_hub", "storage_queue")
    return next(kind for kind in kinds if _DESTINATIONS[kind][0].fullmatch(resource_id))


def _check_destination(value: str) -> str:
    if not any(regex.fullmatch(value) for regex, _ in _DESTINATIONS.values()):
        raise ValueError(
            "must be the resource id of a Service Bus queue, an Event Hub or a storage queue: "
            + "; ".join(f".../providers/{shown}" for _, shown in _DESTINATIONS.values())
        )
    return value


EventDestinationId = Annotated[
    str,
    checked(_check_destination, "resource id of a Service Bus queue, an Event Hub or a storage queue (no webhooks)"),
]


class VaultAuditLogSettings(Strict):
    """Key Vault diagnostic logs (category AuditEvent: every secret read and write)."""

    log_analytics_workspace_id: LogAnalyticsWorkspaceId
    """Resource id of the Log Analytics workspace that receives the vault's AuditEvent logs."""


class SecretExpiryEventSettings(Strict):
    """The vault's SecretNearExpiry and SecretExpired events, through an Event Grid system topic."""

    destination_id: EventDestinationId
    """Resource id of a Service Bus queue, an Event Hub or a storage queue that receives the events."""

    @property
    def kind(self) -> EventDestinationKind:
        return destination_kind(self.destination_id)


class MonitoringSettings(Strict):
    """Optional per environment; the default prod config turns both on."""

    vault_audit_logs: VaultAuditLogSettings | None = None
    """Send the vault's AuditEvent logs to a Log Analytics workspace."""
    secret_expiry_events: SecretExpiryEventSettings | None = None
    """Deliver SecretNearExpiry (30 days before) and SecretExpired events to a queue or hub."""
