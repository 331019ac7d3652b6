"""checkov, offline, over every synthesized stack: zero failed checks, and it does fail on bad input."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import ROOT, only, resources

CHECKOV = Path(sys.executable).parent / "checkov"
CONFIG = ROOT / ".checkov.yaml"


def run_checkov(directory: Path) -> tuple[int, dict, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BC_", "PRISMA_", "CKV_"))}
    result = subprocess.run(
        [str(CHECKOV), "-d", str(directory), "--config-file", str(CONFIG), "-o", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=ROOT,
    )
    report = json.loads(result.stdout)
    return result.returncode, report, result.stderr


def failed_ids(report: dict) -> list[str]:
    return sorted(c["check_id"] for c in report["results"]["failed_checks"])


@pytest.fixture(scope="module")
def default_scan(default_outdir):
    return run_checkov(default_outdir / "stacks")


def test_default_app_has_zero_failed_checks(default_scan):
    status, report, _ = default_scan
    failures = [f"{c['check_id']} {c['resource']} ({c['file_path']})" for c in report["results"]["failed_checks"]]
    assert failures == []
    assert status == 0
    assert report["check_type"] == "terraform_json"
    assert report["summary"]["passed"] >= 20
    assert report["summary"]["parsing_errors"] == 0


def test_scan_runs_offline_without_network_errors(default_scan):
    _, _, stderr = default_scan
    for noise in ("ConnectionError", "Max retries", "Failed to establish", "api key", "Traceback"):
        assert noise.lower() not in stderr.lower(), stderr


def test_no_check_is_skipped():
    config = yaml.safe_load(CONFIG.read_text())
    assert "skip-check" not in config and "soft-fail" not in config and "soft-fail-on" not in config
    assert config["framework"] == ["terraform_json"]


def test_every_vault_meets_the_private_endpoint_check_by_a_real_endpoint(default_stacks):
    # CKV2_AZURE_32 is a graph check: azurerm_key_vault connected to an azurerm_private_endpoint,
    # i.e. the endpoint's private_connection_resource_id references the vault (checkov 3.3.30,
    # terraform/checks/graph_checks/azure/AzureKeyVaultConfigPrivateEndpoint.json).
    for env in ("dev", "staging", "prod"):
        stack = default_stacks[f"mlplatform-{env}-azure"]
        vault = next(iter(resources(stack, "azurerm_key_vault")))
        endpoint = only(stack, "azurerm_private_endpoint")
        assert endpoint["private_service_connection"]["private_connection_resource_id"] == (
            f"${{azurerm_key_vault.{vault}.id}}"
        )


def test_scan_fails_on_a_planted_insecure_vault(default_stacks, tmp_path):
    stack = copy.deepcopy(default_stacks["mlplatform-prod-azure"])
    vault = next(iter(stack["resource"]["azurerm_key_vault"].values()))
    vault["purge_protection_enabled"] = False
    vault["network_acls"]["default_action"] = "Allow"
    secret = next(iter(stack["resource"]["azurerm_key_vault_secret"].values()))
    del secret["expiration_date"]
    del stack["resource"]["azurerm_private_endpoint"]
    planted = tmp_path / "stacks" / "planted-insecure"
    planted.mkdir(parents=True)
    (planted / "cdk.tf.json").write_text(json.dumps(stack))
    # dev keeps public access on: without its IP allow-list CKV_AZURE_189 (public network access) fails.
    dev = copy.deepcopy(default_stacks["mlplatform-dev-azure"])
    next(iter(dev["resource"]["azurerm_key_vault"].values()))["network_acls"]["ip_rules"] = []
    (tmp_path / "stacks" / "planted-open-dev").mkdir()
    (tmp_path / "stacks" / "planted-open-dev" / "cdk.tf.json").write_text(json.dumps(dev))
    status, report, _ = run_checkov(tmp_path / "stacks")
    assert status == 1
    assert {"CKV_AZURE_110", "CKV_AZURE_109", "CKV_AZURE_41", "CKV2_AZURE_32", "CKV_AZURE_189"} <= set(
        failed_ids(report)
    )
