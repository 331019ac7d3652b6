"""Test session setup: Node 22 from node_modules first on PATH, one synthesis of the default app."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app_runtime.node import use_project_node  # noqa: E402
from app_runtime.provider_loading import eager_requested, use_lazy_provider_packages  # noqa: E402

use_project_node()  # as main.py does, before anything starts the jsii kernel

if not eager_requested(os.environ):
    use_lazy_provider_packages()  # before anything imports a provider, as main.py does

from config import load_config  # noqa: E402
from tests.helpers import read_stacks, synth_into  # noqa: E402


@pytest.fixture(scope="session")
def default_config():
    return load_config().config


@pytest.fixture(scope="session")
def default_outdir(default_config, tmp_path_factory):
    """The embedded default config synthesized once for the whole session (a cdktf.out/ folder)."""
    outdir = tmp_path_factory.mktemp("cdktf.out")
    synth_into(default_config, outdir)
    return outdir


@pytest.fixture(scope="session")
def default_stacks(default_outdir):
    """Every stack of the default synthesis, parsed: stack id -> cdk.tf.json."""
    return read_stacks(default_outdir)


_BYTE_IDENTITY_TEST = "test_output_is_byte_identical_with_and_without_lazy_loading"
_background: dict = {}


def pytest_collection_finish(session):
    """Start the two subprocess syntheses of the lazy-vs-eager test now, so they overlap the suite."""
    if any(item.name == _BYTE_IDENTITY_TEST for item in session.items):
        from tests.test_providers import start_lazy_and_eager_syntheses

        outdir = Path(tempfile.mkdtemp(prefix="mlplatform-lazy-vs-eager-"))
        _background.update(outdir=outdir, runs=start_lazy_and_eager_syntheses(outdir))


def _cdktf_temp_folders() -> set[Path]:
    """The `cdktf.outdir.*` folders the cdktf test helpers (Testing.app) leave in the temp folder."""
    return set(Path(tempfile.gettempdir()).glob("cdktf.outdir.*"))


_TEMP_BEFORE = _cdktf_temp_folders()


def pytest_sessionfinish(session):
    # Tests clean up what they create: cdktf's Testing.app() makes one folder per bare stack.
    for folder in _cdktf_temp_folders() - _TEMP_BEFORE:
        shutil.rmtree(folder, ignore_errors=True)
    for process in _background.get("runs", {}).values():
        if process.poll() is None:
            process.kill()
        process.communicate()
    if "outdir" in _background:
        shutil.rmtree(_background["outdir"], ignore_errors=True)


@pytest.fixture(scope="session")
def lazy_and_eager_syntheses():
    assert _background, "started by pytest_collection_finish"
    return _background["outdir"], _background["runs"]
