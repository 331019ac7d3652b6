"""`make bench`: synthesis time and peak memory, stock imports vs lazy provider loading, environments and projects,
in one run.

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
PROJECTS = 50
"""Projects per environment of the largest generated projects config (#31: 50 projects in 3 environments)."""


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


EXAMPLE = ROOT / "config" / "examples" / "two-projects.yaml"
PROJECT_ENVIRONMENTS = ("dev", "test", "qa")


def generated_projects_config(count: int, folder: Path) -> Path:
    """A config of 3 environments (one workspace each) with `count` projects each, cloned from the example's dev
    churn project (config/examples/two-projects.yaml), every name that must be unique made so."""
    raw = yaml.safe_load(EXAMPLE.read_text())
    shared = raw["environments"]["dev"]
    template = shared["projects"]["churn"]
    environments = {}
    for number, name in enumerate(PROJECT_ENVIRONMENTS, start=1):
        env = copy.deepcopy({key: value for key, value in shared.items() if key != "projects"})
        env["tier"] = "dev"
        workspace = env["databricks"]["workspace"]
        workspace["host"] = f"https://adb-{number:016d}.11.azuredatabricks.net"
        workspace["resource_id"] = workspace["resource_id"].replace("dbw-mlplatform-dev", f"dbw-mlplatform-{name}")
        env["projects"] = {}
        for index in range(count):
            project = copy.deepcopy(template)
            label = f"p{index:02d}"
            project["azure"]["key_vault"]["name"] = f"kv-{name}-{label}-0000"
            project["databricks"]["service_principal"]["group"]["name"] = f"{label}-automation"
            model = f"ml_{name}.{label}.model"
            project["databricks"]["workflows"]["model"] = model
            project["databricks"]["workflows"]["output_schema"] = f"ml_{name}.{label}_scoring"
            project["databricks"]["serving"] = {
                "name": f"mlplatform-{name}-{label}",
                "served_models": [{"model": model, "alias": "champion"}],
            }
            env["projects"][label] = project
        environments[name] = env
    raw["environments"] = environments
    path = folder / f"bench-projects-{count}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def check_seconds(config: Path) -> float:
    """Wall seconds of one `python main.py --check` (what `make check` runs after its install step)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLPLATFORM_")}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--check", "--quiet"],
        cwd=ROOT,
        env={**env, "MLPLATFORM_CONFIG": str(config)},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


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
        project_counts = (1, PROJECTS)
        configs = {n: generated_projects_config(n, folder) for n in project_counts}
        projects = medians(
            args.runs,
            {
                f"projects-{n}": {"MLPLATFORM_CONFIG": str(configs[n]), "MLPLATFORM_EAGER_PROVIDERS": "0"}
                for n in project_counts
            },
            folder,
        )
        checks = {n: statistics.median(check_seconds(configs[n]) for _ in range(args.runs)) for n in project_counts}
        project_stacks = {n: stack_count(folder, f"projects-{n}") for n in project_counts}
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
    print()
    environments = len(PROJECT_ENVIRONMENTS)
    one, many = projects["projects-1"], projects[f"projects-{PROJECTS}"]
    per_project = (many[0] - one[0]) / (environments * (PROJECTS - 1))
    print(f"projects, {environments} environments            | wall s | peak RSS MiB | make check s")
    for n in project_counts:
        wall, rss = projects[f"projects-{n}"]
        print(
            f"{n:2d} project(s) each ({project_stacks[n]:3d} stacks)       | {wall:6.2f} | {rss / 1024:12.0f} | "
            f"{checks[n]:6.2f}"
        )
    print(
        f"ratio ({PROJECTS} / 1 project)                   | {many[0] / one[0]:5.2f}x | {many[1] / one[1]:11.2f}x | "
        f"{checks[PROJECTS] / checks[1]:5.2f}x"
    )
    print(
        f"marginal cost per extra project-environment: {per_project:.3f} s "
        f"({per_project / one[0]:.1%} of a {environments}-environment, 1-project synthesis; "
        f"{PROJECTS} x {environments} in {many[0]:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
