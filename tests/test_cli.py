"""The documented commands from a plain shell: the real cdktf CLI from node_modules, signals, leftovers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import ROOT

CDKTF = ROOT / "node_modules" / ".bin" / "cdktf"
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def plain_shell(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A fresh user's environment: a new home, system folders on PATH, nothing of ours exported.

    Two things of the machine's are kept: its temp folder (TMPDIR, when set) and its jsii package cache
    (`jsii_package_cache`): in a new home jsii would unpack the provider packages (about 400 MB) again, on
    every run, into this test's folder."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    kept = {"TMPDIR": os.environ["TMPDIR"]} if os.environ.get("TMPDIR") else {}
    return {
        "HOME": str(home),
        "PATH": SYSTEM_PATH,
        "LANG": "C.UTF-8",
        "JSII_RUNTIME_PACKAGE_CACHE_ROOT": jsii_package_cache(),
        **kept,
        **extra,
    }


def jsii_package_cache() -> str:
    """Where jsii 1.x keeps unpacked packages for the user running the tests (JSII_RUNTIME_PACKAGE_CACHE_ROOT, or
    its defaultCacheRoot: ~/Library/Caches/com.amazonaws.jsii/package-cache on macOS, else
    ~/.cache/aws/jsii/package-cache; jsii/_embedded/jsii/lib/program.js)."""
    if os.environ.get("JSII_RUNTIME_PACKAGE_CACHE_ROOT"):
        return os.environ["JSII_RUNTIME_PACKAGE_CACHE_ROOT"]
    if sys.platform == "darwin":
        return str(Path.home() / "Library" / "Caches" / "com.amazonaws.jsii" / "package-cache")
    return str(Path.home() / ".cache" / "aws" / "jsii" / "package-cache")


def cdktf(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CDKTF), *args], cwd=ROOT, env=plain_shell(tmp_path, **extra), capture_output=True, text=True, timeout=600
    )


def stacks_in(outdir: Path) -> list[str]:
    return sorted(json.loads((outdir / "manifest.json").read_text())["stacks"])


@pytest.mark.skipif(not CDKTF.exists(), reason="node_modules is not installed")
def test_the_real_cli_synthesizes_all_then_one_environment_from_a_plain_shell(tmp_path):
    outdir = tmp_path / "cdktf.out"
    stale = tmp_path / ".cdktf.out.staging-999999-killed"  # left by a run killed with SIGKILL
    stale.mkdir()
    everything = cdktf(tmp_path, "synth", "--output", str(outdir))
    assert everything.returncode == 0, everything.stdout + everything.stderr
    assert len(stacks_in(outdir)) == 10
    assert not stale.exists()
    one = cdktf(tmp_path, "synth", "--output", str(outdir), MLPLATFORM_ENVIRONMENTS="dev")
    assert one.returncode == 0, one.stdout + one.stderr  # used to fail: ENOENT lstat ...staging-azure
    assert stacks_in(outdir) == [
        "mlplatform-dev-azure",
        "mlplatform-dev-databricks",
        "mlplatform-dev-serving",
        "mlplatform-tfc",
    ]
    assert sorted(p.name for p in (outdir / "stacks").iterdir()) == stacks_in(outdir)
    for result in (everything, one):
        output = result.stdout + result.stderr
        assert "checkpoint" not in output.lower() and "ENOTFOUND" not in output  # telemetry is off
        assert "Node 20 is end-of-life" not in output
        assert "DEP0044" not in output and "[ERROR]" not in output  # cdktf's util.isArray, silenced alone
        # written to a pipe (a file, a CI log): no spinner frames, no terminal escapes, a few plain lines
        assert "\x1b" not in output and len(output.splitlines()) < 40, output[:2000]
    assert [p.name for p in tmp_path.iterdir() if "staging" in p.name] == []


SPINNER = set("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
"""The frames of the CLI's spinner (cli-spinners "dots")."""


