"""Which Node runs the jsii kernel: the project's own, from node_modules (package-lock.json)."""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

NODE_BIN = Path(__file__).resolve().parent.parent / "node_modules" / ".bin"


def use_project_node(environ: MutableMapping[str, str] = os.environ) -> None:
    """Put node_modules/.bin first on PATH: jsii starts `node` from PATH, and only the project's
    Node 22 is supported (a machine's Node 20 prints an end-of-life banner, or worse). Call it before
    anything imports cdktf or a provider (that starts the kernel)."""
    if (NODE_BIN / "node").exists() and not environ.get("PATH", "").startswith(str(NODE_BIN)):
        environ["PATH"] = f"{NODE_BIN}{os.pathsep}{environ.get('PATH', '')}"
