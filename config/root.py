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


ENVIRONMENT_NAME_KEY = "__environment_name__"


class EnvironmentSettings(Strict):
    """One environment: its tier, an optional state override and both layers' settings."""

    name: EnvironmentName = Field(validation_alias=ENVIRONMENT_NAME_KEY)
    """The environment's key under `environments`."""
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
        for name, body in data["environments"].items():
            if isinstance(body, dict):
                # The key is the name: a `name:` inside the body is refused as an unknown field
                # (ENVIRONMENT_NAME_KEY is not a name a YAML user would type).
                body = {**body, ENVIRONMENT_NAME_KEY: name}
                if "tier" not in body and name in TIERS:
                    body["tier"] = name
            environments.append(body)
        return {**data, "environments": environments}

    @model_validator(mode="after")
    def _unique_across_environments(self) -> PlatformConfig:
        problems = [
            f"environment '{later.name}': {field}: {shorten(value)} is also used by environment '{first.name}'; {why}"
            for field, key, why in UNIQUE_ACROSS_ENVIRONMENTS
            for first, later, value in collisions(self, key)
        ]
        problems += workspace_identity_problems(self.environments)
        problems += [
            f"environment '{e.name}': {line}"
            for e in self.environments
            for line in misplaced_ids(e.azure.deployers, e.agent, e.azure.tenant_id, e.azure.subscription_id)
        ]
        problems += check_platform(self)
        if self.ci is not None:
            problems += self.ci.problems([(e.name, e.tier) for e in self.all_environments])
        problems += admin_workspace_problems(self.state, self.prefix, [e.name for e in self.all_environments])
        problems += [
            f"environment '{e.name}': azure.application.secret_rotation_days ({e.azure.application.secret_rotation_days}) "
            f"must be at least 2 x plan_period_days ({self.plan_period_days}) = {2 * self.plan_period_days}: "
            "time_rotating acts only when a plan runs and drops an overdue marker at refresh, so without a plan "
            "inside each rotation period both client passwords would be replaced at once"
            for e in self.environments
            if e.azure.application.secret_rotation_days < 2 * self.plan_period_days
        ]
        problems += [
            f"environment '{e.name}': azure.application.secret_expiry_days ({e.azure.application.secret_expiry_days}) "
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

    def selected(self, names: list[str]) -> PlatformConfig:
        """This config with only the named environments (file order) in `environments`."""
        chosen = self.model_copy(update={"environments": [e for e in self.environments if e.name in names]})
        chosen._all_environments = self.all_environments
        return chosen


def has_bootstrap(config: PlatformConfig) -> bool:
    """Whether the app has the Terraform Cloud bootstrap stack (global cloud state with `bootstrap`)."""
    return isinstance(config.state, DefaultCloudState) and config.state.bootstrap is not None
