"""A workflow job that runs as the ML principal: one notebook task from Git on its own job cluster.

`run_as` is the principal (its application id), so every run has exactly the principal's rights,
whoever starts it. The job cluster is created under the platform's cluster policy, single-user as
the principal, and sets every value the policy fixes itself: no `apply_policy_default_values`, which
the Jobs API accepts and never returns, so every plan showed it changing (terraform-provider-databricks
#3658, open; the local workspace's rule `jobs.apply_policy_default_values_not_returned`). Setting `run_as` to a service principal needs the job owner (the deploying identity)
to hold the Service Principal User role on it, or to be a workspace admin while the workspace's
RestrictWorkspaceAdmins setting is ALLOW_ALL, its default (Databricks: "Manage roles on a service
principal"); docs/ml-workflows.md. Grants go through one
authoritative `databricks_permissions`: `grant_run(principal)` (CAN_MANAGE_RUN: run, cancel, view),
`grant_view(principal)` (CAN_VIEW), and for the deployers `grant_manage(principal)` (CAN_MANAGE) and
`grant_ownership(principal)` (IS_OWNER, exactly one). The ACL names the owner: without one, provider
1.99.0 makes whoever applies the owner (permissions/resource_permissions.go, safePutWithOwner), so the
owner would move with each deployer's apply and every other deployer's plan would show it as drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from cdktf import Fn, Token
from cdktf_cdktf_provider_databricks.job import (
    Job,
    JobEmailNotifications,
    JobGitSource,
    JobJobCluster,
    JobJobClusterNewCluster,
    JobJobClusterNewClusterAutoscale,
    JobRunAs,
    JobSchedule,
    JobTask,
    JobTaskNotebookTask,
)
from cdktf_cdktf_provider_databricks.permissions import Permissions
from constructs import Construct

from .object_permissions import ObjectPermissions
from .principals import Principal

JOB_CLUSTER_KEY = "ml"


@dataclass(frozen=True)
class GitSource:
    url: str
    provider: str
    """The Jobs API's `git_provider` (`gitHub`, `azureDevOpsServices`, ...)."""
    branch: str | None = None
    tag: str | None = None


@dataclass(frozen=True)
class Schedule:
    quartz_cron_expression: str
    timezone_id: str
    paused: bool
    ready: str | None = None
    """A boolean expression, e.g. the model the job scores can serve (`ModelVersionLookup.resolved`):
    while false an unpaused schedule stays PAUSED, so a fresh environment's job does not fail on every
    run before training and deployment have run. None: no condition."""


@dataclass(frozen=True)
class JobCluster:
    policy_id: str
    spark_version: str
    node_type_id: str
    min_workers: int
    max_workers: int
    single_user_name: str
    """The application id of the principal the cluster runs as."""
    custom_tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MlJobProps:
    name: str
    run_as: str
    """Application id of the service principal every run acts as."""
    git: GitSource
    notebook_path: str
    cluster: JobCluster
    timeout_seconds: int
    max_concurrent_runs: int
    parameters: Mapping[str, str] = field(default_factory=dict)
    schedule: Schedule | None = None
    failure_notifications: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


def _pause_status(schedule: Schedule) -> str:
    if schedule.paused:
        return "PAUSED"
    if schedule.ready is None:
        return "UNPAUSED"
    return Token.as_string(Fn.conditional(schedule.ready, "UNPAUSED", "PAUSED"))


class MlJob(Construct):
    """Attributes: `job_id`. Grants: `grant`, `grant_run`, `grant_view`."""

    def __init__(self, scope: Construct, construct_id: str, props: MlJobProps):
        super().__init__(scope, construct_id)
        cluster = props.cluster
        self.job = Job(
            self,
            "job",
            name=props.name,
            run_as=JobRunAs(service_principal_name=props.run_as),
            git_source=JobGitSource(
                url=props.git.url, provider=props.git.provider, branch=props.git.branch, tag=props.git.tag
            ),
            job_cluster=[
                JobJobCluster(
                    job_cluster_key=JOB_CLUSTER_KEY,
                    new_cluster=JobJobClusterNewCluster(
                        policy_id=cluster.policy_id,
                        spark_version=cluster.spark_version,
                        node_type_id=cluster.node_type_id,
                        autoscale=JobJobClusterNewClusterAutoscale(
                            min_workers=cluster.min_workers, max_workers=cluster.max_workers
                        ),
                        data_security_mode="SINGLE_USER",
                        single_user_name=cluster.single_user_name,
                        custom_tags=dict(cluster.custom_tags) or None,
                    ),
                )
            ],
            task=[
                JobTask(
                    task_key=construct_id,
                    job_cluster_key=JOB_CLUSTER_KEY,
                    notebook_task=JobTaskNotebookTask(
                        notebook_path=props.notebook_path,
                        source="GIT",
                        base_parameters=dict(props.parameters) or None,
                    ),
                )
            ],
            schedule=JobSchedule(
                quartz_cron_expression=props.schedule.quartz_cron_expression,
                timezone_id=props.schedule.timezone_id,
                pause_status=_pause_status(props.schedule),
            )
            if props.schedule
            else None,
            timeout_seconds=props.timeout_seconds,
            max_concurrent_runs=props.max_concurrent_runs,
            email_notifications=JobEmailNotifications(on_failure=list(props.failure_notifications))
            if props.failure_notifications
            else None,
            tags=dict(props.tags) or None,
        )
        self.job_id: str = self.job.id
        self._permissions = ObjectPermissions(self, "permissions", job_id=self.job.id)

    def grant(
        self, principal: Principal, permission_level: Literal["CAN_VIEW", "CAN_MANAGE_RUN", "CAN_MANAGE", "IS_OWNER"]
    ) -> Permissions:
        """Give `principal` one job permission level (CAN_MANAGE and IS_OWNER are for the deployers)."""
        if permission_level == "IS_OWNER":
            owners = [p for p, level in self._permissions.grants.items() if level == "IS_OWNER" and p != principal]
            if owners:
                raise ValueError(f"the job already has an owner ({owners[0].name}); a job has exactly one")
        return self._permissions.grant(principal, permission_level)

    def grant_ownership(self, principal: Principal) -> Permissions:
        """Own the job (IS_OWNER): one deployer, fixed, so the owner never follows whoever applies."""
        return self.grant(principal, "IS_OWNER")

    def grant_manage(self, principal: Principal) -> Permissions:
        """Edit, run and delete the job and change its permissions (CAN_MANAGE): the other deployers."""
        return self.grant(principal, "CAN_MANAGE")

    def grant_run(self, principal: Principal) -> Permissions:
        """Run, cancel and view runs (CAN_MANAGE_RUN)."""
        return self.grant(principal, "CAN_MANAGE_RUN")

    def grant_view(self, principal: Principal) -> Permissions:
        """View the job and its runs (CAN_VIEW)."""
        return self.grant(principal, "CAN_VIEW")
