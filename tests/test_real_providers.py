"""The real providers judge every stack, at the versions the stacks pin (proof/provider_mirror.py).

- `terraform validate` of every stack of the default config and of every variant of
  tests/config_variants.py (identical stacks once): no error, no warning that is not listed with its
  reason in proof.terraform_check.ACCEPTED_WARNINGS.
- A mock apply (`terraform test`, every provider a `mock_provider`) of both layers of dev, staging and
  prod, asserting the wiring between them, and of the Terraform Cloud bootstrap stack.
- Planted defects make each gate fail, naming the stack, the resource and the provider's message.

The providers come from the mirror in the cache folder, built from source on first use
(MLPLATFORM_PROVIDER_SOURCE=source, the default; `registry` where the Terraform registry is
reachable). Without Terraform >= 1.11 or a provider these tests are skipped with the reason in the
summary, or fail when MLPLATFORM_REQUIRE_PROVIDERS=1 (pull requests set it).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from proof import mock_apply, provider_mirror, terraform_check
from tests.config_variants import variants
from tests.helpers import ROOT

ENVIRONMENTS = ("dev", "staging", "prod")


@pytest.fixture(scope="session")
def validation(provider_cli_config, default_stacks, variant_stacks):
    """`terraform validate` of every default and variant stack, once per session: stack -> diagnostics."""
    stacks = {**default_stacks, **variant_stacks}
    diagnostics, _ = terraform_check.validate_stacks(
        stacks, provider_cli_config, terraform_check.work_root() / "validate"
    )
    return {name: [d for d in diagnostics if d.stack == name] for name in stacks}


def test_every_variant_is_accepted_by_check():
    from config import PlatformConfig

    for name, raw in variants().items():
        PlatformConfig.model_validate(raw), name


def test_pins_come_from_the_synthesized_stacks(default_stacks):
    pins = {str(pin) for pin in provider_mirror.pins_from_stacks(default_stacks.values())}
    assert pins == {
        "databricks/databricks 1.99.0",
        "hashicorp/azuread 3.7.0",
        "hashicorp/azurerm 4.55.0",
        "hashicorp/tfe 0.71.0",
        "hashicorp/time 0.13.1",
    }


def test_every_default_stack_validates(validation, default_stacks):
    bad = terraform_check.failures(d for name in default_stacks for d in validation[name])
    assert bad == [], "\n".join(map(str, bad))


def test_every_variant_stack_validates(validation, variant_stacks):
    assert len(variant_stacks) >= 15
    bad = terraform_check.failures(d for name in variant_stacks for d in validation[name])
    assert bad == [], "\n".join(map(str, bad))


def test_accepted_warnings_still_occur(validation):
    """A listed warning that no stack produces any more is a stale entry: remove it."""
    seen = {(d.address, d.summary) for found in validation.values() for d in found if d.severity == "warning"}
    for prefix, summary in terraform_check.ACCEPTED_WARNINGS:
        assert any(address.startswith(prefix) and s == summary for address, s in seen), (prefix, summary)


def _environment_run(stacks, env, prefix, cli_config, folder: Path):
    modules = {layer: stacks[f"{prefix}-{env}-{layer}"] for layer in ("azure", "databricks", "serving")}
    mock_apply.prepare(folder, modules, mock_apply.environment_test(**modules))
    return mock_apply.run_test(env, folder, cli_config)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_mock_apply_of_every_layer(provider_cli_config, default_stacks, env):
    result = _environment_run(
        default_stacks, env, "mlplatform", provider_cli_config, terraform_check.work_root() / "mock" / env
    )
    assert result.passed, "\n".join(map(str, result.diagnostics)) or result.output


def test_mock_apply_of_the_features_on_variant(provider_cli_config, variant_stacks):
    """dev of the variant with every optional resource: existing resource group, monitoring, ADLS, ..."""
    result = _environment_run(
        variant_stacks, "dev", "variant0", provider_cli_config, terraform_check.work_root() / "mock" / "variant-dev"
    )
    assert result.passed, "\n".join(map(str, result.diagnostics)) or result.output


@pytest.mark.parametrize("label", ["dev-churn", "dev-fraud", "prod-fraud"])
def test_mock_apply_of_each_project_of_the_two_projects_example(provider_cli_config, variant_stacks, label):
    """config/examples/two-projects.yaml (variant3): each project's layers, as an environment's are."""
    result = _environment_run(
        variant_stacks, label, "variant3", provider_cli_config, terraform_check.work_root() / "mock" / f"two-{label}"
    )
    assert result.passed, "\n".join(map(str, result.diagnostics)) or result.output


def _bootstrap_run(tfc, cli_config, folder_name: str):
    folder = terraform_check.work_root() / "mock" / folder_name
    mock_apply.prepare(folder, {"tfc": tfc}, mock_apply.tfc_test(tfc))
    return mock_apply.run_test("tfc", folder, cli_config)


def test_mock_apply_of_the_two_projects_bootstrap_stack(provider_cli_config, variant_stacks):
    """Every project's workspaces, each team's access to them, the prod pool admitting both projects' workspaces."""
    result = _bootstrap_run(variant_stacks["variant3-tfc"], provider_cli_config, "two-projects-tfc")
    assert result.passed, "\n".join(map(str, result.diagnostics)) or result.output


