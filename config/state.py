"""Where each stack's Terraform state lives: Terraform Cloud, an Azure storage account, or a local file.

A state section appears in three places, each with its own model, so a field is accepted only where
it acts: the top-level `state` (the default of every stack; only here does `bootstrap` act, since one
bootstrap stack creates the workspaces of every environment on this state), an environment's `state`
and `ci.state` (one stack's backend each: no `bootstrap`). A `bootstrap` is itself tagged by its
backend: `admin_workspace` only exists with backend `cloud`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from .addresses import HostName
from .naming import ci_stack_id
from .text import shorten
from .types import (
    LowerGuid,
    ResourceGroupName,
    StateFolder,
    StorageAccountName,
    StorageContainerName,
    Strict,
    TerraformVersion,
    TfcName,
    TfcProjectName,
)


class _BootstrapBase(Strict):
    terraform_version: TerraformVersion = "1.11.4"
    """The Terraform version pinned in every workspace the bootstrap creates."""


class LocalBootstrap(_BootstrapBase):
    """The `<prefix>-tfc` stack keeps its state in a local file, `state/<prefix>-tfc.tfstate`."""

    backend: Literal["local"] = "local"
    """Where the bootstrap stack's own state lives: a local file (`local`), or the admin workspace
    (`cloud`, which then runs in local execution)."""


class CloudBootstrap(_BootstrapBase):
    """The `<prefix>-tfc` stack keeps its state in an admin workspace of the organization."""

    backend: Literal["cloud"]
    """The admin workspace."""
    admin_workspace: TfcName | None = None
    """The admin workspace's name; default `<prefix>-tfc`."""


def _bootstrap_backend(value: Any) -> Any:
    """The tag of a bootstrap section: its `backend`, `local` when left out."""
    if isinstance(value, dict):
        return value.get("backend", "local")
    return getattr(value, "backend", None)


BootstrapSettings = Annotated[
    Annotated[LocalBootstrap, Tag("local")] | Annotated[CloudBootstrap, Tag("cloud")],
    Discriminator(_bootstrap_backend),
]
"""The `<prefix>-tfc` stack that creates and wires the Terraform Cloud workspaces."""


class CloudState(Strict):
    """Terraform Cloud / HCP Terraform: one workspace per stack, named after the stack."""

    backend: Literal["cloud"]
    organization: TfcName
    """The Terraform Cloud organization."""
    hostname: HostName = "app.terraform.io"
    """Set for Terraform Enterprise."""
    project: TfcProjectName | None = None
    """The project that holds the stacks' workspaces (default: the organization's default project)."""


class DefaultCloudState(CloudState):
    """The top-level `cloud` state: the only place where a `bootstrap` acts."""

    project: TfcProjectName | None = None
    """The project that holds the workspaces; required with `bootstrap`."""
    bootstrap: BootstrapSettings | None = None
    """Adds the `<prefix>-tfc` stack, which creates and wires the workspaces of every environment on this
    state (apply it once, first)."""

    @model_validator(mode="after")
    def _bootstrap_needs_project(self) -> DefaultCloudState:
        if self.bootstrap is not None and self.project is None:
            raise ValueError("project is required when bootstrap is set: the workspaces are created in that project")
        return self


class AzurermState(Strict):
    """An Azure storage account; the key is `<prefix>/<env>/<layer>.tfstate`, auth by Entra ID."""

    backend: Literal["azurerm"]
    resource_group_name: ResourceGroupName
    """Resource group of the storage account."""
    storage_account_name: StorageAccountName
    """The storage account (Entra ID data-plane auth: no account keys)."""
    container_name: StorageContainerName
    """The blob container."""
    subscription_id: LowerGuid | None = None
    """Subscription of the storage account, when it is not the deploying identity's default."""
    tenant_id: LowerGuid | None = None
    """Tenant of the storage account, when it is not the deploying identity's default."""


class LocalState(Strict):
    """A file under the project's `state/` folder: for trying the app out, never for a team."""

    backend: Literal["local"]
    directory: StateFolder = "state"
    """Folder of the state files, relative to the project root (no `..`: it would leave the project)."""


StateSettings = Annotated[DefaultCloudState | AzurermState | LocalState, Field(discriminator="backend")]
"""The top-level `state`: the default backend of every stack."""
StackStateSettings = Annotated[CloudState | AzurermState | LocalState, Field(discriminator="backend")]
"""An environment's `state` and `ci.state`: one stack's (or one environment's stacks') backend."""

BACKENDS: dict[str, type[Strict]] = {"cloud": DefaultCloudState, "azurerm": AzurermState, "local": LocalState}
"""Backend name -> its model in the top-level `state`: the one list of backends (the loader's messages read it)."""
STACK_BACKENDS: dict[str, type[Strict]] = {"cloud": CloudState, "azurerm": AzurermState, "local": LocalState}
"""Backend name -> its model in an environment's `state` and in `ci.state`."""
BOOTSTRAP_BACKENDS: dict[str, type[Strict]] = {"local": LocalBootstrap, "cloud": CloudBootstrap}
"""Backend name -> its model in `state.bootstrap`."""


def admin_workspace_problems(state: Strict, prefix: str, stacks: list[str]) -> list[str]:
    """The bootstrap's admin workspace must not be any stack's workspace (`stacks`: every project's stack ids):
    the states would overwrite each other."""
    if not isinstance(state, DefaultCloudState) or not isinstance(state.bootstrap, CloudBootstrap):
        return []
    admin = state.bootstrap.admin_workspace
    taken = {ci_stack_id(prefix), *stacks}
    if admin is None or admin.lower() not in {t.lower() for t in taken}:
        return []
    return [
        f"state.bootstrap.admin_workspace: {shorten(admin)} is the workspace of stack {shorten(admin)}; "
        "the bootstrap's state would overwrite that stack's: choose another name (default <prefix>-tfc)"
    ]
