"""MlJobClusterPolicy on its own: a fixed, bounded policy kept as plain data, used only by whom it is granted to."""

from __future__ import annotations

import pytest

from constructs_lib.cluster_policy import MlJobClusterPolicy, MlJobClusterPolicyProps, policy_definition
from constructs_lib.principals import Principal
from tests.helpers import only, ref, strip_metadata

PROPS = MlJobClusterPolicyProps(
    name="mlplatform-dev-ml-jobs",
    spark_version="15.4.x-cpu-ml-scala2.12",
    node_type_ids=("Standard_D4ds_v5", "Standard_D8ds_v5"),
    max_workers=4,
    custom_tags={"environment": "dev"},
)


def test_definition_fixes_runtime_access_mode_cluster_type_and_tags_and_bounds_workers():
    assert policy_definition(PROPS) == {
        "cluster_type": {"type": "fixed", "value": "job"},
        "spark_version": {"type": "fixed", "value": "15.4.x-cpu-ml-scala2.12"},
        "data_security_mode": {"type": "fixed", "value": "SINGLE_USER"},
        "node_type_id": {
            "type": "allowlist",
            "values": ["Standard_D4ds_v5", "Standard_D8ds_v5"],
            "defaultValue": "Standard_D4ds_v5",
        },
        "autoscale.min_workers": {"type": "range", "minValue": 0, "maxValue": 4},
        "autoscale.max_workers": {"type": "range", "minValue": 1, "maxValue": 4},
        "custom_tags.environment": {"type": "fixed", "value": "dev"},
    }


def test_the_definition_is_plain_data_encoded_by_terraform_and_use_is_granted_per_principal(bare_stack, synth):
    policy = MlJobClusterPolicy(bare_stack, "policy", PROPS)
    policy.grant_use(Principal.group("ml-engineers"))
    policy.grant_use(Principal.service_principal("11111111-1111-1111-1111-111111111111", "ml"))
    stack = synth(bare_stack)
    ((local_name, definition),) = stack["locals"].items()
    assert definition == policy_definition(PROPS)
    assert strip_metadata(only(stack, "databricks_cluster_policy")) == {
        "name": "mlplatform-dev-ml-jobs",
        "definition": f"${{jsonencode(local.{local_name})}}",
    }
    permissions = only(stack, "databricks_permissions")
    assert permissions["cluster_policy_id"] == ref(stack, "databricks_cluster_policy", "id")
    assert permissions["access_control"] == [
        {"group_name": "ml-engineers", "permission_level": "CAN_USE"},
        {"service_principal_name": "11111111-1111-1111-1111-111111111111", "permission_level": "CAN_USE"},
    ]


def test_a_policy_without_node_types_is_an_error(bare_stack):
    import dataclasses

    with pytest.raises(ValueError, match="name at least one allowed node type"):
        MlJobClusterPolicy(bare_stack, "policy", dataclasses.replace(PROPS, node_type_ids=()))
