"""ops/saved_plan.sh (`make plan`, `make apply`): the reviewed plan is the applied plan, and never in clear.

Driven with the real Terraform on a stack folder of Terraform's built-in `terraform_data` (no provider, no
network) and a local state: what is sealed, what reviewers see, that apply runs exactly the saved plan, and that
Terraform refuses a plan whose state moved on; and that a sealed plan opens only in the run, for the stack and at
the commit it was sealed for, with the SHA-256 its plan job published (ops/plan_seal.py). A job of several projects
plans, shows and seals each project's stack on its own in one step, and applies each only with its own SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from ops import plan_seal
from proof import terraform_check
from tests.helpers import ROOT

SCRIPT = ROOT / "ops" / "saved_plan.sh"
PASSPHRASE = "correct horse battery staple"
RUN = {"GITHUB_REPOSITORY": "contoso/mlplatform", "GITHUB_RUN_ID": "4242", "GITHUB_SHA": "a" * 40}
"""One workflow run of GitHub Actions, as its plan and apply jobs see it."""


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


def configure(folder: Path, value: str, state: str = "terraform.tfstate") -> None:
    (folder / "cdk.tf.json").write_text(
        json.dumps(
            {
                "terraform": {"backend": {"local": {"path": f"../../../{state}"}}},
                "resource": {"terraform_data": {"marker": {"input": value}}},
            }
        ),
        encoding="utf-8",
    )


def run(
    tmp_path: Path,
    action: str,
    *folders: Path,
    passphrase: str = PASSPHRASE,
    **github: str,
) -> subprocess.CompletedProcess:
    """ops/saved_plan.sh as `make plan` / `make apply` runs it in a job's step, for the stacks in `folders` (each
    stack's sealed plan in plans/); `github`: the job's GITHUB_* (and PLAN_SHA256...) variables. Runs of one test
    share the step's output and summary files."""
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
            **github,
        }
    )
    return subprocess.run(
        [str(SCRIPT), action, "plans", *(str(folder.relative_to(tmp_path)) for folder in folders)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def applied_value(tmp_path: Path, state: str = "terraform.tfstate") -> str | None:
    state_file = tmp_path / state
    if not state_file.exists():
        return None
    resources = json.loads(state_file.read_text(encoding="utf-8"))["resources"]
    return resources[0]["instances"][0]["attributes"]["input"]["value"] if resources else None


def sealed(tmp_path: Path) -> Path:
    return tmp_path / "plans" / "mlplatform-dev-azure.tfplan.enc"


def test_a_plan_with_changes_is_shown_sealed_and_its_clear_file_deleted(tmp_path, stack):
    result = run(tmp_path, "plan", stack)
    assert result.returncode == 0, result.stderr
    digest = hashlib.sha256(sealed(tmp_path).read_bytes()).hexdigest()
    assert (tmp_path / "github_output").read_text() == (
        f"plan_sha256={digest}\nplan_sha256_mlplatform-dev-azure={digest}\nchanges=true\n"
    )
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("### mlplatform-dev-azure\nChanges: approving the apply job applies exactly this plan")
    assert "terraform_data.marker will be created" in summary and '"first"' in summary
    ciphertext = sealed(tmp_path).read_bytes()
    assert ciphertext.startswith(plan_seal.MAGIC)  # not a plan file (a zip: "PK")
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
    assert (tmp_path / "github_output").read_text().splitlines()[-2:] == [
        "plan_sha256_mlplatform-dev-azure=none",  # what a job of several stacks publishes for this one
        "changes=false",
    ]
    assert "No changes: nothing to apply." in (tmp_path / "summary.md").read_text()
    assert not sealed(tmp_path).exists()


def test_a_wrong_passphrase_applies_nothing(tmp_path, stack):
    assert run(tmp_path, "plan", stack).returncode == 0
    result = run(tmp_path, "apply", stack, passphrase="not the one")
    assert result.returncode == 2
    assert "with this PLAN_PASSPHRASE, or it was altered" in result.stderr
    assert applied_value(tmp_path) is None
    assert not list(tmp_path.rglob("*.tfplan"))


def test_without_a_passphrase_nothing_runs(tmp_path, stack):
    result = run(tmp_path, "plan", stack, passphrase="")
    assert result.returncode != 0
    assert "PLAN_PASSPHRASE: is not set" in result.stderr
    assert not (stack / ".terraform").exists()


def test_apply_runs_no_plan_of_its_own():
    """A stack's apply: init, unseal, apply the file; `terraform ... plan` appears in a stack's plan only."""
    text = SCRIPT.read_text(encoding="utf-8")
    plan_branch = text[text.index("\nplan_stack() {") : text.index("\napply_stack() {")]
    apply_branch = text[text.index("\napply_stack() {") :]
    assert re.search(r"terraform [^\n]*\bplan\b", plan_branch)
    assert not re.search(r"terraform [^\n]*\bplan\b", apply_branch)
    assert 'apply -input=false -no-color "$plan_name"' in apply_branch


def _published_sha256(tmp_path: Path) -> str:
    lines = (tmp_path / "github_output").read_text().splitlines()
    return next(line.split("=", 1)[1] for line in lines if line.startswith("plan_sha256="))


def test_in_actions_the_apply_job_applies_the_published_plan_of_its_own_run(tmp_path, stack):
    assert run(tmp_path, "plan", stack, **RUN).returncode == 0
    result = run(tmp_path, "apply", stack, **RUN, PLAN_SHA256=_published_sha256(tmp_path))
    assert result.returncode == 0, result.stderr
    assert applied_value(tmp_path) == "first"


@pytest.mark.parametrize(
    "change",
    [
        {"GITHUB_SHA": "b" * 40},  # a sealed plan of an earlier commit
        {"GITHUB_RUN_ID": "4243"},  # of another run (its artifact copied over)
        {"GITHUB_REPOSITORY": "contoso/fork"},
    ],
)
def test_a_plan_sealed_for_another_run_or_commit_opens_nowhere_else(tmp_path, stack, change):
    assert run(tmp_path, "plan", stack, **RUN).returncode == 0
    result = run(tmp_path, "apply", stack, **{**RUN, **change}, PLAN_SHA256=_published_sha256(tmp_path))
    assert result.returncode == 2
    job = {**RUN, **change}
    assert result.stderr.splitlines()[-2:] == [
        (
            "error: refusing plans/mlplatform-dev-azure.tfplan.enc for mlplatform-dev-azure: it was not sealed for this "
            f"run (commit {job['GITHUB_SHA']}, repository {job['GITHUB_REPOSITORY']}, run {job['GITHUB_RUN_ID']}, "
            "stack mlplatform-dev-azure) with this PLAN_PASSPHRASE, or it was altered"
        ),
        "error: the apply failed for mlplatform-dev-azure",
    ]
    assert applied_value(tmp_path) is None and not list(tmp_path.rglob("*.tfplan"))


def test_a_plan_sealed_for_another_stack_does_not_open(tmp_path, stack):
    assert run(tmp_path, "plan", stack, **RUN).returncode == 0
    other = stack.parent / "mlplatform-dev-databricks"
    other.mkdir()
    configure(other, "first")
    reviewed = _published_sha256(tmp_path)
    (tmp_path / "plans" / "mlplatform-dev-databricks.tfplan.enc").write_bytes(sealed(tmp_path).read_bytes())
    result = run(tmp_path, "apply", other, **RUN, PLAN_SHA256=reviewed)
    assert result.returncode == 2 and "stack mlplatform-dev-databricks)" in result.stderr
    assert applied_value(tmp_path) is None


def test_the_apply_job_refuses_a_file_other_than_the_published_one(tmp_path, stack):
    """The artifact replaced between the jobs by one sealed in the same context (whoever holds the passphrase)."""
    assert run(tmp_path, "plan", stack, **RUN).returncode == 0
    reviewed = _published_sha256(tmp_path)
    configure(stack, "not reviewed")
    assert run(tmp_path, "plan", stack, **RUN).returncode == 0  # same run, stack and commit: it would open
    result = run(tmp_path, "apply", stack, **RUN, PLAN_SHA256=reviewed)
    assert result.returncode == 2
    assert "its SHA-256 is not the one the plan job published (PLAN_SHA256)" in result.stderr
    assert applied_value(tmp_path) is None


def test_in_actions_an_apply_without_the_published_sha256_is_refused(tmp_path, stack):
    assert run(tmp_path, "plan", stack, **RUN).returncode == 0
    result = run(tmp_path, "apply", stack, **RUN, GITHUB_ACTIONS="true")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: PLAN_SHA256 is not set for mlplatform-dev-azure (PLAN_SHA256_MLPLATFORM_DEV_AZURE, or PLAN_SHA256 in a "
        "job of one stack): the apply job applies only the file whose SHA-256 its plan job published",
        "error: the apply failed for mlplatform-dev-azure",
    ]
    assert applied_value(tmp_path) is None


def test_a_changed_byte_anywhere_in_a_sealed_plan_is_refused():
    bound = plan_seal.context("mlplatform-dev-azure", RUN)
    sealed_plan = plan_seal.seal(b"PK\x03\x04 a plan", PASSPHRASE, bound)
    assert plan_seal.open_sealed(sealed_plan, PASSPHRASE, bound) == b"PK\x03\x04 a plan"
    for position in (len(plan_seal.MAGIC) + 3, len(plan_seal.MAGIC) + 20, len(sealed_plan) - 1):  # salt, nonce, tag
        altered = bytearray(sealed_plan)
        altered[position] ^= 1
        with pytest.raises(plan_seal.Refused, match="or it was altered"):
            plan_seal.open_sealed(bytes(altered), PASSPHRASE, bound)
    with pytest.raises(plan_seal.Refused, match="not a sealed plan of this version"):
        plan_seal.open_sealed(b"Salted__" + sealed_plan[8:], PASSPHRASE, bound)  # an openssl-sealed file


def test_a_plan_too_long_for_the_job_summary_is_refused_and_nothing_is_sealed(tmp_path, stack):
    """GitHub drops a step summary over 1 MiB: reviewers would approve a plan they cannot read
    (`PLAN_SUMMARY_LIMIT` stands in for the limit, so the test plan can stay small)."""
    result = run(tmp_path, "plan", stack, PLAN_SUMMARY_LIMIT="200")
    assert result.returncode == 2
    assert "more than a job summary shows (1 MiB): reviewers could not read what they approve" in result.stderr
    assert not sealed(tmp_path).exists() and not list(tmp_path.rglob("*.tfplan"))
    assert not (tmp_path / "summary.md").exists() or "marker" not in (tmp_path / "summary.md").read_text()


# --- a job of several projects: one step plans each project's stack of a layer, one applies each ------------------

PROJECTS = ("churn", "fraud")


@pytest.fixture
def project_stacks(tmp_path, terraform) -> dict[str, Path]:
    """The azure stack of two projects of one environment, each with its own state (as `make plan` finds them)."""
    folders = {}
    for project in PROJECTS:
        folder = tmp_path / "cdktf.out" / "stacks" / f"mlplatform-dev-{project}-azure"
        folder.mkdir(parents=True)
        configure(folder, f"{project} first", state=f"{project}.tfstate")
        folders[project] = folder
    return folders


def outputs(tmp_path: Path) -> dict[str, str]:
    """The step's outputs as GitHub reads $GITHUB_OUTPUT (a later line of a name wins)."""
    lines = (tmp_path / "github_output").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines)


def test_each_project_s_stack_is_planned_shown_and_sealed_on_its_own(tmp_path, project_stacks):
    assert run(tmp_path, "plan", *project_stacks.values(), **RUN).returncode == 0
    published, summary = outputs(tmp_path), (tmp_path / "summary.md").read_text()
    sections = summary.split("### ")[1:]
    assert [section.splitlines()[0] for section in sections] == [f"mlplatform-dev-{p}-azure" for p in PROJECTS]
    for project, section in zip(PROJECTS, sections, strict=True):
        stack = f"mlplatform-dev-{project}-azure"
        assert f'"{project} first"' in section and all(f'"{o} first"' not in section for o in PROJECTS if o != project)
        sealed_file = tmp_path / "plans" / f"{stack}.tfplan.enc"
        assert published[f"plan_sha256_{stack}"] == hashlib.sha256(sealed_file.read_bytes()).hexdigest()
    assert published["plan_sha256_mlplatform-dev-churn-azure"] != published["plan_sha256_mlplatform-dev-fraud-azure"]
    # no SHA-256 that would stand for every stack; `changes`: something to apply
    assert "plan_sha256" not in published and published["changes"] == "true"
    assert not list(tmp_path.rglob("*.tfplan"))


def _each_sha256(tmp_path: Path) -> dict[str, str]:
    """The apply step's variables, as the generated workflow passes the plan job's outputs."""
    return {
        f"PLAN_SHA256_MLPLATFORM_DEV_{project.upper()}_AZURE": outputs(tmp_path)[
            f"plan_sha256_mlplatform-dev-{project}-azure"
        ]
        for project in PROJECTS
    }


def test_in_actions_each_stack_applies_exactly_its_own_published_plan(tmp_path, project_stacks):
    assert run(tmp_path, "plan", *project_stacks.values(), **RUN).returncode == 0
    result = run(tmp_path, "apply", *project_stacks.values(), **RUN, GITHUB_ACTIONS="true", **_each_sha256(tmp_path))
    assert result.returncode == 0, result.stderr
    assert [applied_value(tmp_path, f"{p}.tfstate") for p in PROJECTS] == ["churn first", "fraud first"]


def test_a_stack_given_another_project_s_sha256_or_none_is_refused(tmp_path, project_stacks):
    assert run(tmp_path, "plan", *project_stacks.values(), **RUN).returncode == 0
    each = _each_sha256(tmp_path)
    swapped = {
        "PLAN_SHA256_MLPLATFORM_DEV_CHURN_AZURE": each["PLAN_SHA256_MLPLATFORM_DEV_FRAUD_AZURE"],
        "PLAN_SHA256_MLPLATFORM_DEV_FRAUD_AZURE": each["PLAN_SHA256_MLPLATFORM_DEV_CHURN_AZURE"],
    }
    result = run(tmp_path, "apply", *project_stacks.values(), **RUN, GITHUB_ACTIONS="true", **swapped)
    assert result.returncode == 2
    assert result.stderr.count("its SHA-256 is not the one the plan job published (PLAN_SHA256)") == 2
    # the job's other stacks' SHA-256 does not stand in for a missing one, nor does PLAN_SHA256 in a job of several
    only_fraud = {"PLAN_SHA256_MLPLATFORM_DEV_FRAUD_AZURE": "0" * 64, "PLAN_SHA256": each[variable_of("churn")]}
    result = run(tmp_path, "apply", *project_stacks.values(), **RUN, GITHUB_ACTIONS="true", **only_fraud)
    assert result.returncode == 2
    assert (
        "error: PLAN_SHA256 is not set for mlplatform-dev-churn-azure (PLAN_SHA256_MLPLATFORM_DEV_CHURN_AZURE, "
    ) in result.stderr
    # `none` (its plan had no changes) with a sealed file there: someone put it there; it is not applied
    result = run(
        tmp_path,
        "apply",
        project_stacks["churn"],
        **RUN,
        GITHUB_ACTIONS="true",
        PLAN_SHA256_MLPLATFORM_DEV_CHURN_AZURE="none",
    )
    assert result.returncode == 2
    assert "its plan job published no changes for it (PLAN_SHA256_MLPLATFORM_DEV_CHURN_AZURE=none)" in result.stderr
    assert [applied_value(tmp_path, f"{p}.tfstate") for p in PROJECTS] == [None, None]
    assert not list(tmp_path.rglob("*.tfplan"))


def variable_of(project: str) -> str:
    return f"PLAN_SHA256_MLPLATFORM_DEV_{project.upper()}_AZURE"


def test_a_stack_whose_plan_had_no_changes_is_skipped_in_actions_and_on_a_laptop(tmp_path, project_stacks):
    churn, fraud = project_stacks["churn"], project_stacks["fraud"]
    assert run(tmp_path, "plan", churn).returncode == 0
    assert run(tmp_path, "apply", churn).returncode == 0  # churn deployed: its next plan has no changes
    configure(fraud, "fraud second", state="fraud.tfstate")
    assert run(tmp_path, "plan", churn, fraud, **RUN).returncode == 0
    assert outputs(tmp_path)["plan_sha256_mlplatform-dev-churn-azure"] == "none"
    assert not (tmp_path / "plans" / "mlplatform-dev-churn-azure.tfplan.enc").exists()
    in_actions = {"GITHUB_ACTIONS": "true", **_each_sha256(tmp_path)}
    result = run(tmp_path, "apply", churn, **RUN, **in_actions)
    assert (result.returncode, result.stdout.strip()) == (
        0,
        "mlplatform-dev-churn-azure: its plan had no changes: nothing to apply",
    )
    # a person's `make apply` after `make plan`: no SHA-256 given; the plan left its no-changes mark
    result = run(tmp_path, "apply", churn, fraud, **RUN)
    assert result.returncode == 0, result.stderr
    assert "mlplatform-dev-churn-azure: its plan had no changes: nothing to apply" in result.stdout
    assert applied_value(tmp_path, "fraud.tfstate") == "fraud second"


def test_the_job_summary_limit_counts_every_plan_of_the_step(tmp_path, project_stacks):
    """The step's summary holds every project's section; GitHub drops all of it past 1 MiB, so the stack that would
    cross the limit is refused (the first one fits here, the two together do not): a failed plan, of that stack only."""
    churn, fraud = project_stacks["churn"], project_stacks["fraud"]
    assert run(tmp_path, "plan", churn).returncode == 0  # its size, as the step will write it
    first = len((tmp_path / "summary.md").read_bytes())
    (tmp_path / "summary.md").unlink()
    result = run(tmp_path, "plan", churn, fraud, **RUN, PLAN_SUMMARY_LIMIT=str(first + 100))
    assert result.returncode == 2
    assert f"(after {first} bytes of the plans before it in this step), more than a job summary shows" in result.stderr
    assert (tmp_path / "plans" / "mlplatform-dev-churn-azure.tfplan.enc").exists()
    assert not (tmp_path / "plans" / "mlplatform-dev-fraud-azure.tfplan.enc").exists()
    summary = (tmp_path / "summary.md").read_text()
    assert '"fraud first"' not in summary and "### mlplatform-dev-fraud-azure\nPlan failed (exit 2)" in summary


# --- one project's failing plan stops no other project's plan or apply -------------------------------------------


def broken(folder: Path) -> None:
    """A stack whose plan fails (as a project's can, for weeks: a missing permission, a bad value)."""
    stack = json.loads((folder / "cdk.tf.json").read_text(encoding="utf-8"))
    stack["resource"]["terraform_data"]["marker"]["input"] = '${file("no-such-file")}'
    (folder / "cdk.tf.json").write_text(json.dumps(stack), encoding="utf-8")


def test_a_stack_whose_plan_fails_stops_no_other_stack_s_plan_and_leaves_nothing_to_apply(tmp_path, project_stacks):
    churn, fraud = project_stacks["churn"], project_stacks["fraud"]
    assert run(tmp_path, "plan", churn, fraud, **RUN).returncode == 0  # churn's sealed plan of a first run is there
    broken(churn)
    result = run(tmp_path, "plan", churn, fraud, **RUN, GITHUB_ACTIONS="true")
    assert result.returncode == 1  # terraform plan's own status, of the first stack that failed
    assert "error: terraform plan failed for mlplatform-dev-churn-azure (exit 1)" in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "error: the plan failed for 1 of 2 stacks: mlplatform-dev-churn-azure "
        "(every other stack was planned, and sealed where it has changes)"
    )
    assert "::error title=plan failed::mlplatform-dev-churn-azure: " in result.stdout
    # fraud, after it, planned and sealed all the same
    published = outputs(tmp_path)
    fraud_sealed = tmp_path / "plans" / "mlplatform-dev-fraud-azure.tfplan.enc"
    assert published["plan_sha256_mlplatform-dev-fraud-azure"] == hashlib.sha256(fraud_sealed.read_bytes()).hexdigest()
    # churn: nothing sealed (the earlier run's file is gone), no no-changes mark, published as failed
    assert not list((tmp_path / "plans").glob("mlplatform-dev-churn-azure.*"))
    assert published["plan_sha256_mlplatform-dev-churn-azure"] == "failed"
    assert published["changes"] == "true"  # fraud's plan is there to apply
    summary = (tmp_path / "summary.md").read_text()
    assert "### mlplatform-dev-churn-azure\nPlan failed (exit 1): nothing sealed" in summary
    assert '"fraud first"' in summary.split("### mlplatform-dev-fraud-azure")[-1]
    assert not list(tmp_path.rglob("*.tfplan"))


