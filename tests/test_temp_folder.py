"""`make test` leaves the system's temp folder as it found it.

A full run used to leave about 450 MB there (measured: 467 MB): every test's tmp_path (pytest keeps them all by
default), a fresh home's jsii package cache (398 MB, tests/test_cli.py), what a killed synthesis's jsii kernel
could not remove, a config folder made at import, checkov's parser cache. Now: tmp_path goes when its test passes
(pytest.ini), each creator removes what it makes, and the processes a session starts get one temp folder of the
session's own, removed at exit (tests/conftest.py).
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers import ROOT

SELECTION = [
    "tests/constructs/test_secret_scope.py",  # cdktf's Testing.app(): a cdktf.outdir.* folder per bare stack
    "tests/test_cli.py::test_sigterm_during_synthesis_leaves_nothing_behind_and_says_so_once",  # a killed kernel
    "tests/test_scan.py::test_scan_fails_on_a_planted_insecure_vault",  # checkov; tmp_path; the session synthesis
    "tests/test_makefile.py::test_make_help_lists_every_target_a_person_runs",  # a config folder made at import
]
"""Tests that write to the temp folder in each of the ways the suite does, in one session."""


def test_a_test_session_leaves_the_temp_folder_as_it_found_it(tmp_path):
    temp = tmp_path / "temp"
    temp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SELECTION],
        cwd=ROOT,
        env={**env, "TMPDIR": str(temp)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "passed" in result.stdout and "skipped" not in result.stdout, result.stdout[-2000:]
    assert sorted(str(path.relative_to(temp)) for path in temp.rglob("*")) == []
