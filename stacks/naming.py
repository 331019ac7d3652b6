"""Stack ids: one function, used by the stacks, their backends and the Terraform Cloud bootstrap."""

LAYERS = ("azure", "databricks")


def stack_id(prefix: str, environment: str, layer: str) -> str:
    """`<prefix>-<env>-<layer>`: the cdktf stack id, its output folder and its TFC workspace name."""
    return f"{prefix}-{environment}-{layer}"


def stack_ids(prefix: str, environment: str) -> dict[str, str]:
    """Both layers' stack ids of one environment, by layer."""
    return {layer: stack_id(prefix, environment, layer) for layer in LAYERS}


def bootstrap_stack_id(prefix: str) -> str:
    return f"{prefix}-tfc"


def ci_stack_id(prefix: str) -> str:
    return f"{prefix}-ci"
