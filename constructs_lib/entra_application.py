"""Entra ID (Azure AD) application identity: app registration, service principal, client secret.

The client secret is the one credential this platform creates, so it is short-lived by design,
and rotating it must never break a consumer that read it a day earlier. With one password,
`rotate_when_changed` + `create_before_destroy` deletes the old password in the same apply that
creates the new one (azuread #1549), so a cluster or client holding the old value fails at once.

So there are two passwords, `a` and `b`, each renewed every 2R days (R = rotation period) by its
own `time_rotating` marker, staggered by R, and the Key Vault holds the one whose marker is newer.
Marker `b`'s base is the later of `a`'s base - R and `a`'s base + R that is not after the plan: on the
first apply that is R days *before* `a` (so `b`'s first password is never served and is renewed
after R days), and every later renewal of `b` starts now, at `a`'s base + R. Every password the
vault serves is therefore created at its own marker's base: it serves about R days, stays valid R
more (until its marker rotates), and lives E days in all, so E >= 2R + P (P = the plan period: a
rotation can be up to P late) is the whole rule. `ignore_changes` keeps `b` in place when `a`
rotates. docs/operations.md: Client secret rotation has the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import Fn, Op, Postcondition, Precondition, TerraformLocal, TerraformResourceLifecycle, TerraformSelf, Token
from cdktf_cdktf_provider_azuread.application import Application
from cdktf_cdktf_provider_azuread.application_password import ApplicationPasswordA
from cdktf_cdktf_provider_azuread.data_azuread_application import DataAzureadApplication
from cdktf_cdktf_provider_azuread.data_azuread_client_config import DataAzureadClientConfig
from cdktf_cdktf_provider_azuread.data_azuread_service_principals import DataAzureadServicePrincipals
from cdktf_cdktf_provider_azuread.service_principal import ServicePrincipal
from cdktf_cdktf_provider_time.rotating import Rotating
from constructs import Construct

from .principals import AzurePrincipal

SINGLE_TENANT = "AzureADMyOrg"


@dataclass(frozen=True)
class EntraApplicationProps:
    display_name: str
    """Shown in Entra ID; also names the client secret."""
    deployers: tuple[str, ...]
    """Object ids of every identity that applies this stack: each owns the app (so it can rotate the
    secret with `Application.ReadWrite.OwnedBy`), and a plan by anyone else stops at a precondition."""
    secret_expiry_days: int
    """Each password's `end_date`, counted from its marker's base time (config: at least 2 x rotation)."""
    secret_rotation_days: int
    """R: the vault gets a new password every R days; each password is renewed every 2R days."""
    owners: tuple[str, ...] = ()
    """Object ids of further owners who do not deploy."""
    plan_readers: tuple[str, ...] = ()
    """Object ids of identities that may plan (the check below lets them) but own nothing: CI's plan identity."""
    description: str | None = None
    user_deployers: tuple[str, ...] = ()
    """The deployers that are users (the others are service principals): only they may make the first
    apply when the app has more owners than its creator (see `EntraApplicationIdentity`)."""


