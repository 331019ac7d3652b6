"""How the vault's data plane is reached privately: a private endpoint in an existing subnet.

The subnet and the vault's private DNS zone belong to the customer's network (the workspace's or the
agents' VNet); this app only places the vault's endpoint there and registers it in the zone, so
Terraform on an agent (or on a laptop over VPN) resolves the vault to a private IP.

Public Azure cloud only: the config has no cloud setting (the azurerm and azuread providers run with
their default, public environment, and the vault URI is `https://<name>.vault.azure.net/`), so the
zone is exactly `privatelink.vaultcore.azure.net`; the US Government (`privatelink.vaultcore.usgovcloudapi.net`)
and China (`privatelink.vaultcore.azure.cn`) zones would need a cloud setting that drives the
providers' environment too. The zone may live in any subscription (a hub's, commonly).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .resource_ids import Name, ResourceType, azure_resource_id, subscription_of
from .types import Strict

VAULT_PRIVATE_DNS_ZONE = "privatelink.vaultcore.azure.net"
"""The public cloud's private DNS zone of Key Vault, exactly (Azure's private endpoint DNS table)."""

SUBNET = ResourceType(
    "Microsoft.Network",
    (
        Name(
            "virtualNetworks",
            r"[A-Za-z0-9](?:[\w.-]{0,62}\w)?",
            "<vnet>",
            "2-64 letters, digits, '_', '.' and '-', starting with a letter or digit, ending with one or '_'",
        ),
        Name(
            "subnets",
            r"[A-Za-z0-9](?:[\w.-]{0,78}\w)?",
            "<subnet>",
            "1-80 letters, digits, '_', '.' and '-', starting with a letter or digit, ending with one or '_'",
        ),
    ),
)
VAULT_DNS_ZONE = ResourceType(
    "Microsoft.Network",
    (
        Name(
            "privateDnsZones",
            VAULT_PRIVATE_DNS_ZONE.replace(".", r"\."),
            VAULT_PRIVATE_DNS_ZONE,
            f"exactly {VAULT_PRIVATE_DNS_ZONE} (Key Vault's zone in the public cloud)",
            ignore_case=True,  # a DNS name: any case names the same zone
        ),
    ),
)
SubnetId = Annotated[str, azure_resource_id(SUBNET)]
VaultPrivateDnsZoneId = Annotated[str, azure_resource_id(VAULT_DNS_ZONE)]


class PrivateEndpointSettings(Strict):
    """A private endpoint for the vault (subresource `vault`) and its DNS registration."""

    subnet_id: SubnetId
    """Resource id of the subnet the endpoint's network interface goes in (same region as `azure.location`)."""
    dns_zone_group: Literal["app", "policy"] = "app"
    """Who registers the endpoint in private DNS. `app`: the endpoint's DNS zone group, made here, writes
    its A record into `private_dns_zone_id`. `policy`: an Azure Landing Zone DeployIfNotExists policy
    owns the zone group (it adds one to every new endpoint, in the hub's zone); the app makes none and
    ignores the one the policy adds, so the two do not fight (azurerm #24681,
    Azure/terraform-azurerm-avm-res-keyvault-vault#32) and the deploy needs no rights on the hub's zone."""
    private_dns_zone_id: VaultPrivateDnsZoneId | None = Field(
        default=None, json_schema_extra={"default_text": "required with `dns_zone_group: app`, none with `policy`"}
    )
    """With `dns_zone_group: app` (required then): resource id of the private DNS zone named exactly
    `privatelink.vaultcore.azure.net` (public cloud only), in any subscription (a hub's, commonly), linked
    to the VNets that must resolve the vault privately; the endpoint registers its A record there."""

    @model_validator(mode="after")
    def _zone_for_the_app_only(self) -> PrivateEndpointSettings:
        if self.dns_zone_group == "app" and self.private_dns_zone_id is None:
            raise ValueError(
                "private_dns_zone_id: required with dns_zone_group: app (the default), the "
                "privatelink.vaultcore.azure.net zone the endpoint registers in; or dns_zone_group: policy "
                "where an Azure Landing Zone policy registers endpoints"
            )
        if self.dns_zone_group == "policy" and self.private_dns_zone_id is not None:
            raise ValueError(
                "private_dns_zone_id: not with dns_zone_group: policy; the policy chooses the zone (remove it)"
            )
        return self


def check_vault_access(
    public_network_access_enabled: bool,
    private_endpoint: PrivateEndpointSettings | None,
    allowed_ip_ranges: list[str] | tuple[str, ...] = (),
) -> None:
    """Public access off is only reachable through a private endpoint, and leaves firewall ranges
    nothing to do (raises ValueError)."""
    if not public_network_access_enabled and private_endpoint is None:
        raise ValueError(
            "public_network_access_enabled: false needs private_endpoint (subnet_id, and private_dns_zone_id or "
            "dns_zone_group: policy): "
            "otherwise nothing can reach the vault to write the secret"
        )
    if not public_network_access_enabled and allowed_ip_ranges:
        raise ValueError(
            f"allowed_ip_ranges ({', '.join(allowed_ip_ranges)}) do nothing while public_network_access_enabled is "
            "false (the default outside dev with a private endpoint): remove them, or turn public access on"
        )


__all__ = ["PrivateEndpointSettings", "SubnetId", "VaultPrivateDnsZoneId", "check_vault_access", "subscription_of"]
