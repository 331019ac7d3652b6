"""EntraApplicationIdentity on its own: one single-tenant app, its principal, two staggered rotating passwords."""

from __future__ import annotations

import dataclasses

from cdktf import TerraformOutput

from constructs_lib.entra_application import EntraApplicationIdentity, EntraApplicationProps
from tests.helpers import logical_id, only, ref, ref_to, resources, strip_metadata

DEPLOYERS = ("66666666-6666-6666-6666-666666666666", "67676767-6767-6767-6767-676767676767")
PROPS = EntraApplicationProps(
    display_name="mlplatform-dev-ml",
    deployers=DEPLOYERS,
    owners=("11111111-1111-1111-1111-111111111111",),
    secret_expiry_days=90,
    secret_rotation_days=30,
    description="ML automation",
)


def _identity(bare_stack, synth, props=PROPS):
    identity = EntraApplicationIdentity(bare_stack, "ml_identity", props)
    TerraformOutput(bare_stack, "secret", value=identity.client_secret, sensitive=True)
    TerraformOutput(bare_stack, "end_date", value=identity.client_secret_end_date)
    TerraformOutput(bare_stack, "tenant", value=identity.tenant_id)
    return identity, synth(bare_stack)


def test_app_and_principal_are_single_tenant_and_owned_by_the_deployers_and_extra_owners(bare_stack, synth):
    identity, stack = _identity(bare_stack, synth)
    owners = [*DEPLOYERS, "11111111-1111-1111-1111-111111111111"]
    assert sorted(stack["resource"]) == [
        "azuread_application",
        "azuread_application_password",
        "azuread_service_principal",
        "time_rotating",
    ]
    application = strip_metadata(only(stack, "azuread_application"))
    application.pop("lifecycle")
    assert application == {
        "display_name": "mlplatform-dev-ml",
        "description": "ML automation",
        "sign_in_audience": "AzureADMyOrg",
        "owners": owners,
        "prevent_duplicate_names": True,
    }
    assert strip_metadata(only(stack, "azuread_service_principal")) == {
        "client_id": ref(stack, "azuread_application", "client_id"),
        "app_role_assignment_required": False,
        "owners": owners,
    }
    assert stack["output"]["tenant"]["value"] == ref(stack, "azuread_service_principal", "application_tenant_id")
    assert identity.principal.principal_type == "ServicePrincipal"
    assert identity.principal.label == "ml_identity"


def test_only_a_configured_deployer_may_plan(bare_stack, synth):
    _, stack = _identity(bare_stack, synth, dataclasses.replace(PROPS, deployers=DEPLOYERS[:1], owners=()))
    ((local_name, deployers),) = stack["locals"].items()
    assert deployers == list(DEPLOYERS[:1])
    (condition,) = only(stack, "azuread_application")["lifecycle"]["precondition"]
    caller = ref(stack, "azuread_client_config", "object_id", section="data").removeprefix("${").removesuffix("}")
    assert condition["condition"] == f"${{contains(local.{local_name}, {caller})}}"
    assert "is not one of this environment's azure.deployers" in condition["error_message"]


def test_two_markers_renew_every_2r_days_the_second_staggered_by_r_and_never_moved(bare_stack, synth):
    _, stack = _identity(bare_stack, synth)
    marker_a = f"time_rotating.{logical_id(stack, 'time_rotating', 'rotation_a')}"
    assert strip_metadata(resources(stack, "time_rotating")) == {
        logical_id(stack, "time_rotating", "rotation_a"): {
            "rotation_days": 60,
            "lifecycle": {"ignore_changes": ["rotation_days"]},
        },
        logical_id(stack, "time_rotating", "rotation_b"): {
            "rotation_days": 60,
            "rfc3339": f'${{(timecmp(timeadd({marker_a}.rfc3339, "720h"), plantimestamp()) > 0) ? '
            f'timeadd({marker_a}.rfc3339, "-720h") : timeadd({marker_a}.rfc3339, "720h")}}',
            "lifecycle": {"ignore_changes": ["rfc3339", "rotation_days"]},
        },
    }


def test_each_password_expires_from_its_own_marker_and_is_replaced_before_destroyed(bare_stack, synth):
    _, stack = _identity(bare_stack, synth)
    for slot in ("a", "b"):
        password = resources(stack, "azuread_application_password")[
            logical_id(stack, "azuread_application_password", f"client_secret_{slot}")
        ]
        marker = f"time_rotating.{logical_id(stack, 'time_rotating', f'rotation_{slot}')}.rfc3339"
        earlier = f"(timecmp({marker}, plantimestamp()) > 0) ? plantimestamp() : {marker}"
        assert strip_metadata(password) == {
            "application_id": ref(stack, "azuread_application", "id"),
            "display_name": f"slot {slot} (mlplatform-cdktf, rotated by Terraform)",
            "end_date": f'${{timeadd({earlier}, "2160h")}}',
            "rotate_when_changed": {"rotation": ref_to(stack, "time_rotating", f"rotation_{slot}", "id")},
            "lifecycle": {"create_before_destroy": True, "ignore_changes": ["display_name", "end_date"]},
        }


def test_consumers_get_the_password_of_the_newer_marker(bare_stack, synth):
    _, stack = _identity(bare_stack, synth)
    a, b = (f"time_rotating.{logical_id(stack, 'time_rotating', f'rotation_{s}')}.rfc3339" for s in "ab")
    pa, pb = (
        f"azuread_application_password.{logical_id(stack, 'azuread_application_password', f'secret_{s}')}" for s in "ab"
    )
    newer = f"(timecmp({a}, {b}) >= 0)"
    assert stack["output"]["secret"] == {"value": f"${{{newer} ? {pa}.value : {pb}.value}}", "sensitive": True}
    assert stack["output"]["end_date"]["value"] == f"${{{newer} ? {pa}.end_date : {pb}.end_date}}"


def test_no_extra_owner_leaves_the_deployers_alone(bare_stack, synth):
    props = EntraApplicationProps(
        display_name="x", deployers=DEPLOYERS[:1], owners=(), secret_expiry_days=2, secret_rotation_days=1
    )
    _, stack = _identity(bare_stack, synth, props)
    application = only(stack, "azuread_application")
    assert application["owners"] == [DEPLOYERS[0]]
    assert "description" not in application


def test_with_other_owners_the_first_apply_is_a_users(bare_stack, synth):
    """azuread 3.7.0 binds every owner at create; Entra ID refuses that to a caller with
    Application.ReadWrite.OwnedBy (azuread #853). Until the app exists, a service principal deployer stops."""
    _, stack = _identity(bare_stack, synth, dataclasses.replace(PROPS, user_deployers=DEPLOYERS[:1]))
    _, first_apply = only(stack, "azuread_application")["lifecycle"]["precondition"]
    users = next(name for name in stack["locals"] if "deploying_users" in name)
    assert stack["locals"][users] == [DEPLOYERS[0]]
    existing = only(stack, "azuread_service_principals", section="data")
    assert strip_metadata(existing) == {"display_names": ["mlplatform-dev-ml"], "ignore_missing": True}
    found = ref(stack, "azuread_service_principals", "object_ids", section="data").removeprefix("${").removesuffix("}")
    caller = ref(stack, "azuread_client_config", "object_id", section="data").removeprefix("${").removesuffix("}")
    assert first_apply["condition"] == f"${{((length({found}) > 0) || contains(local.{users}, {caller}))}}"
    assert "Make the first apply as a user deployer" in first_apply["error_message"]
