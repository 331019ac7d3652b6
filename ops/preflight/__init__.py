"""`make preflight ENV=<env>`: what a plan cannot check, asked of the live workspace before a deploy.

`python -m ops.preflight` (MLPLATFORM_ENVIRONMENTS names one environment; DATABRICKS_AUTH_TYPE
one of the SDK's Entra ID methods, default azure-cli). See ops/preflight/checks.py for the
checks, ops/preflight/needs.py for what config asks of Unity Catalog.
"""
