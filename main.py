#!/usr/bin/env python
"""mlplatform-cdktf: load the config, build the App, synthesize. Nothing else.

Config problems exit with status 2 and one line each, before any provider is imported, and an
existing output folder is left exactly as it was: synthesis writes into a staging folder that
is merged into the output folder only once it has succeeded.

    python main.py           # synthesize into $CDKTF_OUTDIR (cdktf sets it) or cdktf.out/
    python main.py --check   # validate the config only

Provider packages load lazily (only the modules used; see constructs_lib/providers.py) unless
MLPLATFORM_EAGER_PROVIDERS=1.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from config import ConfigError, PlatformConfig, load_from_environment

EXIT_CONFIG_ERROR = 2


def publish(staging: Path, outdir: Path) -> None:
    """Move a finished synthesis into `outdir`, keeping Terraform's own files (.terraform, locks)."""
    for source in sorted(staging.rglob("*")):
        if source.is_file():
            target = outdir / source.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
    stacks = outdir / "stacks"
    fresh = {p.name for p in (staging / "stacks").iterdir()} if (staging / "stacks").is_dir() else set()
    for orphan in stacks.iterdir() if stacks.is_dir() else ():
        if orphan.is_dir() and orphan.name not in fresh:
            shutil.rmtree(orphan)  # a stack no longer configured, as `cdktf synth` does


def synthesize(config: PlatformConfig, outdir: Path) -> None:
    from constructs_lib.providers import eager_requested, use_lazy_provider_packages

    if not eager_requested(os.environ):
        use_lazy_provider_packages()
    from cdktf import App

    from stacks import build_app  # imports the providers: only after the config is known good

    outdir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.staging-", dir=outdir.parent))
    try:
        app = App(outdir=str(staging), stack_traces=False)
        build_app(app, config)
        app.synth()
        publish(staging, outdir)
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
    if "--check" in argv:
        names = ", ".join(e.name for e in loaded.config.environments)
        print(f"{loaded.source}: valid ({names})")
        return 0
    synthesize(loaded.config, Path(os.environ.get("CDKTF_OUTDIR") or "cdktf.out"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