def test_the_apply_applies_every_reviewed_plan_and_fails_naming_the_stack_whose_plan_failed(tmp_path, project_stacks):
    churn, fraud = project_stacks["churn"], project_stacks["fraud"]
    broken(churn)
    assert run(tmp_path, "plan", churn, fraud, **RUN).returncode == 1
    result = run(tmp_path, "apply", churn, fraud, **RUN, GITHUB_ACTIONS="true", **_each_sha256(tmp_path))
    assert result.returncode == 2
    assert (
        "error: mlplatform-dev-churn-azure is not applied: its plan failed in the plan job "
        "(PLAN_SHA256_MLPLATFORM_DEV_CHURN_AZURE=failed), so no plan of it was sealed or reviewed"
    ) in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "error: the apply failed for 1 of 2 stacks: mlplatform-dev-churn-azure "
        "(every other stack was applied, or had nothing to apply)"
    )
    assert [applied_value(tmp_path, f"{p}.tfstate") for p in PROJECTS] == [None, "fraud first"]


def test_a_plan_that_fails_alone_publishes_no_changes(tmp_path, stack):
    """The job of one stack (the default config): nothing to apply, so its apply job is skipped."""
    broken(stack)
    result = run(tmp_path, "plan", stack, **RUN)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == "error: the plan failed for mlplatform-dev-azure: nothing of it sealed"
    assert outputs(tmp_path) == {"plan_sha256_mlplatform-dev-azure": "failed", "changes": "false"}
    assert not (tmp_path / "plans").exists() or not list((tmp_path / "plans").iterdir())


