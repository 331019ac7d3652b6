"""Entra ID (Azure AD) application identity: app registration, service principal, client secret.

The client secret is the one credential this platform creates, so it is short-lived by design:
it **expires** (`end_date`) and **rotates** before it expires. `time_rotating` marks a rotation
point; when it passes, the next plan replaces the rotation marker, `rotate_when_changed` replaces
the password (new one first: `create_before_destroy`), and everything that consumes the value
(the Key Vault secret) is updated in the same apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cdktf import Fn, TerraformResourceLifecycle
from cdktf_cdktf_provider_azuread.application import Application
from cdktf_cdktf_provider_azuread.application_password import ApplicationPasswordA
from cdktf_cdktf_provider_azuread.data_azuread_client_config import DataAzureadClientConfig
from cdktf_cdktf_provider_azuread.service_principal import ServicePrincipal
from cdktf_cdktf_provider_time.rotating import Rotating
from constructs import Construct

from .principals import AzurePrincipal

SINGLE_TENANT = "AzureADMyOrg"


@dataclass(frozen=True)
class EntraApplicationProps:
    display_name: str
    """Shown in Entra ID; also names the client secret."""
    owners: tuple[str, ...] = field(default_factory=tuple)
    """Object ids of extra owners. The deploying identity is always an owner, so it can rotate the secret."""
    secret_expiry_days: int = 90
    secret_rotation_days: int = 60
    """Must be less than `secret_expiry_days`: the secret is replaced while the old one is still valid."""
    description: str | None = None

    def __post_init__(self) -> None:
        if not 0 < self.secret_rotation_days < self.secret_expiry_days:
            raise ValueError("secret_rotation_days must be positive and less than secret_expiry_days")


class EntraApplicationIdentity(Construct):
    """A single-tenant app registration with its service principal and a rotating, expiring secret.

    Attributes: `client_id`, `object_id` (of the service principal), `principal` (what Azure RBAC grants to),
    `tenant_id`, `client_secret` (sensitive; never make it a stack output) and
    `client_secret_end_date` (RFC 3339).
    """

    def __init__(self, scope: Construct, construct_id: str, props: EntraApplicationProps):
        super().__init__(scope, construct_id)
        deployer = DataAzureadClientConfig(self, "deployer")
        owners = [deployer.object_id, *props.owners]

        self.application = Application(
            self,
            "application",
            display_name=props.display_name,
            description=props.description,
            sign_in_audience=SINGLE_TENANT,
            owners=owners,
            # Two apps with one name make Entra ID audits and `az ad sp list` ambiguous.
            prevent_duplicate_names=True,
        )
        self.service_principal = ServicePrincipal(
            self,
            "service_principal",
            client_id=self.application.client_id,
            # The principal authenticates as itself (client credentials); no user assignment is involved.
            app_role_assignment_required=False,
            owners=owners,
        )
        self.rotation = Rotating(self, "secret_rotation", rotation_days=props.secret_rotation_days)
        end_date = Fn.timeadd(self.rotation.rfc3339, f"{props.secret_expiry_days * 24}h")
        self.password = ApplicationPasswordA(
            self,
            "client_secret",
            application_id=self.application.id,
            display_name=f"{props.display_name} (terraform, rotates every {props.secret_rotation_days} days)",
            end_date=end_date,
            rotate_when_changed={"rotation": self.rotation.id},
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )

        self.client_id: str = self.application.client_id
        self.object_id: str = self.service_principal.object_id
        self.principal = AzurePrincipal.service_principal(self.object_id, construct_id)
        self.tenant_id: str = self.service_principal.application_tenant_id
        self.client_secret: str = self.password.value
        self.client_secret_end_date: str = self.password.end_date
