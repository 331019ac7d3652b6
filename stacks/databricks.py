"""The `<prefix>-<env>-databricks` stack: the workspace side of the ML serving setup."""

from __future__ import annotations

from cdktf import TerraformStack
from constructs import Construct

from config import EnvironmentSettings

from .azure import AzureIdentityStack


class DatabricksWorkspaceStack(TerraformStack):
    """Needs a workspace provider only; reads the azure layer's outputs through remote state."""

    def __init__(
        self,
        scope: Construct,
        stack_id: str,
        *,
        prefix: str,
        environment: EnvironmentSettings,
        identity: AzureIdentityStack,
    ):
        super().__init__(scope, stack_id)
        self.prefix = prefix
        self.environment = environment
