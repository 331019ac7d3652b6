"""The ML workflows of one environment: training, batch inference and deployment jobs that run as
the ML principal, from the ML team's Git repository, on job clusters under a cluster policy.

Optional (`databricks.workflows`); without it no job, policy or workflow grant is created.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import Field, field_validator, model_validator

from .autoscale import check_autoscale
from .git_source import git_ref_problem, git_url_problem, notebook_path_problem
from .quartz import quartz_problem, time_zone_problem
from .text import shorten
from .types import GroupName, Strict, UcModelName, VmSize, checked, pattern, uc_name

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


def _by_problem(problem_of: Callable[[str], str | None], limit: int, what: str = "") -> Callable[[str], str]:
    """A check that raises `<value><what>: <problem>` when `problem_of` names one (or the value is longer than
    `limit` characters, which is refused before `problem_of` reads it)."""

    def check(value: str) -> str:
        problem = problem_of(value) if len(value) <= limit else f"is longer than {limit} characters"
        if problem:
            raise ValueError(f"{shorten(value)}{what}: {problem}")
        return value

    return check


_check_ref = _by_problem(git_ref_problem, 255, " is not a branch or tag name git accepts")
_check_notebook = _by_problem(notebook_path_problem, 255)


GitRef = Annotated[
    str, checked(_check_ref, "a branch or tag name git accepts (git-check-ref-format rules), at most 255 characters")
]
RepoPath = Annotated[
    str,
    checked(_check_notebook, "a file's path inside the repository: relative, no '.' or '..' component, not a folder"),
]
UcTableName = Annotated[str, uc_name("catalog.schema.table")]
UcSchemaName = Annotated[str, uc_name("catalog.schema")]


def _check_email(value: str) -> str:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"{shorten(value)} is not an e-mail address: {error}") from None
    return value


EmailAddress = Annotated[str, checked(_check_email, "an e-mail address (checked by email-validator, no DNS lookup)")]
RESERVED_PARAMETERS = ("model_name",)
"""Notebook parameters the platform sets on every job (the workflows' registered model)."""


def _check_time_zone(value: str) -> str:
    problem = time_zone_problem(value)
    if problem:
        raise ValueError(problem)
    return value


_check_quartz = _by_problem(quartz_problem, 200, " is not a Quartz cron expression")


TimezoneId = Annotated[
    str, checked(_check_time_zone, "a time zone id of the IANA zone database (Java's region ids), e.g. UTC")
]
QuartzCron = Annotated[
    str,
    checked(
        _check_quartz,
        "a Quartz cron expression: 6 or 7 fields (seconds first), each within its range, '?' in exactly one of "
        "day-of-month and day-of-week, e.g. '0 0 3 ? * MON'",
    ),
]


class GitSourceSettings(Strict):
    """Where the ML code lives; every task runs a notebook from it."""

    url: GitUrl
    """The repository's https URL, in its service's shape (GitHub: https://github.com/<owner>/<repository>;
    Azure DevOps: https://dev.azure.com/<organization>/<project>/_git/<repository>); no credentials in it."""
    provider: GitProvider
    """The Git provider, as the Jobs API names it (`gitHub`, `azureDevOpsServices`, ...); it must agree with
    the URL's host: a cloud service by its own host, a self-hosted one (`gitHubEnterprise`,
    `gitLabEnterpriseEdition`, `bitbucketServer`) by any other."""
    branch: GitRef | None = None
    """A branch (dev follows one)."""
    tag: GitRef | None = None
    """A tag (staging and prod run a released version)."""

    @model_validator(mode="after")
    def _one_ref(self) -> GitSourceSettings:
        if (self.branch is None) == (self.tag is None):
            raise ValueError("git: set exactly one of branch (dev) or tag (staging, prod)")
        problem = git_url_problem(self.url, self.provider)
        if problem:
            raise ValueError(f"url: {problem}")
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
    """Notebook parameters (plain values, never secrets); `model_name` is the platform's (every job gets
    the workflows' registered model under it)."""
    schedule: ScheduleSettings | None = None
    """None: the job runs when started (or by the job before it)."""

    @field_validator("parameters")
    @classmethod
    def _platform_parameters(cls, value: dict[str, str]) -> dict[str, str]:
        taken = sorted(set(value) & set(RESERVED_PARAMETERS))
        if taken:
            raise ValueError(
                f"{taken[0]}: the platform sets this parameter on every job (the workflows' registered model); "
                "remove it, config cannot set or overwrite it"
            )
        return value

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
        check_autoscale(self.min_workers, self.max_workers)
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
