"""Remote state for one stack, from the environment's validated state settings.

Every stack gets its own state (its own Terraform Cloud workspace, blob key or file) so that a
plan of one layer never locks or exposes another. No stack reads another's state: the azure
layer's state holds the client passwords (docs/access.md: Where the client secret lives).
"""

from __future__ import annotations

import posixpath

from cdktf import AzurermBackend, CloudBackend, LocalBackend, NamedCloudWorkspace, TerraformStack

from config import AzurermState, CloudState, LocalState
from config.naming import state_key

# cdktf runs Terraform in cdktf.out/stacks/<stack>/; a relative local path climbs back to the
# project root so local state survives a re-synthesis of cdktf.out/.
_PROJECT_ROOT_FROM_STACK_DIR = "../../.."


def local_state_path(directory: str, stack: str) -> str:
    """Where a local backend keeps `stack`'s state, relative to cdktf.out/stacks/<stack>/."""
    if not posixpath.isabs(directory):
        directory = posixpath.join(_PROJECT_ROOT_FROM_STACK_DIR, directory)
    return posixpath.join(directory, f"{stack}.tfstate")


def attach_backend(
    stack: TerraformStack,
    state: CloudState | AzurermState | LocalState,
    *,
    prefix: str,
    environment: str,
    layer: str,
    project: str | None = None,
) -> None:
    """Configure `stack`'s backend; the Terraform Cloud workspace is named after the stack id, the azurerm blob
    after the environment, the project (when named for itself) and the layer."""
    if isinstance(state, CloudState):
        CloudBackend(
            stack,
            organization=state.organization,
            hostname=state.hostname,
            workspaces=NamedCloudWorkspace(stack.node.id, project=state.project),
        )
    elif isinstance(state, AzurermState):
        AzurermBackend(
            stack,
            resource_group_name=state.resource_group_name,
            storage_account_name=state.storage_account_name,
            container_name=state.container_name,
            key=state_key(prefix, environment, layer, project),
            subscription_id=state.subscription_id,
            tenant_id=state.tenant_id,
            # Entra ID data-plane auth: no storage account keys anywhere.
            use_azuread_auth=True,
        )
    else:
        LocalBackend(stack, path=local_state_path(state.directory, stack.node.id))
