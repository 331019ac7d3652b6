"""actionlint at a pinned release, built from its Go module into the cache folder, then run.

`python -m proof.actionlint <workflow.yml>...` (make lint-workflows, and tests/test_workflows.py):
builds `github.com/rhysd/actionlint/cmd/actionlint@ACTIONLINT_VERSION` once per machine into
`<cache>/proof/actionlint-<version>/` (the cache of proof/provider_mirror.py, outside the checkout;
about 10 s warm Go cache), then runs it on the files with nothing suppressed. actionlint runs
shellcheck on `run:` scripts when `shellcheck` is on PATH (Debian: `apt-get install shellcheck`).
Exit status: actionlint's (0 clean, 1 problems), or 2 when it cannot be built.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from proof import provider_mirror

ACTIONLINT_MODULE = "github.com/rhysd/actionlint/cmd/actionlint"
ACTIONLINT_VERSION = "v1.7.12"


class ToolUnavailable(Exception):
    """The tool could not be built; the message says why."""


def actionlint_binary() -> Path:
    """The pinned actionlint, built on first use."""
    folder = provider_mirror.cache_root().parent / "tools" / f"actionlint-{ACTIONLINT_VERSION}"
    binary = folder / "actionlint"
    if binary.is_file():
        return binary
    go = shutil.which("go")
    if go is None:
        raise ToolUnavailable(f"building actionlint {ACTIONLINT_VERSION} needs the Go toolchain (`go`) on PATH")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mlplatform-actionlint-") as gobin:
        result = subprocess.run(
            [go, "install", f"{ACTIONLINT_MODULE}@{ACTIONLINT_VERSION}"],
            env={**os.environ, "GOBIN": gobin, "CGO_ENABLED": "0", "GOFLAGS": "-trimpath"},
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            lines = result.stderr.strip().splitlines() or ["no output"]
            raise ToolUnavailable(f"go install {ACTIONLINT_MODULE}@{ACTIONLINT_VERSION} failed: {lines[-1]}")
        partial = folder / ".actionlint.partial"
        shutil.copy2(Path(gobin) / "actionlint", partial)
        partial.rename(binary)
    return binary


def run(paths: list[str]) -> subprocess.CompletedProcess:
    """actionlint on `paths`, one `file:line:col: message [kind]` line per problem."""
    return subprocess.run(
        [
            str(actionlint_binary()),
            "-no-color",
            "-format",
            "{{range $err := .}}{{$err.Filepath}}:{{$err.Line}}:"
            "{{$err.Column}}: {{$err.Message}} [{{$err.Kind}}]\n{{end}}",
            *paths,
        ],
        capture_output=True,
        text=True,
    )


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m proof.actionlint <workflow.yml>...", file=sys.stderr)
        return 2
    try:
        result = run(argv)
    except ToolUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
