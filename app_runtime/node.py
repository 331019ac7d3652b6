"""Which Node runs the jsii kernel: the project's own, from node_modules (package-lock.json)."""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

NODE_BIN = Path(__file__).resolve().parent.parent / "node_modules" / ".bin"
SILENCED_WARNING = "--disable-warning=DEP0044"
"""cdktf 0.21.0 calls `util.isArray` (lib/terraform-output.js, TerraformOutput.isITerraformAddressable), which
Node 22 reports as deprecation DEP0044 on every synthesis that has an output, and the cdktf CLI relays the
kernel's stderr as `[ERROR]`. cdktf is archived, so the call stays: only that one warning is silenced
(Node's --disable-warning, in NODE_OPTIONS for the kernel), every other warning still prints."""


def use_project_node(environ: MutableMapping[str, str] = os.environ) -> None:
    """Put node_modules/.bin first on PATH: jsii starts `node` from PATH, and only the project's
    Node 22 is supported (a machine's Node 20 prints an end-of-life banner, or worse); and silence
    SILENCED_WARNING, keeping any NODE_OPTIONS already set. Call it before anything imports cdktf or a
    provider (that starts the kernel)."""
    if (NODE_BIN / "node").exists() and not environ.get("PATH", "").startswith(str(NODE_BIN)):
        environ["PATH"] = f"{NODE_BIN}{os.pathsep}{environ.get('PATH', '')}"
    options = environ.get("NODE_OPTIONS", "")
    if SILENCED_WARNING not in options.split():
        environ["NODE_OPTIONS"] = f"{options} {SILENCED_WARNING}".strip()
