#!/usr/bin/env python
"""mlplatform-cdktf: load the config, build the App, synthesize. Nothing else.

Config problems exit with status 2 and one line each, before any provider is imported, and an
existing output folder is left exactly as it was: synthesis writes into a staging folder that
is merged into the output folder only once it has succeeded. SIGINT/SIGTERM remove the staging
folder and print one line; a staging folder left by a killed run (SIGKILL) is removed next time.

    python main.py                     # synthesize into $CDKTF_OUTDIR (cdktf sets it) or cdktf.out/
    python main.py --check [--quiet]   # validate the config only
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
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

from config import ConfigError, PlatformConfig, has_bootstrap, load_from_environment

EXIT_CONFIG_ERROR = 2
STAGING_MARK = ".staging-"
# The cdktf CLI sets this for the app it runs; it then removes stacks no longer synthesized itself.
CLI_MARKER = "CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS"


class Interrupted(Exception):
    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_interrupted(signum: int, _frame: object) -> None:
    raise Interrupted(signum)


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


def use_project_node(environ: MutableMapping[str, str] = os.environ) -> None:
    """Put node_modules/.bin first on PATH: jsii starts `node` from PATH, and only the project's
    Node 22 is supported (a machine's Node 20 prints an end-of-life banner, or worse)."""
    node_bin = Path(__file__).resolve().parent / "node_modules" / ".bin"
    if (node_bin / "node").exists() and not environ.get("PATH", "").startswith(str(node_bin)):
        environ["PATH"] = f"{node_bin}{os.pathsep}{environ.get('PATH', '')}"


def synthesize(config: PlatformConfig, outdir: Path, *, under_cli: bool = False) -> None:
    use_project_node()  # before anything starts the jsii kernel
    from app_runtime.provider_loading import eager_requested, use_lazy_provider_packages

    if not eager_requested(os.environ):
        use_lazy_provider_packages()
    from app_runtime.synthesis import new_app, synth
    from stacks.app import build_app  # imports the providers: only after the config is known good

    outdir.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(outdir)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}{STAGING_MARK}{os.getpid()}-", dir=outdir.parent))
    try:
        app = new_app(str(staging))
        build_app(app, config)
        for note in synth(app):
            if not under_cli:  # the cdktf CLI reports a missing terraform itself
                print(f"note: {note}", file=sys.stderr)
        publish(staging, outdir, remove_orphans=not under_cli)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


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
    if "--stacks" in argv:
        from stacks.naming import stack_ids

        layers = argv[argv.index("--stacks") + 1 :] or None
        for environment in config.environments:
            for layer, stack in stack_ids(config.prefix, environment.name).items():
                if layers is None or layer in layers:
                    print(stack)
        return 0
    if "--bootstrap-stack" in argv:
        from stacks.naming import bootstrap_stack_id

        if not has_bootstrap(config):
            print(
                "error: no bootstrap stack: it needs state.backend 'cloud' with a 'bootstrap' section", file=sys.stderr
            )
            return EXIT_CONFIG_ERROR
        print(bootstrap_stack_id(config.prefix))
        return 0
    outdir = Path(os.environ.get("CDKTF_OUTDIR") or "cdktf.out")
    synthesize(config, outdir, under_cli=CLI_MARKER in os.environ)
    return 0


if __name__ == "__main__":
    for _signal in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(_signal, _raise_interrupted)
    try:
        sys.exit(main(sys.argv[1:]))
    except Interrupted as stop:
        print(f"mlplatform: interrupted by {stop}; nothing was written to the output folder", file=sys.stderr)
        os._exit(128 + stop.signum)  # skip interpreter teardown: the jsii kernel may be gone already
