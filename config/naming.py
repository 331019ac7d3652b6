"""Every name the app derives: stack ids, state keys and the default names of resources.

One module so that a name is spelled once: the stacks, their backends, the Terraform Cloud
bootstrap and `main.py --stacks` all call these, and a name set in config always wins over the
default derived here (the stacks do `configured or default(...)`).
"""

LAYERS = ("azure", "databricks", "serving")

KEY_VAULT_DNS_SUFFIX = "vault.azure.net"
"""The public cloud's vault DNS suffix: the azurerm provider here runs with its default `environment`
("public"), so every vault this app creates answers at `https://<name>.vault.azure.net/`."""


def project_label(environment: str, project: str | None) -> str:
    """`<env>` (an environment without projects, or its project with `names: environment`) or `<env>-<project>`:
    the middle of a project's stack ids and the stem of its default resource names. Neither part has a hyphen,
    so one label reads one way."""
    return f"{environment}-{project}" if project else environment


def stack_id(prefix: str, label: str, layer: str) -> str:
    """`<prefix>-<label>-<layer>` (label: `project_label`): the cdktf stack id, its output folder and its TFC
    workspace name."""
    return f"{prefix}-{label}-{layer}"


def stack_ids(prefix: str, label: str) -> dict[str, str]:
    """Every layer's stack id of one project of an environment (label: `project_label`), by layer."""
    return {layer: stack_id(prefix, label, layer) for layer in LAYERS}


def bootstrap_stack_id(prefix: str) -> str:
    """`<prefix>-tfc`: the stack that creates the Terraform Cloud workspaces (and its default admin workspace)."""
    return f"{prefix}-tfc"


def ci_stack_id(prefix: str) -> str:
    """`<prefix>-ci`: the stack that creates the GitHub Actions identities."""
    return f"{prefix}-ci"


def state_key(prefix: str, environment: str, layer: str, project: str | None = None) -> str:
    """`<prefix>/<env>/<layer>.tfstate`, or `<prefix>/<env>/<project>/<layer>.tfstate` for a project named for
    itself: the azurerm blob key of a stack, one folder per prefix and environment (and project)."""
    return f"{prefix}/{environment}/{project}/{layer}.tfstate" if project else f"{prefix}/{environment}/{layer}.tfstate"


def environment_label(prefix: str, environment: str) -> str:
    """`<prefix>-<env>`: the stem of every per-environment default name below, and how descriptions name it."""
    return f"{prefix}-{environment}"


def ml_identity_name(prefix: str, environment: str) -> str:
    """`<prefix>-<env>-ml`: the ML identity's display name, the same in Entra ID (app registration)
    and in the workspace (service principal), so one name finds it on both sides."""
    return f"{environment_label(prefix, environment)}-ml"


def ml_cluster_name(prefix: str, environment: str) -> str:
    """`<prefix>-<env>-ml`: the ML cluster, named after the identity it runs as."""
    return f"{environment_label(prefix, environment)}-ml"


def secret_scope_name(prefix: str, environment: str) -> str:
    """`<prefix>-<env>-keyvault`: the Key Vault-backed secret scope (unique within a workspace)."""
    return f"{environment_label(prefix, environment)}-keyvault"


def key_vault_id(subscription_id: str, resource_group: str, vault_name: str) -> str:
    """The vault's Azure resource id, as azurerm 4.55.0 writes it (`commonids.KeyVaultId`):
    `/subscriptions/<guid>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>`.

    Both layers derive it from config: the databricks layer's secret scope needs it and reads no
    other stack's state; the azure layer's vault has a postcondition that Azure's id is this one."""
    return f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.KeyVault/vaults/{vault_name}"


def key_vault_uri(vault_name: str) -> str:
    """`https://<name>.vault.azure.net/` (lowercase, trailing slash, as Azure returns `vaultUri`);
    derived from config by both layers, like `key_vault_id`."""
    return f"https://{vault_name.lower()}.{KEY_VAULT_DNS_SUFFIX}/"


def ml_job_name(prefix: str, environment: str, job: str) -> str:
    """`<prefix>-<env>-<job>` with `_` as `-`: `mlplatform-dev-batch-inference`."""
    return f"{environment_label(prefix, environment)}-{job.replace('_', '-')}"


def ml_job_policy_name(prefix: str, environment: str) -> str:
    """`<prefix>-<env>-ml-jobs`: the cluster policy of the workflows' job clusters (unique per workspace)."""
    return f"{environment_label(prefix, environment)}-ml-jobs"


def vault_private_endpoint_name(vault_name: str) -> str:
    """`pe-<vault name>`: the vault's private endpoint (vault names are globally unique, so is this)."""
    return f"pe-{vault_name}"


def github_actions_identity_name(prefix: str, environment: str) -> str:
    """`<prefix>-<env>-github-actions`: the Entra app one GitHub environment's jobs run as."""
    return f"{environment_label(prefix, environment)}-github-actions"


def tfc_team_name(prefix: str, environment: str, role: str) -> str:
    """`<prefix>-<env>-plan` / `<prefix>-<env>-apply`: the Terraform Cloud team whose token CI plans or applies with."""
    return f"{environment_label(prefix, environment)}-{role}"


def agent_identity_variable_set_name(prefix: str, environment: str) -> str:
    """`<prefix>-<env>-agent-identity`: the TFC variable set of the agents' managed-identity identifiers."""
    return f"{environment_label(prefix, environment)}-agent-identity"


def plan_environment_name(environment: str) -> str:
    """`<env>-plan`: the GitHub environment whose jobs save a local-mode environment's plans and check its drift
    (no reviewers; its jobs act as the environment's plan identity, which can read but not change)."""
    return f"{environment}-plan"


def github_actions_plan_identity_name(prefix: str, environment: str) -> str:
    """`<prefix>-<env>-github-actions-plan`: the Entra app the jobs of `<env>-plan` run as (reads only)."""
    return f"{github_actions_identity_name(prefix, environment)}-plan"


DEPLOYING_WORKFLOWS = ("deploy.yml", "maintenance.yml")
"""The generated workflows (`.github/workflows/`) whose jobs act as an environment's CI identities; the only
ones the identities' federated credentials trust, and only on main."""
DEPLOY_BRANCH = "main"
"""The branch the deploying workflows run from (their trigger; ops/main_head.py; the credentials' subjects)."""
