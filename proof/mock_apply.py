"""A mock apply of the layers of one environment (and of the Terraform Cloud stack) with `terraform test`.

Each environment gets a scratch folder outside the checkout (never `cdktf.out/`):

    <work>/<env>/azure/main.tf.json        the synthesized azure stack, made testable (below)
    <work>/<env>/databricks/main.tf.json   the synthesized databricks stack, likewise
    <work>/<env>/serving/main.tf.json      the synthesized serving stack, likewise
    <work>/<env>/mocks/<provider>/         tests/mocks/<provider>/*.tfmock.hcl (realistic defaults)
    <work>/<env>/tests/apply.tftest.json   generated here: run "azure", "databricks", then the serving runs

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

from proof.terraform_check import Diagnostic, run_terraform

MOCKS = Path(__file__).resolve().parent.parent / "tests" / "mocks"
APP_CLIENT_ID = "9f405162-0000-4000-8000-0000000000c2"
"""The ML app's client id in the mocks (tests/mocks/azuread): the azure run creates the app with it,
and the databricks run's lookup by display name finds the same app."""


NESTED_LISTS = (
    ("databricks_registered_model", "model_info"),
    ("databricks_registered_model_versions", "model_versions"),
    ("databricks_serving_endpoints", "endpoints"),
)
"""Plugin-framework data source attributes of list nesting that Terraform 1.11's mocks cannot fill
(`override_data` refuses a list there and makes an object an empty list: hashicorp/terraform #37939,
#38369, open). The test copy reads them from variables instead, set by each run; every expression
built on them stays as synthesized."""


def mock_variable(data_type: str, name: str, attribute: str) -> str:
    return f"mock_{data_type}_{name}_{attribute}"


