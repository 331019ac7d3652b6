"""Where each stack's Terraform state lives: Terraform Cloud, an Azure storage account, or a local file."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .addresses import HostName
from .types import (
    FolderPath,
    LowerGuid,
    ResourceGroupName,
    StorageAccountName,
    StorageContainerName,
    Strict,
    TerraformVersion,
    TfcName,
    TfcProjectName,
)


class BootstrapSettings(Strict):
    """The `<prefix>-tfc` stack that creates and wires the Terraform Cloud workspaces."""

    backend: Literal["local", "cloud"] = "local"
    """Where the bootstrap stack's own state lives: a local file, or the admin workspace (which then
    runs in local execution)."""
    admin_workspace: TfcName | None = None
    """The admin workspace's name with backend `cloud`; default `<prefix>-tfc`."""
    terraform_version: TerraformVersion = "1.11.4"
    """The Terraform version pinned in every workspace the bootstrap creates."""


class CloudState(Strict):
    """Terraform Cloud / HCP Terraform: one workspace per stack, named after the stack."""

    backend: Literal["cloud"]
    organization: TfcName
    """The Terraform Cloud organization."""
    hostname: HostName = "app.terraform.io"
    """Set for Terraform Enterprise."""
    project: TfcProjectName | None = None
    """The project that holds the workspaces; required with `bootstrap`."""
    bootstrap: BootstrapSettings | None = None
    """Adds the `<prefix>-tfc` stack, which creates and wires the workspaces (apply it once, first)."""

    @model_validator(mode="after")
    def _bootstrap_needs_project(self) -> CloudState:
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
    directory: FolderPath = "state"
    """Folder of the state files, relative to the project root."""


StateSettings = Annotated[CloudState | AzurermState | LocalState, Field(discriminator="backend")]

BACKENDS: dict[str, type[Strict]] = {"cloud": CloudState, "azurerm": AzurermState, "local": LocalState}
"""Backend name -> its model: the one list of backends (the loader's messages read it)."""
