"""The ML workflows of one environment, composed into its databricks stack (`databricks.workflows`).

A cluster policy the platform owns; the training, batch-inference and deployment jobs, each running
as the ML principal on a job cluster under that policy; who may run them (the engineers group) and
use the policy (the principal and the engineers), who manages them (every deployer; one owns each
job); the registered model, owned by the principal; and
the principal's Unity Catalog grants for its inputs and its output schema, one `databricks_grant`
per (securable, principal).
"""

from __future__ import annotations

from constructs import Construct

from config import EnvironmentSettings
from config.naming import ml_job_name, ml_job_policy_name
from config.workflows import WorkflowsSettings
from constructs_lib.cluster_policy import MlJobClusterPolicy, MlJobClusterPolicyProps
from constructs_lib.ml_cluster import MlCluster
from constructs_lib.ml_job import GitSource, JobCluster, MlJob, MlJobProps, Schedule
from constructs_lib.model_version_lookup import ModelVersionLookup
from constructs_lib.principals import Principal
from constructs_lib.registered_model import OwnedRegisteredModel, OwnedRegisteredModelProps
from constructs_lib.unity_catalog import UnityCatalog


class MlWorkflows(Construct):
    """Attributes: `policy`, `jobs` (by kind: training, batch_inference, deployment), `model`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        environment: EnvironmentSettings,
        settings: WorkflowsSettings,
        principal: Principal,
        deployers: tuple[Principal, ...],
        cluster: MlCluster,
        unity_catalog: UnityCatalog,
    ):
        super().__init__(scope, construct_id)
        engineers = Principal.group(settings.engineers_group)
        tags = {**environment.scope_tags, "managed-by": "mlplatform-cdktf"}
        sizes = settings.job_cluster
        node_types = tuple(sizes.node_type_ids) or (cluster.node_type_id,)

        self.policy = MlJobClusterPolicy(
            self,
            "policy",
            MlJobClusterPolicyProps(
                name=ml_job_policy_name(prefix, environment.label),
                spark_version=cluster.spark_version,
                node_type_ids=node_types,
                max_workers=sizes.max_workers,
                custom_tags=tags,
            ),
        )
        self.policy.grant_use(principal)
        self.policy.grant_use(engineers)

        self.model = OwnedRegisteredModel(
            self,
            "model",
            OwnedRegisteredModelProps(
                full_name=settings.model,
                owner=principal.name,
                comment=f"Trained and promoted by the {environment.label} ML workflows (mlplatform-cdktf)",
            ),
        )
        # The owner needs to reach its model, read its inputs and write its outputs; nothing more.
        unity_catalog.schema(".".join(settings.model.split(".")[:2])).grant_use(principal)
        for table in settings.input_tables:
            unity_catalog.table(table).grant_select(principal)
        unity_catalog.schema(settings.output_schema).grant_create_tables(principal)

        git = settings.git
        owner = next((d for d in deployers if d.kind == "service_principal"), deployers[0])
        self.jobs: dict[str, MlJob] = {}
        for kind, job in settings.jobs().items():
            schedule = job.schedule
            # Paused by default in the dev tier: dev jobs run when someone starts them.
            paused = schedule is not None and (
                schedule.paused if schedule.paused is not None else environment.tier == "dev"
            )
            # Batch inference scores with the served model: a running schedule stays quiet until it can serve.
            ready = (
                self._servable(environment, settings.model)
                if kind == "batch_inference" and schedule and not paused
                else None
            )
            self.jobs[kind] = MlJob(
                self,
                kind,
                MlJobProps(
                    name=ml_job_name(prefix, environment.label, kind),
                    run_as=principal.name,
                    git=GitSource(url=git.url, provider=git.provider, branch=git.branch, tag=git.tag),
                    notebook_path=job.notebook_path,
                    parameters={**job.parameters, "model_name": self.model.full_name},
                    cluster=JobCluster(
                        policy_id=self.policy.policy_id,
                        spark_version=cluster.spark_version,
                        node_type_id=node_types[0],
                        min_workers=sizes.min_workers,
                        max_workers=sizes.max_workers,
                        single_user_name=principal.name,
                        custom_tags=tags,
                    ),
                    timeout_seconds=job.timeout_seconds,
                    max_concurrent_runs=job.max_concurrent_runs,
                    schedule=Schedule(
                        quartz_cron_expression=schedule.quartz_cron_expression,
                        timezone_id=schedule.timezone_id,
                        paused=paused,
                        ready=ready,
                    )
                    if schedule
                    else None,
                    failure_notifications=tuple(settings.failure_notifications),
                    tags=tags,
                ),
            )
            self.jobs[kind].grant_run(engineers)
            # One fixed owner, the others manage: the first service principal among the deployers
            # (CI or the agents' identity, which outlive a person's account), else the first deployer.
            self.jobs[kind].grant_ownership(owner)
            for deployer in deployers:
                if deployer != owner:
                    self.jobs[kind].grant_manage(deployer)

    def _servable(self, environment: EnvironmentSettings, model: str) -> str | None:
        """A boolean expression: the version the serving layer serves of this model exists (its alias
        is set, or its pinned version registered), read at every plan like the serving stack does; None
        when no served model is this one. The lookup reads the model through the resource, so on a fresh
        environment Terraform reads it after creating the model, in the same apply (no version: false)."""
        served = next(
            (m for m in environment.databricks.serving.served_models if m.model.lower() == model.lower()), None
        )
        if served is None:
            return None
        lookup = ModelVersionLookup(
            self, "servable", full_name=self.model.full_name, alias=served.alias, version=served.version
        )
        return lookup.resolved
