"""A private endpoint for one Azure resource, registered in its private DNS zone.

The endpoint puts a network interface for the target (e.g. a Key Vault, subresource `vault`) in an
existing subnet; the DNS zone group writes its A record into the `privatelink.*` zone, so clients in
VNets linked to that zone resolve the resource's usual host name to the private IP. The subnet and
the zone belong to the customer's network and are passed in by id, never created here. Where an Azure
Landing Zone policy adds the zone group itself (DeployIfNotExists), `dns_by_policy` makes none and
ignores the policy's, so neither removes the other's on each apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_azurerm.private_endpoint import (
    PrivateEndpoint as AzurermPrivateEndpoint,
)
from cdktf_cdktf_provider_azurerm.private_endpoint import (
    PrivateEndpointPrivateDnsZoneGroup,
    PrivateEndpointPrivateServiceConnection,
)
from constructs import Construct


@dataclass(frozen=True)
class PrivateEndpointProps:
    name: str
    resource_group_name: str
    location: str
    """The subnet's region."""
    subnet_id: str
    target_resource_id: str
    subresource: str
    """The target's sub-resource (group id), e.g. `vault` for a Key Vault."""
    private_dns_zone_ids: tuple[str, ...]
    """The `privatelink.*` zones the endpoint's DNS zone group registers it in; empty with `dns_by_policy`."""
    tags: Mapping[str, str] = field(default_factory=dict)
    dns_by_policy: bool = False
    """An Azure Landing Zone DeployIfNotExists policy adds the DNS zone group: make none here and
    ignore the policy's (azurerm #24681; Azure/terraform-azurerm-avm-res-keyvault-vault#32)."""


class PrivateEndpoint(Construct):
    """Attributes: `endpoint_id`, `private_ip_address`."""

    def __init__(self, scope: Construct, construct_id: str, props: PrivateEndpointProps):
        super().__init__(scope, construct_id)
        if not props.subresource:
            raise ValueError("PrivateEndpointProps.subresource: name the target's sub-resource, e.g. 'vault'")
        if props.dns_by_policy and props.private_dns_zone_ids:
            raise ValueError("PrivateEndpointProps: with dns_by_policy the policy chooses the zone; give no zone ids")
        if not props.private_dns_zone_ids and not props.dns_by_policy:
            raise ValueError(
                "PrivateEndpointProps.private_dns_zone_ids: give the privatelink DNS zone, or clients keep "
                "resolving the target's public address"
            )
        self.endpoint = AzurermPrivateEndpoint(
            self,
            "endpoint",
            name=props.name,
            resource_group_name=props.resource_group_name,
            location=props.location,
            subnet_id=props.subnet_id,
            # Auto-approved: the deploying identity has rights on the target it just created.
            private_service_connection=PrivateEndpointPrivateServiceConnection(
                name=f"{props.name}-{props.subresource}",
                private_connection_resource_id=props.target_resource_id,
                subresource_names=[props.subresource],
                is_manual_connection=False,
            ),
            private_dns_zone_group=None
            if props.dns_by_policy
            else PrivateEndpointPrivateDnsZoneGroup(
                name=props.subresource, private_dns_zone_ids=list(props.private_dns_zone_ids)
            ),
            tags=dict(props.tags) or None,
            lifecycle=TerraformResourceLifecycle(ignore_changes=["private_dns_zone_group"])
            if props.dns_by_policy
            else None,
        )
        self.endpoint_id: str = self.endpoint.id
        self.private_ip_address: str = self.endpoint.private_service_connection.private_ip_address
