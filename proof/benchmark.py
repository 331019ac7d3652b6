"""`make bench`: synthesis time and peak memory, stock imports vs lazy provider loading, in one run.

Every measurement is a fresh `python main.py` subprocess (import + synth, as `cdktf synth` runs
it), timed with perf_counter; peak RSS is the largest resident set of that process tree as the
kernel reports it to wait4 (the Node jsii kernel included). Each figure is the median of --runs.
Reported as ratios, since absolute seconds depend on the machine.

    python -m proof.benchmark [--runs 3]      (make bench; make bench BENCH_RUNS=5)

Each run is reported as it finishes, so a long benchmark never looks hung.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "config" / "environments.yaml"


def generated_config(count: int, folder: Path) -> Path:
    """A config with `count` environments cloned from the default dev environment."""
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    template = raw["environments"]["dev"]
    environments = {}
    for index in range(1, count + 1):
        env = copy.deepcopy(template)
        env["tier"] = "dev"
        env["azure"]["key_vault"]["name"] = f"kv-mlplat-b{index:02d}-0000"
        env["databricks"]["serving"]["name"] = f"mlplatform-b{index:02d}-churn"
        # names that must be unique across environments (config/root.py)
        env["azure"]["resource_group"]["name"] = f"rg-mlplatform-b{index:02d}"
        env["databricks"]["workspace"]["host"] = f"https://adb-{index:016d}.11.azuredatabricks.net"
        # one workspace per environment: a resource id has one host (config/uniqueness.py)
        env["databricks"]["workspace"]["resource_id"] = env["databricks"]["workspace"]["resource_id"].replace(
            "dbw-mlplatform-dev", f"dbw-mlplatform-b{index:02d}"
        )
        environments[f"b{index:02d}"] = env
    raw["environments"] = environments
    path = folder / f"bench-{count}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def measure(env_overrides: dict[str, str], outdir: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one `python main.py` run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLPLATFORM_")}
    env.update(env_overrides, CDKTF_OUTDIR=str(outdir))
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py")], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark run failed: {stderr}")
    return elapsed, usage.ru_maxrss


def stack_count(folder: Path, label: str) -> int:
    return len(json.loads((folder / f"{label}-warm-up" / "manifest.json").read_text())["stacks"])


def progress(line: str) -> None:
    print(f"  {line}", flush=True)


def medians(runs: int, variants: dict[str, dict[str, str]], folder: Path) -> dict[str, tuple[float, int]]:
    """Median (wall, peak RSS) per variant: one untimed warm-up each, then the variants interleaved
    run by run, so that drift on a busy machine affects every variant alike."""
    for label, env in variants.items():
        seconds, _ = measure(env, folder / f"{label}-warm-up")
        progress(f"warm-up {label}: {seconds:.2f} s")
    results: dict[str, list[tuple[float, int]]] = {label: [] for label in variants}
    for run in range(runs):
        for label, env in variants.items():
            results[label].append(measure(env, folder / f"{label}-{run}"))
            progress(
                f"run {run + 1}/{runs} {label}: {results[label][-1][0]:.2f} s, {results[label][-1][1] / 1024:.0f} MiB"
            )
    return {
        label: (statistics.median(r[0] for r in rs), int(statistics.median(r[1] for r in rs)))
        for label, rs in results.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"benchmark: {args.runs} runs of each variant after a warm-up; each run prints when it finishes", flush=True)
    with tempfile.TemporaryDirectory(prefix="mlplatform-bench-") as tmp:
        folder = Path(tmp)
        base = {"MLPLATFORM_CONFIG": str(DEFAULT_CONFIG)}
        default = medians(
            args.runs,
            {"stock": {**base, "MLPLATFORM_EAGER_PROVIDERS": "1"}, "lazy": {**base, "MLPLATFORM_EAGER_PROVIDERS": "0"}},
            folder,
        )
        stock, lazy = default["stock"], default["lazy"]
        counts = (1, 3, 12)
        generated = medians(
            args.runs,
            {
                str(n): {
                    "MLPLATFORM_CONFIG": str(generated_config(n, folder)),
                    "MLPLATFORM_EAGER_PROVIDERS": "0",
                }
                for n in counts
            },
            folder,
        )
        scaling = {n: generated[str(n)][0] for n in counts}
        stacks = {n: stack_count(folder, str(n)) for n in counts}
        default_stacks = stack_count(folder, "lazy")
    marginal = (scaling[12] - scaling[1]) / 11
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"median of {args.runs} interleaved runs after a warm-up; "
        "every run is a fresh `python main.py`"
    )
    print()
    print(f"default config (3 environments, {default_stacks} stacks) | wall s | peak RSS MiB")
    print(f"stock provider imports                    | {stock[0]:6.2f} | {stock[1] / 1024:7.0f}")
    print(f"lazy provider loading                     | {lazy[0]:6.2f} | {lazy[1] / 1024:7.0f}")
    print(f"ratio (stock / lazy)                      | {stock[0] / lazy[0]:5.2f}x | {stock[1] / lazy[1]:6.2f}x")
    print()
    print("lazy loading, generated environments      | wall s | vs 1 environment")
    for count, seconds in scaling.items():
        print(
            f"{count:2d} environment(s) ({stacks[count]:2d} stacks)             | {seconds:6.2f} | "
            f"{seconds / scaling[1]:5.2f}x"
        )
    print(
        f"marginal cost per extra environment: {marginal:.3f} s "
        f"({marginal / scaling[1]:.1%} of a 1-environment synthesis)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
