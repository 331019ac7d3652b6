"""The ML workflows of one environment: training, batch inference and deployment jobs that run as
the ML principal, from the ML team's Git repository, on job clusters under a cluster policy.

Optional (`databricks.workflows`); without it no job, policy or workflow grant is created.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, model_validator

from .text import shorten
from .types import GroupName, Strict, UcModelName, VmSize, checked, pattern

GitProvider = Literal[
    "gitHub",
    "gitHubEnterprise",
    "bitbucketCloud",
    "bitbucketServer",
    "azureDevOpsServices",
    "gitLab",
    "gitLabEnterpriseEdition",
    "awsCodeCommit",
]
"""The Databricks Jobs API's `git_provider` values."""

GitUrl = Annotated[
    str, pattern(r"https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?/[A-Za-z0-9._~/-]+", "an https:// URL of a Git repository")
]
GitRef = Annotated[str, pattern(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,254}", "a Git branch or tag name")]
RepoPath = Annotated[
    str, pattern(r"(?!/)(?!.*\.\.)[A-Za-z0-9_./-]{1,255}", "a path inside the repository, relative, no '..'")
]
UcTableName = Annotated[
    str, pattern(r"\w[\w-]*\.\w[\w-]*\.\w[\w-]*", "a Unity Catalog table name: catalog.schema.table")
]
UcSchemaName = Annotated[str, pattern(r"\w[\w-]*\.\w[\w-]*", "a Unity Catalog schema name: catalog.schema")]
EmailAddress = Annotated[str, pattern(r"[^@\s]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}", "an e-mail address")]
TimezoneId = Annotated[str, pattern(r"UTC|[A-Z][A-Za-z_]+(?:/[A-Za-z_+-]+){1,2}", "a Java time zone id such as UTC")]

_QUARTZ_FIELD = r"[0-9A-Za-z*?/,#L W-]+"


def _check_quartz(value: str) -> str:
    fields = value.split()
    if not 6 <= len(fields) <= 7 or not all(re.fullmatch(_QUARTZ_FIELD, f) for f in fields):
        raise ValueError(
            f"{shorten(value)} is not a Quartz cron expression: 6 or 7 fields, seconds first "
            "(e.g. '0 0 3 ? * MON' for Mondays 03:00)"
        )
    if "?" not in (fields[3], fields[5]):
        raise ValueError(f"{shorten(value)}: Quartz needs '?' in day-of-month or day-of-week (e.g. '0 0 3 ? * MON')")
    return value


QuartzCron = Annotated[str, checked(_check_quartz, "a Quartz cron expression such as '0 0 3 ? * MON'")]


class GitSourceSettings(Strict):
    """Where the ML code lives; every task runs a notebook from it."""

    url: GitUrl
    """The repository's https URL."""
    provider: GitProvider
    """The Git provider, as the Jobs API names it (`gitHub`, `azureDevOpsServices`, ...)."""
    branch: GitRef | None = None
    """A branch (dev follows one)."""
    tag: GitRef | None = None
    """A tag (staging and prod run a released version)."""

    @model_validator(mode="after")
    def _one_ref(self) -> GitSourceSettings:
        if (self.branch is None) == (self.tag is None):
            raise ValueError("git: set exactly one of branch (dev) or tag (staging, prod)")
        return self


class ScheduleSettings(Strict):
    """When a job runs on its own."""

    quartz_cron_expression: QuartzCron
    """Quartz syntax, seconds first."""
    timezone_id: TimezoneId = "UTC"
    """A Java time zone id."""
    paused: bool | None = None
    """Default: paused in the dev tier, running elsewhere."""


class JobSettings(Strict):
    """One workflow job: a notebook task from the Git source."""

    notebook_path: RepoPath
    """The notebook, relative to the repository root, without extension."""
    parameters: dict[Annotated[str, pattern(r"[A-Za-z_][A-Za-z0-9_]{0,63}", "a parameter name")], str] = Field(
        default_factory=dict
    )
    """Notebook parameters (plain values, never secrets)."""
    schedule: ScheduleSettings | None = None
    """None: the job runs when started (or by the job before it)."""
    timeout_seconds: int = Field(default=14400, ge=60, le=172800)
    """A run is stopped after this many seconds."""
    max_concurrent_runs: int = Field(default=1, ge=1, le=100)
    """Runs of this job at once."""


class JobClusterSettings(Strict):
    """The job clusters (one per run), within the cluster policy's bounds."""

    min_workers: int = Field(default=1, ge=0, le=1000)
    """Autoscale lower bound."""
    max_workers: int = Field(default=4, ge=1, le=1000)
    """Autoscale upper bound; also the policy's limit."""
    node_type_ids: list[VmSize] = Field(default_factory=list)
    """VM sizes the policy allows (the first is the jobs' default); empty: the ML cluster's node type."""

    @model_validator(mode="after")
    def _bounds(self) -> JobClusterSettings:
        if self.min_workers > self.max_workers:
            raise ValueError(f"min_workers ({self.min_workers}) is more than max_workers ({self.max_workers})")
        return self


class WorkflowsSettings(Strict):
    """The ML team's jobs, run as the ML principal (`run_as`), under a cluster policy of the platform."""

    git: GitSourceSettings
    """The ML code."""
    engineers_group: GroupName
    """Workspace group of the ML engineers: may run and view the jobs and use the policy; nobody else."""
    model: UcModelName
    """The registered model training versions; created here, owned by the ML principal (owning it is what
    creating versions and moving aliases need in Unity Catalog)."""
    input_tables: list[UcTableName] = Field(default_factory=list)
    """Tables the jobs read (SELECT)."""
    output_schema: UcSchemaName
    """Schema batch inference writes its tables to (CREATE_TABLE; the principal owns what it creates)."""
    failure_notifications: list[EmailAddress] = Field(default_factory=list)
    """Addresses told when any job run fails."""
    job_cluster: JobClusterSettings = JobClusterSettings()
    """Sizes of the job clusters."""
    training: JobSettings
    """Trains and registers a new model version."""
    batch_inference: JobSettings
    """Scores a table with the model into the output schema."""
    deployment: JobSettings
    """Validates the newest version and moves the serving alias to it."""

    def jobs(self) -> dict[Literal["training", "batch_inference", "deployment"], JobSettings]:
        return {"training": self.training, "batch_inference": self.batch_inference, "deployment": self.deployment}
