#!/usr/bin/env python
"""mlplatform-cdktf: load the config, build the App, synthesize. Nothing else.

Config problems exit with status 2 and one line each, before any provider is imported. Synthesis
leaves an existing output folder as it was until it has succeeded, and a stop signal removes what
it started (app_runtime/staging.py: staging folder, stop signals, publishing).

    python main.py                     # synthesize into $CDKTF_OUTDIR (cdktf sets it) or cdktf.out/
    python main.py --check [--quiet] [--deploying]   # validate the config only (--deploying: and refuse
                                       # the embedded default's placeholders, as every deploying target does)
    python main.py --environments      # print the names of the selected environments, in order
    python main.py --stacks [LAYER]    # print the stack ids of the selected environments (and projects)
    python main.py --bootstrap-stack   # print the Terraform Cloud bootstrap stack's id

Provider packages load lazily (only the modules used; see app_runtime/provider_loading.py) unless
MLPLATFORM_EAGER_PROVIDERS=1.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from app_runtime import staging
from app_runtime.arguments import parse as arguments_of
from config import ConfigError, has_bootstrap, load_from_environment
from config.naming import bootstrap_stack_id, stack_ids

EXIT_CONFIG_ERROR = 2
# The cdktf CLI sets this for the app it runs; it then removes stacks no longer synthesized itself.
CLI_MARKER = "CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS"


def _listed(config) -> list[str]:
    """Each environment's name, with its projects: `dev`, `staging (churn, fraud)`."""
    listed = []
    for environment in config.per_environment(config.environments):
        projects = [e.project for e in config.projects_of(environment.name) if e.project]
        listed.append(f"{environment.name} ({', '.join(projects)})" if projects else environment.name)
    return listed


def main(argv: list[str]) -> int:
    arguments = arguments_of(argv, description=__doc__.split("\n\n")[0])
    try:
        loaded = load_from_environment()
    except ConfigError as error:
        for line in error.problems:
            print(f"error: {line}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    for line in loaded.warnings:
        print(f"warning: {line}", file=sys.stderr)
    config = loaded.config
    if arguments.check:
        placeholders = loaded.placeholders() if arguments.deploying else []
        for line in placeholders:
            print(f"error: {line}", file=sys.stderr)
        if placeholders:
            return EXIT_CONFIG_ERROR
        if not arguments.quiet:
            print(f"{loaded.source}: valid ({', '.join(_listed(config))})")
        return 0
    if arguments.environments:
        print("\n".join(e.name for e in config.per_environment(config.environments)))
        return 0
    if arguments.stacks is not None:
        layers = arguments.stacks or None
        for environment in config.environments:
            for layer, stack in stack_ids(config.prefix, environment.label).items():
                if layers is None or layer in layers:
                    print(stack)
        return 0
    if arguments.bootstrap_stack:
        if not has_bootstrap(config):
            print(
                "error: no bootstrap stack: it needs state.backend 'cloud' with a 'bootstrap' section", file=sys.stderr
            )
            return EXIT_CONFIG_ERROR
        print(bootstrap_stack_id(config.prefix))
        return 0

    def build(app) -> None:
        from stacks.app import build_app  # imports the providers: only after the config is known good

        build_app(app, config)

    outdir = Path(os.environ.get("CDKTF_OUTDIR") or "cdktf.out")
    staging.synthesize(build, outdir, under_cli=CLI_MARKER in os.environ)
    return 0


if __name__ == "__main__":
    staging.handle_stop_signals()
    sys.exit(main(sys.argv[1:]))
