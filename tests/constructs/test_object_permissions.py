"""ObjectPermissions on its own: one authoritative databricks_permissions per object, made at the first grant."""

from __future__ import annotations

import pytest

from constructs_lib.object_permissions import ObjectPermissions
from constructs_lib.principals import Principal
from tests.helpers import only, resources, strip_metadata

ML = Principal.service_principal("${var.app_id}", "ml")


def test_nothing_until_the_first_grant(bare_stack, synth):
    permissions = ObjectPermissions(bare_stack, "permissions", cluster_id="${var.cluster}")
    assert permissions.resource is None
    assert resources(synth(bare_stack), "databricks_permissions") == {}


def test_grants_accumulate_and_a_later_grant_to_one_principal_replaces_its_level(bare_stack, synth):
    permissions = ObjectPermissions(bare_stack, "permissions", serving_endpoint_id="${var.endpoint}")
    first = permissions.grant(ML, "CAN_QUERY")
    permissions.grant(Principal.group("ML Engineers"), "CAN_MANAGE")
    last = permissions.grant(ML, "CAN_MANAGE")
    assert first is last is permissions.resource
    assert strip_metadata(only(synth(bare_stack), "databricks_permissions")) == {
        "serving_endpoint_id": "${var.endpoint}",
        "access_control": [
            {"permission_level": "CAN_MANAGE", "service_principal_name": "${var.app_id}"},
            {"permission_level": "CAN_MANAGE", "group_name": "ML Engineers"},
        ],
    }


@pytest.mark.parametrize("references", [{}, {"cluster_id": "a", "serving_endpoint_id": "b"}])
def test_exactly_one_object_reference(bare_stack, references):
    with pytest.raises(ValueError, match="exactly one object reference"):
        ObjectPermissions(bare_stack, "permissions", **references)
