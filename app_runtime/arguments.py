"""main.py's command line: the options it has, and one `error:` line with exit 2 for anything else.

Before this parser, main.py ignored what it did not know, so `python main.py --help` ran a synthesis.
"""

from __future__ import annotations

import argparse
from typing import NoReturn

from config.naming import LAYERS

EXIT_USAGE = 2
"""The exit status of a bad option, the same as a config mistake's."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"error: main.py: {message} (python main.py --help lists the options)\n")


def parse(argv: list[str], description: str) -> argparse.Namespace:
    """The options of `argv` (`--check`, `--quiet`, `--deploying`, `--environments`, `--stacks [LAYER ...]`,
    `--bootstrap-stack`); `--help` prints them and exits 0, an unknown one exits 2 (SystemExit)."""
    parser = _Parser(
        prog="main.py",
        description=description,
        epilog="With no option: synthesize the selected environments' stacks into $CDKTF_OUTDIR (cdktf sets it) or "
        "cdktf.out/. MLPLATFORM_CONFIG names the config file (default: config/environments.yaml), "
        "MLPLATFORM_ENVIRONMENTS selects environments (e.g. dev,prod).",
    )
    parser.add_argument("--check", action="store_true", help="validate the config only")
    parser.add_argument("--quiet", action="store_true", help="with --check: print nothing when valid")
    parser.add_argument("--deploying", action="store_true", help="with --check: also refuse the placeholders")
    parser.add_argument("--environments", action="store_true", help="print the selected environments, in order")
    parser.add_argument("--stacks", nargs="*", choices=LAYERS, metavar="LAYER", help="print the stack ids (of LAYER)")
    parser.add_argument("--bootstrap-stack", action="store_true", help="print the bootstrap stack's id")
    return parser.parse_args(argv)
