"""An Entra ID app that Terraform Cloud runs as, trusted through federated identity credentials.

HCP Terraform dynamic provider credentials: each run receives a signed workload identity token
whose subject names organization, project, workspace and run phase; Entra ID exchanges it for
an access token of this app when a federated credential matches that subject exactly. No client
secret exists at all. Role assignments for the app (what it may deploy) are granted outside this app.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cdktf_cdktf_provider_azuread.application import Application
from cdktf_cdktf_provider_azuread.application_federated_identity_credential import (
    ApplicationFederatedIdentityCredential,
)
from cdktf_cdktf_provider_azuread.service_principal import ServicePrincipal
from cdktf import TerraformProvider
from constructs import Construct

TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
RUN_PHASES = ("plan", "apply")


def workload_subject(organization: str, project: str, workspace: str, run_phase: str) -> str:
    """The subject HCP Terraform puts in a run's workload identity token."""
    return f"organization:{organization}:project:{project}:workspace:{workspace}:run_phase:{run_phase}"


@dataclass(frozen=True)
class TfcFederatedIdentityProps:
    display_name: str
    hostname: str
    organization: str
    project: str
    workspaces: tuple[str, ...]


class TfcFederatedIdentity(Construct):
    """Attributes: `client_id`. One federated credential per workspace and run phase."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        props: TfcFederatedIdentityProps,
        provider: TerraformProvider | None = None,
    ):
        super().__init__(scope, construct_id)
        self.application = Application(
            self, "application", display_name=props.display_name, sign_in_audience="AzureADMyOrg",
            prevent_duplicate_names=True, provider=provider,
        )
        ServicePrincipal(self, "service_principal", client_id=self.application.client_id, provider=provider)
        for workspace in props.workspaces:
            for phase in RUN_PHASES:
                ApplicationFederatedIdentityCredential(
                    self,
                    f"{re.sub(r'[^a-z0-9]+', '_', workspace.lower())}_{phase}",
                    application_id=self.application.id,
                    display_name=f"tfc-{workspace}-{phase}"[:120],
                    description=f"HCP Terraform {phase} runs of workspace {workspace}",
                    audiences=[TOKEN_EXCHANGE_AUDIENCE],
                    issuer=f"https://{props.hostname}",
                    subject=workload_subject(props.organization, props.project, workspace, phase),
                    provider=provider,
                )
        self.client_id: str = self.application.client_id
