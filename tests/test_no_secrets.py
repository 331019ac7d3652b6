"""No secret in synthesized JSON or fixtures; every output that could carry one is sensitive."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers import ROOT

# Shapes of credentials that must never be written down. Built from parts so that this file
# does not match itself when fixtures are scanned.
SECRET_SHAPES = {
    "Databricks personal access token": r"dapi" + r"[0-9a-f]{32}",
    "Entra ID client secret": r"[A-Za-z0-9_~.-]{3}" + r"8Q~" + r"[A-Za-z0-9_~.-]{31,34}",
    "storage connection string": r"Account" + r"Key=",
    "SAS signature": r"[?&]sig" + r"=[A-Za-z0-9%]{20,}",
    "private key": r"-----BEGIN [A-Z ]*" + r"PRIVATE KEY-----",
    "secret placeholder": r"<YOUR_[A-Z_]*" + r"(SECRET|TOKEN|PASSWORD|KEY)[A-Z_]*>",
    "bearer token": r"Bearer" + r" [A-Za-z0-9._-]{20,}",
}
# Where secret values live; a literal there (not a ${...} reference) is a leak.
SECRET_RESOURCE_ATTRIBUTES = {("azurerm_key_vault_secret", "value"), ("databricks_secret", "string_value")}
CREDENTIAL_ATTRIBUTES = {
    "client_secret",
    "token",
    "password",
    "azure_client_secret",
    "access_key",
    "sas_token",
    "client_certificate_password",
}
# References that resolve to secret values.
SECRET_REFERENCES = re.compile(r"azuread_application_password\.[^.}]+\.value|azurerm_key_vault_secret\.[^.}]+\.value")


def _files(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix in (".json", ".yaml", ".yml")]


def _scan(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        for name, shape in SECRET_SHAPES.items():
            if re.search(shape, text):
                found.append(f"{path}: {name}")
    return found


def test_synthesized_stacks_hold_no_secret_literal(default_outdir):
    files = _files(default_outdir)
    assert len(files) == 11  # manifest + ten stacks
    assert _scan(files) == []


def test_config_and_snapshot_fixtures_hold_no_secret_literal():
    files = _files(ROOT / "config") + _files(ROOT / "tests") + [ROOT / ".checkov.yaml"]
    assert _scan(files) == []


def _walk(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*path, index))
    else:
        yield path, node


def test_no_secret_attribute_is_a_literal(default_stacks):
    for stack_id, stack in default_stacks.items():
        for kind, attribute in SECRET_RESOURCE_ATTRIBUTES:
            for name, resource in stack.get("resource", {}).get(kind, {}).items():
                value = resource.get(attribute, "${}")
                assert value.startswith("${") and value.endswith("}"), f"{stack_id}: {kind}.{name}.{attribute}"
        blocks = {"provider": stack.get("provider", {}), "terraform": stack.get("terraform", {})}
        for path, _value in _walk(blocks):
            assert path[-1] not in CREDENTIAL_ATTRIBUTES, f"{stack_id}: credential in {'.'.join(map(str, path))}"


def test_outputs_that_could_carry_a_secret_are_sensitive(default_stacks):
    checked = 0
    for stack_id, stack in default_stacks.items():
        for name, output in stack.get("output", {}).items():
            if SECRET_REFERENCES.search(str(output["value"])) or ("secret" in name.lower() and "name" not in name):
                assert output.get("sensitive") is True, f"{stack_id}: output {name} carries a secret"
                checked += 1
    # The secret is never an output at all in the default app; the rule above guards future ones.
    assert checked == 0


@pytest.mark.parametrize("planted", ["dapi" + "0123456789abcdef0123456789abcdef", "<YOUR_" + "SECRET_HERE>"])
def test_the_detector_finds_planted_secrets(tmp_path, planted):
    fixture = tmp_path / "leak.json"
    fixture.write_text(json.dumps({"token": planted}))
    assert _scan([fixture]) != []
