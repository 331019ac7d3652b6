"""A Terraform Cloud variable set of environment variables, attached to chosen workspaces.

Used for the agents' managed-identity settings (`ARM_USE_MSI`, `ARM_CLIENT_ID`, tenant and
subscription ids): every value in it is an identifier, not a secret, so the set holds no sensitive
variable at all. A secret must never be put here.

The set is a priority set (`priority = true`, tfe v0.71.0): its variables win over a workspace's own
variables of the same name, so a workspace variable `ARM_CLIENT_ID` cannot point a run at another
identity the agents hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cdktf_cdktf_provider_tfe.variable import Variable
from cdktf_cdktf_provider_tfe.variable_set import VariableSet
from cdktf_cdktf_provider_tfe.workspace_variable_set import WorkspaceVariableSet
from constructs import Construct


@dataclass(frozen=True)
class TfcVariableSetProps:
    name: str
    organization: str
    environment_variables: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None


class TfcVariableSet(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: TfcVariableSetProps):
        super().__init__(scope, construct_id)
        self.variable_set = VariableSet(
            self,
            "set",
            name=props.name,
            organization=props.organization,
            description=props.description,
            priority=True,  # wins over workspace variables of the same name
        )
        for key, value in props.environment_variables.items():
            Variable(
                self,
                key.lower(),
                variable_set_id=self.variable_set.id,
                category="env",
                key=key,
                value=value,
                sensitive=False,
            )

    def attach_to(self, construct_id: str, workspace_id: str) -> WorkspaceVariableSet:
        return WorkspaceVariableSet(self, construct_id, variable_set_id=self.variable_set.id, workspace_id=workspace_id)
