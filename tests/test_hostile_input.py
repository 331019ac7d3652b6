"""Hostile and mistaken input is refused: exit 2, one clean line per problem, nothing written.

Most cases run main.main() in-process (a refusal never imports cdktf, so each takes milliseconds);
the ones about the process itself (devices, signals, tracebacks) run `python main.py`.
"""

from __future__ import annotations

import copy
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

import main
from config import PlatformConfig, load_config
from config.root import UnsafeInputError
from tests.helpers import ROOT, default_raw, mutated
from tests.test_main import _all, _set, tree_digest

INJECTION = "${azuread_application_password.ml_identity_client_secret_a.value}"
MAX_LINE = 400


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    """A cdktf.out/ from an earlier, good synthesis (its content only has to survive)."""
    stack = tmp_path / "cdktf.out" / "stacks" / "mlplatform-dev-azure"
    stack.mkdir(parents=True)
    (stack / "cdk.tf.json").write_text('{"earlier": true}')
    return tmp_path / "cdktf.out"


def refuse(
    tmp_path: Path,
    monkeypatch,
    outdir: Path,
    *,
    raw: Any = None,
    text: str | None = None,
    config: str | None = None,
    selection: str | None = None,
) -> list[str]:
    """Run main.main() on a config; assert the refusal contract; return the error lines."""
    path = tmp_path / "environments.yaml"
    if raw is not None or text is not None:
        path.write_text(text if text is not None else yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    for name in ("MLPLATFORM_CONFIG", "MLPLATFORM_ENVIRONMENTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLPLATFORM_CONFIG", config if config is not None else str(path))
    if selection is not None:
        monkeypatch.setenv("MLPLATFORM_ENVIRONMENTS", selection)
    monkeypatch.setenv("CDKTF_OUTDIR", str(outdir))
    before = tree_digest(outdir.parent)
    errors: list[str] = []
    monkeypatch.setattr(sys, "stderr", _Lines(errors))
    assert main.main([]) == 2
    assert tree_digest(outdir.parent) == before, "cdktf.out/ (or its folder) changed"
    assert errors and all(line.startswith("error: ") for line in errors), errors
    assert all(len(line) <= MAX_LINE and line.isprintable() for line in errors), errors
    return errors


class _Lines:
    """A stderr stand-in collecting whole lines."""

    def __init__(self, lines: list[str]):
        self.lines, self.buffer = lines, ""

    def write(self, text: str) -> int:
        self.buffer += text
        *complete, self.buffer = self.buffer.split("\n")
        self.lines.extend(complete)
        return len(text)

    def flush(self) -> None:
        pass


def _leaves(node: Any, path: tuple = ()):
    """(path, is_key) for every string value and every mapping key of the raw config."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*path, key), True
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, (*path, index))
    elif isinstance(node, str):
        yield path, False


def _inject(raw: dict, path: tuple, is_key: bool, payload: str) -> dict:
    raw = copy.deepcopy(raw)
    parent = raw
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if is_key:
        parent[f"{last}{payload}"] = parent.pop(last)
    else:
        parent[last] = f"{parent[last]}{payload}"
    return raw


def _expected_location(path: tuple) -> tuple[str | None, str]:
    if path[0] == "environments" and len(path) > 2:
        return str(path[1]), ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in path[2:]).replace(
            ".[", "["
        )
    return None, ".".join(str(p) for p in path)


STRING_LEAVES = [
    (path, key) for path, key in _leaves(default_raw()) if not (key and path[0] == "environments" and len(path) == 2)
]


def test_every_string_of_the_default_config_is_covered():
    assert len(STRING_LEAVES) > 80  # values and keys, in every section


@pytest.mark.parametrize(
    "payload",
    [INJECTION, "%{ if true }x%{ endif }", "${TfToken[TOKEN.3]}", "#{TfToken[TOKEN.9]}"],
    ids=["interpolation", "directive", "cdktf-token", "cdktf-list-token"],
)
def test_no_string_anywhere_becomes_terraform_code(payload):
    """Every key and value of the default config, one at a time, carrying a template or token, is
    refused by the model's first validator with exactly its path (so no field can forget it)."""
    raw = default_raw()
    for path, is_key in STRING_LEAVES:
        with pytest.raises(UnsafeInputError) as refused:
            PlatformConfig.model_validate(_inject(raw, path, is_key, payload))
        wanted = (*path[:-1], f"{path[-1]}{payload}") if is_key else path
        assert [p for p, _ in refused.value.problems] == [wanted], path
        assert all("would evaluate as code" in reason for _, reason in refused.value.problems)


@pytest.mark.parametrize(
    "path,is_key",
    [
        (("environments", "prod", "azure", "tags", "owner"), False),
        (("environments", "dev", "azure", "tags", "owner"), True),
        (("state", "organization"), False),
    ],
    ids=["tag-value", "tag-key", "top-level"],
)
def test_injection_is_one_line_naming_file_environment_and_field(tmp_path, monkeypatch, outdir, path, is_key):
    lines = refuse(tmp_path, monkeypatch, outdir, raw=_inject(default_raw(), path, is_key, INJECTION))
    environment, field = _expected_location(path)
    scope = f"environment '{environment}': " if environment else ""
    assert len(lines) == 1, lines
    file = tmp_path / "environments.yaml"
    if is_key:  # the key is shown quoted and shortened after its section's path
        assert lines[0].startswith(f"error: {file}: {scope}azure.tags.['owner${{azuread_"), lines
        assert ": field name contains a Terraform interpolation" in lines[0], lines
    else:
        assert lines[0].startswith(f"error: {file}: {scope}{field}: contains a Terraform interpolation"), lines


@pytest.mark.parametrize(
    "character,what",
    [
        ("\x00", "control character"),
        ("\n", "control character"),
        ("\u2028", "line separator"),
        ("\u202e", "invisible format character"),
    ],
)
def test_control_and_separator_characters_are_refused_in_names_and_tags(tmp_path, monkeypatch, outdir, character, what):
    for path in (
        ("environments", "dev", "azure", "tags", "owner"),
        ("environments", "dev", "databricks", "cluster", "users_group"),
        ("environments", "prod", "azure", "key_vault", "name"),
    ):
        raw = _inject(default_raw(), path, False, character)
        lines = refuse(tmp_path, monkeypatch, outdir, raw=raw)
        environment, field = _expected_location(path)
        assert any(
            f"environment '{environment}': {field}: contains a {what}" in line
            or f"environment '{environment}': {field}: contains an {what}" in line
            for line in lines
        ), lines


def _both(*changes):
    def change(raw):
        for each in changes:
            each(raw)

    return change


SEMANTIC = [
    (
        "name-key-renames",
        _set("environments.staging.name", "dev"),
        ["environment 'staging'", ": name: an environment is named by its key under 'environments'"],
    ),
    (
        "duplicate-vault-name",
        _set("environments.staging.azure.key_vault.name", "KV-MLPLAT-DEV-0000"),
        ["environment 'staging': azure.key_vault.name", "also used by environment 'dev'", "globally unique"],
    ),
    (
        "duplicate-created-resource-group",
        _both(
            _set("environments.staging.azure.subscription_id", "11111111-1111-1111-1111-111111111111"),
            _set("environments.staging.azure.resource_group", {"name": "rg-mlplatform-dev", "create": True}),
            _set(  # the endpoint follows the vault into dev's subscription
                "environments.staging.azure.key_vault.private_endpoint.subnet_id",
                "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-network-dev/providers/"
                "Microsoft.Network/virtualNetworks/vnet-mlplatform-dev/subnets/snet-private-endpoints",
            ),
        ),
        ["environment 'staging': azure.resource_group.name", "also used by environment 'dev'"],
    ),
    (
        "duplicate-endpoint-in-one-workspace",
        _both(
            _set(
                "environments.staging.databricks.workspace.host", "https://adb-1111111111111111.11.azuredatabricks.net"
            ),
            _set("environments.staging.databricks.serving.name", "mlplatform-dev-churn"),
        ),
        ["environment 'staging': databricks.serving.name", "unique within a workspace"],
    ),
    (
        "duplicate-group-creation",
        _set("environments.staging.databricks.workspace.host", "https://adb-1111111111111111.11.azuredatabricks.net"),
        ["environment 'staging': databricks.service_principal.group.name", "set create: false in one"],
    ),
    (
        "unknown-region",
        _set("environments.dev.azure.location", "westeuropa"),
        ["environment 'dev': azure.location", "not an Azure region name", "westeurope"],
    ),
    (
        "empty-host-label",
        _set("environments.dev.databricks.workspace.host", "https://..com"),
        ["environment 'dev': databricks.workspace.host", "https://<host>"],
    ),
    (
        "host-outside-databricks",
        _set("environments.dev.databricks.workspace.host", "https://evil.example.com"),
        ["environment 'dev': databricks.workspace.host", "not an Azure Databricks workspace host"],
    ),
    ("tfc-host", _set("state.hostname", "tfe..example.com"), ["state.hostname", "invalid host name"]),
    (
        "bad-resource-id-guid",
        _set(
            "environments.dev.databricks.workspace.resource_id",
            "/subscriptions/11111111-1111-1111-1111-11111111111x/resourceGroups/rg/providers/"
            "Microsoft.Databricks/workspaces/dbw",
        ),
        ["environment 'dev': databricks.workspace.resource_id", "Microsoft.Databricks/workspaces/<name>"],
    ),
    (
        "too-many-tags",
        _set("environments.dev.azure.tags", {f"t{i}": "x" for i in range(48)}),
        ["environment 'dev': azure.tags", "at most 47 tags"],
    ),
    (
        "tag-keys-differ-in-case",
        _set("environments.dev.azure.tags", {"Owner": "a", "owner": "b"}),
        ["environment 'dev': azure.tags", "differ only in case"],
    ),
    (
        "firewall-everything",
        _set("environments.dev.azure.key_vault.allowed_ip_ranges", ["0.0.0.0/0"]),
        ["environment 'dev': azure.key_vault.allowed_ip_ranges[0]", "not a public range"],
    ),
    (
        "firewall-contains-private",
        _set("environments.dev.azure.key_vault.allowed_ip_ranges", ["8.0.0.0/5"]),
        ["environment 'dev': azure.key_vault.allowed_ip_ranges[0]", "overlaps 10.0.0.0/8"],
    ),
    (
        "firewall-too-wide",
        _set("environments.dev.azure.key_vault.allowed_ip_ranges", ["20.0.0.0/8"]),
        ["environment 'dev': azure.key_vault.allowed_ip_ranges[0]", "wider than /16"],
    ),
    (
        "create-admins",
        _set("environments.dev.databricks.service_principal.group", {"name": "admins"}),
        ["environment 'dev': databricks.service_principal.group", "built-in workspace group", "create: false"],
    ),
    (
        "variable-twice",
        _set(
            "environments.dev.databricks.serving.served_models.0",
            {
                "model": "a.b.c",
                "version": 1,
                "environment_vars": {"TOKEN_URL": "x"},
                "secret_environment_vars": {"TOKEN_URL": "ml-client-secret"},
            },
        ),
        ["environment 'dev': databricks.serving.served_models[0]", "TOKEN_URL: set in both"],
    ),
    (
        "bool-is-not-a-number",
        _set("environments.dev.databricks.cluster.max_workers", True),
        ["environment 'dev': databricks.cluster.max_workers", "must be a whole number (got True)"],
    ),
    (
        "number-is-not-text",
        _set("environments.dev.azure.tags", {"cost-center": 1234}),
        ["environment 'dev': azure.tags.cost-center", "must be text (quote it to make it text)"],
    ),
    (
        "backend-specific-field",
        lambda raw: raw.update(state={"backend": "local", "organization": "acme"}),
        ["state.organization", "only used with backend 'cloud' (this state's backend is 'local')"],
    ),
    (
        "tag-colliding-with-the-apps-own",
        _set("environments.dev.databricks.cluster.custom_tags", {"ENVIRONMENT": "x"}),
        ["environment 'dev': databricks.cluster.custom_tags", "collides with the app's own 'environment' tag"],
    ),
    (
        "default-served-name-too-long",
        _set("environments.dev.databricks.serving.served_models.0.model", "a.b." + "m" * 70),
        ["environment 'dev': databricks.serving.served_models[0]", "longer than 63 characters; set name"],
    ),
    (
        "create-admins-any-case",
        _set("environments.dev.databricks.service_principal.group", {"name": "Admins"}),
        ["environment 'dev': databricks.service_principal.group", "built-in workspace group"],
    ),
    (
        "admin-workspace-is-a-stack",
        _both(
            _set("state.bootstrap.backend", "cloud"),
            _set("state.bootstrap.admin_workspace", "mlplatform-prod-databricks"),
        ),
        ["state.bootstrap.admin_workspace", "is the workspace of stack 'mlplatform-prod-databricks'"],
    ),
    (
        "key-with-trailing-space",
        _set("environments.dev.azure.tags", {"owner": "a", "owner ": "b"}),
        ["environment 'dev': azure.tags.['owner ']", "field name has leading or trailing spaces"],
    ),
    (
        "app-name-taking-another-environments-default",
        _set("environments.dev.azure.application.display_name", "mlplatform-prod-ml"),
        [
            "environment 'prod': azure.application.display_name",
            "'mlplatform-prod-ml' is also used by environment 'dev'",
        ],
    ),
    (
        "scope-name-taking-another-environments-default",
        _both(
            _set("environments.dev.databricks.workspace.host", "https://adb-3333333333333333.13.azuredatabricks.net"),
            _set("environments.dev.databricks.service_principal.group", {"name": "ml-automation", "create": False}),
            _set("environments.dev.databricks.serving.name", "mlplatform-dev-churn"),
            _set("environments.dev.databricks.secret_scope", {"name": "mlplatform-prod-keyvault"}),
        ),
        [
            "environment 'prod': databricks.secret_scope.name",
            "'mlplatform-prod-keyvault' is also used by environment 'dev'",
        ],
    ),
    (
        "long-value-shortened",
        _set("environments.dev.azure.key_vault.name", "k" * 500_000),
        ["environment 'dev': azure.key_vault.name", "Key Vault names are 3-24 characters long (got 500000)"],
    ),
    (
        "long-unknown-key-shortened",
        _set("environments.dev.azure." + "x" * 10_000, 1),
        ["environment 'dev': azure.['xxxxxxxx", "unknown field"],
    ),
]


@pytest.mark.parametrize("case,change,fragments", SEMANTIC, ids=[c[0] for c in SEMANTIC])
def test_check_refuses_what_would_fail_later(tmp_path, monkeypatch, outdir, case, change, fragments):
    lines = refuse(tmp_path, monkeypatch, outdir, raw=mutated(change))
    assert any(all(f in line for f in fragments) for line in lines), lines
    file = str(tmp_path / "environments.yaml")
    assert all(line.startswith(f"error: {file}: ") for line in lines), lines


# Issue 22: values checked for what they name, settings that do nothing refused, contradictions refused.
# Each case is the whole refusal: exactly one line, "<file>: [environment '<env>': ]<field>: <rule>".
_CI = {"github": {"repository": "my-org/mlplatform-cdktf"}}
_DEV_RG = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-dev"
_PROD_RG = "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg-mon"
EXACT = [
    (
        "bootstrap-under-an-environments-state",
        _set("environments.dev.state", {"backend": "cloud", "organization": "acme", "bootstrap": {}}),
        "environment 'dev': state.bootstrap: only acts in the top-level state (backend 'cloud'): one bootstrap stack "
        "creates the workspaces of every environment on the global state; remove it here",
    ),
    (
        "bootstrap-under-ci-state",
        _set("ci", {**_CI, "state": {"backend": "cloud", "organization": "acme", "bootstrap": {}}}),
        "ci.state.bootstrap: only acts in the top-level state (backend 'cloud'): one bootstrap stack "
        "creates the workspaces of every environment on the global state; remove it here",
    ),
    (
        "admin-workspace-with-a-local-bootstrap",
        _set("state.bootstrap", {"backend": "local", "admin_workspace": "mlplatform-admin"}),
        "state.bootstrap.admin_workspace: only used with backend 'cloud' (this bootstrap's backend is 'local')",
    ),
    (
        "admin-workspace-with-the-default-bootstrap-backend",
        _set("state.bootstrap", {"admin_workspace": "mlplatform-admin"}),
        "state.bootstrap.admin_workspace: only used with backend 'cloud' (this bootstrap's backend is 'local')",
    ),
    (
        "ci-state-climbs-out-of-the-project",
        _set("ci", {**_CI, "state": {"backend": "local", "directory": "state/../../elsewhere"}}),
        "ci.state.directory: 'state/../../elsewhere' climbs out of the project with '..'; a relative folder is "
        "inside the project (e.g. state): write an absolute path if the state must live elsewhere",
    ),
    (
        "github-owner-ending-in-a-hyphen",
        _set("ci", {"github": {"repository": "my-org-/mlplatform-cdktf"}}),
        "ci.github.repository: invalid owner 'my-org-' in owner/name: GitHub owners are 1-39 letters, digits and "
        "single hyphens, not starting or ending with a hyphen",
    ),
    (
        "github-repository-name-with-git-suffix",
        _set("ci", {"github": {"repository": "my-org/mlplatform-cdktf.git"}}),
        "ci.github.repository: invalid repository name 'mlplatform-cdktf.git' in owner/name: GitHub repository "
        "names are 1-100 letters, digits, '-', '_' and '.', not '.' or '..', not ending in '.git' or '.wiki'",
    ),
    (
        "one-agent-pool-for-two-tiers",
        _set("environments.prod.agent.pool", "mlplatform-staging"),
        "environment 'prod': agent.pool: 'mlplatform-staging' also runs environment 'staging', of tier staging "
        "(this one: prod): a pool shared across tiers lets the lower tier's runs use the agents and managed identity "
        "of the higher; use one pool (and identity) per tier",
    ),
    (
        "two-identities-on-one-agent-pool",
        _all(_set("environments.staging.tier", "prod"), _set("environments.prod.agent.pool", "mlplatform-staging")),
        "environment 'prod': agent.client_id: 55555555-5555-5555-5555-555555555555 differs from environment "
        "'staging' (44444444-4444-4444-4444-444444444444) on agent pool 'mlplatform-staging': the agents would "
        "hold both identities, so either environment's runs could use the other's; use one identity per pool",
    ),
    (
        "service-bus-queue-id-with-a-child-appended",
        _set(
            "environments.prod.azure.monitoring.secret_expiry_events.destination_id",
            f"{_PROD_RG}/providers/Microsoft.ServiceBus/namespaces/sb-mlprod/queues/expiry/authorizationRules/send",
        ),
        "environment 'prod': azure.monitoring.secret_expiry_events.destination_id: 'authorizationRules/send' after "
        "<queue> names a child resource, not this one; end the id at <queue> "
        "(.../providers/Microsoft.ServiceBus/namespaces/<ns>/queues/<queue>)",
    ),
    (
        "subnet-id-with-a-child-appended",
        _set(
            "environments.dev.azure.key_vault.private_endpoint.subnet_id",
            f"{_DEV_RG}/providers/Microsoft.Network/virtualNetworks/vnet-dev/subnets/snet-pe/ipConfigurations/x",
        ),
        "environment 'dev': azure.key_vault.private_endpoint.subnet_id: 'ipConfigurations/x' after <subnet> names a "
        "child resource, not this one; end the id at <subnet> "
        "(.../providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>)",
    ),
    (
        "storage-account-name-in-upper-case",
        _set(
            "environments.prod.azure.monitoring.secret_expiry_events.destination_id",
            f"{_PROD_RG}/providers/Microsoft.Storage/storageAccounts/StMlProd/queueServices/default/queues/expiry",
        ),
        "environment 'prod': azure.monitoring.secret_expiry_events.destination_id: storageAccounts name 'StMlProd': "
        "3-24 lowercase letters and digits "
        "(the id is .../providers/Microsoft.Storage/storageAccounts/<account>/queueServices/default/queues/<queue>)",
    ),
    (
        "vault-zone-with-a-suffix",
        _set(
            "environments.dev.azure.key_vault.private_endpoint.private_dns_zone_id",
            "/subscriptions/99999999-9999-9999-9999-999999999999/resourceGroups/rg-hub/providers/"
            "Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net.evil.example",
        ),
        "environment 'dev': azure.key_vault.private_endpoint.private_dns_zone_id: privateDnsZones name "
        "'privatelink.vaultcore.azure.net.evil.example': exactly privatelink.vaultcore.azure.net "
        "(Key Vault's zone in the public cloud)",
    ),
    (
        "workspace-id-ending-in-a-slash",
        _set(
            "environments.dev.databricks.workspace.resource_id",
            f"{_DEV_RG}/providers/Microsoft.Databricks/workspaces/dbw-dev/",
        ),
        "environment 'dev': databricks.workspace.resource_id: ends with '/'; end it at <name> "
        "(.../providers/Microsoft.Databricks/workspaces/<name>)",
    ),
    (
        "a-us-government-region",
        _set("environments.dev.azure.location", "usgovvirginia"),
        "environment 'dev': azure.location: usgovvirginia is a region of a sovereign cloud; this app deploys to "
        "the Azure public cloud only (its providers use the public environment, and the vault's URI and private "
        "DNS zone are the public cloud's)",
    ),
    (
        "a-china-workspace",
        _set("environments.dev.databricks.workspace.host", "https://adb-1111111111111111.11.databricks.azure.cn"),
        "environment 'dev': databricks.workspace.host: 'adb-1111111111111111.11.databricks.azure.cn' is a workspace "
        "of a sovereign cloud; this app deploys to the Azure public cloud only (its providers use the public "
        "environment, and the vault's URI and private DNS zone are the public cloud's)",
    ),
]


@pytest.mark.parametrize("case,change,line", EXACT, ids=[c[0] for c in EXACT])
def test_refusal_is_exactly_one_line_naming_file_environment_field_and_rule(
    tmp_path, monkeypatch, outdir, case, change, line
):
    lines = refuse(tmp_path, monkeypatch, outdir, raw=mutated(change))
    assert lines == [f"error: {tmp_path / 'environments.yaml'}: {line}"]


_DEFAULT_TEXT = (ROOT / "config" / "environments.yaml").read_text()
TEXT = [
    (
        "octal-looking-version",
        _DEFAULT_TEXT.replace("min_cores: 4\n", "min_cores: 010\n")
        if "min_cores: 4\n" in _DEFAULT_TEXT
        else _DEFAULT_TEXT.replace("max_workers: 4\n", "max_workers: 010\n", 1),
        "'010' is ambiguous (a YAML 1.1 octal",
        "or quote it ('010')",
    ),
    (
        "yes-for-a-switch",
        _DEFAULT_TEXT.replace("usage_tracking: true", "usage_tracking: yes", 1),
        "'yes' is ambiguous",
        "write true or false",
    ),
    ("no-as-text", _DEFAULT_TEXT.replace("owner: ml-platform", "owner: no", 1), "'no' is ambiguous", "quote it ('no')"),
    (
        "underscore-number",
        _DEFAULT_TEXT.replace("calls: 1000", "calls: 1_000"),
        "'1_000' is ambiguous",
        "plain decimal",
    ),
    ("list-as-key", "prefix: x\n? [a, b]\n: 1\n", "a list or mapping cannot be a key", "line 2"),
    ("mapping-as-key", "prefix: x\n? {a: 1}\n: 1\n", "a list or mapping cannot be a key", "line 2"),
    ("deep-nesting", "prefix: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than 32 levels deep", "invalid YAML"),
    ("huge-integer", "prefix: " + "9" * 5000 + "\n", "an integer of 5000 digits is too large", "invalid YAML"),
    (
        "alias-bomb",
        "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(24)),
        "more than 200 aliases",
        "invalid YAML",
    ),
    (
        "key-forging-a-line",
        _DEFAULT_TEXT + '"evil\\nerror: forged": 1\n',
        "field name contains a control character (U+000A)",
        "['evil\\nerror: forged']",
    ),
    (
        "raw-control-character",
        "# a comment with \x01 in it\n" + _DEFAULT_TEXT,
        "a control character (U+0001)",
        "line 1",
    ),
    (
        "raw-nul",
        _DEFAULT_TEXT.replace("prefix: mlplatform", 'prefix: "mlplat\x00form"'),
        "a control character (U+0000)",
        "",
    ),
    ("number-and-boolean-keys-collide", _DEFAULT_TEXT + "1: a\ntrue: b\n", "keys 1 and True collide", "quote them"),
    (
        "two-merge-keys",
        _DEFAULT_TEXT + "x: &x {a: 1}\ny: &y {b: 2}\nz:\n  <<: *x\n  <<: *y\n",
        "more than one '<<' merge key",
        "<<: [*first, *second]",
    ),
    ("binary-key", _DEFAULT_TEXT + "? !!binary aGk=\n: 1\n", "the YAML tag '!!binary' is not used", ""),
    ("set-of-values", _DEFAULT_TEXT + "x: !!set {a, b}\n", "the YAML tag '!!set' is not used", "plain mappings"),
    ("not-utf8", None, "is not UTF-8 text", ""),
]


@pytest.mark.parametrize("case,text,fragment,more", TEXT, ids=[c[0] for c in TEXT])
def test_malformed_files_are_one_line_each(tmp_path, monkeypatch, outdir, case, text, fragment, more):
    if text is None:
        (tmp_path / "environments.yaml").write_bytes(b"prefix: caf\xe9\n")
        lines = refuse(tmp_path, monkeypatch, outdir, config=str(tmp_path / "environments.yaml"))
    else:
        lines = refuse(tmp_path, monkeypatch, outdir, text=text)
    assert len(lines) == 1, lines
    assert fragment in lines[0] and more in lines[0], lines
    assert lines[0].startswith(f"error: {tmp_path / 'environments.yaml'}: ")


def test_oversized_file_is_refused_quickly_without_echoing_it(tmp_path, monkeypatch, outdir):
    (tmp_path / "environments.yaml").write_text("prefix: " + "x" * (50 * 1024 * 1024) + "\n")
    started = time.perf_counter()
    lines = refuse(tmp_path, monkeypatch, outdir, config=str(tmp_path / "environments.yaml"))
    assert time.perf_counter() - started < 1.0
    assert lines == [
        f"error: {tmp_path / 'environments.yaml'}: is 52428809 bytes; a config file may be at most 1048576 bytes"
    ]


def test_a_file_the_reader_accepts_is_checked_well_under_a_second_per_mib_however_aliases_repeat_a_value(tmp_path):
    """Each distinct value is checked once (config/text.py), a long value is cut before a message renders
    it, and the YAML is read by libyaml with the reader's own rules (config/yaml_file.py)."""
    from config import ConfigError

    lines = _DEFAULT_TEXT.split("\n")
    at = lines.index("      tags:") + 1  # dev's azure tags
    lines[at:at] = ["        big0: &big " + "x" * (900 * 1024), *(f"        big{n}: *big" for n in range(1, 199))]
    path = tmp_path / "environments.yaml"
    path.write_text("\n".join(lines))
    mib = path.stat().st_size / 2**20
    started = time.perf_counter()
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    seconds = time.perf_counter() - started
    assert len(refused.value.problems) == 199  # every place the value appears is named
    assert seconds / mib < 0.5, f"{seconds:.2f} s for {mib:.2f} MiB"


def test_the_fast_reader_reads_what_the_strict_reader_reads():
    """libyaml under StrictLoader's resolvers and constructors gives the same data, merge keys and
    anchors included, and refuses what StrictLoader refuses."""
    from config.yaml_file import StrictLoader, _FastStrictLoader

    documents = [
        _DEFAULT_TEXT,
        "base: &b {a: 1, b: [x, y]}\nchild:\n  <<: *b\n  b: z\nf: 1.5\nn: null\nt: true\nq: '010'\n",
    ]
    for text in documents:
        assert yaml.load(text, Loader=_FastStrictLoader) == yaml.load(text, Loader=StrictLoader)
    for text in ("x: yes\n", "x: 010\n", "a: 1\na: 2\n", "x: !!set {a}\n"):
        for loader in (StrictLoader, _FastStrictLoader):
            with pytest.raises(yaml.YAMLError):
                yaml.load(text, Loader=loader)


@pytest.mark.parametrize("kind", ["device", "folder", "symlink-loop", "fifo"])
def test_paths_that_are_not_config_files(tmp_path, monkeypatch, outdir, kind):
    if kind == "device":
        path = "/dev/zero"
    elif kind == "folder":
        path = str(tmp_path)
    elif kind == "fifo":
        path = str(tmp_path / "pipe")
        os.mkfifo(path)
    else:
        (tmp_path / "a").symlink_to(tmp_path / "b")
        (tmp_path / "b").symlink_to(tmp_path / "a")
        path = str(tmp_path / "a")
    lines = refuse(tmp_path, monkeypatch, outdir, config=path)
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: ")
    assert any(word in lines[0] for word in ("not a regular file", "is a folder", "symbolic links")), lines


@pytest.mark.parametrize(
    "variable,value,message",
    [
        ("MLPLATFORM_CONFIG", "", "error: MLPLATFORM_CONFIG: is set but empty"),
        ("MLPLATFORM_CONFIG", "   ", "error: MLPLATFORM_CONFIG: is set but empty"),
        ("MLPLATFORM_ENVIRONMENTS", ",", "error: MLPLATFORM_ENVIRONMENTS: names no environment (got ',')"),
        ("MLPLATFORM_ENVIRONMENTS", "dev,q\na", "error: MLPLATFORM_ENVIRONMENTS: unknown environment 'q\\na'"),
    ],
)
def test_selection_variables_are_blamed_not_the_file(tmp_path, monkeypatch, outdir, variable, value, message):
    if variable == "MLPLATFORM_CONFIG":
        lines = refuse(tmp_path, monkeypatch, outdir, config=value)
    else:
        lines = refuse(
            tmp_path, monkeypatch, outdir, config=str(ROOT / "config" / "environments.yaml"), selection=value
        )
    assert lines[0].startswith(message), lines


# --- what --check accepts, synthesis accepts ------------------------------------------------------

_MERGED = _DEFAULT_TEXT.replace(
    "      tags:\n        environment: dev\n", "      tags: &tags\n        environment: dev\n", 1
).replace(
    "      tags:\n        environment: staging\n        owner: ml-platform\n",
    "      tags:\n        <<: *tags\n        environment: staging\n",
    1,
)

ACCEPTED = {
    "merge-keys": _MERGED,
    "quoted-ambiguous-text": _DEFAULT_TEXT.replace("owner: ml-platform", "owner: 'no'", 1).replace(
        "version: 7", "version: '7'"
    ),
    "boundaries": yaml.safe_dump(
        mutated(
            _both(
                _set("environments.dev.azure.tags", {f"t{i}": "x" * 256 for i in range(47)}),
                _set(
                    "environments.dev.azure.key_vault.allowed_ip_ranges",
                    ["198.51.100.0/24", "192.0.2.7/32", "203.0.0.0/16"],
                ),
                _set("environments.dev.azure.key_vault.name", "k" + "v" * 22 + "1"),
                _set("environments.dev.databricks.cluster.max_workers", 1000),
                _set("environments.dev.databricks.service_principal.group", {"name": "admins", "create": False}),
            )
        ),
        sort_keys=False,
    ),
    "look-alike-names": yaml.safe_dump(
        mutated(
            _both(
                _set("environments.prod.agent.pool", "mlplatform.staging"),  # staging's is mlplatform-staging
                _set(
                    "environments.prod.azure.monitoring.secret_expiry_events.destination_id",
                    "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg/providers/"
                    "Microsoft.Storage/storageAccounts/stmlprod/QUEUESERVICES/default/queues/expiry",
                ),
                _set(
                    "environments.dev.databricks.serving.served_models",
                    [
                        {"model": "ml_dev.models.churn-a", "version": 1, "traffic_percentage": 50},
                        {"model": "ml_dev.models.churn_a", "version": 1, "traffic_percentage": 50},
                    ],
                ),
            )
        ),
        sort_keys=False,
    ),
    "unicode-text": yaml.safe_dump(
        mutated(_set("environments.dev.azure.tags", {"owner": "équipe-données ✓"})), sort_keys=False, allow_unicode=True
    ),
}


def test_every_accepted_config_synthesizes(tmp_path):
    """--check is the whole truth: what it accepts synthesizes (all variants in one app, by prefix)."""
    from app_runtime.synthesis import new_app, synth
    from stacks.app import build_app

    app = new_app(str(tmp_path / "out"))
    for index, (name, text) in enumerate(ACCEPTED.items()):
        path = tmp_path / f"{name}.yaml"
        path.write_text(text.replace("prefix: mlplatform", f"prefix: accepted{index}"), encoding="utf-8")
        config = load_config(path).config
        build_app(app, config)
    synth(app)
    stacks = sorted(p.name for p in (tmp_path / "out" / "stacks").iterdir())
    assert len(stacks) == 10 * len(ACCEPTED)  # three environments of three layers, and the bootstrap


def test_merge_keys_are_accepted_and_explicit_keys_override(tmp_path):
    assert "<<: *tags" in _MERGED
    path = tmp_path / "merge.yaml"
    path.write_text(_MERGED)
    staging = load_config(path).config.environments[1]
    assert dict(staging.azure.tags) == {"owner": "ml-platform", "environment": "staging"}
