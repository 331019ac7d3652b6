"""`python -m ops.preflight [--after-deploy]`: ask one environment's workspace what a plan cannot.

Before a deploy (`make preflight`): the workspace answers, the groups and Unity Catalog securables
config names exist, the deployer holds and may grant what the plan uses, the served versions exist.
After a deploy (`--after-deploy`, `make smoke`): the principal's entitlements, the scope reading the
vault, the jobs' identity, the endpoint's readiness (ops/preflight/after_deploy.py).

Exit 0 when nothing is missing; 2 with one `error:` line per problem (config mistakes too, as
`main.py --check` prints them); `note:` lines inform and never fail. Nothing is changed anywhere:
every call is a read.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping, Sequence

from config import ConfigError, EnvironmentSettings, load_from_environment
from config.loader import safe_line

EXIT_PROBLEMS = 2
DEFAULT_AUTH_TYPE = "azure-cli"
LOGIN_HINTS = {
    "azure-cli": "run `az login`; is the workspace reachable from here?",
    "github-oidc-azure": "a GitHub Actions job with id-token: write, ARM_CLIENT_ID and ARM_TENANT_ID",
    "azure-client-secret": "ARM_CLIENT_ID, ARM_CLIENT_SECRET and ARM_TENANT_ID in the environment",
}
"""What each Entra ID method needs, said when it finds no credential."""
UNREACHABLE_HINT = (
    "check databricks.workspace.host, and that this machine reaches the workspace: VPN or private link if its "
    "public access is off"
)
"""Said when the workspace was never reached, whatever the method."""


def run(environ: Mapping[str, str] = os.environ, *, base_url: str | None = None, argv: Sequence[str] = ()) -> int:
    """Check the one environment MLPLATFORM_ENVIRONMENTS selects, each of its projects (MLPLATFORM_PROJECTS: the
    ones it names) in turn (`--after-deploy` in `argv`: the after-deploy checks); `base_url` points the HTTP calls
    at a local workspace (tests)."""
    unknown = [a for a in argv if a != "--after-deploy"]
    if unknown:
        print(f"error: preflight takes --after-deploy only (got {safe_line(unknown[0])[:40]})", file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        loaded = load_from_environment(environ)
    except ConfigError as error:
        for line in error.problems:
            print(f"error: {line}", file=sys.stderr)
        return EXIT_PROBLEMS
    projects = loaded.config.environments  # one per project of the selected environments (one without projects)
    names = [e.name for e in loaded.config.per_environment(projects)]
    placeholders = loaded.placeholders() if len(names) == 1 else []
    if placeholders:  # the example workspace would only time out: say what to replace instead
        for line in placeholders:
            print(f"error: {line}", file=sys.stderr)
        return EXIT_PROBLEMS
    if len(names) != 1:
        print(
            f"error: preflight checks one environment; select it with ENV=<name> (configured: {', '.join(names)})",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    auth_type = environ.get("DATABRICKS_AUTH_TYPE") or DEFAULT_AUTH_TYPE
    after = "--after-deploy" in argv
    prefix = loaded.config.prefix
    # every project, even after one with problems: one run says all that is missing
    results = [
        preflight(project, auth_type, base_url=base_url, after_deploy=after, config_prefix=prefix)
        for project in projects
    ]
    return max(results)


def preflight(
    environment: EnvironmentSettings,
    auth_type: str,
    *,
    base_url: str | None = None,
    after_deploy: bool = False,
    config_prefix: str = "mlplatform",
    timeout_seconds: int = 20,
) -> int:
    """Check one environment's workspace (`after_deploy`: what a deploy of the config with
    `config_prefix` made), printing one line per result; 0, or 2 on any problem. `timeout_seconds`
    bounds each call and the SDK's retries of it."""
    from .after_deploy import after_deploy as deployed  # the SDK loads only when needed
    from .checks import ENTRA_AUTH_TYPES, check, connect, reason

    project = f"/{environment.project}" if environment.project else ""
    prefix = f"{'smoke' if after_deploy else 'preflight'} {environment.name}{project}"
    if auth_type == "azure-msi":
        print(
            f"error: {prefix}: DATABRICKS_AUTH_TYPE=azure-msi: the Databricks SDK for Python has no managed-identity "
            "method; run preflight where a person or CI deploys (azure-cli, github-oidc-azure)",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    if auth_type not in ENTRA_AUTH_TYPES:
        print(
            f"error: {prefix}: DATABRICKS_AUTH_TYPE={safe_line(auth_type)[:60]} is not an Entra ID method "
            f"({', '.join(ENTRA_AUTH_TYPES)}): a Key Vault-backed secret scope needs an Entra ID token",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    workspace = environment.databricks.workspace
    if auth_type == "azure-cli" and shutil.which("az") is None:
        print(
            f"error: {prefix}: azure-cli: the Azure CLI (`az`) is not on PATH: install it and run `az login`, or set "
            "DATABRICKS_AUTH_TYPE to github-oidc-azure or azure-client-secret",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    try:
        client = connect(
            workspace.host, workspace.resource_id, auth_type, base_url=base_url, timeout_seconds=timeout_seconds
        )
    except (ValueError, OSError) as error:
        why = reason(error)
        unreached = why.startswith(("the name ", "cannot connect to "))
        hint = UNREACHABLE_HINT if unreached else LOGIN_HINTS[auth_type]
        print(f"error: {prefix}: {auth_type}: cannot authenticate to {workspace.host}: {why} ({hint})", file=sys.stderr)
        return EXIT_PROBLEMS
    report = deployed(client, environment, config_prefix) if after_deploy else check(client, environment)
    for line in report.passed:
        print(f"ok: {prefix}: {line}")
    for line in report.notes:
        print(f"note: {prefix}: {line}")
    for line in report.problems:
        print(f"error: {prefix}: {line}", file=sys.stderr)
    if report.problems:
        return EXIT_PROBLEMS
    print(f"{prefix}: {len(report.passed)} checks passed, nothing missing")
    return 0


if __name__ == "__main__":
    sys.exit(run(argv=sys.argv[1:]))
