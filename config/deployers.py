"""Rules that join an environment's deployers (`azure.deployers`) to its other settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .azure import DeployerSettings
from .execution import AgentSettings


def misplaced_ids(
    deployers: Sequence[DeployerSettings], agent: AgentSettings | None, tenant_id: str, subscription_id: str
) -> list[str]:
    """Deployer ids that cannot be right because they are another kind of id in the same config: the
    agents' client id (an application id) given as an object id, a tenant or subscription id, one
    deployer's object id given as another's application id. One line each."""
    known = {tenant_id: "the tenant id (azure.tenant_id)", subscription_id: "the subscription id"}
    if agent is not None:
        known[agent.client_id] = "the agents' client id (agent.client_id), an application id"
    for d in deployers:
        if d.application_id:
            known.setdefault(d.application_id, f"the application id of deployer {d.object_id}")
    problems = []
    for index, d in enumerate(deployers):
        if d.object_id in known:
            problems.append(
                f"azure.deployers[{index}].object_id: {d.object_id} is {known[d.object_id]}, not an object id: give the "
                "identity's object id (a managed identity's principal id: az identity show ... --query principalId)"
            )
        objects = {o.object_id for o in deployers if o is not d}
        if d.application_id and (d.application_id in objects or d.application_id in (tenant_id, subscription_id)):
            problems.append(
                f"azure.deployers[{index}].application_id: {d.application_id} is an object, tenant or subscription id "
                "of this config, not an application id (az ad sp show --id <object id> --query appId -o tsv)"
            )
    return problems


def check_deployers(
    execution_mode: str, agent: AgentSettings | None, deployers: Sequence[DeployerSettings], adls: Any
) -> None:
    """Raises ValueError when the deployers cannot be right for the environment:

    - in agent mode the agents' managed identity applies every stack, so it is a deployer (by its
      client id, `agent.client_id`);
    - a cluster whose Spark conf references a secret (`databricks.cluster.adls`) may only be changed by
      its creator ('Only Cluster Owner is allowed to change the secrets', terraform-provider-databricks
      #2543, open: the provider cannot change a cluster's owner), so another deployer's apply of a new
      runtime or size would fail: one deployer only."""
    agents = agent.client_id if execution_mode == "agent" and agent is not None else None
    if agents is not None and agents not in {d.application_id for d in deployers}:
        raise ValueError(
            f"azure.deployers: with execution_mode 'agent' the agents' managed identity applies every stack; "
            f"list it as a deployer of kind service_principal with application_id {agents} "
            "(agent.client_id) and its object id (az identity show ... --query principalId)"
        )
    if adls is not None and len(deployers) > 1:
        raise ValueError(
            f"databricks.cluster.adls: not with {len(deployers)} azure.deployers: only a cluster's creator may change "
            "a cluster whose Spark conf references a secret ('Only Cluster Owner is allowed to change the secrets', "
            "terraform-provider-databricks #2543), so another deployer's apply of a new runtime or size would fail; "
            "keep one deployer here, or reach the storage through a Unity Catalog external location"
        )
