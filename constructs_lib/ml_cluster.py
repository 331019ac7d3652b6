"""An ML cluster that runs as the ML principal: ML LTS runtime, autoscaling, auto-termination.

`data_security_mode = SINGLE_USER` with `single_user_name` = the principal's application id makes
the cluster act with exactly the principal's Unity Catalog rights. Secrets reach Spark as
`{{secrets/<scope>/<key>}}` references that Databricks resolves at start-up; no value is ever here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from cdktf_cdktf_provider_databricks.cluster import Cluster, ClusterAutoscale, ClusterLibrary, ClusterLibraryPypi
from cdktf_cdktf_provider_databricks.data_databricks_node_type import DataDatabricksNodeType
from cdktf_cdktf_provider_databricks.data_databricks_spark_version import DataDatabricksSparkVersion
from cdktf_cdktf_provider_databricks.permissions import Permissions
from constructs import Construct

from .object_permissions import ObjectPermissions
from .principals import Principal

ClusterPermission = Literal["CAN_ATTACH_TO", "CAN_RESTART", "CAN_MANAGE"]


def adls_oauth_spark_conf(
    *, storage_account: str, client_id: str, tenant_id: str, client_secret_reference: str
) -> dict[str, str]:
    """Spark conf for ADLS Gen2 OAuth (client credentials) to one storage account.

    `client_secret_reference` must be a `{{secrets/...}}` reference, never the value.
    """
    if not client_secret_reference.startswith("{{secrets/"):
        raise ValueError("client_secret_reference must be a {{secrets/<scope>/<key>}} reference")
    suffix = f"{storage_account}.dfs.core.windows.net"
    return {
        f"fs.azure.account.auth.type.{suffix}": "OAuth",
        f"fs.azure.account.oauth.provider.type.{suffix}": "org.apache.hadoop.fs.azurebfs.oauth2.ClientCredsTokenProvider",
        f"fs.azure.account.oauth2.client.id.{suffix}": client_id,
        f"fs.azure.account.oauth2.client.secret.{suffix}": client_secret_reference,
        f"fs.azure.account.oauth2.client.endpoint.{suffix}": f"https://login.microsoftonline.com/{tenant_id}/oauth2/token",
    }


@dataclass(frozen=True)
class MlClusterProps:
    """Sizes and pins come from config (`databricks.cluster`), which states their defaults and ranges."""

    cluster_name: str
    single_user_name: str
    """The application id of the service principal the cluster runs as."""
    min_workers: int
    max_workers: int
    autotermination_minutes: int
    spark_version: str | None
    """Pin a runtime key; None looks up the latest ML LTS runtime."""
    node_type_id: str | None
    """Pin a VM size; None looks up the smallest with local disk and `min_cores` cores."""
    min_cores: int
    pypi_packages: tuple[str, ...]
    custom_tags: Mapping[str, str] = field(default_factory=dict)
    spark_conf: Mapping[str, str] = field(default_factory=dict)
    """Built by code (e.g. `adls_oauth_spark_conf`); a key naming a secret must hold a `{{secrets/...}}` reference."""

    def __post_init__(self) -> None:
        plain = sorted(k for k, v in self.spark_conf.items() if "secret" in k.lower() and "{{secrets/" not in v)
        if plain:
            raise ValueError(
                f"spark_conf {plain}: secrets must be {{{{secrets/<scope>/<key>}}}} references, never values"
            )


ML_RUNTIME_SCALA = "2.13"
"""The lookup's Scala line, set explicitly: databricks 1.99.0 defaults `scala` to "2.12"
(clusters/data_spark_version.go) and matches keys containing `-scala<version>` (databricks-sdk-go
v0.93.0, service/compute/ext_spark_version.go), so with the default no Scala-2.13-only LTS (17.3 LTS
onward) would ever match. The lookup takes the latest ML LTS: when Databricks releases a newer one,
the next plan shows `spark_version` changing on the ML cluster (restarted on apply) and the policy
(job clusters use it from their next run). Pin `cluster.spark_version` to hold a runtime."""


class MlCluster(Construct):
    """Attributes: `cluster_id`, `spark_version`, `node_type_id` (the resolved runtime and VM size). Grants: `grant_attach`, `grant_restart`, `grant_manage`."""

    def __init__(self, scope: Construct, construct_id: str, props: MlClusterProps):
        super().__init__(scope, construct_id)
        spark_version = (
            props.spark_version
            or DataDatabricksSparkVersion(
                self, "ml_lts_runtime", ml=True, long_term_support=True, latest=True, scala=ML_RUNTIME_SCALA
            ).id
        )
        node_type_id = (
            props.node_type_id
            or DataDatabricksNodeType(self, "node_type", local_disk=True, min_cores=props.min_cores).id
        )
        self.cluster = Cluster(
            self,
            "cluster",
            cluster_name=props.cluster_name,
            spark_version=spark_version,
            node_type_id=node_type_id,
            autoscale=ClusterAutoscale(min_workers=props.min_workers, max_workers=props.max_workers),
            autotermination_minutes=props.autotermination_minutes,
            data_security_mode="SINGLE_USER",
            single_user_name=props.single_user_name,
            custom_tags=dict(props.custom_tags) or None,
            spark_conf=dict(props.spark_conf) or None,
            library=[ClusterLibrary(pypi=ClusterLibraryPypi(package=p)) for p in props.pypi_packages] or None,
        )
        self.cluster_id: str = self.cluster.id
        self.spark_version: str = spark_version
        self.node_type_id: str = node_type_id
        self._permissions = ObjectPermissions(self, "permissions", cluster_id=self.cluster.id)

    def grant(self, principal: Principal, permission_level: ClusterPermission) -> Permissions:
        """Give `principal` one cluster permission level; returns the cluster's permissions resource."""
        return self._permissions.grant(principal, permission_level)

    def grant_attach(self, principal: Principal) -> Permissions:
        """Attach notebooks and view the cluster (CAN_ATTACH_TO)."""
        return self.grant(principal, "CAN_ATTACH_TO")

    def grant_restart(self, principal: Principal) -> Permissions:
        """Attach, start and restart the cluster (CAN_RESTART)."""
        return self.grant(principal, "CAN_RESTART")

    def grant_manage(self, principal: Principal) -> Permissions:
        """Edit, resize and delete the cluster and its permissions (CAN_MANAGE)."""
        return self.grant(principal, "CAN_MANAGE")
