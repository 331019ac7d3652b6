#!/usr/bin/env python
"""mlplatform-cdktf: load the config, build the App, synthesize. Nothing else.

Config problems exit with status 2 and one line each, before any provider is imported, and an
existing output folder is left exactly as it was: synthesis writes into a staging folder that
is merged into the output folder only once it has succeeded. SIGINT/SIGTERM remove the staging
folder and print one line; a staging folder left by a killed run (SIGKILL) is removed next time.

    python main.py                     # synthesize into $CDKTF_OUTDIR (cdktf sets it) or cdktf.out/
    python main.py --check [--quiet]   # validate the config only
    python main.py --environments      # print the names of the selected environments, in order
    python main.py --stacks [LAYER]    # print the stack ids of the selected environments
    python main.py --bootstrap-stack   # print the Terraform Cloud bootstrap stack's id

Provider packages load lazily (only the modules used; see app_runtime/provider_loading.py) unless
MLPLATFORM_EAGER_PROVIDERS=1.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from pathlib import Path

from config import ConfigError, PlatformConfig, has_bootstrap, load_from_environment

EXIT_CONFIG_ERROR = 2
STAGING_MARK = ".staging-"
# The cdktf CLI sets this for the app it runs; it then removes stacks no longer synthesized itself.
CLI_MARKER = "CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS"


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_staging: Path | None = None
"""The staging folder of the synthesis in progress: what a stop signal must remove."""
_published = False
"""True once the output folder is complete (a stop signal held back during publishing says so)."""


def _stop(signum: int, _frame: object) -> None:
    """SIGINT/SIGTERM/SIGHUP: remove the staging folder, say so in one line, exit 128 + signal.

    Done here, not by raising into the interrupted code: a jsii call in progress would turn an
    exception into a kernel error or swallow it, and cleanup could be skipped."""
    if _staging is not None:
        from app_runtime.synthesis import stop_kernel

        stop_kernel()  # Node may still be writing stack files into the staging folder
        for _ in range(50):  # a file system may lag behind the killed writer for a moment
            shutil.rmtree(_staging, ignore_errors=True)
            if not _staging.exists():
                break
            time.sleep(0.02)
    name = signal.Signals(signum).name
    outcome = "the output folder is complete" if _published else "nothing was written to the output folder"
    print(f"mlplatform: interrupted by {name}; {outcome}", file=sys.stderr, flush=True)
    os._exit(128 + signum)  # no interpreter teardown: the jsii kernel may be half-way through a call


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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


def synthesize(config: PlatformConfig, outdir: Path, *, under_cli: bool = False) -> None:
    from app_runtime.node import use_project_node

    use_project_node()  # before anything starts the jsii kernel
    from app_runtime.provider_loading import eager_requested, use_lazy_provider_packages

    if not eager_requested(os.environ):
        use_lazy_provider_packages()
    from app_runtime.synthesis import new_app, synth
    from stacks.app import build_app  # imports the providers: only after the config is known good

    global _staging, _published
    outdir.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(outdir)
    # Named before it exists, so that a signal arriving at any point finds it to remove.
    staging = outdir.parent / f".{outdir.name}{STAGING_MARK}{os.getpid()}-{os.urandom(4).hex()}"
    _staging = staging
    staging.mkdir()
    try:
        app = new_app(str(staging))
        build_app(app, config)
        for note in synth(app):
            if not under_cli:  # the cdktf CLI reports a missing terraform itself
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


def main(argv: list[str]) -> int:
    try:
        loaded = load_from_environment()
    except ConfigError as error:
        for line in error.problems:
            print(f"error: {line}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    for line in loaded.warnings:
        print(f"warning: {line}", file=sys.stderr)
    config = loaded.config
    if "--check" in argv:
        if "--quiet" not in argv:
            print(f"{loaded.source}: valid ({', '.join(e.name for e in config.environments)})")
        return 0
    if "--environments" in argv:
        print("\n".join(e.name for e in config.environments))
        return 0
    if "--stacks" in argv:
        from config.naming import LAYERS, stack_ids

        layers = argv[argv.index("--stacks") + 1 :] or None
        unknown = sorted(set(layers or ()) - set(LAYERS))
        if unknown:
            print(f"error: unknown layer {unknown[0]!r}; the layers are {', '.join(LAYERS)}", file=sys.stderr)
            return EXIT_CONFIG_ERROR
        for environment in config.environments:
            for layer, stack in stack_ids(config.prefix, environment.name).items():
                if layers is None or layer in layers:
                    print(stack)
        return 0
    if "--bootstrap-stack" in argv:
        from config.naming import bootstrap_stack_id

        if not has_bootstrap(config):
            print(
                "error: no bootstrap stack: it needs state.backend 'cloud' with a 'bootstrap' section", file=sys.stderr
            )
            return EXIT_CONFIG_ERROR
        print(bootstrap_stack_id(config.prefix))
        return 0
    outdir = Path(os.environ.get("CDKTF_OUTDIR") or "cdktf.out")
    synthesize(config, outdir, under_cli=CLI_MARKER in os.environ)
    for stop in STOP_SIGNALS:  # the output is complete: nothing left to interrupt while Python exits
        signal.signal(stop, signal.SIG_IGN)
    return 0


if __name__ == "__main__":
    for _signal in STOP_SIGNALS:
        signal.signal(_signal, _stop)
    sys.exit(main(sys.argv[1:]))
