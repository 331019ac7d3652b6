"""How the vault's data plane is reached privately: a private endpoint in an existing subnet.

The subnet and the `privatelink.vaultcore.*` private DNS zone belong to the customer's network (the
workspace's or the agents' VNet); this app only places the vault's endpoint there and registers it
in the zone, so Terraform on an agent (or on a laptop over VPN) resolves the vault to a private IP.
"""

from __future__ import annotations

from typing import Annotated

from .addresses import azure_resource_id
from .types import Strict

SubnetId = Annotated[
    str,
    azure_resource_id(
        r"Microsoft\.Network/virtualNetworks/[A-Za-z0-9][\w.-]{0,63}/subnets/[A-Za-z0-9][\w.-]{0,79}",
        "Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>",
    ),
]
VaultPrivateDnsZoneId = Annotated[
    str,
    azure_resource_id(
        # Exactly the public cloud's vault zone: the azurerm provider here runs in the public cloud.
        r"Microsoft\.Network/privateDnsZones/privatelink\.vaultcore\.azure\.net",
        "Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net",
    ),
]


class PrivateEndpointSettings(Strict):
    """A private endpoint for the vault (subresource `vault`) and its DNS registration."""

    subnet_id: SubnetId
    """Resource id of the subnet the endpoint's network interface goes in (same region as `azure.location`)."""
    private_dns_zone_id: VaultPrivateDnsZoneId
    """Resource id of the `privatelink.vaultcore.azure.net` private DNS zone (linked to the VNets that must
    resolve the vault privately); the endpoint registers its A record there."""


def check_vault_access(
    public_network_access_enabled: bool,
    private_endpoint: PrivateEndpointSettings | None,
    allowed_ip_ranges: list[str] | tuple[str, ...] = (),
) -> None:
    """Public access off is only reachable through a private endpoint, and leaves firewall ranges
    nothing to do (raises ValueError)."""
    if not public_network_access_enabled and private_endpoint is None:
        raise ValueError(
            "public_network_access_enabled: false needs private_endpoint (subnet_id, private_dns_zone_id): "
            "otherwise nothing can reach the vault to write the secret"
        )
    if not public_network_access_enabled and allowed_ip_ranges:
        raise ValueError(
            f"allowed_ip_ranges ({', '.join(allowed_ip_ranges)}) do nothing while public_network_access_enabled is "
            "false (the default outside dev with a private endpoint): remove them, or turn public access on"
        )


def subscription_of(resource_id: str) -> str:
    """The subscription GUID of an Azure resource id, lowercase."""
    return resource_id.split("/")[2].lower()


__all__ = ["PrivateEndpointSettings", "SubnetId", "VaultPrivateDnsZoneId", "check_vault_access", "subscription_of"]
