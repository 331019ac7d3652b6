"""The whole config file and one environment: the model `load_config` validates, and the rules
that join sections (tier defaults, execution mode, names unique across environments).

Refusing unsafe text (config/text.py) happens here, in the root model's first validator, so it
covers every field of every section, including fields added later.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, PrivateAttr, model_validator

from .azure import AzureSettings
from .ci import CiSettings
from .databricks import DatabricksSettings
from .deployers import check_deployers, misplaced_ids
from .execution import AgentSettings, ExecutionMode, check_environment, check_platform
from .isolation import admins_problems, joined_problems, unity_catalog_problems
from .naming import project_label, stack_ids
from .projects import (
    ENVIRONMENT_NAME_KEY,
    NAMES_KEY,
    PROJECT_NAME_KEY,
    ProjectLayoutError,
    ProjectName,
    environment_bodies,
)
from .state import (
    AzurermState,
    CloudState,
    DefaultCloudState,
    LocalState,
    StackStateSettings,
    StateSettings,
    admin_workspace_problems,
)
from .text import shorten, unsafe_strings
from .types import TIERS, EnvironmentName, Prefix, Strict, Tier
from .uniqueness import UNIQUE_ACROSS_ENVIRONMENTS, collisions, workspace_identity_problems


def _tier_defaults(tier: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Fill the defaults that depend on the tier into a copy of the raw environment mapping.

    A prod vault is protected from `terraform destroy`. Explicit values always win.
    """
    azure = raw.get("azure")
    if not isinstance(azure, dict) or not isinstance(azure.get("key_vault"), dict):
        return raw
    vault = dict(azure["key_vault"])
    vault.setdefault("prevent_destroy", tier == "prod")
    if vault.get("private_endpoint") is not None:
        # Behind a private endpoint, staging and prod vaults refuse public traffic altogether.
        vault.setdefault("public_network_access_enabled", tier == "dev")
    return {**raw, "azure": {**azure, "key_vault": vault}}


class EnvironmentSettings(Strict):
    """One project of one environment: the environment's tier, an optional state override and both layers'
    settings (for an environment with `projects`, its shared sections merged with the project's: config/projects.py)."""

    name: EnvironmentName = Field(validation_alias=ENVIRONMENT_NAME_KEY)
    """The environment's key under `environments`."""
    project: ProjectName | None = Field(default=None, validation_alias=PROJECT_NAME_KEY, exclude=True)
    """The project's key under the environment's `projects`; None for an environment without projects."""
    names: Literal["project", "environment"] = Field(default="project", validation_alias=NAMES_KEY, exclude=True)
    """The project's `names` (config/projects.py: NAMES)."""
    tier: Tier = Field(
        json_schema_extra={"default_text": "the environment's name, when it is dev, staging or prod; else required"}
    )
    """Drives secure defaults; environments named dev, staging or prod get that tier."""
    state: StackStateSettings | None = None
    """Overrides the global state backend for this environment (its stacks' backend only: no `bootstrap`)."""
    execution_mode: ExecutionMode = "local"
    """Where this environment's Terraform runs execute: `local` (where `cdktf deploy` runs) or `agent`
    (Terraform Cloud agents in your Azure network). `remote` is refused (docs/credentials.md)."""
    agent: AgentSettings | None = None
    """The agent pool and the agents' managed identity; required with execution_mode: agent."""
    azure: AzureSettings
    """The azure layer."""
    databricks: DatabricksSettings
    """The databricks layer."""

    @model_validator(mode="before")
    @classmethod
    def _apply_tier_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("tier") in TIERS:
            return _tier_defaults(data["tier"], data)
        return data

    @model_validator(mode="after")
    def _execution_rules(self) -> EnvironmentSettings:
        check_environment(self.execution_mode, self.agent, self.state)
        return self

    @model_validator(mode="after")
    def _deployers_rules(self) -> EnvironmentSettings:
        check_deployers(self.execution_mode, self.agent, self.azure.deployers, self.databricks.cluster.adls)
        return self

    @model_validator(mode="after")
    def _production_rules(self) -> EnvironmentSettings:
        if self.tier == "prod" and self.databricks.cluster.autotermination_minutes == 0:
            raise ValueError(
                "databricks.cluster.autotermination_minutes: 0 (never terminate) is not allowed in prod; "
                "use 10-10000 minutes"
            )
        return self

    @property
    def label(self) -> str:
        """`<env>` or `<env>-<project>`: what the stack ids and default resource names of this project follow
        (config/naming.py: project_label)."""
        return project_label(self.name, self.named_project)

    @property
    def named_project(self) -> str | None:
        """The project when it names its stacks and resources (None: the environment's names, as before projects)."""
        return self.project if self.names == "project" else None

    @property
    def scope_tags(self) -> dict[str, str]:
        """`environment` and, for a project named for itself, `project`: the tags every resource that takes tags
        carries first (a project with `names: environment` keeps the environment's tags, as its names)."""
        project = self.named_project
        return {"environment": self.name, **({"project": project} if project else {})}

    @property
    def described(self) -> str:
        """How messages name it: `environment 'dev'` or `environment 'dev', project 'churn'`."""
        return f"environment '{self.name}'" + (f", project '{self.project}'" if self.project else "")

    @property
    def warnings(self) -> list[str]:
        notes = []
        if self.tier != "dev" and self.databricks.service_principal.group.name.lower() == "admins":
            notes.append(
                "databricks.service_principal.group.name: the ML principal joins 'admins' "
                f"in a {self.tier} environment; it becomes a workspace administrator"
            )
        return notes


