"""Stacks: one per environment and layer, composed from constructs_lib."""

from __future__ import annotations

from cdktf import App

from config import DefaultCloudState, PlatformConfig, has_bootstrap
from config.naming import bootstrap_stack_id, ci_stack_id, stack_ids

from .azure import AzureIdentityStack
from .backend import attach_backend
from .ci import GitHubCiStack
from .databricks import DatabricksWorkspaceStack
from .serving import ServingStack
from .tfc import TfcBootstrapStack


def build_app(app: App, config: PlatformConfig) -> None:
    """Add the three layers' stacks for every configured environment (each of its projects) to `app`, the Terraform Cloud
    bootstrap stack when the global state is `cloud` with a `bootstrap` section, and the CI stack
    when `ci.create_identity` or `ci.github.manage_repository` is set."""
    for environment in config.environments:
        state = config.state_for(environment)
        ids = stack_ids(config.prefix, environment.label)  # one set per project (config/projects.py)
        azure = AzureIdentityStack(app, ids["azure"], prefix=config.prefix, environment=environment)
        databricks = DatabricksWorkspaceStack(app, ids["databricks"], prefix=config.prefix, environment=environment)
        # No cross-stack reference (it would read the azure state, which holds the client passwords):
        # the order is a plain stack dependency, so `cdktf deploy` applies azure first.
        databricks.add_dependency(azure)
        # The serving stack reads the model the databricks stack creates (stacks/serving.py).
        serving = ServingStack(app, ids["serving"], prefix=config.prefix, environment=environment)
        serving.add_dependency(databricks)
        for stack, layer in ((azure, "azure"), (databricks, "databricks"), (serving, "serving")):
            attach_backend(
                stack,
                state,
                prefix=config.prefix,
                environment=environment.name,
                layer=layer,
                project=environment.named_project,
            )
    if isinstance(config.state, DefaultCloudState) and has_bootstrap(config):
        TfcBootstrapStack(
            app,
            bootstrap_stack_id(config.prefix),
            prefix=config.prefix,
            state=config.state,
            environments=[e for e in config.all_environments if e.state is None],
        )
    if config.ci is not None and (config.ci.create_identity or config.ci.github.manage_repository):
        GitHubCiStack(
            app,
            ci_stack_id(config.prefix),
            prefix=config.prefix,
            ci=config.ci,
            environments=config.per_environment(config.all_environments),  # per environment: its projects share it
        )
