"""Test session setup: Node 22 from node_modules first on PATH, one synthesis of the default app."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_NODE_BIN = ROOT / "node_modules" / ".bin"
if (_NODE_BIN / "node").exists() and not os.environ.get("PATH", "").startswith(str(_NODE_BIN)):
    # jsii starts `node` from PATH: use the project's supported Node, not whatever the machine has.
    os.environ["PATH"] = f"{_NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}"

from constructs_lib.providers import eager_requested, use_lazy_provider_packages  # noqa: E402

if not eager_requested(os.environ):
    use_lazy_provider_packages()  # before anything imports a provider, as main.py does

from config import load_config  # noqa: E402
from tests.helpers import synth_stacks  # noqa: E402


@pytest.fixture(scope="session")
def default_config():
    return load_config().config


@pytest.fixture(scope="session")
def default_stacks(default_config):
    """Every stack of the embedded default config, synthesized once for the whole session."""
    return synth_stacks(default_config)