class EntraApplicationIdentity(Construct):
    """A single-tenant app registration with its service principal and a rotating, expiring secret.

    Attributes: `client_id`, `object_id` (of the service principal), `principal` (what Azure RBAC grants to),
    `tenant_id`, `client_secret` (the newer of the two passwords; sensitive, never make it a stack
    output) and `client_secret_end_date` (its expiry, RFC 3339); `passwords` and `rotations` (a, b).
    """

    def __init__(self, scope: Construct, construct_id: str, props: EntraApplicationProps):
        super().__init__(scope, construct_id)
        caller = DataAzureadClientConfig(self, "caller")
        owners = [*props.deployers, *props.owners]
        # Plain data in `locals`, referenced by the condition (never spliced into the expression).
        deployers = TerraformLocal(self, "deployers", list(props.deployers))
        planners = TerraformLocal(self, "plan_readers", list(props.plan_readers)) if props.plan_readers else None

        self.application = Application(
            self,
            "application",
            display_name=props.display_name,
            description=props.description,
            sign_in_audience=SINGLE_TENANT,
            owners=owners,
            # Two apps with one name make Entra ID audits and `az ad sp list` ambiguous.
            prevent_duplicate_names=True,
            lifecycle=TerraformResourceLifecycle(
                precondition=[
                    Precondition(
                        condition=Fn.contains(
                            Fn.concat([deployers.as_list, planners.as_list]) if planners else deployers.as_list,
                            caller.object_id,
                        ),
                        error_message=(
                            "The identity running Terraform is not one of this environment's azure.deployers (nor "
                            "its azure.plan_readers): it would own nothing and get no vault role. Add its object id "
                            "to azure.deployers (docs/credentials.md: Deployers), or to azure.plan_readers if it "
                            "only plans, or run as a listed deployer."
                        ),
                    ),
                    *self._first_apply_precondition(props, len(set(owners)), caller),
                ]
            ),
        )
        self.service_principal = ServicePrincipal(
            self,
            "service_principal",
            client_id=self.application.client_id,
            # The principal authenticates as itself (client credentials); no user assignment is involved.
            app_role_assignment_required=False,
            owners=owners,
        )
        period_days = 2 * props.secret_rotation_days
        lifetime = f"{props.secret_expiry_days * 24}h"
        # `rotation_days` is ignored after creation: an edit of R applies at each marker's own next
        # renewal. time 0.13.1 updates it in place (resource_time_rotating.go Update), moving both
        # rotation times at once, and a shorter R could make both overdue in one plan.
        rotation_a = Rotating(
            self,
            "secret_rotation_a",
            rotation_days=period_days,
            lifecycle=TerraformResourceLifecycle(ignore_changes=["rotation_days"]),
        )
        rotation_b = Rotating(
            self,
            "secret_rotation_b",
            rotation_days=period_days,
            # Staggered by R (see the module docstring): a + R once that is not in the future, else a - R
            # (the first apply, when a is created now). Ignored after creation: `a` rotating must not
            # replace `b` (rfc3339 forces a new resource).
            rfc3339=Token.as_string(
                Fn.conditional(
                    Op.gt(
                        Fn.timecmp(
                            Fn.timeadd(rotation_a.rfc3339, f"{props.secret_rotation_days * 24}h"), Fn.plantimestamp()
                        ),
                        Token.as_number("0"),
                    ),
                    Fn.timeadd(rotation_a.rfc3339, f"-{props.secret_rotation_days * 24}h"),
                    Fn.timeadd(rotation_a.rfc3339, f"{props.secret_rotation_days * 24}h"),
                )
            ),
            lifecycle=TerraformResourceLifecycle(ignore_changes=["rfc3339", "rotation_days"]),
        )
        self.rotations = (rotation_a, rotation_b)
        # Every argument of azuread_application_password is ForceNew (azuread 3.7.0,
        # applications/application_password_resource.go). So a password is only ever replaced by its
        # own marker (rotate_when_changed); display_name and end_date are ignored after creation: an
        # edit of E or of the app's name applies at that slot's next renewal, never to both at once.
        # end_date counts E from the earlier of the marker's base and the plan time: slot b's first
        # marker lies R days in the future, and no password may live more than E days.
        self.passwords = tuple(
            ApplicationPasswordA(
                self,
                f"client_secret_{slot}",
                application_id=self.application.id,
                display_name=f"slot {slot} (mlplatform-cdktf, rotated by Terraform)",
                end_date=Fn.timeadd(
                    Token.as_string(
                        Fn.conditional(
                            Op.gt(Fn.timecmp(rotation.rfc3339, Fn.plantimestamp()), Token.as_number("0")),
                            Fn.plantimestamp(),
                            rotation.rfc3339,
                        )
                    ),
                    lifetime,
                ),
                rotate_when_changed={"rotation": rotation.id},
                lifecycle=TerraformResourceLifecycle(
                    create_before_destroy=True, ignore_changes=["display_name", "end_date"]
                ),
            )
            for slot, rotation in (("a", rotation_a), ("b", rotation_b))
        )
        password_a, password_b = self.passwords
        # The newer marker's password is the one consumers get; the other stays valid for R more days.
        # (cdktf 0.21 renders a literal 0 operand as `undefined`; a number token renders as `0`.)
        a_is_newer = Op.gte(Fn.timecmp(rotation_a.rfc3339, rotation_b.rfc3339), Token.as_number("0"))

        def newer(attribute_a: str, attribute_b: str) -> str:
            return Token.as_string(Fn.conditional(a_is_newer, attribute_a, attribute_b))

        self.client_id: str = self.application.client_id
        self.object_id: str = self.service_principal.object_id
        self.principal = AzurePrincipal.service_principal(self.object_id, construct_id)
        self.tenant_id: str = self.service_principal.application_tenant_id
        self.client_secret: str = newer(password_a.value, password_b.value)
        self.client_secret_end_date: str = newer(password_a.end_date, password_b.end_date)

    def _first_apply_precondition(
        self, props: EntraApplicationProps, owner_count: int, caller: DataAzureadClientConfig
    ) -> list[Precondition]:
        """azuread 3.7.0 binds every owner when it creates the app (applications/application_resource.go,
        Owners@odata.bind), which Entra ID refuses to a caller holding Application.ReadWrite.OwnedBy when
        there are owners besides itself (azuread #853, #703): the first apply of such an app is a user's.
        Once the app exists (its service principal is found by name) any deployer applies."""
        if owner_count <= 1:
            return []
        users = TerraformLocal(self, "deploying_users", list(props.user_deployers))
        # Does the app exist yet? Its service principal carries its display name (ignore_missing: [] if not).
        existing = DataAzureadServicePrincipals(
            self, "existing", display_names=[props.display_name], ignore_missing=True
        )
        return [
            Precondition(
                condition=Op.or_(
                    Op.gt(Fn.length_of(existing.object_ids), Token.as_number("0")),
                    Fn.contains(users.as_list, caller.object_id),
                ),
                error_message=(
                    f"The ML app does not exist yet, it gets {owner_count} owners, and the identity running Terraform "
                    "is a service principal: Entra ID lets an app holding Application.ReadWrite.OwnedBy create an "
                    "app with itself as its only owner (azuread #853). Make the first apply as a user deployer "
                    "(docs/credentials.md: Deployers); its later applies work."
                ),
            )
        ]


