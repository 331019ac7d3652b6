"""A local Databricks workspace for tests: the REST API that provider 1.99.0 and the Databricks SDK
for Python call, on 127.0.0.1, with state in memory (`LocalWorkspace`, `serve`).

One module per API family (SCIM, secrets, compute, jobs, permissions, Unity Catalog, serving, access
control rule sets), each with its routes, its state and its rules (`rules.py`: every behaviour
beyond a plain store, named with its source). `server.py` is the HTTP side: tokens, routing, the log.
"""

from .rules import RULES, Rule
from .server import Request, serve
from .workspace import TENANT, LocalWorkspace

__all__ = ["RULES", "TENANT", "LocalWorkspace", "Request", "Rule", "serve"]
