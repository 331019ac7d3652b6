"""The `<prefix>-<env>-azure` stack: Entra ID identity and the Key Vault that holds its secret."""

from __future__ import annotations

from cdktf import TerraformStack
from constructs import Construct

from config import EnvironmentSettings


class AzureIdentityStack(TerraformStack):
    """Needs Entra ID and subscription rights; changes rarely; its state holds the client secret."""

    def __init__(self, scope: Construct, stack_id: str, *, prefix: str, environment: EnvironmentSettings):
        super().__init__(scope, stack_id)
        self.prefix = prefix
        self.environment = environment