class UnsafeInputError(Exception):
    """Strings that would become Terraform code or forge output: (path in the raw config, reason) each.

    Raised before any field is validated; not a ValueError, so pydantic lets it through unchanged."""

    def __init__(self, problems: list[tuple[tuple[Any, ...], str]]):
        super().__init__(f"{len(problems)} unsafe value(s)")
        self.problems = problems


class CrossEnvironmentError(Exception):
    """Environments that are each valid but collide with one another; one message line each.

    Deliberately not a ValueError: pydantic lets it through, and the loader reports its lines as they are."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class PlatformConfig(Strict):
    """The whole config file: a naming prefix, the default state backend and the environments."""

    prefix: Prefix = "mlplatform"
    """Names every stack `<prefix>-<env>-<layer>` (and its Terraform Cloud workspace)."""
    state: StateSettings
    """The default state backend of every stack."""
    environments: list[EnvironmentSettings] = Field(min_length=1)
    """A mapping of environment name (1-16 lowercase letters and digits) to its settings, in deploy order."""
    ci: CiSettings | None = None
    """Delivery from GitHub Actions (config/ci.py); absent: nothing CI-related is created."""
    plan_period_days: Literal[1, 7] = 7
    """How often a plan runs for every environment: the heartbeat (the maintenance workflow runs daily
    at 04:17 UTC with 1, on Mondays with 7; run `make rotate` at least as often without CI).
    time_rotating rotates only when a plan runs, so each environment's secret_rotation_days must be
    at least twice this."""

    @model_validator(mode="before")
    @classmethod
    def _environments_from_mapping(cls, data: Any) -> Any:
        """Refuse unsafe text anywhere (config/text.py), then turn the environments mapping
        (name -> settings) into the ordered list the model keeps."""
        problems = list(unsafe_strings(data))
        if problems:
            raise UnsafeInputError(problems)
        if not isinstance(data, dict) or not isinstance(data.get("environments"), dict):
            return data
        environments = []
        layout: list[tuple[tuple[Any, ...], str]] = []
        for name, body in data["environments"].items():
            if not isinstance(body, dict):
                environments.append(body)
                continue
            try:
                environments += environment_bodies(name, body)
            except ProjectLayoutError as error:
                layout += error.problems
        if layout:
            raise ProjectLayoutError(layout)
        return {**data, "environments": environments}

    @model_validator(mode="after")
    def _unique_across_environments(self) -> PlatformConfig:
        problems = [
            f"{later.described}: {field}: {shorten(value)} is also used by {first.described}; {why}"
            for field, key, why in UNIQUE_ACROSS_ENVIRONMENTS
            for first, later, value in collisions(self, key)
        ]
        # rules of what an environment's projects share: once per environment
        problems += unity_catalog_problems(self.environments)
        problems += admins_problems(self.environments, self.projects_of)
        problems += joined_problems(self.environments)
        problems += workspace_identity_problems(self.per_environment(self.environments))
        problems += [
            f"environment '{e.name}': {line}"
            for e in self.per_environment(self.environments)
            for line in misplaced_ids(e.azure.deployers, e.agent, e.azure.tenant_id, e.azure.subscription_id)
        ]
        problems += check_platform(self)
        if self.ci is not None:
            problems += self.ci.problems([(e.name, e.tier) for e in self.per_environment(self.all_environments)])
        problems += admin_workspace_problems(
            self.state,
            self.prefix,
            [stack for e in self.all_environments for stack in stack_ids(self.prefix, e.label).values()],
        )
        problems += [
            f"{e.described}: azure.application.secret_rotation_days ({e.azure.application.secret_rotation_days}) "
            f"must be at least 2 x plan_period_days ({self.plan_period_days}) = {2 * self.plan_period_days}: "
            "time_rotating acts only when a plan runs and drops an overdue marker at refresh, so without a plan "
            "inside each rotation period both client passwords would be replaced at once"
            for e in self.environments
            if e.azure.application.secret_rotation_days < 2 * self.plan_period_days
        ]
        problems += [
            f"{e.described}: azure.application.secret_expiry_days ({e.azure.application.secret_expiry_days}) "
            f"must be at least 2 x secret_rotation_days ({e.azure.application.secret_rotation_days}) + "
            f"plan_period_days ({self.plan_period_days}) = "
            f"{2 * e.azure.application.secret_rotation_days + self.plan_period_days}: a password is served R days "
            "and must stay valid R more, and a rotation can be one plan period late"
            for e in self.environments
            if e.azure.application.secret_expiry_days
            < 2 * e.azure.application.secret_rotation_days + self.plan_period_days
            and e.azure.application.secret_rotation_days >= 2 * self.plan_period_days
        ]
        if problems:
            raise CrossEnvironmentError(problems)
        return self

    _all_environments: list[EnvironmentSettings] | None = PrivateAttr(default=None)

    def state_for(self, environment: EnvironmentSettings) -> CloudState | AzurermState | LocalState:
        return environment.state or self.state

    @property
    def all_environments(self) -> list[EnvironmentSettings]:
        """Every environment of the file, also when a selection narrows `environments`: the
        bootstrap and CI stacks manage all of them (built from a selection, they would plan to
        destroy the others' workspaces and identities)."""
        return self._all_environments if self._all_environments is not None else self.environments

    @staticmethod
    def per_environment(environments: list[EnvironmentSettings]) -> list[EnvironmentSettings]:
        """The first project of each environment, in order: for what an environment's projects share (tier,
        state, execution, agent, tenant, subscription, deployers, workspace; config/projects.py: ENVIRONMENT_ONLY),
        which is the same in each of them."""
        seen: dict[str, EnvironmentSettings] = {}
        for environment in environments:
            seen.setdefault(environment.name, environment)
        return list(seen.values())

    def projects_of(self, name: str) -> list[EnvironmentSettings]:
        """The projects of the environment `name` (one, with `project` None, for an environment without projects)."""
        return [e for e in self.environments if e.name == name]

    def selected(self, names: list[str], projects: list[str] | None = None) -> PlatformConfig:
        """This config with only the named environments (file order) in `environments`, and of those only the
        named projects (None: every project)."""
        chosen = self.model_copy(
            update={
                "environments": [
                    e for e in self.environments if e.name in names and (projects is None or e.project in projects)
                ]
            }
        )
        chosen._all_environments = self.all_environments
        return chosen


def has_bootstrap(config: PlatformConfig) -> bool:
    """Whether the app has the Terraform Cloud bootstrap stack (global cloud state with `bootstrap`)."""
    return isinstance(config.state, DefaultCloudState) and config.state.bootstrap is not None
