"""A mock apply of both layers of one environment (and of the Terraform Cloud stack) with `terraform test`.

Each environment gets a scratch folder outside the checkout (never `cdktf.out/`):

    <work>/<env>/azure/main.tf.json        the synthesized azure stack, made testable (below)
    <work>/<env>/databricks/main.tf.json   the synthesized databricks stack, likewise
    <work>/<env>/mocks/<provider>/         tests/mocks/<provider>/*.tfmock.hcl (realistic defaults)
    <work>/<env>/tests/apply.tftest.json   generated here: run "azure", then run "databricks"

"Made testable" changes only what a test run cannot have: the backend (`terraform test` keeps state
in memory) and `prevent_destroy` (`terraform test` destroys what it applied, and refuses to destroy
a protected resource). Every provider is a `mock_provider`: Terraform plans and applies for real, the
provider binaries validate every configuration and every value mocked resources hand on, and nothing
leaves the machine.

The asserts check the wiring the two layers share without reading each other's state: the
databricks run compares its secret scope's vault, its principal and its cluster's user with the
azure run's outputs (`run.azure.*`), and the azure run checks that the vault serves the newer password.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.terraform_check import Diagnostic, run_terraform

MOCKS = Path(__file__).resolve().parent.parent / "tests" / "mocks"
APP_CLIENT_ID = "9f405162-0000-4000-8000-0000000000c2"
"""The ML app's client id in the mocks (tests/mocks/azuread): the azure run creates the app with it,
and the databricks run's lookup by display name finds the same app."""


def testable(stack: Mapping[str, Any]) -> dict[str, Any]:
    """`stack` without its backend and without `prevent_destroy` (see the module docstring)."""
    module = json.loads(json.dumps(stack))
    terraform = module.get("terraform", {})
    for block in ("backend", "cloud"):
        terraform.pop(block, None)
    for instances in module.get("resource", {}).values():
        for resource in instances.values():
            lifecycle = resource.get("lifecycle", {})
            lifecycle.pop("prevent_destroy", None)
            if not lifecycle:
                resource.pop("lifecycle", None)
    return module


