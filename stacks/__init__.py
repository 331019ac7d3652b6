"""Stacks: one per environment and layer, composed from constructs_lib."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import App

from config import PlatformConfig

from .azure import AzureIdentityStack
from .backend import attach_backend
from .databricks import DatabricksWorkspaceStack

LAYERS = ("azure", "databricks")


def stack_id(prefix: str, environment: str, layer: str) -> str:
    """`<prefix>-<env>-<layer>`: the cdktf stack id, its output folder and its TFC workspace name."""
    return f"{prefix}-{environment}-{layer}"


@dataclass(frozen=True)
class EnvironmentStacks:
    azure: AzureIdentityStack
    databricks: DatabricksWorkspaceStack


def build_app(app: App, config: PlatformConfig) -> dict[str, EnvironmentStacks]:
    """Add both layers' stacks for every configured environment to `app`."""
    built = {}
    for environment in config.environments:
        state = config.state_for(environment)

        def ident(layer: str) -> str:
            return stack_id(config.prefix, environment.name, layer)

        azure = AzureIdentityStack(app, ident("azure"), prefix=config.prefix, environment=environment)
        databricks = DatabricksWorkspaceStack(
            app, ident("databricks"), prefix=config.prefix, environment=environment, identity=azure
        )
        for stack, layer in ((azure, "azure"), (databricks, "databricks")):
            attach_backend(stack, state, prefix=config.prefix, environment=environment.name, layer=layer)
        built[environment.name] = EnvironmentStacks(azure=azure, databricks=databricks)
    return built


__all__ = ["LAYERS", "AzureIdentityStack", "DatabricksWorkspaceStack", "EnvironmentStacks", "build_app", "stack_id"]