class EntraApplicationLookup(Construct):
    """An app registration another stack created, found by its display name (read-only).

    This is how a stack learns a generated value (the client id) without reading the creating
    stack's state, which holds the client passwords. `data.azuread_application` filters on
    `displayName eq '<name>'` (azuread 3.7.0, applications/application_data_source.go) and fails the
    plan with "Application not found" or "Multiple applications found": never a wrong guess. The
    creating side sets `prevent_duplicate_names`; config refuses `'` in the name (it would end the
    OData string). Reading needs Entra ID directory read access: member users have it by default; a
    service principal or managed identity needs Microsoft Graph `Application.Read.All` (docs/credentials.md: Permissions of the deploying identity).

    A postcondition requires the app found to be owned by one of `owned_by` (the deployers, who own
    the app the azure stack creates): a same-named app someone else registered is refused.

    Attributes: `client_id`.
    """

    def __init__(self, scope: Construct, construct_id: str, *, display_name: str, owned_by: tuple[str, ...]):
        super().__init__(scope, construct_id)
        # Anyone may register an app of the same name; the one found must be owned by a deployer
        # (the creating stack makes every deployer an owner), or the plan stops here.
        owners = TerraformLocal(self, "expected_owners", list(owned_by))
        self.application = DataAzureadApplication(
            self,
            "application",
            display_name=display_name,
            lifecycle=TerraformResourceLifecycle(
                postcondition=[
                    Postcondition(
                        condition=Op.gt(
                            Fn.length_of(
                                Fn.setintersection(Token.as_list(TerraformSelf.get_any("owners")), [owners.as_list])
                            ),
                            Token.as_number("0"),
                        ),
                        error_message=(
                            "The app registration found by this display name is owned by none of the environment's "
                            "azure.deployers: it is not the one the azure stack created. Rename one of them."
                        ),
                    )
                ]
            ),
        )
        self.client_id: str = self.application.client_id
