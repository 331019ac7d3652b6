"""The way past the frozen providers, proven on the smallest one (docs/operations.md: CDK for Terraform is deprecated).

cdktf 0.21.0 and its prebuilt provider packages are the last (HashiCorp, 2025-12-10), so the pinned
providers are frozen with them. A newer provider's bindings can be generated locally with `cdktf get`
(`cdktf.json` `terraformProviders`, output in `codeMakerOutput`) from a Terraform provider mirror, no
registry needed: here hashicorp/time 0.14.2 (the pinned one is 0.13.1), built with Go from the Go module
proxy into the provider cache, its bindings generated, a stack synthesized with them and validated by
that provider. Skipped, with the reason, where Go or the proxy is not at hand.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from proof import provider_mirror, terraform_check
from tests.helpers import ROOT

NEWER_TIME = provider_mirror.ProviderPin("hashicorp/time", "0.14.2")


@pytest.fixture(scope="module")
def newer_time_mirror():
    try:
        terraform_check.terraform_binary()
        return provider_mirror.ensure([NEWER_TIME], "source", root=provider_mirror.cache_root() / "upgrade-path")
    except (terraform_check.TerraformUnavailable, provider_mirror.ProvidersUnavailable) as error:
        pytest.skip(f"the upgrade path is not proven here: {error}")


def test_cdktf_get_binds_a_newer_provider_from_a_mirror_and_the_stack_validates(newer_time_mirror, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "cdktf.json").write_text(
        json.dumps(
            {
                "language": "python",
                "app": f"{sys.executable} main.py",
                "terraformProviders": [f"{NEWER_TIME.source}@{NEWER_TIME.version}"],
                "codeMakerOutput": "imports",
                "sendCrashReports": "false",
            }
        )
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TF_")},
        "TF_CLI_CONFIG_FILE": str(newer_time_mirror),
        "CHECKPOINT_DISABLE": "1",
        "CDKTF_DISABLE_PLUGIN_CACHE_ENV": "1",
        "CI": "1",
        "PATH": f"{ROOT / 'node_modules' / '.bin'}{os.pathsep}{os.environ['PATH']}",
        # what `cdktf get` leaves in the temp folder (the compile cache TypeScript's tsc enables there) goes
        # with the test's folder
        "TMPDIR": str(tmp_path / "tmp"),
    }
    (tmp_path / "tmp").mkdir()
    got = subprocess.run(
        [str(ROOT / "node_modules" / ".bin" / "cdktf"), "get"], cwd=project, env=env, capture_output=True, text=True
    )
    assert got.returncode == 0, got.stdout + got.stderr
    assert (project / "imports" / "time" / "rotating").is_dir()
    (project / "main.py").write_text(
        textwrap.dedent(
            f"""
            import sys
            sys.path.insert(0, {str(ROOT)!r})
            from app_runtime.node import use_project_node
            use_project_node()
            from cdktf import App, TerraformStack
            from imports.time.provider import TimeProvider
            from imports.time.rotating import Rotating
            app = App(outdir="out")
            stack = TerraformStack(app, "probe")
            TimeProvider(stack, "time")
            Rotating(stack, "rotation", rotation_days=30)
            app.synth()
            """
        )
    )
    synth = subprocess.run([sys.executable, "main.py"], cwd=project, env=env, capture_output=True, text=True)
    assert synth.returncode == 0, synth.stderr
    stack_dir = project / "out" / "stacks" / "probe"
    stack = json.loads((stack_dir / "cdk.tf.json").read_text())
    assert stack["terraform"]["required_providers"]["time"] == {"source": "hashicorp/time", "version": "0.14.2"}
    diagnostics, _ = terraform_check.validate_stacks({"probe": stack}, newer_time_mirror, tmp_path / "validate")
    assert terraform_check.failures(diagnostics) == []
