"""Synthesize an App, running every construct validation ourselves instead of cdktf's synth-time pass.

Why: cdktf's `CloudBackend` (and a few other constructs) add a validation that runs `terraform
version`, so `app.synth()` fails on a machine without Terraform although synthesis never runs it.
`make synth` must work on a fresh machine, and Terraform belongs to the machine that deploys (the
cdktf CLI checks it there). So the App is built with `skip_validation=True` and `synth()` below runs
the construct validations (ours included; `validate` says which) and fails on any error except "no
terraform binary here", which it returns as a note for the caller to show.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cdktf import App, TerraformStack

TERRAFORM_NOT_FOUND = "Could not determine version of terraform"


class ValidationFailed(Exception):
    """Construct validations failed; `errors` holds one '<construct path>: <message>' line each."""

    def __init__(self, errors: list[str]):
        super().__init__("Validation failed:\n" + "\n".join(errors))
        self.errors = errors


def stop_kernel() -> None:
    """Kill the jsii kernel (the Node process that does the synthesis) at once, if it runs.

    A stop signal interrupts Python while Node is still writing stack files; the kernel must be
    gone before the staging folder is removed, or it recreates files in it. jsii (1.x) keeps the
    process as `kernel.provider._process._process`, started on first use (importing cdktf loads its
    assembly, so it runs once cdktf is imported: only then is it looked at, never started here).
    If jsii ever keeps it elsewhere this does nothing, and the next run removes the staging folder
    as stale."""
    if "cdktf" not in sys.modules:
        return
    provider = getattr(getattr(sys.modules.get("jsii"), "kernel", None), "provider", None)
    process = getattr(getattr(provider, "_process", None), "_process", None)
    if isinstance(process, subprocess.Popen) and process.poll() is None:
        # jsii's runtime script starts the real runtime as a child process: kill that too, or it
        # goes on writing stack files for a moment after its parent is gone.
        children = _descendants(process.pid)
        process.kill()
        process.wait(timeout=10)
        for child in children:
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                continue
        deadline = time.monotonic() + 10
        while children and time.monotonic() < deadline:
            children = [c for c in children if _alive(c)]
            time.sleep(0.01)


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` (Linux /proc; empty elsewhere), children first."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: list[int] = []
    queue = [pid]
    while queue:
        for child in parents.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def _alive(pid: int) -> bool:
    """Whether `pid` still runs (a zombie counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def new_app(outdir: str) -> App:
    return App(outdir=outdir, stack_traces=False, skip_validation=True)


def _kind(stack: TerraformStack) -> tuple[str, str]:
    """What a stack's construct validations depend on: its layer (the last part of its id: every stack of a layer
    is built by one class from the same constructs) and its backend's class."""
    backend = stack.node.try_find_child("backend")
    return stack.node.id.rsplit("-", 1)[-1], type(backend).__name__


def validate(app: App) -> list[str]:
    """Run the construct validations; raise ValidationFailed, or return notes about Terraform.

    Every stack's own validations run (cdktf's: each resource's provider is in the stack). Every construct's run
    for the first stack of each kind (`_kind`): the construct-level validations cdktf adds (the backend's, import
    and move blocks' `terraform version` checks, a process each) are the same checks of the same local binary in
    every stack of a kind, and with a hundred projects they would cost a process per stack (docs/performance.md)."""
    errors, notes, seen = [], set(), set()
    for child in app.node.children:
        if not isinstance(child, TerraformStack):
            continue
        kind = _kind(child)
        constructs = child.node.find_all() if kind not in seen else [child]
        seen.add(kind)
        for construct in constructs:
            for message in construct.node.validate():
                if message.startswith(TERRAFORM_NOT_FOUND):
                    notes.add("terraform is not on PATH: synthesis does not need it, `cdktf deploy` does (>= 1.5)")
                else:
                    errors.append(f"{construct.node.path}: {message}")
    if errors:
        raise ValidationFailed(errors)
    return sorted(notes)


def synth(app: App) -> list[str]:
    """Validate, then write the app's stacks; returns the notes of `validate`."""
    notes = validate(app)
    app.synth()
    return notes