def _feed_nested_lists(module: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(module)
    variables = {}
    for data_type, attribute in NESTED_LISTS:
        for name in module.get("data", {}).get(data_type, {}):
            variable = mock_variable(data_type, name, attribute)
            text = text.replace(f"data.{data_type}.{name}.{attribute}", f"var.{variable}")
            variables[variable] = {"type": "any", "default": []}
    fed = json.loads(text)
    if variables:
        fed.setdefault("variable", {}).update(variables)
    return fed


def testable(stack: Mapping[str, Any]) -> dict[str, Any]:
    """`stack` without its backend and without `prevent_destroy` (see the module docstring), its
    `NESTED_LISTS` read from variables."""
    module = _feed_nested_lists(json.loads(json.dumps(stack)))
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
    # The app found by display name is the azure stack's: its owners are the deployers.
    data_overrides = _application(databricks)
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


FIRST_VERSION = 4
"""The version the mocked registry's alias (or pinned number) names in the serving runs; the alias then
moves to FIRST_VERSION + 1."""


def _construct_id(entry: Mapping[str, Any]) -> str:
    """The id of the construct a synthesized entry belongs to (its parent in the metadata path)."""
    return entry["//"]["metadata"]["path"].split("/")[-2]


def _registry(serving: Mapping[str, Any], version: int | None) -> dict[str, Any]:
    """Run variables for every served model's lookup (`NESTED_LISTS`): its alias (or pinned number)
    names `version`, or, with None, the model has no alias and no version yet."""
    variables: dict[str, Any] = {}
    data = serving.get("data", {})
    for name, entry in data.get("databricks_registered_model", {}).items():
        alias = local_value(serving, f"{_construct_id(entry)}_alias")
        aliases = [] if version is None else [{"alias_name": alias, "version_num": version}]
        variables[mock_variable("databricks_registered_model", name, "model_info")] = [{"aliases": aliases}]
    for name, entry in data.get("databricks_registered_model_versions", {}).items():
        pinned = int(local_value(serving, f"{_construct_id(entry)}_version"))
        versions = [] if version is None else [{"version": pinned}]
        variables[mock_variable("databricks_registered_model_versions", name, "model_versions")] = versions
    return variables


def _configured_gateway(serving: Mapping[str, Any]) -> Mapping[str, Any]:
    """The endpoint's synthesized `ai_gateway` block ({} without one)."""
    (endpoint,) = serving["resource"]["databricks_model_serving"].values()
    return endpoint.get("ai_gateway") or {}


def _deployed(serving: Mapping[str, Any], *, everything_on: bool = False) -> dict[str, Any]:
    """Run variables for the listing of the workspace's endpoints with this endpoint deployed: with
    the AI gateway features its config has on (what the previous apply left), or with all of them on.
    An endpoint without a gateway lists it as null, as databricks 1.99.0 yields it (the lifecycle
    against the local workspace reads it so: tests/test_lifecycle.py)."""
    listing = only_id(serving, "databricks_serving_endpoints", section="data").split(".")[-1]
    configured = _configured_gateway(serving)
    gateway: list[dict[str, Any]] | None = None
    if configured or everything_on:
        gateway = [
            {
                "inference_table_config": [{"enabled": everything_on or "inference_table_config" in configured}],
                "usage_tracking_config": [{"enabled": everything_on or "usage_tracking_config" in configured}],
            }
        ]
    name = local_value(serving, "serving_endpoint_name")
    variable = mock_variable("databricks_serving_endpoints", listing, "endpoints")
    return {variable: [{"name": name, "ai_gateway": gateway}]}


def _application(stack: Mapping[str, Any]) -> list[dict[str, Any]]:
    """override_data for the stack's lookup of the ML app: the azure stack's (owned by the deployers)."""
    owners = local_value(stack, "expected_owners")
    if not owners:
        return []
    lookup = only_id(stack, "azuread_application", section="data")
    return [{"target": lookup, "values": {"owners": owners, "client_id": APP_CLIENT_ID}}]


def _serving_run(
    serving: Mapping[str, Any],
    command: str,
    variables: dict[str, Any],
    *,
    asserts: list[dict[str, str]] | None = None,
    expect_failures: list[str] | None = None,
) -> dict[str, Any]:
    """One run of the serving module: the app lookup overridden, the registry and listing from
    `variables`; then its asserts, or the resources whose conditions must fail."""
    run: dict[str, Any] = {
        "command": command,
        "module": {"source": "./serving"},
        "override_data": _application(serving),
        "variables": variables,
    }
    if asserts is not None:
        run["assert"] = asserts
    if expect_failures is not None:
        run["expect_failures"] = expect_failures
    return run


def _serving_runs(serving: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A fresh environment, the first version, the alias moving, the alias removed, and (where config
    has a gateway feature off) a deployed gateway with everything on. Without `_deployed` the listing
    variable keeps its default: no endpoint in the workspace."""
    endpoint = only_id(serving, "databricks_model_serving")
    permissions = only_id(serving, "databricks_permissions")
    pinned = bool(serving.get("data", {}).get("databricks_registered_model_versions"))
    first_version_asserts = [
        _assert(f"length({endpoint}) == 1", "the endpoint is created once every served version exists"),
        _assert(
            f'alltrue([for e in {endpoint}[0].config[0].served_entities : e.entity_version != ""])',
            "every served entity names a version",
        ),
        _assert(
            f"contains([for a in one({permissions}[*].access_control) : a.service_principal_name], run.azure.client_id)",
            "the ML principal's endpoint permission names the azure stack's app",
        ),
        _assert(
            f'output.serving_endpoint_url == "{local_value(serving, "workspace_host")}/serving-endpoints/'
            f'${{{endpoint}[0].name}}/invocations"',
            "the invocation URL is the workspace's /serving-endpoints/<name>/invocations",
        ),
    ]
    runs = {
        "serving_fresh": _serving_run(
            serving,
            "apply",
            _registry(serving, None),
            asserts=[
                _assert(f"length({endpoint}) == 0", "no endpoint while no served version exists"),
                _assert(f"length({permissions}) == 0", "no endpoint permissions while there is no endpoint"),
                _assert("output.serving_endpoint_url == null", "no invocation URL while there is no endpoint"),
            ],
        ),
        "serving_first_version": _serving_run(
            serving, "apply", _registry(serving, FIRST_VERSION), asserts=first_version_asserts
        ),
    }
    if not pinned:
        first_version_asserts.append(
            _assert(
                f'{endpoint}[0].config[0].served_entities[0].entity_version == "{FIRST_VERSION}"',
                "the endpoint serves the version the alias names",
            )
        )
        runs["serving_alias_moved"] = _serving_run(
            serving,
            "apply",
            {**_registry(serving, FIRST_VERSION + 1), **_deployed(serving)},
            asserts=[
                _assert(
                    f'{endpoint}[0].config[0].served_entities[0].entity_version == "{FIRST_VERSION + 1}"',
                    "after the deployment job moves the alias, the next apply serves where it points",
                )
            ],
        )
    runs["serving_alias_removed"] = _serving_run(
        serving, "plan", {**_registry(serving, None), **_deployed(serving)}, expect_failures=[endpoint]
    )
    if not {"inference_table_config", "usage_tracking_config"} <= set(_configured_gateway(serving)):
        # Config has an AI gateway feature off: a deployed endpoint with it on must stop the plan.
        runs["serving_gateway_guard"] = _serving_run(
            serving,
            "plan",
            {**_registry(serving, FIRST_VERSION + 1), **_deployed(serving, everything_on=True)},
            expect_failures=[endpoint],
        )
    return runs


def environment_test(
    azure: Mapping[str, Any], databricks: Mapping[str, Any], serving: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The `.tftest.json` document for one environment's stacks: azure, databricks, then the serving
    runs (a fresh environment, a first version, a moved alias, a removed alias)."""
    stacks = [azure, databricks, *([serving] if serving else [])]
    runs = {"azure": _azure_run(azure), "databricks": _databricks_run(databricks)}
    if serving:
        runs.update(_serving_runs(serving))
    return {
        "mock_provider": {name: {"source": f"./mocks/{name}"} for name in providers_of(*stacks)},
        "run": runs,
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
