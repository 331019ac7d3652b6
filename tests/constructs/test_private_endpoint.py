"""PrivateEndpoint: one endpoint for one sub-resource of its target, registered in its DNS zone."""

from __future__ import annotations

import dataclasses

import pytest

from constructs_lib.private_endpoint import PrivateEndpoint, PrivateEndpointProps
from tests.helpers import only, strip_metadata

SUBNET = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/pe"
ZONE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net"
PROPS = PrivateEndpointProps(
    name="pe-kv",
    resource_group_name="rg",
    location="westeurope",
    subnet_id=SUBNET,
    target_resource_id="/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
    subresource="vault",
    private_dns_zone_ids=(ZONE,),
    tags={"environment": "dev"},
)


def test_endpoint_connects_the_target_sub_resource_and_registers_in_the_zone(bare_stack, synth):
    endpoint = PrivateEndpoint(bare_stack, "pe", PROPS)
    assert strip_metadata(only(synth(bare_stack), "azurerm_private_endpoint")) == {
        "name": "pe-kv",
        "resource_group_name": "rg",
        "location": "westeurope",
        "subnet_id": SUBNET,
        "private_service_connection": {
            "name": "pe-kv-vault",
            "private_connection_resource_id": PROPS.target_resource_id,
            "subresource_names": ["vault"],
            "is_manual_connection": False,
        },
        "private_dns_zone_group": {"name": "vault", "private_dns_zone_ids": [ZONE]},
        "tags": {"environment": "dev"},
    }
    assert endpoint.endpoint_id.startswith("${TfToken[")


@pytest.mark.parametrize(
    "change,message",
    [({"subresource": ""}, "name the target's sub-resource"), ({"private_dns_zone_ids": ()}, "privatelink DNS zone")],
)
def test_missing_sub_resource_or_zone_is_a_construct_error(bare_stack, change, message):
    with pytest.raises(ValueError, match=message):
        PrivateEndpoint(bare_stack, "pe", dataclasses.replace(PROPS, **change))


def test_no_tags_means_no_tags_attribute(bare_stack, synth):
    PrivateEndpoint(bare_stack, "pe", dataclasses.replace(PROPS, tags={}))
    assert "tags" not in only(synth(bare_stack), "azurerm_private_endpoint")


def test_where_a_landing_zone_policy_registers_endpoints_no_zone_group_is_made_and_its_own_is_ignored(
    bare_stack, synth
):
    """Azure Landing Zone's DeployIfNotExists policy adds the zone group itself (azurerm #24681): a group made
    here would be replaced by the policy's and put back by the next apply, over and over."""
    PrivateEndpoint(bare_stack, "pe", dataclasses.replace(PROPS, private_dns_zone_ids=(), dns_by_policy=True))
    endpoint = strip_metadata(only(synth(bare_stack), "azurerm_private_endpoint"))
    assert "private_dns_zone_group" not in endpoint
    assert endpoint["lifecycle"] == {"ignore_changes": ["private_dns_zone_group"]}


def test_a_zone_with_the_policy_is_a_construct_error(bare_stack):
    with pytest.raises(ValueError, match="the policy chooses the zone"):
        PrivateEndpoint(bare_stack, "pe", dataclasses.replace(PROPS, dns_by_policy=True))