def providers_of(*stacks: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for stack in stacks:
        merged.update(stack.get("terraform", {}).get("required_providers", {}))
    return merged


def only_id(stack: Mapping[str, Any], kind: str, fragment: str = "", section: str = "resource") -> str:
    """The address of the one `kind` whose logical id contains `fragment` (`data.` prefixed for data)."""
    names = [name for name in stack.get(section, {}).get(kind, {}) if fragment in name]
    if len(names) != 1:
        raise ValueError(f"expected one {kind} containing {fragment!r}, found {sorted(names)}")
    return f"{'data.' if section == 'data' else ''}{kind}.{names[0]}"


def local_value(stack: Mapping[str, Any], fragment: str) -> Any:
    """The value of the one `locals` entry whose name contains `fragment`, or None."""
    found = [value for name, value in stack.get("locals", {}).items() if fragment in name]
    if len(found) > 1:
        raise ValueError(f"more than one local containing {fragment!r}")
    return found[0] if found else None


def _assert(condition: str, message: str) -> dict[str, str]:
    return {"condition": f"${{{condition}}}", "error_message": message}


@dataclass(frozen=True)
class TestRun:
    """What `terraform test` said: passed or not, and every diagnostic it printed."""

    name: str
    passed: bool
    diagnostics: list[Diagnostic]
    output: str


def _azure_run(azure: Mapping[str, Any]) -> dict[str, Any]:
    vault = only_id(azure, "azurerm_key_vault")
    expected = local_value(azure, "expected_address")
    deployers = local_value(azure, "deployers")
    secret = only_id(azure, "azurerm_key_vault_secret")
    slot_a = only_id(azure, "azuread_application_password", "client_secret_a")
    slot_b = only_id(azure, "azuread_application_password", "client_secret_b")
    rotation_a = only_id(azure, "time_rotating", "rotation_a")
    rotation_b = only_id(azure, "time_rotating", "rotation_b")
    overrides = [
        # Distinct passwords per slot, so the asserts can tell which one the vault holds.
        {"target": slot_a, "values": {"value": "mock-password-slot-a"}},
        {"target": slot_b, "values": {"value": "mock-password-slot-b"}},
    ]
    data_overrides = []
    if deployers:
        # Terraform runs as a configured deployer (the app's precondition checks that).
        caller = only_id(azure, "azuread_client_config", section="data")
        data_overrides.append({"target": caller, "values": {"object_id": deployers[0]}})
    if expected:
        # Azure builds the vault's id and URI from its subscription, resource group and name: the
        # config-derived values are what a real apply returns (the vault's postconditions check it).
        overrides.append({"target": vault, "values": {"id": expected["id"], "vault_uri": expected["uri"]}})
    newer_is_a = f"timecmp({rotation_a}.rfc3339, {rotation_b}.rfc3339) >= 0"
    return {
        "command": "apply",
        "module": {"source": "./azure"},
        "override_resource": overrides,
        "override_data": data_overrides,
        "assert": [
            _assert(
                f"nonsensitive({secret}.value == ({newer_is_a} ? {slot_a}.value : {slot_b}.value))",
                "the vault must hold the password of the newer rotation marker",
            ),
            _assert(
                f"{secret}.expiration_date == ({newer_is_a} ? {slot_a}.end_date : {slot_b}.end_date)",
                "the vault secret must expire with the password it holds",
            ),
            _assert(f"{secret}.key_vault_id == {vault}.id", "the secret must be written to this stack's vault"),
        ],
    }


def _databricks_run(databricks: Mapping[str, Any]) -> dict[str, Any]:
    scope = only_id(databricks, "databricks_secret_scope")
    principal = only_id(databricks, "databricks_service_principal")
    cluster = only_id(databricks, "databricks_cluster")
    job_asserts = []
    jobs = sorted(databricks.get("resource", {}).get("databricks_job", {}))
    if jobs:
        policy = only_id(databricks, "databricks_cluster_policy")
        for job in jobs:
            address = f"databricks_job.{job}"
            job_asserts += [
                _assert(
                    f"{address}.run_as[0].service_principal_name == run.azure.client_id",
                    f"{job} must run as the ML principal (the azure stack's app)",
                ),
                _assert(
                    f"{address}.job_cluster[0].new_cluster[0].policy_id == {policy}.id",
                    f"{job}'s job cluster must use the platform's cluster policy",
                ),
            ]
    data_overrides = []
    owners = local_value(databricks, "expected_owners")
    if owners:
        # The app found by display name is the azure stack's: its owners are the deployers.
        lookup = only_id(databricks, "azuread_application", section="data")
        data_overrides.append({"target": lookup, "values": {"owners": owners, "client_id": APP_CLIENT_ID}})
    return {
        "command": "apply",
        "module": {"source": "./databricks"},
        "override_data": data_overrides,
        "assert": [
            *job_asserts,
            _assert(
                f"lower({scope}.keyvault_metadata[0].resource_id) == lower(run.azure.key_vault_id)",
                "the secret scope must point at the vault the azure stack created (resource id)",
            ),
            _assert(
                f"lower({scope}.keyvault_metadata[0].dns_name) == lower(run.azure.key_vault_uri)",
                "the secret scope must point at the vault the azure stack created (URI)",
            ),
            _assert(
                f"{principal}.application_id == run.azure.client_id",
                "the workspace principal must be bound to the azure stack's app registration",
            ),
            _assert(
                f"{cluster}.single_user_name == run.azure.client_id",
                "the ML cluster must run as the ML principal (its application id)",
            ),
            _assert(
                "output.principal_application_id == run.azure.client_id",
                "the databricks stack's principal output must be the app's client id",
            ),
        ],
    }


def environment_test(azure: Mapping[str, Any], databricks: Mapping[str, Any]) -> dict[str, Any]:
    """The `.tftest.json` document for one environment's two stacks."""
    return {
        "mock_provider": {name: {"source": f"./mocks/{name}"} for name in providers_of(azure, databricks)},
        "run": {"azure": _azure_run(azure), "databricks": _databricks_run(databricks)},
    }


def tfc_test(tfc: Mapping[str, Any]) -> dict[str, Any]:
    """The `.tftest.json` for the bootstrap stack: each workspace and pool gets its own mock id, and
    each workspace's settings, variables and pool allowance must name the right ones."""
    overrides = []
    asserts = []
    resources = tfc.get("resource", {})
    for kind, prefix in (("tfe_workspace", "ws"), ("tfe_agent_pool", "apool"), ("tfe_variable_set", "varset")):
        for index, name in enumerate(sorted(resources.get(kind, {})), start=1):
            overrides.append({"target": f"{kind}.{name}", "values": {"id": f"{prefix}-Mock{index:012d}"}})
    for name, settings in resources.get("tfe_workspace_settings", {}).items():
        workspace = settings["workspace_id"].removeprefix("${").removesuffix("}")
        pool = settings.get("agent_pool_id")
        asserts.append(
            _assert(
                f"tfe_workspace_settings.{name}.workspace_id == {workspace}", f"{name} must configure its workspace"
            )
        )
        if pool:
            allowance = pool.removeprefix("${").removesuffix(".agent_pool_id}")
            asserts.append(
                _assert(
                    f"contains({allowance}.allowed_workspace_ids, {workspace})",
                    f"{name}: its workspace must be allowed on the agent pool it runs on",
                )
            )
            asserts.append(
                _assert(
                    f"tfe_workspace_settings.{name}.agent_pool_id == {allowance}.agent_pool_id",
                    f"{name}: it must run on the pool that allows its workspace",
                )
            )
    return {
        "mock_provider": {name: {"source": f"./mocks/{name}"} for name in providers_of(tfc)},
        "run": {
            "tfc": {
                "command": "apply",
                "module": {"source": "./tfc"},
                "override_resource": overrides,
                "assert": asserts,
            }
        },
    }


def prepare(folder: Path, modules: Mapping[str, Mapping[str, Any]], test: Mapping[str, Any]) -> None:
    """Lay out `folder` for `terraform test`: one sub-folder per module, the mocks, the test file."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name, module in modules.items():
        (folder / name).mkdir()
        (folder / name / "main.tf.json").write_text(json.dumps(testable(module), indent=2))
    required = providers_of(*modules.values())
    (folder / "main.tf.json").write_text(json.dumps({"terraform": {"required_providers": required}}, indent=2))
    for provider in required:
        shutil.copytree(MOCKS / provider, folder / "mocks" / provider)
    (folder / "tests").mkdir()
    (folder / "tests" / "apply.tftest.json").write_text(json.dumps(test, indent=2))


def run_test(name: str, folder: Path, cli_config: Path) -> TestRun:
    """`terraform init` and `terraform test` in a prepared folder."""
    init = run_terraform(["init", "-backend=false", "-input=false", "-no-color"], folder, cli_config)
    if init.returncode != 0:
        return TestRun(name, False, [], f"terraform init failed: {(init.stderr or init.stdout).strip()[-3000:]}")
    result = run_terraform(["test", "-no-color", "-json"], folder, cli_config)
    diagnostics: list[Diagnostic] = []
    for line in result.stdout.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        found = event.get("diagnostic")
        if found:
            diagnostics.append(
                Diagnostic(
                    stack=f"{name} (run {event.get('@testrun', '?')})",
                    severity=found.get("severity", "error"),
                    summary=found.get("summary", ""),
                    detail=found.get("detail", ""),
                    address=found.get("address") or found.get("snippet", {}).get("context") or "",
                )
            )
    passed = result.returncode == 0 and not any(d.severity == "error" for d in diagnostics)
    return TestRun(name, passed, diagnostics, (result.stdout + result.stderr)[-6000:])
