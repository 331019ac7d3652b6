"""A private endpoint for one Azure resource, registered in its private DNS zone.

The endpoint puts a network interface for the target (e.g. a Key Vault, subresource `vault`) in an
existing subnet; the DNS zone group writes its A record into the `privatelink.*` zone, so clients in
VNets linked to that zone resolve the resource's usual host name to the private IP. The subnet and
the zone belong to the customer's network and are passed in by id, never created here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

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
    tags: Mapping[str, str] = field(default_factory=dict)


class PrivateEndpoint(Construct):
    """Attributes: `endpoint_id`, `private_ip_address`."""

    def __init__(self, scope: Construct, construct_id: str, props: PrivateEndpointProps):
        super().__init__(scope, construct_id)
        if not props.subresource:
            raise ValueError("PrivateEndpointProps.subresource: name the target's sub-resource, e.g. 'vault'")
        if not props.private_dns_zone_ids:
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
            private_dns_zone_group=PrivateEndpointPrivateDnsZoneGroup(
                name=props.subresource,
                private_dns_zone_ids=list(props.private_dns_zone_ids),
            ),
            tags=dict(props.tags) or None,
        )
        self.endpoint_id: str = self.endpoint.id
        self.private_ip_address: str = self.endpoint.private_service_connection.private_ip_address