def test_the_apply_goes_on_past_a_stack_whose_apply_fails(tmp_path, project_stacks):
    """churn's reviewed plan went stale (its state moved after the plan): refused by Terraform; fraud's is applied."""
    churn, fraud = project_stacks["churn"], project_stacks["fraud"]
    assert run(tmp_path, "plan", churn, fraud, **RUN).returncode == 0
    each = _each_sha256(tmp_path)
    moved = tmp_path / "moved"  # another operation applies churn's stack meanwhile, in a folder of its own
    moved.mkdir()
    (moved / "cdk.tf.json").write_text((churn / "cdk.tf.json").read_text().replace("../../../", "../"))
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(tmp_path / "terraformrc"), "CHECKPOINT_DISABLE": "1"}
    for command in (["init", "-input=false"], ["apply", "-input=false", "-auto-approve"]):
        subprocess.run(["terraform", f"-chdir={moved}", *command], env=env, check=True, capture_output=True)
    result = run(tmp_path, "apply", churn, fraud, **RUN, GITHUB_ACTIONS="true", **each)
    assert result.returncode == 1
    assert "Error: Saved plan is stale" in result.stderr
    assert result.stderr.splitlines()[-1].startswith(
        "error: the apply failed for 1 of 2 stacks: mlplatform-dev-churn-azure"
    )
    assert applied_value(tmp_path, "fraud.tfstate") == "fraud first"