def test_mock_apply_of_the_bootstrap_stack(provider_cli_config, default_stacks):
    result = _bootstrap_run(default_stacks["mlplatform-tfc"], provider_cli_config, "tfc")
    assert result.passed, "\n".join(map(str, result.diagnostics)) or result.output


# --- the gates can fail ---------------------------------------------------------------------------


def _planted_outdir(default_outdir: Path, tmp_path: Path, stack: str, plant) -> Path:
    outdir = tmp_path / "cdktf.out"
    shutil.copytree(default_outdir, outdir)
    path = outdir / "stacks" / stack / "cdk.tf.json"
    document = json.loads(path.read_text())
    plant(document["resource"])
    path.write_text(json.dumps(document, indent=2))
    return outdir


def _only(resources, kind):
    (name, resource), *_ = resources[kind].items()
    return name, resource


@pytest.mark.parametrize(
    "stack,kind,attribute,value,message",
    [
        # databricks 1.99.0 clusters/resource_cluster.go: runtime_engine is PHOTON or STANDARD
        (
            "mlplatform-dev-databricks",
            "databricks_cluster",
            "runtime_engine",
            "TURBO",
            'expected runtime_engine to be one of ["PHOTON" "STANDARD"], got TURBO',
        ),
        # azurerm 4.55.0 parses the subnet id of a private endpoint
        (
            "mlplatform-prod-azure",
            "azurerm_private_endpoint",
            "subnet_id",
            "/subscriptions/33333333-3333-3333-3333-333333333333/subnets/snet",
            "parsing",
        ),
    ],
)
def test_make_validate_fails_on_a_planted_defect_naming_stack_resource_and_message(
    provider_cli_config, default_outdir, tmp_path, stack, kind, attribute, value, message
):
    def plant(resources):
        _, resource = _only(resources, kind)
        resource[attribute] = value

    outdir = _planted_outdir(default_outdir, tmp_path, stack, plant)
    name, _ = _only(json.loads((outdir / "stacks" / stack / "cdk.tf.json").read_text())["resource"], kind)
    result = subprocess.run(
        [sys.executable, "-m", "proof.terraform_check", "--stacks", str(outdir), "--source", "cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert any(line.startswith(f"error: {stack}: {kind}.{name}: error: ") and message in line for line in errors), (
        errors
    )
    assert "terraform validate: 10 stacks (10 distinct), " in result.stdout


def test_mock_apply_fails_when_the_layers_disagree(provider_cli_config, default_stacks, tmp_path):
    """A databricks stack whose scope points at another vault fails the wiring assert."""
    stacks = json.loads(json.dumps(default_stacks))
    _, scope = _only(stacks["mlplatform-dev-databricks"]["resource"], "databricks_secret_scope")
    scope["keyvault_metadata"]["resource_id"] = scope["keyvault_metadata"]["resource_id"].replace(
        "kv-mlplat-dev-0000", "kv-somebody-else"
    )
    result = _environment_run(stacks, "dev", "mlplatform", provider_cli_config, tmp_path / "mock")
    assert not result.passed
    assert any(
        "the secret scope must point at the vault the azure stack created (resource id)" in str(d)
        for d in result.diagnostics
    ), result.output


@pytest.mark.parametrize("guard", ["readiness", "gateway"])
def test_mock_apply_fails_when_a_serving_guard_is_removed(provider_cli_config, default_stacks, tmp_path, guard):
    """Without the readiness precondition a removed alias would be planned (no expected failure);
    without the gateway guards, switching off a deployed gateway feature would be too."""
    stacks = json.loads(json.dumps(default_stacks))
    _, endpoint = _only(stacks["mlplatform-dev-serving"]["resource"], "databricks_model_serving")
    preconditions = endpoint["lifecycle"]["precondition"]
    endpoint["lifecycle"]["precondition"] = preconditions[1:] if guard == "readiness" else preconditions[:1]
    result = _environment_run(stacks, "dev", "mlplatform", provider_cli_config, tmp_path / "mock")
    assert not result.passed
    run = "serving_alias_removed" if guard == "readiness" else "serving_gateway_guard"
    failed = [d for d in result.diagnostics if run in d.stack]
    assert failed and all(d.severity == "error" for d in failed), result.output


def test_the_vault_postcondition_fails_when_azure_returns_another_address(
    provider_cli_config, default_stacks, tmp_path
):
    """If Azure's vault id ever differs from the config-derived one the databricks layer uses, the
    azure apply fails (the postcondition), instead of a scope pointing at nothing."""
    azure, databricks = default_stacks["mlplatform-dev-azure"], default_stacks["mlplatform-dev-databricks"]
    test = mock_apply.environment_test(azure, databricks)
    (vault_override,) = [o for o in test["run"]["azure"]["override_resource"] if "azurerm_key_vault." in o["target"]]
    vault_override["values"]["id"] = vault_override["values"]["id"].replace("rg-mlplatform-dev", "rg-elsewhere")
    mock_apply.prepare(tmp_path / "mock", {"azure": azure, "databricks": databricks}, test)
    result = mock_apply.run_test("dev", tmp_path / "mock", provider_cli_config)
    assert not result.passed
    assert any(
        d.summary == "Resource postcondition failed"
        and "The vault's id differs from the one the databricks layer derives from config" in d.detail
        for d in result.diagnostics
    ), result.output


def test_a_plan_by_an_identity_that_is_not_a_deployer_stops_at_the_precondition(
    provider_cli_config, default_stacks, tmp_path
):
    azure, databricks = default_stacks["mlplatform-dev-azure"], default_stacks["mlplatform-dev-databricks"]
    test = mock_apply.environment_test(azure, databricks)
    (caller,) = test["run"]["azure"]["override_data"]
    caller["values"]["object_id"] = "99999999-9999-4999-8999-999999999999"
    mock_apply.prepare(tmp_path / "mock", {"azure": azure, "databricks": databricks}, test)
    result = mock_apply.run_test("dev", tmp_path / "mock", provider_cli_config)
    assert not result.passed
    assert any(
        d.summary == "Resource precondition failed" and "is not one of this environment's azure.deployers" in d.detail
        for d in result.diagnostics
    ), result.output


PLAN_READER = "c1c2c3c4-0000-4000-8000-00000000c1a1"
"""dev's CI plan identity in `test_a_plan_by_a_plan_reader_passes_and_it_may_read_the_secret`."""


def test_a_plan_by_a_plan_reader_passes_and_it_may_read_the_secret(provider_cli_config, tmp_path):
    """CI's plan identity (azure.plan_readers) plans the azure layer, which the deployer check allows, and the
    stack gives it Key Vault Secrets User (its refresh reads the secret); without the listing it stops there."""
    from tests.helpers import config_from, mutated, synth_stacks

    def listed(raw):
        raw["environments"]["dev"]["azure"]["plan_readers"] = [PLAN_READER]

    stacks = synth_stacks(config_from(mutated(listed)))
    azure = stacks["mlplatform-dev-azure"]
    readers = [a for a in azure["resource"]["azurerm_role_assignment"].values() if a["principal_id"] == PLAN_READER]
    assert [(a["role_definition_name"], a["principal_type"]) for a in readers] == [
        ("Key Vault Secrets User", "ServicePrincipal")
    ]
    test = mock_apply.environment_test(azure, stacks["mlplatform-dev-databricks"])
    test["run"] = {"azure": {**test["run"]["azure"], "command": "plan"}}
    test["mock_provider"] = {name: test["mock_provider"][name] for name in mock_apply.providers_of(azure)}
    (caller,) = test["run"]["azure"]["override_data"]
    caller["values"]["object_id"] = PLAN_READER
    existing = mock_apply.only_id(azure, "azuread_service_principals", section="data")  # a deployed environment
    test["run"]["azure"]["override_data"].append(
        {"target": existing, "values": {"object_ids": ["a0516273-0000-4000-8000-0000000000c3"]}}
    )
    test["run"]["azure"].pop("assert", None)
    mock_apply.prepare(tmp_path / "mock", {"azure": azure}, test)
    result = mock_apply.run_test("dev", tmp_path / "mock", provider_cli_config)
    assert result.passed, "\n".join(map(str, result.diagnostics)) or result.output


def test_on_the_first_apply_the_vault_serves_slot_a_and_slot_b_starts_r_days_earlier(
    provider_cli_config, default_stacks, tmp_path
):
    """The first apply creates marker a now (here: a base after the plan time); b's base is then
    a - R, so b's first password is never served and is renewed after R days."""
    azure, databricks = default_stacks["mlplatform-dev-azure"], default_stacks["mlplatform-dev-databricks"]
    test = mock_apply.environment_test(azure, databricks)
    run = test["run"]["azure"]
    rotation_a = mock_apply.only_id(azure, "time_rotating", "rotation_a")
    rotation_b = mock_apply.only_id(azure, "time_rotating", "rotation_b")
    secret = mock_apply.only_id(azure, "azurerm_key_vault_secret")
    slot_a = mock_apply.only_id(azure, "azuread_application_password", "client_secret_a")
    run["override_resource"].append({"target": rotation_a, "values": {"rfc3339": "2099-01-01T00:00:00Z"}})
    run["assert"] += [
        {
            "condition": f'${{{rotation_b}.rfc3339 == "2098-12-18T00:00:00Z"}}',  # a - R, R = 14 days in dev
            "error_message": "b's first marker must start R days before a's",
        },
        {
            "condition": f"${{nonsensitive({secret}.value == {slot_a}.value)}}",
            "error_message": "the first apply must serve slot a",
        },
    ]
    mock_apply.prepare(tmp_path / "mock", {"azure": azure, "databricks": databricks}, test)
    result = mock_apply.run_test("dev", tmp_path / "mock", provider_cli_config)
    assert result.passed, "\n".join(map(str, result.diagnostics)) or result.output


def test_a_same_named_app_that_no_deployer_owns_stops_the_databricks_plan(
    provider_cli_config, default_stacks, tmp_path
):
    azure, databricks = default_stacks["mlplatform-dev-azure"], default_stacks["mlplatform-dev-databricks"]
    test = mock_apply.environment_test(azure, databricks)
    (lookup,) = test["run"]["databricks"]["override_data"]
    lookup["values"]["owners"] = ["99999999-9999-4999-8999-999999999999"]
    mock_apply.prepare(tmp_path / "mock", {"azure": azure, "databricks": databricks}, test)
    result = mock_apply.run_test("dev", tmp_path / "mock", provider_cli_config)
    assert not result.passed
    assert any("owned by none of the environment's azure.deployers" in d.detail for d in result.diagnostics), (
        result.output
    )


@pytest.mark.parametrize("app_exists", [False, True])
def test_a_service_principal_deployer_makes_no_first_apply_of_an_app_with_other_owners(
    provider_cli_config, default_stacks, tmp_path, app_exists
):
    """azuread 3.7.0 binds every owner at create, which Entra ID refuses to an app holding
    Application.ReadWrite.OwnedBy (azuread #853): dev's CI app may apply once a user made the first apply."""
    azure, databricks = default_stacks["mlplatform-dev-azure"], default_stacks["mlplatform-dev-databricks"]
    test = mock_apply.environment_test(azure, databricks)
    (caller,) = test["run"]["azure"]["override_data"]
    caller["values"]["object_id"] = "67676767-6767-6767-6767-676767676767"  # dev's CI service principal
    if app_exists:
        existing = mock_apply.only_id(azure, "azuread_service_principals", section="data")
        test["run"]["azure"]["override_data"].append(
            {"target": existing, "values": {"object_ids": ["a0516273-0000-4000-8000-0000000000c3"]}}
        )
    mock_apply.prepare(tmp_path / "mock", {"azure": azure, "databricks": databricks}, test)
    result = mock_apply.run_test("dev", tmp_path / "mock", provider_cli_config)
    refused = [d for d in result.diagnostics if "Make the first apply as a user deployer" in d.detail]
    assert (result.passed, bool(refused)) == (app_exists, not app_exists), result.output
