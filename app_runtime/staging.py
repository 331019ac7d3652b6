"""How a synthesis reaches the output folder without ever leaving it half-written.

Synthesis writes into a staging folder next to the output folder; only once it has succeeded are
its files moved into the output folder (`publish`). SIGINT/SIGTERM/SIGHUP remove the staging folder
and print one line (`stop`); a staging folder left by a killed run (SIGKILL) is removed by the next
run (`remove_stale_staging`). main.py only calls `handle_stop_signals` and `synthesize`.

The app's own command also gives itself and its jsii kernel one temp folder (`use_own_temp_folder`),
removed at exit and by a stop signal: a kernel killed mid-synthesis cannot remove what it put there.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cdktf import App

STAGING_MARK = ".staging-"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_staging: Path | None = None
"""The staging folder of the synthesis in progress: what a stop signal must remove."""
_published = False
"""True once the output folder is complete (a stop signal held back during publishing says so)."""
_handling = False
"""True once `handle_stop_signals` installed `stop`: the process is the app's own command."""
_own_temp: Path | None = None
"""The temp folder of this process and its jsii kernel (`use_own_temp_folder`): what a stop signal removes."""


def stop(signum: int, _frame: object) -> None:
    """SIGINT/SIGTERM/SIGHUP: stop the kernel, remove the staging folder and the app's temp folder, say so
    in one line, exit 128 + signal.

    Done here, not by raising into the interrupted code: a jsii call in progress would turn an
    exception into a kernel error or swallow it, and cleanup could be skipped."""
    if _staging is not None or _own_temp is not None:
        from app_runtime.synthesis import stop_kernel

        stop_kernel()  # Node may still be writing stack files into the staging folder, or its own temp files
    if _staging is not None:
        for _ in range(50):  # a file system may lag behind the killed writer for a moment
            shutil.rmtree(_staging, ignore_errors=True)
            if not _staging.exists():
                break
            time.sleep(0.02)
    if _own_temp is not None:
        shutil.rmtree(_own_temp, ignore_errors=True)  # os._exit below skips the atexit removal
    name = signal.Signals(signum).name
    outcome = "the output folder is complete" if _published else "nothing was written to the output folder"
    print(f"mlplatform: interrupted by {name}; {outcome}", file=sys.stderr, flush=True)
    os._exit(128 + signum)  # no interpreter teardown: the jsii kernel may be half-way through a call


def handle_stop_signals() -> None:
    """Make `stop` the handler of every stop signal (the app's command does this first thing)."""
    global _handling
    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, stop)
    _handling = True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def use_own_temp_folder() -> None:
    """In the app's own command (`handle_stop_signals` ran) and before the jsii kernel starts: make a temp
    folder of this process (`mlplatform-app-<pid>-*` in the system's) the temp folder of Python (tempfile:
    jsii copies its runtime script there) and of the kernel (TMPDIR: Node's os.tmpdir, where the kernel
    unpacks packages into `jsii-kernel-*`), and remove it at exit, after jsii has stopped the kernel (atexit
    runs last what was registered first). jsii removes both itself on a normal exit; a stop signal kills the
    kernel (stop_kernel), which then cannot, so `stop` removes the folder. Elsewhere (tests, tools that
    synthesize in-process) nothing changes."""
    global _own_temp
    if not _handling or _own_temp is not None or "cdktf" in sys.modules:  # not ours, done, or kernel started
        return
    _own_temp = Path(tempfile.mkdtemp(prefix=f"mlplatform-app-{os.getpid()}-"))
    atexit.register(shutil.rmtree, _own_temp, True)
    tempfile.tempdir = str(_own_temp)
    os.environ["TMPDIR"] = str(_own_temp)


def remove_stale_staging(outdir: Path) -> None:
    """Remove staging folders of runs that no longer exist (killed before they could clean up)."""
    for folder in outdir.parent.glob(f".{outdir.name}{STAGING_MARK}*"):
        pid = folder.name.removeprefix(f".{outdir.name}{STAGING_MARK}").split("-", 1)[0]
        if not pid.isdigit() or not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def publish(staging: Path, outdir: Path, *, remove_orphans: bool) -> None:
    """Move a finished synthesis into `outdir`, keeping Terraform's own files (.terraform, locks)."""
    for source in sorted(staging.rglob("*")):
        if source.is_file():
            target = outdir / source.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
    if not remove_orphans:
        return  # the cdktf CLI removes stacks no longer configured, and fails if they are gone already
    stacks = outdir / "stacks"
    fresh = {p.name for p in (staging / "stacks").iterdir()} if (staging / "stacks").is_dir() else set()
    for orphan in stacks.iterdir() if stacks.is_dir() else ():
        if orphan.is_dir() and orphan.name not in fresh:
            shutil.rmtree(orphan)  # a stack no longer configured, as `cdktf synth` does


def synthesize(build: Callable[[App], None], outdir: Path, *, under_cli: bool = False) -> None:
    """Start the jsii kernel with the project's Node and lazy provider packages, `build` an App in a
    staging folder, validate and synthesize it, and publish it into `outdir`.

    `build` imports the stacks (and so the providers) itself: only after the config is known good
    and the provider loading is set up here. Notes about Terraform are printed unless the cdktf CLI
    runs the app (`under_cli`: it reports a missing terraform itself)."""
    from app_runtime.node import use_project_node

    use_project_node()  # before anything starts the jsii kernel
    use_own_temp_folder()
    from app_runtime.provider_loading import eager_requested, use_lazy_provider_packages

    if not eager_requested(os.environ):
        use_lazy_provider_packages()
    from app_runtime.synthesis import new_app, synth

    global _staging, _published
    outdir.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(outdir)
    # Named before it exists, so that a signal arriving at any point finds it to remove.
    staging = outdir.parent / f".{outdir.name}{STAGING_MARK}{os.getpid()}-{os.urandom(4).hex()}"
    _staging = staging
    staging.mkdir()
    try:
        app = new_app(str(staging))
        build(app)
        for note in synth(app):
            if not under_cli:
                print(f"note: {note}", file=sys.stderr)
        # Publishing is short and must not be cut in half: stop signals wait until it is done.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            publish(staging, outdir, remove_orphans=not under_cli)
            _published = True
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        _staging = None
    if _handling:  # the output is complete: nothing left to interrupt while Python exits
        for stop_signal in STOP_SIGNALS:
            signal.signal(stop_signal, signal.SIG_IGN)
