"""What a person reads when the providers cannot be had: the real cause, once, and what to do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from proof.provider_mirror import _cause
from tests.helpers import ROOT

# `terraform providers mirror` of hashicorp/time 0.13.1 on a machine without the registry (Terraform 1.11.4,
# stderr as written to a pipe: colour codes and the diagnostic's box included).
REGISTRY_UNREACHABLE = (
    "\x1b[31m\x1b[31m╷\x1b[0m\x1b[0m\n"
    "\x1b[31m│\x1b[0m \x1b[0m\x1b[1m\x1b[31mError: \x1b[0m\x1b[0m\x1b[1mProvider not available\x1b[0m\n"
    "\x1b[31m│\x1b[0m \x1b[0m\n"
    "\x1b[31m│\x1b[0m \x1b[0m\x1b[0mFailed to download registry.terraform.io/hashicorp/time from its origin\n"
    "\x1b[31m│\x1b[0m \x1b[0mregistry: could not connect to registry.terraform.io: failed to request\n"
    "\x1b[31m│\x1b[0m \x1b[0mdiscovery document: Get\n"
    '\x1b[31m│\x1b[0m \x1b[0m"https://registry.terraform.io/.well-known/terraform.json": dial tcp:\n'
    "\x1b[31m│\x1b[0m \x1b[0mlookup registry.terraform.io on 10.255.255.53:53: no such host.\n"
    "\x1b[31m╵\x1b[0m\x1b[0m\n"
    "\x1b[0m\x1b[0m\n"
    "\x1b[31m\x1b[31m╷\x1b[0m\x1b[0m\n"
    "\x1b[31m│\x1b[0m \x1b[0m\x1b[1m\x1b[31mError: \x1b[0m\x1b[0m\x1b[1mFailed to update indexes\x1b[0m\n"
    "\x1b[31m╵\x1b[0m\x1b[0m\n"
)


def test_a_registry_failure_is_reported_by_terraform_s_own_first_error():
    assert _cause(REGISTRY_UNREACHABLE) == (
        "Error: Provider not available: Failed to download registry.terraform.io/hashicorp/time from its origin "
        "registry: could not connect to registry.terraform.io: failed to request discovery document: Get "
        '"https://registry.terraform.io/.well-known/terraform.json": dial tcp: lookup registry.terraform.io on '
        "10.255.255.53:53: no such host."
    )


def test_a_go_failure_is_its_last_line():
    assert _cause("go: downloading x\ngo: module lookup disabled by GOPROXY=off\n") == (
        "go: module lookup disabled by GOPROXY=off"
    )


def test_a_build_from_source_is_announced_once_and_a_failure_skips_with_one_short_line(tmp_path):
    """`make test` with Go on PATH and no providers: the build is said before it starts (past pytest's
    capture), and when it fails the real-provider tests skip with one line saying what to do."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "go").write_text("#!/bin/sh\necho 'go: module lookup disabled by GOPROXY=off' >&2\nexit 1\n")
    (fake / "go").chmod(0o755)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MLPLATFORM_")},
        "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}",
        "MLPLATFORM_PROVIDER_CACHE": str(tmp_path / "cache"),
        "MLPLATFORM_PROVIDER_SOURCE": "source",
    }
    test = "tests/test_real_providers.py::test_every_default_stack_validates"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-ra", "-p", "no:cacheprovider", test],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    announcements = [line for line in output.splitlines() if line.startswith("==> building")]
    assert announcements == [
        "==> building 6 pinned Terraform providers from their Go modules for the real-provider checks, once per "
        "machine (about 25 min on 2 cores); MLPLATFORM_PROVIDER_SOURCE=cache skips them, "
        "MLPLATFORM_PROVIDER_SOURCE=registry downloads them instead"
    ]
    skips = [line for line in output.splitlines() if line.startswith("SKIPPED")]
    assert len(skips) == 1 and len(skips[0]) < 500, skips
    assert "real-provider checks not run: 6 pinned providers missing (" in skips[0]
    assert "go: module lookup disabled by GOPROXY=off" in skips[0]
    assert "`make providers`" in skips[0] and "MLPLATFORM_REQUIRE_PROVIDERS=1 fails instead" in skips[0]
    assert Path(tmp_path / "cache").is_dir()
