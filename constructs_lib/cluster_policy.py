"""A cluster policy the platform owns: what every job cluster of the ML workflows may be.

Fixed by the platform: the runtime (the ML LTS key the ML cluster uses), the access mode
(SINGLE_USER: a cluster acts with exactly one identity's Unity Catalog rights), job clusters only,
and the platform's tags; bounded: the worker count; allow-listed: the VM sizes. No auto-termination
rule: job clusters end with their run, and `autotermination_minutes` is not supported on them
(databricks 1.99.0 docs/resources/job.md).
The definition is kept as plain data in `locals` and encoded by Terraform (`jsonencode`), so no
config value is ever spliced into an expression. Grant: `grant_use(principal)` (CAN_USE).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf import Fn, TerraformLocal
from cdktf_cdktf_provider_databricks.cluster_policy import ClusterPolicy
from cdktf_cdktf_provider_databricks.permissions import Permissions
from constructs import Construct

from .object_permissions import ObjectPermissions
from .principals import Principal


@dataclass(frozen=True)
class MlJobClusterPolicyProps:
    name: str
    spark_version: str
    """The runtime key every cluster must use (a reference to the ML LTS lookup, or a pinned key)."""
    node_type_ids: tuple[str, ...]
    """Allowed VM sizes; the first is the default."""
    max_workers: int
    """Autoscale bounds: 0-max_workers."""
    custom_tags: Mapping[str, str] = field(default_factory=dict)
    """Tags every cluster carries, fixed by the policy."""


def policy_definition(props: MlJobClusterPolicyProps) -> dict[str, dict]:
    """The policy's rules (Databricks cluster policy definition language), by attribute path."""
    definition: dict[str, dict] = {
        "cluster_type": {"type": "fixed", "value": "job"},
        "spark_version": {"type": "fixed", "value": props.spark_version},
        "data_security_mode": {"type": "fixed", "value": "SINGLE_USER"},
        "node_type_id": {
            "type": "allowlist",
            "values": list(props.node_type_ids),
            "defaultValue": props.node_type_ids[0],
        },
        "autoscale.min_workers": {"type": "range", "minValue": 0, "maxValue": props.max_workers},
        "autoscale.max_workers": {"type": "range", "minValue": 1, "maxValue": props.max_workers},
    }
    for key, value in sorted(props.custom_tags.items()):
        definition[f"custom_tags.{key}"] = {"type": "fixed", "value": value}
    return definition


class MlJobClusterPolicy(Construct):
    """Attributes: `policy_id`. Grant: `grant_use`."""

    def __init__(self, scope: Construct, construct_id: str, props: MlJobClusterPolicyProps):
        super().__init__(scope, construct_id)
        if not props.node_type_ids:
            raise ValueError("MlJobClusterPolicy: name at least one allowed node type")
        definition = TerraformLocal(self, "definition", policy_definition(props))
        self.policy = ClusterPolicy(self, "policy", name=props.name, definition=Fn.jsonencode(definition.as_any_map))
        self.policy_id: str = self.policy.id
        self._permissions = ObjectPermissions(self, "permissions", cluster_policy_id=self.policy.id)

    def grant_use(self, principal: Principal) -> Permissions:
        """Create clusters with this policy (CAN_USE); returns the policy's permissions resource."""
        return self._permissions.grant(principal, "CAN_USE")
