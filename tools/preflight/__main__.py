"""`python -m tools.preflight`: run the preflight checks of one environment against its workspace.

Exit 0 when nothing is missing; 2 with one `error:` line per problem (config mistakes too, as
`main.py --check` prints them); `note:` lines inform and never fail. Nothing is changed anywhere:
every call is a read.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

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


def run(environ: Mapping[str, str] = os.environ, *, base_url: str | None = None) -> int:
    """Check the one environment MLPLATFORM_ENVIRONMENTS selects; `base_url` points the HTTP calls at a
    local fake (tests)."""
    try:
        loaded = load_from_environment(environ)
    except ConfigError as error:
        for line in error.problems:
            print(f"error: {line}", file=sys.stderr)
        return EXIT_PROBLEMS
    environments = loaded.config.environments
    if len(environments) != 1:
        names = ", ".join(e.name for e in environments)
        print(
            f"error: preflight checks one environment; select it with ENV=<name> (configured: {names})", file=sys.stderr
        )
        return EXIT_PROBLEMS
    auth_type = environ.get("DATABRICKS_AUTH_TYPE") or DEFAULT_AUTH_TYPE
    return preflight(environments[0], auth_type, base_url=base_url)


def preflight(environment: EnvironmentSettings, auth_type: str, *, base_url: str | None = None) -> int:
    """Check one environment's workspace, printing one line per result; 0, or 2 on any problem."""
    from .checks import ENTRA_AUTH_TYPES, check, connect, reason  # the SDK loads only when needed

    prefix = f"preflight {environment.name}"
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
    try:
        client = connect(workspace.host, workspace.resource_id, auth_type, base_url=base_url)
    except (ValueError, OSError) as error:
        print(
            f"error: {prefix}: {auth_type}: cannot authenticate to {workspace.host} ({LOGIN_HINTS[auth_type]}): "
            f"{reason(error)}",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    report = check(client, environment)
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
    sys.exit(run())