@pytest.mark.skipif(not CDKTF.exists(), reason="node_modules is not installed")
def test_a_diff_written_to_a_file_has_no_colour_and_no_redrawn_spinner(tmp_path):
    """`make diff > plan.txt`: the CLI's spinner redraws itself unless CI is set, and Terraform colours its
    plan unless told -no-color. The plan stops at `terraform init` here (an empty provider mirror, no
    registry), after the synthesis that drew the spinner; the output is what a file would hold."""
    import yaml

    from tests.helpers import deployable_text

    raw = yaml.safe_load(deployable_text())
    raw["environments"] = {"dev": raw["environments"]["dev"]}
    raw["state"] = {"backend": "local"}
    config = tmp_path / "dev.yaml"
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    (tmp_path / "mirror").mkdir()
    cli_config = tmp_path / "terraformrc"
    cli_config.write_text(
        f'provider_installation {{\n  filesystem_mirror {{\n    path = "{tmp_path / "mirror"}"\n  }}\n}}\n'
    )
    result = cdktf(
        tmp_path,
        "diff",
        "mlplatform-dev-azure",
        "--output",
        str(tmp_path / "cdktf.out"),
        MLPLATFORM_CONFIG=str(config),
        MLPLATFORM_ENVIRONMENTS="dev",
        TF_CLI_CONFIG_FILE=str(cli_config),
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "mlplatform-dev-azure" in output, output[:2000]
    assert "\x1b" not in output, output[:2000]
    frames = [line for line in output.splitlines() if SPINNER & set(line)]
    assert len(frames) <= 1, frames[:5]  # the renderer's last frame, printed once, not redrawn
    assert "DEP0044" not in output


@pytest.mark.skipif(not CDKTF.exists(), reason="node_modules is not installed")
def test_a_config_mistake_through_the_cli_exits_2_and_is_printed_once(tmp_path):
    config = tmp_path / "environments.yaml"
    config.write_text(
        (ROOT / "config" / "environments.yaml").read_text().replace("max_workers: 4\n", "max_workers: 010\n", 1)
    )
    result = cdktf(tmp_path, "synth", "--output", str(tmp_path / "cdktf.out"), MLPLATFORM_CONFIG=str(config))
    assert result.returncode == 2
    output = result.stdout + result.stderr
    assert output.count("'010' is ambiguous") == 1, output
    assert "Traceback" not in output and not (tmp_path / "cdktf.out").exists()


def _interrupt_synthesis(tmp_path: Path, temp: Path) -> tuple[int, str]:
    """Start `python main.py` with `temp` as the system's temp folder, send SIGTERM as soon as its staging folder
    exists; (exit code, stderr)."""
    outdir = tmp_path / "cdktf.out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLPLATFORM_")}
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py")],
        cwd=ROOT,
        env={**env, "CDKTF_OUTDIR": str(outdir), "TMPDIR": str(temp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".cdktf.out.staging-*")) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.005)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    return process.returncode, stderr


def test_sigterm_during_synthesis_leaves_nothing_behind_and_says_so_once(tmp_path):
    """Nothing in the output's folder, nor in the temp folder: the killed jsii kernel leaves its unpacked packages
    (jsii-kernel-*) and jsii its runtime script (tmp*) there unless the app removes them (app_runtime/staging.py)."""
    for attempt in range(3):  # on a very busy machine synthesis can win the race; then try again
        folder, temp = tmp_path / str(attempt), tmp_path / f"temp{attempt}"
        folder.mkdir()
        temp.mkdir()
        code, stderr = _interrupt_synthesis(folder, temp)
        if code != 0:
            break
    assert code == 128 + signal.SIGTERM, stderr
    assert stderr.strip().splitlines() == [
        "mlplatform: interrupted by SIGTERM; nothing was written to the output folder"
    ]
    assert list(folder.iterdir()) == [], [str(p) for p in folder.rglob("*")]
    assert list(temp.iterdir()) == [], [str(p) for p in temp.iterdir()]


def test_the_stop_handler_removes_the_staging_folder_and_exits_128_plus_the_signal(tmp_path, monkeypatch, capsys):
    import app_runtime.synthesis
    from app_runtime import staging as runtime

    staging = tmp_path / ".cdktf.out.staging-1-abcd"
    (staging / "stacks").mkdir(parents=True)
    stopped_kernels = []
    # this test session's own jsii kernel must survive: record the call instead
    monkeypatch.setattr(app_runtime.synthesis, "stop_kernel", lambda: stopped_kernels.append(True))
    monkeypatch.setattr(runtime, "_staging", staging)
    monkeypatch.setattr(runtime.os, "_exit", lambda code: (_ for _ in ()).throw(SystemExit(code)))
    with pytest.raises(SystemExit) as stopped:
        runtime.stop(signal.SIGINT, None)
    assert stopped.value.code == 130
    assert stopped_kernels == [True] and not staging.exists()
    assert capsys.readouterr().err == "mlplatform: interrupted by SIGINT; nothing was written to the output folder\n"
