"""ops/saved_plan.sh (`make plan`, `make apply`): the reviewed plan is the applied plan, and never in clear.

Driven with the real Terraform on a stack folder of Terraform's built-in `terraform_data` (no provider, no
network) and a local state: what is sealed, what reviewers see, that apply runs exactly the saved plan, and that
Terraform refuses a plan whose state moved on.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from proof import terraform_check
from tests.helpers import ROOT

SCRIPT = ROOT / "ops" / "saved_plan.sh"
PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def terraform() -> Path:
    try:
        return terraform_check.terraform_binary()
    except terraform_check.TerraformUnavailable as error:
        if os.environ.get("MLPLATFORM_REQUIRE_PROVIDERS") == "1":
            pytest.fail(str(error), pytrace=False)
        pytest.skip(str(error))


@pytest.fixture
def stack(tmp_path, terraform) -> Path:
    """A stack folder as cdktf writes one (cdk.tf.json), with its state next to it."""
    folder = tmp_path / "cdktf.out" / "stacks" / "mlplatform-dev-azure"
    folder.mkdir(parents=True)
    configure(folder, "first")
    return folder


def configure(folder: Path, value: str) -> None:
    (folder / "cdk.tf.json").write_text(
        json.dumps(
            {
                "terraform": {"backend": {"local": {"path": "../../../terraform.tfstate"}}},
                "resource": {"terraform_data": {"marker": {"input": value}}},
            }
        ),
        encoding="utf-8",
    )


def run(tmp_path: Path, action: str, folder: Path, passphrase: str = PASSPHRASE) -> subprocess.CompletedProcess:
    cli_config = tmp_path / "terraformrc"
    cli_config.touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "GITHUB_", "PLAN_"))}
    env.update(
        {
            "PLAN_PASSPHRASE": passphrase,
            "TF_CLI_CONFIG_FILE": str(cli_config),
            "CHECKPOINT_DISABLE": "1",
            "GITHUB_OUTPUT": str(tmp_path / "github_output"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        }
    )
    return subprocess.run(
        [str(SCRIPT), action, str(folder.relative_to(tmp_path)), "plans/mlplatform-dev-azure.tfplan.enc"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def applied_value(tmp_path: Path) -> str | None:
    state_file = tmp_path / "terraform.tfstate"
    if not state_file.exists():
        return None
    resources = json.loads(state_file.read_text(encoding="utf-8"))["resources"]
    return resources[0]["instances"][0]["attributes"]["input"]["value"] if resources else None


def sealed(tmp_path: Path) -> Path:
    return tmp_path / "plans" / "mlplatform-dev-azure.tfplan.enc"


def test_a_plan_with_changes_is_shown_sealed_and_its_clear_file_deleted(tmp_path, stack):
    result = run(tmp_path, "plan", stack)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "github_output").read_text() == "changes=true\n"
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("### mlplatform-dev-azure\nChanges: approving the apply job applies exactly this plan")
    assert "terraform_data.marker will be created" in summary and '"first"' in summary
    ciphertext = sealed(tmp_path).read_bytes()
    assert ciphertext.startswith(b"Salted__")  # openssl's salted format, not a plan file (a zip: "PK")
    assert b"first" not in ciphertext and b"PK\x03\x04" not in ciphertext
    assert not list(tmp_path.rglob("*.tfplan"))  # no plan file in clear is left anywhere
    assert oct(sealed(tmp_path).stat().st_mode & 0o777) == "0o600"
    assert applied_value(tmp_path) is None  # a plan changes nothing


def test_apply_applies_exactly_the_saved_plan_not_the_folder_it_finds(tmp_path, stack):
    assert run(tmp_path, "plan", stack).returncode == 0
    configure(stack, "edited after the review")  # Terraform applies the configuration saved in the plan
    result = run(tmp_path, "apply", stack)
    assert result.returncode == 0, result.stderr
    assert "Apply complete! Resources: 1 added, 0 changed, 0 destroyed." in result.stdout
    assert applied_value(tmp_path) == "first"
    assert not list(tmp_path.rglob("*.tfplan"))


def test_a_stale_plan_is_refused_and_nothing_is_applied(tmp_path, stack):
    assert run(tmp_path, "plan", stack).returncode == 0
    saved = sealed(tmp_path).read_bytes()
    assert run(tmp_path, "apply", stack).returncode == 0  # the state moves on (another run applied meanwhile)
    configure(stack, "second")
    assert run(tmp_path, "plan", stack).returncode == 0
    sealed(tmp_path).write_bytes(saved)  # the older plan, reviewed before the state moved
    result = run(tmp_path, "apply", stack)
    assert result.returncode == 1
    assert "Error: Saved plan is stale" in result.stderr
    assert "state was changed by\nanother operation after the plan was created" in result.stderr
    assert applied_value(tmp_path) == "first"
    assert not list(tmp_path.rglob("*.tfplan"))


def test_no_changes_means_nothing_to_seal_and_nothing_to_apply(tmp_path, stack):
    assert run(tmp_path, "plan", stack).returncode == 0
    assert run(tmp_path, "apply", stack).returncode == 0
    result = run(tmp_path, "plan", stack)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "github_output").read_text().splitlines()[-1] == "changes=false"
    assert "No changes: nothing to apply." in (tmp_path / "summary.md").read_text()
    assert not sealed(tmp_path).exists()


def test_a_wrong_passphrase_applies_nothing(tmp_path, stack):
    assert run(tmp_path, "plan", stack).returncode == 0
    result = run(tmp_path, "apply", stack, passphrase="not the one")
    assert result.returncode != 0  # "bad decrypt" (or, rarely, garbage Terraform cannot read as a plan)
    assert applied_value(tmp_path) is None
    assert not list(tmp_path.rglob("*.tfplan"))


def test_without_a_passphrase_nothing_runs(tmp_path, stack):
    result = run(tmp_path, "plan", stack, passphrase="")
    assert result.returncode != 0
    assert "PLAN_PASSPHRASE: is not set" in result.stderr
    assert not (stack / ".terraform").exists()


def test_apply_runs_no_plan_of_its_own():
    """The apply branch: unseal, init, apply the file; `terraform ... plan` appears in the plan branch only."""
    text = SCRIPT.read_text(encoding="utf-8")
    plan_branch, apply_branch = text.split("\nelse\n", 1)
    assert re.search(r"terraform [^\n]*\bplan\b", plan_branch)
    assert not re.search(r"terraform [^\n]*\bplan\b", apply_branch)
    assert 'apply -input=false -no-color "$plan_name"' in apply_branch
