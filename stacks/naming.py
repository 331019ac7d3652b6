"""Stack ids: one function, used by the stacks, their backends and the Terraform Cloud bootstrap."""

LAYERS = ("azure", "databricks")


def stack_id(prefix: str, environment: str, layer: str) -> str:
    """`<prefix>-<env>-<layer>`: the cdktf stack id, its output folder and its TFC workspace name."""
    return f"{prefix}-{environment}-{layer}"


def bootstrap_stack_id(prefix: str) -> str:
    return f"{prefix}-tfc"
