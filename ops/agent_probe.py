"""`make agent-probe ENV=<env>`: the one command that shows, on an agent host, whether the agents'
managed identity can get the Entra ID token the databricks provider will ask for.

databricks-sdk-go v0.93.0 (`config/auth_azure_msi.go`) gets `azure-msi` tokens from the Azure Instance
Metadata Service only: `GET http://169.254.169.254/metadata/identity/oauth2/token` with
`api-version=2018-02-01`, `resource` = the AzureDatabricks application and `client_id` = ARM_CLIENT_ID,
header `Metadata: true`, a 10 s timeout. Hosts whose managed identity is served elsewhere (Azure
Container Apps and App Service: IDENTITY_ENDPOINT; AKS workload identity: a federated token file) fail
there (azurerm #25726; terraform-provider-databricks #2752, open). This prints the same request for the
environment's `agent.client_id`, to run inside the agent's container; it prints the token's expiry,
never the token. Nothing here contacts anything.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping

from config import ConfigError, load_from_environment

AZURE_DATABRICKS_APPLICATION = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"
"""The AzureDatabricks first-party application: the `resource` of a workspace token (Azure public cloud)."""
IMDS_TOKEN = "http://169.254.169.254/metadata/identity/oauth2/token"


def probe_command(client_id: str) -> str:
    """The shell one-liner: the provider's own token request, printing only `expires_on` or why not."""
    url = f"{IMDS_TOKEN}?api-version=2018-02-01&resource={AZURE_DATABRICKS_APPLICATION}&client_id={client_id}"
    return (
        f'curl -sS --max-time 10 -H Metadata:true {shlex.quote(url)} | grep -o \'"expires_on": *"[0-9]*"\' '
        "|| echo 'no token: this host has no Instance Metadata Service identity endpoint, or the identity is not "
        "assigned to it'"
    )


def main(environ: Mapping[str, str] = os.environ) -> int:
    try:
        loaded = load_from_environment(environ)
    except ConfigError as error:
        for line in error.problems:
            print(f"error: {line}", file=sys.stderr)
        return 2
    environments = loaded.config.per_environment(loaded.config.environments)  # the agents serve every project
    if len(environments) != 1:
        print("error: agent-probe takes one environment; select it with ENV=<name>", file=sys.stderr)
        return 2
    (environment,) = environments
    if environment.execution_mode != "agent" or environment.agent is None:
        print(
            f"error: environment '{environment.name}' runs locally (execution_mode: {environment.execution_mode}): "
            "it has no agents to probe",
            file=sys.stderr,
        )
        return 2
    print(f"# on an agent host of pool '{environment.agent.pool}', inside the tfc-agent container:")
    print(probe_command(environment.agent.client_id))
    return 0


if __name__ == "__main__":
    sys.exit(main())
