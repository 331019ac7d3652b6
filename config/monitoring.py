"""Config for hearing about the vault: audit logs and secret-expiry events (all optional).

Rotation only happens when a plan runs; these make a stalled rotation visible before the secret
expires. Destinations are given by Azure resource id (no webhook URLs, no keys in config).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator

from .model import Strict

_PREFIX = r"/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w.()]{1,90}/providers/"

_LOG_ANALYTICS = re.compile(_PREFIX + r"Microsoft\.OperationalInsights/workspaces/[A-Za-z0-9][A-Za-z0-9-]{2,62}", re.I)

EventDestinationKind = Literal["service_bus_queue", "event_hub", "storage_queue"]
_DESTINATIONS: dict[str, re.Pattern[str]] = {
    "service_bus_queue": re.compile(
        _PREFIX + r"Microsoft\.ServiceBus/namespaces/[A-Za-z0-9-]{6,50}/queues/[A-Za-z0-9][\w.~/-]{0,259}", re.I
    ),
    "event_hub": re.compile(
        _PREFIX + r"Microsoft\.EventHub/namespaces/[A-Za-z0-9-]{6,50}/eventhubs/[A-Za-z0-9][\w.-]{0,255}", re.I
    ),
    "storage_queue": re.compile(
        _PREFIX + r"Microsoft\.Storage/storageAccounts/[a-z0-9]{3,24}/queueServices/default/queues/[a-z0-9-]{3,63}",
        re.I,
    ),
}


def destination_kind(resource_id: str) -> EventDestinationKind:
    """Which kind of event handler a resource id names (validated ids only)."""
    return next(kind for kind, pattern in _DESTINATIONS.items() if pattern.fullmatch(resource_id))  # type: ignore[return-value]


def _check_log_analytics(value: str) -> str:
    if not _LOG_ANALYTICS.fullmatch(value):
        raise ValueError(
            "must be a Log Analytics workspace resource id: /subscriptions/<guid>/resourceGroups/<rg>"
            "/providers/Microsoft.OperationalInsights/workspaces/<name>"
        )
    return value


def _check_destination(value: str) -> str:
    if not any(p.fullmatch(value) for p in _DESTINATIONS.values()):
        raise ValueError(
            "must be the resource id of a Service Bus queue (.../Microsoft.ServiceBus/namespaces/<ns>/queues/<q>), "
            "an Event Hub (.../Microsoft.EventHub/namespaces/<ns>/eventhubs/<hub>) or a storage queue "
            "(.../Microsoft.Storage/storageAccounts/<account>/queueServices/default/queues/<q>)"
        )
    return value


LogAnalyticsWorkspaceId = Annotated[str, AfterValidator(_check_log_analytics)]
EventDestinationId = Annotated[str, AfterValidator(_check_destination)]


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
