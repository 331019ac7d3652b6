"""Config for hearing about the vault: audit logs and secret-expiry events (all optional).

Rotation only happens when a plan runs; these make a stalled rotation visible before the secret
expires. Destinations are given by Azure resource id (no webhook URLs, no keys in config).
"""

from __future__ import annotations

from typing import Annotated, Literal

from .resource_ids import Name, ResourceType, azure_resource_id
from .types import Strict, checked

LOG_ANALYTICS_WORKSPACE = ResourceType(
    "Microsoft.OperationalInsights",
    (Name("workspaces", r"[A-Za-z0-9][A-Za-z0-9-]{2,62}", "<name>", "3-63 letters, digits and '-'"),),
)
LogAnalyticsWorkspaceId = Annotated[str, azure_resource_id(LOG_ANALYTICS_WORKSPACE)]

_NAMESPACE = Name("namespaces", r"[A-Za-z0-9-]{6,50}", "<ns>", "6-50 letters, digits and '-'")
EventDestinationKind = Literal["service_bus_queue", "event_hub", "storage_queue"]
# A queue name may hold '/' in Service Bus itself, but such a queue has no ARM id Event Grid can use:
# a '/' in an id always starts another segment (a child resource), and is refused.
DESTINATIONS: dict[EventDestinationKind, ResourceType] = {
    "service_bus_queue": ResourceType(
        "Microsoft.ServiceBus",
        (
            _NAMESPACE,
            Name("queues", r"[A-Za-z0-9][\w.~-]{0,259}", "<queue>", "1-260 letters, digits, '_', '.', '~', '-'"),
        ),
    ),
    "event_hub": ResourceType(
        "Microsoft.EventHub",
        (_NAMESPACE, Name("eventhubs", r"[A-Za-z0-9][\w.-]{0,255}", "<hub>", "1-256 letters, digits, '_', '.', '-'")),
    ),
    "storage_queue": ResourceType(
        "Microsoft.Storage",
        (
            Name("storageAccounts", r"[a-z0-9]{3,24}", "<account>", "3-24 lowercase letters and digits"),
            Name("queueServices", r"default", "default", "exactly 'default'"),
            Name(
                "queues",
                r"(?=.{3,63}$)[a-z0-9]+(?:-[a-z0-9]+)*",
                "<queue>",
                "3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit",
            ),
        ),
    ),
}


def destination_kind(resource_id: str) -> EventDestinationKind:
    """Which kind of event handler a resource id names (validated ids only)."""
    return next(kind for kind, resource_type in DESTINATIONS.items() if resource_type.matches(resource_id))


def _check_destination(value: str) -> str:
    if any(resource_type.matches(value) for resource_type in DESTINATIONS.values()):
        return value
    # The kind whose namespace and first type the id names says precisely what is wrong (a child appended,
    # a lowercase-only name in upper case).
    parts = value.split("/")
    for resource_type in DESTINATIONS.values():
        first = [resource_type.namespace.lower(), resource_type.names[0].type.lower()]
        if [part.lower() for part in parts[6:8]] == first:
            raise ValueError(str(resource_type.problem(value)))
    raise ValueError(
        "must be the resource id of a Service Bus queue, an Event Hub or a storage queue: .../providers/ "
        + ", ".join(resource_type.shown for resource_type in DESTINATIONS.values())
    )


EventDestinationId = Annotated[
    str,
    checked(
        _check_destination,
        "resource id of a Service Bus queue, an Event Hub or a storage queue (no webhooks): "
        + " | ".join(resource_type.allowed for resource_type in DESTINATIONS.values()),
    ),
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
