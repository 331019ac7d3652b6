"""main.py as users run it: validation, environment selection, and an untouched cdktf.out/ on error."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import ROOT, default_raw, mutated


def run_main(tmp_path: Path, raw=None, *, text: str | None = None, selection: str | None = None, args=()):
    """Run `python main.py` as cdktf does, with a pre-existing output folder in tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLPLATFORM_")}
    if raw is not None or text is not None:
        config_file = tmp_path / "environments.yaml"
        config_file.write_text(text if text is not None else yaml.safe_dump(raw, sort_keys=False))
        env["MLPLATFORM_CONFIG"] = str(config_file)
    if selection is not None:
        env["MLPLATFORM_ENVIRONMENTS"] = selection
    env["CDKTF_OUTDIR"] = str(tmp_path / "cdktf.out")
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def refused_lines(result: subprocess.CompletedProcess, tmp_path: Path) -> list[str]:
    """The error lines of a refused config: exit 2, no traceback, each line naming the config file."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert lines and all(str(tmp_path / "environments.yaml") in line for line in lines), result.stderr
    return lines


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def previous_output(tmp_path):
    """A cdktf.out/ from an earlier, good synthesis (content is irrelevant, only that it survives)."""
    stack = tmp_path / "cdktf.out" / "stacks" / "mlplatform-dev-azure"
    stack.mkdir(parents=True)
    (stack / "cdk.tf.json").write_text(json.dumps({"terraform": {"earlier": True}}))
    (tmp_path / "cdktf.out" / "manifest.json").write_text("{}")
    return tmp_path / "cdktf.out"


def _set(path: str, value):
    """A mutation setting a dotted path (environment names included) in the raw config."""

    def change(raw):
        node = raw
        keys = path.split(".")
        for key in keys[:-1]:
            node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
        node[int(keys[-1]) if isinstance(node, list) else keys[-1]] = value

    return change


def _all(*changes):
    """One mutation made of several, in order."""

    def change(raw):
        for each in changes:
            each(raw)

    return change


APP = "68686868-6868-6868-6868-686868686868"
STAGING_AGENTS = {
    "object_id": "77777777-7777-7777-7777-777777777777",
    "kind": "service_principal",
    "application_id": "44444444-4444-4444-4444-444444444444",
}
"""staging's deployer in the default config: the agents' managed identity (client id 4444...)."""


def _delete(path: str):
    def change(raw):
        node = raw
        keys = path.split(".")
        for key in keys[:-1]:
            node = node[key]
        del node[keys[-1]]

    return change


BAD_CONFIGS = [
    # (case id, mutation, fragments every one of which the error line must contain)
    (
        "vault-zone-not-exactly-the-vault-zone",
        _set(
            "environments.dev.azure.key_vault.private_endpoint.private_dns_zone_id",
            "/subscriptions/99999999-9999-9999-9999-999999999999/resourceGroups/rg-hub/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net.evil.example",
        ),
        ["environment 'dev'", "private_dns_zone_id", "privatelink.vaultcore.azure.net"],
    ),
    (
        "endpoint-subnet-in-another-subscription",
        _set(
            "environments.prod.azure.key_vault.private_endpoint.subnet_id",
            "/subscriptions/99999999-9999-9999-9999-999999999999/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub/subnets/snet-pe",
        ),
        [
            "environment 'prod'",
            "subnet_id is in subscription 99999999-9999-9999-9999-999999999999",
            "its virtual network's subscription",
        ],
    ),
    (
        "firewall-ranges-with-public-access-off",
        _set("environments.staging.azure.key_vault.allowed_ip_ranges", ["203.0.113.0/24"]),
        [
            "environment 'staging'",
            "allowed_ip_ranges (203.0.113.0/24) do nothing while public_network_access_enabled is false",
        ],
    ),
    (
        "scope-managed-by-every-user",
        _set("environments.prod.databricks.secret_scope.manage_group", "Users"),
        ["environment 'prod'", "secret_scope.manage_group", "'users' is every workspace user"],
    ),
    (
        "inference-prefix-without-room-for-the-suffix",
        _set("environments.prod.databricks.serving.ai_gateway.inference_table.table_prefix", "p" * 248),
        ["environment 'prod'", "table_prefix", "248 characters", "at most 247"],
    ),
    (
        "workflows-without-git-source",
        _delete("environments.dev.databricks.workflows.git"),
        ["environment 'dev'", "databricks.workflows.git", "required field is missing"],
    ),
    (
        "workflows-schedule-not-quartz",
        _set("environments.prod.databricks.workflows.training.schedule.quartz_cron_expression", "0 3 * * 1"),
        ["environment 'prod'", "databricks.workflows.training.schedule.quartz_cron_expression", "Quartz"],
    ),
    (
        "workflows-branch-and-tag",
        _set("environments.staging.databricks.workflows.git.branch", "main"),
        ["environment 'staging'", "databricks.workflows.git", "exactly one of branch (dev) or tag"],
    ),
    (
        "workflows-notebook-climbs-out",
        _set("environments.dev.databricks.workflows.deployment.notebook_path", "../x"),
        ["environment 'dev'", "databricks.workflows.deployment.notebook_path", "'..' component"],
    ),
    (
        "no-deployers",
        _set("environments.staging.azure.deployers", []),
        ["environment 'staging'", "azure.deployers", "at least 1 item"],
    ),
    (
        "deployer-twice",
        _set(
            "environments.dev.azure.deployers",
            [{"object_id": "66666666-6666-6666-6666-666666666666", "kind": "user", "user_name": "you@example.com"}] * 2,
        ),
        ["environment 'dev'", "deployers: 66666666-6666-6666-6666-666666666666 is listed twice", "(409)"],
    ),
    (
        "plan-reader-is-a-deployer",
        _set("environments.dev.azure.plan_readers", ["66666666-6666-6666-6666-666666666666"]),
        [
            "environment 'dev'",
            "plan_readers: 66666666-6666-6666-6666-666666666666 is a deployer; a plan reader only reads",
        ],
    ),
    (
        "plan-reader-twice",
        _set("environments.dev.azure.plan_readers", ["c1c2c3c4-0000-4000-8000-00000000c1a1"] * 2),
        ["environment 'dev'", "plan_readers: c1c2c3c4-0000-4000-8000-00000000c1a1 is listed twice"],
    ),
    (
        "plan-reader-not-a-guid",
        _set("environments.dev.azure.plan_readers", ["ci-plan"]),
        ["environment 'dev'", "azure.plan_readers[0]", "GUID"],
    ),
    (
        "deployer-without-its-databricks-name",
        _set(
            "environments.dev.azure.deployers", [{"object_id": "66666666-6666-6666-6666-666666666666", "kind": "user"}]
        ),
        ["environment 'dev'", "azure.deployers[0]", "user_name: required for a deployer of kind user", "Deployers"],
    ),
    (
        "user-name-not-in-lower-case",
        _set("environments.dev.azure.deployers.0.user_name", "You@Example.com"),
        ["environment 'dev'", "azure.deployers[0].user_name", "in lower case"],
    ),
    (
        "application-id-on-a-user",
        _set("environments.dev.azure.deployers.0.application_id", "68686868-6868-6868-6868-686868686868"),
        ["environment 'dev'", "application_id: not for a deployer of kind user; give its user_name"],
    ),
    (
        "agents-identity-not-a-deployer",
        _set("environments.prod.azure.deployers.0.application_id", "99999999-9999-9999-9999-999999999999"),
        ["environment 'prod'", "with execution_mode 'agent'", "application_id 55555555-5555-5555-5555-555555555555"],
    ),
    (
        "one-application-id-two-deployers",
        _set(
            "environments.dev.azure.deployers",
            [
                {"object_id": f"{n}-6767-6767-6767-676767676767", "kind": "service_principal", "application_id": APP}
                for n in ("67676767", "69696969")
            ],
        ),
        ["environment 'dev'", f"deployers: {APP} names two deployers", "one Databricks name"],
    ),
    (
        "adls-with-two-deployers",
        _set("environments.dev.databricks.cluster.adls", {"storage_account": "stmldev0000"}),
        ["environment 'dev'", "databricks.cluster.adls: not with 2 azure.deployers", "#2543"],
    ),
    (
        "owner-is-a-deployer",
        _set("environments.dev.azure.application.owners", ["66666666-6666-6666-6666-666666666666"]),
        ["environment 'dev'", "application.owners: 66666666-6666-6666-6666-666666666666 is already a deployer"],
    ),
    (
        "deployer-kind",
        _set("environments.prod.azure.deployers.0.kind", "group"),
        ["environment 'prod'", "azure.deployers[0].kind", "'user' or 'service_principal'"],
    ),
    (
        "rotation-faster-than-the-heartbeat",
        _set("environments.dev.azure.application.secret_rotation_days", 13),
        [
            "environment 'dev': azure.application.secret_rotation_days (13) must be at least "
            "2 x plan_period_days (7) = 14: time_rotating acts only when a plan runs"
        ],
    ),
    (
        "plan-period",
        _set("plan_period_days", 3),
        ["plan_period_days", "1 or 7"],
    ),
    (
        "bad-tenant-guid",
        _set("environments.dev.azure.tenant_id", "not-a-guid"),
        ["environment 'dev'", "azure.tenant_id", "must be a GUID"],
    ),
    (
        "missing-subscription",
        _delete("environments.staging.azure.subscription_id"),
        ["environment 'staging'", "azure.subscription_id", "required field is missing"],
    ),
    (
        "http-host",
        _set("environments.dev.databricks.workspace.host", "http://adb-1.1.azuredatabricks.net"),
        ["environment 'dev'", "databricks.workspace.host", "https://<host>"],
    ),
    (
        "host-with-path",
        _set("environments.prod.databricks.workspace.host", "https://adb-1.1.azuredatabricks.net/x"),
        ["environment 'prod'", "databricks.workspace.host", "no path"],
    ),
    (
        "bad-workspace-id",
        _set("environments.dev.databricks.workspace.resource_id", "/subscriptions/x/ws"),
        ["environment 'dev'", "databricks.workspace.resource_id", "Microsoft.Databricks/workspaces"],
    ),
    (
        "vault-name-too-long",
        _set("environments.dev.azure.key_vault.name", "kv-" + "x" * 30),
        ["environment 'dev'", "azure.key_vault.name", "3-24 characters"],
    ),
    (
        "vault-name-chars",
        _set("environments.dev.azure.key_vault.name", "kv_mlplatform"),
        ["environment 'dev'", "azure.key_vault.name", "letters, digits and single hyphens"],
    ),
    (
        "min-over-max-workers",
        _set("environments.dev.databricks.cluster.min_workers", 9),
        ["environment 'dev'", "databricks.cluster", "max_workers (2) must be greater than min_workers (9)"],
    ),
    (
        "scale-to-zero-off-never-reaches-the-api",
        _set("environments.prod.databricks.serving.served_models.0.scale_to_zero", False),
        ["environment 'prod'", "databricks.serving.served_models[0].scale_to_zero", "#3946"],
    ),
    (
        "alias-and-version",
        _set("environments.prod.databricks.serving.served_models.0.version", 3),
        ["environment 'prod'", "databricks.serving.served_models[0]", "exactly one of alias"],
    ),
    (
        "alias-reserved-by-mlflow",
        _set("environments.dev.databricks.serving.served_models.0.alias", "v2"),
        ["environment 'dev'", "databricks.serving.served_models[0].alias", "reserved by MLflow"],
    ),
    (
        "alias-not-an-identifier",
        _set("environments.dev.databricks.serving.served_models.0.alias", "champion/prod"),
        ["environment 'dev'", "databricks.serving.served_models[0].alias", "letters, digits and '_'"],
    ),
    (
        "gateway-that-turns-nothing-on",
        _set("environments.staging.databricks.serving.ai_gateway", {}),
        ["environment 'staging'", "databricks.serving.ai_gateway", "turns nothing on"],
    ),
    (
        "traffic-not-100",
        _set("environments.prod.databricks.serving.served_models.0.traffic_percentage", 90),
        ["environment 'prod'", "databricks.serving", "must sum to 100 (got 90)"],
    ),
    (
        "unknown-key",
        _set("environments.dev.databricks.cluster.autoscale", True),
        ["environment 'dev'", "databricks.cluster.autoscale", "unknown field"],
    ),
    ("unknown-top-level-key", _set("prefixx", "x"), ["prefixx", "unknown field"]),
    ("bad-prefix", _set("prefix", "ML_Platform"), ["prefix", "lowercase letters and digits"]),
    ("unknown-backend", _set("state.backend", "s3"), ["state", "one of 'cloud', 'azurerm', 'local'", "'s3'"]),
    ("cloud-without-org", _delete("state.organization"), ["state.organization", "required field is missing"]),
    (
        "bad-storage-account",
        _set(
            "environments.dev.state",
            {
                "backend": "azurerm",
                "resource_group_name": "rg",
                "storage_account_name": "St-1",
                "container_name": "tfstate",
            },
        ),
        ["environment 'dev'", "state.storage_account_name", "3-24 lowercase letters and digits"],
    ),
    (
        "workload-size",
        _set("environments.dev.databricks.serving.served_models.0.workload_size", "Huge"),
        ["environment 'dev'", "workload_size", "'Small', 'Medium' or 'Large'", "'Huge'"],
    ),
    (
        "endpoint-name",
        _set("environments.dev.databricks.serving.name", "churn endpoint!"),
        ["environment 'dev'", "databricks.serving.name", "letters, digits, '-' and '_'"],
    ),
    ("unknown-tier", _set("environments.dev.tier", "qa"), ["environment 'dev'", "tier", "'dev', 'staging' or 'prod'"]),
    (
        "rotation-overlap-past-expiry",
        _set("environments.dev.azure.application.secret_rotation_days", 18),
        [
            "environment 'dev'",
            "azure.application",
            "secret_expiry_days (35) must be at least twice secret_rotation_days (18)",
        ],
    ),
    (
        "expiry-without-room-for-a-late-rotation",
        _set("environments.dev.azure.application.secret_expiry_days", 34),
        [
            "environment 'dev': azure.application.secret_expiry_days (34) must be at least 2 x "
            "secret_rotation_days (14) + plan_period_days (7) = 35: a password is served R days"
        ],
    ),
    (
        "expiry-over-bound",
        _set("environments.prod.azure.application.secret_expiry_days", 400),
        ["environment 'prod'", "azure.application.secret_expiry_days", "less than or equal to 365"],
    ),
    (
        "retention-out-of-range",
        _set("environments.dev.azure.key_vault.soft_delete_retention_days", 3),
        ["environment 'dev'", "azure.key_vault.soft_delete_retention_days", "greater than or equal to 7"],
    ),
    (
        "private-ip-rule",
        _set("environments.staging.azure.key_vault.allowed_ip_ranges", ["10.1.0.0/16"]),
        ["environment 'staging'", "allowed_ip_ranges[0]", "public IPv4 only"],
    ),
    (
        "prod-never-terminates",
        _set("environments.prod.databricks.cluster.autotermination_minutes", 0),
        ["environment 'prod'", "autotermination_minutes: 0 (never terminate) is not allowed in prod"],
    ),
    (
        "autotermination-range",
        _set("environments.dev.databricks.cluster.autotermination_minutes", 5),
        ["environment 'dev'", "databricks.cluster.autotermination_minutes", "0 (never) or 10-10000"],
    ),
    (
        "env-name-uppercase",
        lambda raw: raw["environments"].update(Prod=raw["environments"].pop("prod")),
        ["environments", "invalid environment name 'Prod'"],
    ),
    ("no-environments", _set("environments", {}), ["environments", "no environment is defined"]),
    ("bootstrap-without-project", _delete("state.project"), ["state", "project is required when bootstrap is set"]),
    (
        "bootstrap-bad-organization",
        _set("state.organization", "acme corp!"),
        ["state.organization", "letters, digits, '-' and '_'"],
    ),
    (
        "bootstrap-terraform-version",
        _set("state.bootstrap.terraform_version", "latest"),
        ["state.bootstrap.terraform_version", "a Terraform version such as 1.11.4"],
    ),
    (
        "tier-needed-for-custom-name",
        lambda raw: raw["environments"].update(qa=raw["environments"].pop("staging")),
        ["environment 'qa'", "tier: required for an environment not named dev, staging or prod", "dev, staging"],
    ),
]


@pytest.mark.parametrize("case,change,fragments", BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_is_a_clear_error_and_leaves_cdktf_out_untouched(tmp_path, previous_output, case, change, fragments):
    before = tree_digest(previous_output)
    lines = refused_lines(run_main(tmp_path, mutated(change)), tmp_path)
    assert any(all(f in line for f in fragments) for line in lines), lines
    assert tree_digest(previous_output) == before


TEXT_CASES = [
    ("invalid-yaml", "prefix: [unclosed\n", "invalid YAML (line 2, column 1)"),
    ("empty-file", "", "the config file is empty"),
    ("not-a-mapping", "- dev\n- prod\n", "must be a mapping"),
    ("duplicate-environment", "environments:\n  dev: {}\n  dev: {}\n", "duplicate key 'dev' (first at line 2)"),
]


@pytest.mark.parametrize("case,text,fragment", TEXT_CASES, ids=[c[0] for c in TEXT_CASES])
def test_unusable_config_file_is_a_clear_error(tmp_path, previous_output, case, text, fragment):
    before = tree_digest(previous_output)
    result = run_main(tmp_path, text=text)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert fragment in result.stderr
    assert tree_digest(previous_output) == before


def test_missing_config_file_is_a_clear_error(tmp_path, previous_output):
    env_file = tmp_path / "nowhere.yaml"
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        cwd=ROOT,
        env={**os.environ, "MLPLATFORM_CONFIG": str(env_file), "CDKTF_OUTDIR": str(previous_output)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {env_file}: config file not found"


def test_unknown_selected_environment_is_a_clear_error(tmp_path, previous_output):
    before = tree_digest(previous_output)
    result = run_main(tmp_path, selection="dev,qa")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: MLPLATFORM_ENVIRONMENTS: unknown environment 'qa'; config/environments.yaml defines: dev, staging, prod"
    )
    assert tree_digest(previous_output) == before


def test_check_validates_without_synthesizing(tmp_path):
    result = run_main(tmp_path, args=["--check"], selection="dev,prod")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "config/environments.yaml: valid (dev, prod)"
    assert not (tmp_path / "cdktf.out").exists()


def test_help_lists_the_options_and_synthesizes_nothing(tmp_path):
    result = run_main(tmp_path, args=["--help"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: main.py [-h] [--check] [--quiet] [--deploying] [--environments]")
    assert "MLPLATFORM_CONFIG names the config file" in " ".join(result.stdout.split())
    assert not (tmp_path / "cdktf.out").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (
            ["--stacks", "network"],
            "argument --stacks: invalid choice: 'network' (choose from 'azure', 'databricks', 'serving')",
        ),
    ],
    ids=["unknown-option", "unknown-layer"],
)
def test_an_unknown_option_is_one_line_and_synthesizes_nothing(tmp_path, args, message):
    result = run_main(tmp_path, args=args)
    assert result.returncode == 2
    assert result.stderr == f"error: main.py: {message} (python main.py --help lists the options)\n"
    assert not (tmp_path / "cdktf.out").exists()


def test_selected_environments_are_the_only_stacks_synthesized(tmp_path, previous_output):
    (previous_output / "stacks" / "mlplatform-dev-azure" / ".terraform").mkdir()
    result = run_main(tmp_path, selection="prod")
    assert result.returncode == 0, result.stderr
    manifest = json.loads((previous_output / "manifest.json").read_text())
    assert sorted(manifest["stacks"]) == [
        "mlplatform-prod-azure",
        "mlplatform-prod-databricks",
        "mlplatform-prod-serving",
        "mlplatform-tfc",
    ]
    # a stack no longer configured is removed, as `cdktf synth` does; nothing of staging is left behind
    assert not (previous_output / "stacks" / "mlplatform-dev-azure").exists()
    assert [p.name for p in tmp_path.iterdir() if "staging" in p.name] == []


def test_admins_membership_outside_dev_is_warned(tmp_path):
    raw = mutated(
        _set("environments.staging.databricks.service_principal", {"group": {"name": "admins", "create": False}})
    )
    result = run_main(tmp_path, raw, args=["--check"])
    assert result.returncode == 0, result.stderr
    assert "warning:" in result.stderr and "joins 'admins' in a staging environment" in result.stderr


def test_default_raw_is_the_embedded_file():
    assert default_raw()["prefix"] == "mlplatform"


@pytest.mark.parametrize(
    "change",
    [
        # a private DNS zone in a hub subscription (common): the endpoint stays in the vault's subscription
        _set(
            "environments.prod.azure.key_vault.private_endpoint.private_dns_zone_id",
            "/subscriptions/99999999-9999-9999-9999-999999999999/resourceGroups/rg-hub/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net",
        ),
        # a subnet id written with upper-case GUID letters
        _set(
            "environments.dev.azure.key_vault.private_endpoint.subnet_id",
            "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-network-dev/providers/"
            "Microsoft.Network/virtualNetworks/vnet-mlplatform-dev/subnets/snet-private-endpoints".upper()
            .replace("/SUBSCRIPTIONS/", "/subscriptions/")
            .replace("/RESOURCEGROUPS/", "/resourceGroups/")
            .replace("/PROVIDERS/", "/providers/")
            .replace("MICROSOFT.NETWORK/VIRTUALNETWORKS", "Microsoft.Network/virtualNetworks")
            .replace("/SUBNETS/", "/subnets/"),
        ),
        # the longest inference table prefix that leaves room for `_payload`
        _set("environments.prod.databricks.serving.ai_gateway.inference_table.table_prefix", "p" * 247),
        # a subscription GUID with letters, written in upper case in the subnet id (lower case elsewhere)
        lambda raw: (
            _set("environments.dev.azure.subscription_id", "abcdef01-1111-4111-8111-111111111111")(raw),
            _set(
                "environments.dev.azure.key_vault.private_endpoint.subnet_id",
                "/subscriptions/ABCDEF01-1111-4111-8111-111111111111/resourceGroups/rg-network-dev/providers/"
                "Microsoft.Network/virtualNetworks/vnet-mlplatform-dev/subnets/snet-private-endpoints",
            )(raw),
        ),
        # fixed words in the casing Azure returns them in, and an upper-case GUID
        _set(
            "environments.prod.azure.monitoring.secret_expiry_events.destination_id",
            "/subscriptions/33333333-3333-3333-3333-33333333333A/resourcegroups/rg-mon/providers/microsoft.storage/"
            "storageaccounts/stmlprod/QUEUESERVICES/default/queues/secret-expiry",
        ),
        # the vault zone written in another case (a DNS name: the same zone)
        _set(
            "environments.prod.azure.key_vault.private_endpoint.private_dns_zone_id",
            "/subscriptions/99999999-9999-9999-9999-999999999999/resourceGroups/rg-hub/providers/Microsoft.Network/privateDnsZones/PrivateLink.VaultCore.Azure.Net",
        ),
        # GitHub's longest owner and repository names
        _set("ci", {"github": {"repository": "o" * 39 + "/" + "Repo.name_-" * 9 + "r"}}),
        # two environments of one tier on one agent pool with one managed identity (which deploys both)
        _all(
            _set("environments.staging.tier", "prod"),
            _set(
                "environments.prod.agent",
                {"pool": "mlplatform-staging", "client_id": "44444444-4444-4444-4444-444444444444"},
            ),
            _set("environments.prod.azure.deployers", [STAGING_AGENTS]),
        ),
        # a cloud bootstrap's admin workspace
        _set("state.bootstrap", {"backend": "cloud", "admin_workspace": "mlplatform-admin"}),
        # the CI stack's local state in a folder of the project, and in an absolute one
        _set("ci", {"github": {"repository": "my-org/ml"}, "state": {"backend": "local", "directory": "state/ci"}}),
        _set("ci", {"github": {"repository": "my-org/ml"}, "state": {"backend": "local", "directory": "/srv/tfstate"}}),
    ],
    ids=[
        "dns-zone-in-a-hub-subscription",
        "upper-case-subnet-id",
        "247-character-inference-prefix",
        "upper-case-guid-letters-in-a-subnet-id",
        "azure-casing-of-fixed-words",
        "vault-zone-in-another-case",
        "longest-github-names",
        "one-identity-per-shared-pool",
        "cloud-bootstrap-admin-workspace",
        "ci-state-in-the-project",
        "ci-state-absolute",
    ],
)
def test_controls_stay_accepted(change):
    from config import PlatformConfig
    from tests.helpers import mutated

    PlatformConfig.model_validate(mutated(change))


def test_deploying_refuses_the_embedded_defaults_placeholders_of_the_selected_environments(tmp_path):
    """`make synth`, `check` and `test` work on the default; the deploying targets run `--check --deploying`."""
    result = run_main(tmp_path, selection="dev", args=["--check", "--deploying"])
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert (
        "error: config/environments.yaml: environment 'dev': azure.tenant_id: '00000000-0000-0000-0000-000000000000' "
        "is a placeholder of the embedded default; replace it with your own before deploying (every value marked "
        "PLACEHOLDER in config/environments.yaml)"
    ) in lines
    assert "error: config/environments.yaml: state.organization: 'my-tfc-organization' is a placeholder" in "\n".join(
        lines
    )
    assert not [line for line in lines if "environment 'prod'" in line]
    assert not [line for line in lines if "ml-engineers" in line]  # EXAMPLE names may stay
    assert run_main(tmp_path, selection="dev", args=["--check"]).returncode == 0


def test_a_config_without_placeholders_deploys(tmp_path):
    from tests.helpers import deployable_text

    result = run_main(tmp_path, text=deployable_text(), args=["--check", "--deploying"])
    assert (result.returncode, result.stderr) == (0, "")


def test_the_benchmark_configs_are_valid(tmp_path):
    """`make bench` synthesizes 1 and 12 generated environments, and 1 and 50 projects in 3; a config rule they break would stop it
    only after minutes of stock-import runs, so their validity is checked here in well under a second."""
    from config import load_config
    from proof.benchmark import PROJECT_ENVIRONMENTS, PROJECTS, generated_config, generated_projects_config

    for count in (1, 12):
        assert len(load_config(generated_config(count, tmp_path)).config.environments) == count
    for projects in (1, PROJECTS):
        loaded = load_config(generated_projects_config(projects, tmp_path)).config
        assert len(loaded.environments) == projects * len(PROJECT_ENVIRONMENTS)
