"""Where an environment's Terraform runs execute, and the Terraform Cloud agents that run them.

Only topologies that can deploy this app are accepted (docs/credentials.md):

- `local`: Terraform Cloud (or another backend) keeps state and locks; plans run where
  `cdktf deploy` runs (a laptop with `az login`, or CI).
- `agent`: the environment's workspaces run on a Terraform Cloud agent pool whose agents live in
  the customer's Azure network, with a user-assigned managed identity that azurerm, azuread and
  the Databricks provider (`azure-msi` auth, databricks-sdk-go v0.93.0 `ARM_USE_MSI`) all read.
- `remote` (HashiCorp-hosted runners) is refused: see `REMOTE_REFUSED`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator

from .types import LowerGuid, Strict, pattern

REMOTE_REFUSED = (
    "'remote' cannot deploy this app: the Databricks provider ignores Terraform Cloud's Azure "
    "credentials (terraform-provider-databricks #5544, #4127) and hosted runners cannot reach the "
    "vault; use 'agent' or 'local' (docs/credentials.md)"
)


def _refuse_remote(value: Any) -> Any:
    if isinstance(value, str) and value.strip() == "remote":
        raise ValueError(REMOTE_REFUSED)
    return value


ExecutionMode = Annotated[Literal["local", "agent"], BeforeValidator(_refuse_remote)]
"""`local` or `agent`; `remote` is refused with the reason."""

# tfe_agent_pool names are free text in the provider (v0.71.0 has no validator); keep them plain.
AgentPoolName = Annotated[
    str,
    pattern(
        r"[A-Za-z0-9][A-Za-z0-9._-]{0,89}", "1-90 letters, digits, '.', '-' and '_', starting with a letter or digit"
    ),
]


class AgentSettings(Strict):
    """The Terraform Cloud agents that run an `agent`-mode environment."""

    pool: AgentPoolName
    """Name of the agent pool the environment's workspaces run on. Environments of different tiers never
    share a pool (its agents hold the identity: staging's runs could act as prod)."""
    create_pool: bool = True
    """true: the bootstrap stack creates the pool (workspace-scoped); false: it looks up an existing pool
    of that name, and its plan fails unless the pool is workspace-scoped and allowed for no project (either
    would let other workspaces run on these agents). Either way the bootstrap sets the pool's allowed
    workspaces to exactly the workspaces configured to run on it."""
    client_id: LowerGuid
    """Client id of the user-assigned managed identity the agents run with; it becomes `ARM_CLIENT_ID`
    (with `ARM_USE_MSI=true`) in the environment's variable set. An identifier, not a secret. Every
    environment on one pool names the same identity (the agents hold them all: a run could take another
    environment's)."""


def check_environment(execution_mode: str, agent: AgentSettings | None, state: Any) -> None:
    """Rules that join an environment's execution mode to its other settings (raises ValueError)."""
    if execution_mode == "agent":
        if agent is None:
            raise ValueError(
                "agent: required with execution_mode 'agent': {pool, client_id}, the pool the workspaces run on "
                "and the client id of the agents' user-assigned managed identity"
            )
        if state is not None and getattr(state, "backend", None) != "cloud":
            raise ValueError(
                f"execution_mode: 'agent' needs the cloud state backend (this environment's state is "
                f"'{state.backend}'): agents run Terraform Cloud workspaces"
            )
    elif agent is not None:
        raise ValueError("agent: set, but execution_mode is 'local'; set execution_mode: agent or remove agent")


def check_platform(config: Any) -> list[str]:
    """Rules across environments: agent mode needs the bootstrap to configure the workspaces, and an
    agent pool shared by environments is either created here or looked up, not both, runs with
    one managed identity (the agents hold every identity the pool's environments name, so a run of
    one environment could obtain another's: staging could act as prod), and serves one tier only (a
    pool shared by staging and prod runs staging's configuration on the agents that hold prod's
    identity: whoever may change staging could act as prod)."""
    problems = []
    state = config.state
    bootstrapped = getattr(state, "backend", None) == "cloud" and state.bootstrap is not None
    pools: dict[str, set[bool]] = {}
    identities: dict[str, Any] = {}
    for environment in config.per_environment(config.environments):
        if environment.execution_mode != "agent" or environment.agent is None:
            continue
        if environment.state is not None or not bootstrapped:
            problems.append(
                f"environment '{environment.name}': execution_mode: 'agent' needs the global state backend "
                "'cloud' with a bootstrap section (the bootstrap stack puts the workspaces on the agent pool); "
                "remove the environment's own state or use execution_mode: local"
            )
        pools.setdefault(environment.agent.pool, set()).add(environment.agent.create_pool)
        first = identities.setdefault(environment.agent.pool, environment)
        if first.tier != environment.tier:
            problems.append(
                f"environment '{environment.name}': agent.pool: '{environment.agent.pool}' also runs environment "
                f"'{first.name}', of tier {first.tier} (this one: {environment.tier}): a pool shared across tiers "
                "lets the lower tier's runs use the agents and managed identity of the higher; "
                "use one pool (and identity) per tier"
            )
        elif first.agent.client_id != environment.agent.client_id:
            problems.append(
                f"environment '{environment.name}': agent.client_id: {environment.agent.client_id} differs from "
                f"environment '{first.name}' ({first.agent.client_id}) on agent pool '{environment.agent.pool}': "
                "the agents would hold both identities, so either environment's runs could use the other's; "
                "use one identity per pool"
            )
    for pool, flags in pools.items():
        if len(flags) > 1:
            problems.append(
                f"agent pool '{pool}': create_pool is true in one environment and false in another; "
                "set the same value everywhere the pool is used"
            )
    return problems


__all__ = ["REMOTE_REFUSED", "AgentPoolName", "AgentSettings", "ExecutionMode", "check_environment", "check_platform"]
