"""Compute: clusters, their libraries, node types, Spark versions and cluster policies.

Clusters come up at once: `create` answers with the id and the first `get` reports RUNNING, so the
provider's wait for a running cluster ends on its first poll (its wait is what is exercised, not a
delay). The node types and runtimes are a fixed catalogue of real Azure names, enough for the
provider's lookups (`data.databricks_node_type`, `data.databricks_spark_version`) to choose as on a
real workspace: the smallest VM with local disk and the requested cores, the latest ML LTS runtime.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from databricks.sdk.service import compute

from .errors import ApiError, invalid, not_found
from .rules import rule
from .server import Call, Route

if TYPE_CHECKING:
    from .workspace import LocalWorkspace

CLUSTER_DEFAULTS = rule(
    "compute.cluster_defaults",
    "A cluster read back carries what the service fills in: driver_node_type_id (the worker type), "
    "enable_elastic_disk true, azure_attributes, default_tags, creator_user_name, state and cluster_source",
    "Databricks REST API, GET /api/2.1/clusters/get (ClusterDetails); Azure: elastic disk is on by default",
)
LIBRARIES_INSTALLED = rule(
    "compute.libraries_installed_on_running_cluster",
    "Libraries installed on a running cluster report INSTALLED at the next status call",
    "Databricks REST API, GET /api/2.0/libraries/cluster-status (LibraryInstallStatus)",
)
MISSING_CLUSTER_IS_400 = rule(
    "compute.missing_cluster_is_400",
    "A cluster that does not exist is answered 400 INVALID_PARAMETER_VALUE 'Cluster <id> does not exist', not 404",
    "terraform-provider-databricks v1.99.0 clusters/clusters_api.go (wrapMissingClusterError: 'fix non-compliant "
    "error code')",
)
ONLY_OWNER_CHANGES_SECRETS = rule(
    "compute.only_owner_changes_secrets",
    "An edit of a cluster whose Spark conf or environment references a secret ({{secrets/...}}) by anyone but the "
    "cluster's creator is refused (400 'Only Cluster Owner is allowed to change the secrets.')",
    "terraform-provider-databricks #2543 (open: no way to change a cluster's owner), #3607",
)
POLICY_NAME_UNIQUE = rule(
    "compute.policy_name_unique",
    "A second cluster policy of the same name is refused (400 INVALID_PARAMETER_VALUE)",
    "Databricks REST API, POST /api/2.0/policies/clusters/create: 'Cluster policy names must be unique'",
)

NODE_TYPES: list[dict[str, Any]] = [
    {"node_type_id": id_, "instance_type_id": id_, "num_cores": cores, "memory_mb": memory,
     "category": "General Purpose", "description": id_, "is_deprecated": False, "is_hidden": False,
     "support_cluster_tags": True, "photon_driver_capable": True, "photon_worker_capable": True,
     "node_instance_type": {"instance_type_id": id_, "local_disks": disks, "local_disk_size_gb": size}}
    for id_, cores, memory, disks, size in [
        ("Standard_D4ds_v5", 4.0, 16384, 1, 150),
        ("Standard_D8ds_v5", 8.0, 32768, 1, 300),
        ("Standard_D4s_v5", 4.0, 16384, 0, 0),
        ("Standard_DS3_v2", 4.0, 14336, 1, 28),
        ("Standard_F4s", 4.0, 8192, 1, 16),
    ]
]  # fmt: skip
"""Azure VM sizes as `clusters/list-node-types` names them: the smallest with local disk and 4 cores is
Standard_F4s (8 GiB), as the SDK sorts them (databricks-sdk-go v0.93.0 service/compute/ext_node_type.go)."""

SPARK_VERSIONS: list[dict[str, str]] = [
    {"key": key, "name": name}
    for key, name in [
        ("15.4.x-scala2.12", "15.4 LTS (includes Apache Spark 3.5.0, Scala 2.12)"),
        ("15.4.x-cpu-ml-scala2.12", "15.4 LTS ML (includes Apache Spark 3.5.0, Scala 2.12)"),
        ("16.4.x-cpu-ml-scala2.12", "16.4 LTS ML (includes Apache Spark 3.5.2, Scala 2.12)"),
        ("16.4.x-cpu-ml-scala2.13", "16.4 LTS ML (includes Apache Spark 3.5.2, Scala 2.13)"),
        ("17.3.x-scala2.13", "17.3 LTS (includes Apache Spark 4.0.0, Scala 2.13)"),
        ("17.3.x-cpu-ml-scala2.13", "17.3 LTS ML (includes Apache Spark 4.0.0, Scala 2.13)"),
        ("17.3.x-gpu-ml-scala2.13", "17.3 LTS ML (includes Apache Spark 4.0.0, GPU, Scala 2.13)"),
        ("18.0.x-cpu-ml-scala2.13", "18.0 ML (includes Apache Spark 4.1.0, Scala 2.13)"),
    ]
]
"""Runtimes as `clusters/spark-versions` names them; the latest ML LTS on Scala 2.13 is 17.3."""


@dataclass
class Cluster:
    id: str
    spec: dict[str, Any]
    creator: str
    libraries: list[dict[str, Any]] = field(default_factory=list)
    pinned: bool = False


@dataclass
class Policy:
    id: str
    name: str
    definition: str
    creator: str
    created_at: int
    description: str | None = None


class Compute:
    def __init__(self, workspace: LocalWorkspace):
        self.workspace = workspace
        self.clusters: dict[str, Cluster] = {}
        self.policies: dict[str, Policy] = {}
        self.spark_versions = [dict(v) for v in SPARK_VERSIONS]
        """The runtimes this workspace offers; a test adds one as Databricks releases it."""

    def routes(self) -> list[Route]:
        clusters, policies = "/api/2.1/clusters", "/api/2.0/policies/clusters"
        return [
            ("POST", f"{clusters}/create", self.create_cluster),
            ("GET", f"{clusters}/get", self.get_cluster),
            ("GET", f"{clusters}/list", self.list_clusters),
            ("POST", f"{clusters}/edit", self.edit_cluster),
            ("POST", f"{clusters}/start", self.start_cluster),
            ("POST", f"{clusters}/(?P<action>pin|unpin)", self.pin_cluster),
            ("POST", f"{clusters}/permanent-delete", self.delete_cluster),
            ("GET", f"{clusters}/list-node-types", lambda call: {"node_types": NODE_TYPES}),
            ("GET", f"{clusters}/spark-versions", lambda call: {"versions": self.spark_versions}),
            ("POST", "/api/2.0/libraries/install", self.install_libraries),
            ("POST", "/api/2.0/libraries/uninstall", self.uninstall_libraries),
            ("GET", "/api/2.0/libraries/cluster-status", self.library_status),
            ("POST", f"{policies}/create", self.create_policy),
            ("GET", f"{policies}/get", self.get_policy),
            ("GET", f"{policies}/list", self.list_policies),
            ("POST", f"{policies}/edit", self.edit_policy),
            ("POST", f"{policies}/delete", self.delete_policy),
        ]

    # --- clusters ---

    def cluster(self, cluster_id: str | None) -> Cluster:
        found = self.clusters.get(cluster_id or "")
        if found is None:
            if self.workspace.applies(MISSING_CLUSTER_IS_400):
                raise invalid(f"Cluster {cluster_id} does not exist")
            raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"Cluster {cluster_id} does not exist")
        return found

    def create_cluster(self, call: Call) -> dict[str, Any]:
        spec = compute.ClusterSpec.from_dict(call.body).as_dict()
        cluster_id = f"1204-{self.workspace.next_id():0>6}-local{len(self.clusters):03d}"
        self.clusters[cluster_id] = Cluster(cluster_id, spec, call.caller)
        self.workspace.permissions.initial("clusters", cluster_id, call.caller, "CAN_MANAGE")
        return {"cluster_id": cluster_id}

    def _details(self, c: Cluster) -> dict[str, Any]:
        details = dict(c.spec)
        if self.workspace.applies(CLUSTER_DEFAULTS):
            details.setdefault("driver_node_type_id", details.get("node_type_id"))
            details.setdefault("enable_elastic_disk", True)
            details.setdefault(
                "azure_attributes", {"first_on_demand": 1, "availability": "ON_DEMAND_AZURE", "spot_bid_max_price": -1}
            )
            details.update(
                default_tags={
                    "Vendor": "Databricks",
                    "Creator": c.creator,
                    "ClusterName": str(details.get("cluster_name", "")),
                    "ClusterId": c.id,
                },
                creator_user_name=c.creator,
                cluster_source="API",
                state="RUNNING",
                state_message="",
                spark_context_id=1,
                start_time=1_733_300_000_000,
            )
        details["cluster_id"] = c.id
        return compute.ClusterDetails.from_dict(details).as_dict()

    def get_cluster(self, call: Call) -> dict[str, Any]:
        return self._details(self.cluster(call.arg("cluster_id")))

    def list_clusters(self, call: Call) -> dict[str, Any]:
        pinned_only = call.arg("filter_by.is_pinned") == "true"
        found = [c for c in self.clusters.values() if c.pinned or not pinned_only]
        return {"clusters": [self._details(c) for c in found]} if found else {}

    def edit_cluster(self, call: Call) -> None:
        cluster = self.cluster(call.body.get("cluster_id"))
        spec = compute.ClusterSpec.from_dict(call.body).as_dict()
        secrets = any(
            "{{secrets/" in str(v) for key in ("spark_conf", "spark_env_vars") for v in (spec.get(key) or {}).values()
        )
        if secrets and call.caller != cluster.creator and self.workspace.applies(ONLY_OWNER_CHANGES_SECRETS):
            raise invalid("Only Cluster Owner is allowed to change the secrets.")
        cluster.spec = spec

    def start_cluster(self, call: Call) -> None:
        self.cluster(call.body.get("cluster_id"))

    def pin_cluster(self, call: Call) -> None:
        self.cluster(call.body.get("cluster_id")).pinned = call.params["action"] == "pin"

    def delete_cluster(self, call: Call) -> None:
        cluster = self.cluster(call.body.get("cluster_id"))
        del self.clusters[cluster.id]
        self.workspace.permissions.forget("clusters", cluster.id)

    # --- libraries ---

    def install_libraries(self, call: Call) -> None:
        cluster = self.cluster(call.body.get("cluster_id"))
        for library in call.body.get("libraries", []):
            if library not in cluster.libraries:
                cluster.libraries.append(library)

    def uninstall_libraries(self, call: Call) -> None:
        cluster = self.cluster(call.body.get("cluster_id"))
        removed = call.body.get("libraries", [])
        cluster.libraries = [library for library in cluster.libraries if library not in removed]

    def library_status(self, call: Call) -> dict[str, Any]:
        cluster = self.cluster(call.arg("cluster_id"))
        status = "INSTALLED" if self.workspace.applies(LIBRARIES_INSTALLED) else "PENDING"
        statuses = [
            {"library": library, "status": status, "is_library_for_all_clusters": False}
            for library in cluster.libraries
        ]
        return compute.ClusterLibraryStatuses.from_dict(
            {"cluster_id": cluster.id, "library_statuses": statuses}
        ).as_dict()

    # --- cluster policies ---

    def policy(self, policy_id: str | None) -> Policy:
        found = self.policies.get(policy_id or "")
        if found is None:
            raise not_found(f"Can't find a cluster policy with id: {policy_id}.")
        return found

    def _check_policy(self, body: dict[str, Any], policy_id: str | None = None) -> None:
        try:
            json.loads(body.get("definition") or "{}")
        except ValueError as error:
            raise invalid(f"Policy definition is not valid JSON: {error}") from None
        name = body.get("name", "")
        if self.workspace.applies(POLICY_NAME_UNIQUE) and any(
            p.name == name and p.id != policy_id for p in self.policies.values()
        ):
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Cluster policy with name {name} already exists.")

    def create_policy(self, call: Call) -> dict[str, Any]:
        self._check_policy(call.body)
        policy_id = f"{0xE000000000000000 + self.workspace.next_id():X}"
        self.policies[policy_id] = Policy(
            policy_id,
            call.body.get("name", ""),
            call.body.get("definition", "{}"),
            call.caller,
            self.workspace.now_ms(),
            call.body.get("description"),
        )
        self.workspace.permissions.initial("cluster-policies", policy_id, call.caller, None)
        return {"policy_id": policy_id}

    def _policy(self, p: Policy) -> dict[str, Any]:
        return compute.Policy(
            policy_id=p.id,
            name=p.name,
            definition=p.definition,
            description=p.description,
            creator_user_name=p.creator,
            created_at_timestamp=p.created_at,
            is_default=False,
        ).as_dict()

    def get_policy(self, call: Call) -> dict[str, Any]:
        return self._policy(self.policy(call.arg("policy_id")))

    def list_policies(self, call: Call) -> dict[str, Any]:
        return {"policies": [self._policy(p) for p in self.policies.values()]} if self.policies else {}

    def edit_policy(self, call: Call) -> None:
        policy = self.policy(call.body.get("policy_id"))
        self._check_policy(call.body, policy.id)
        policy.name = call.body.get("name", policy.name)
        policy.definition = call.body.get("definition", policy.definition)
        policy.description = call.body.get("description")

    def delete_policy(self, call: Call) -> None:
        policy = self.policy(call.body.get("policy_id"))
        del self.policies[policy.id]
        self.workspace.permissions.forget("cluster-policies", policy.id)
