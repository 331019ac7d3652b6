"""A Unity Catalog registered model this app creates, owned by the identity that trains it.

In Unity Catalog only the owner of a registered model creates its versions and sets its aliases
(Databricks: "Upgrade ML workflows to target models in Unity Catalog", required privileges), so the
model's owner is the ML principal whose training and deployment jobs do exactly that. databricks
1.99.0 creates the model and hands it to `owner` in one step (catalog/resource_registered_model.go),
so the deploying identity keeps nothing as owner: it must hold, on the model's schema (inherited by
the model), CREATE_MODEL to create it, EXECUTE to serve it and MANAGE to update and delete it later
(docs/access.md: Unity Catalog privileges). The owner reaches it through USE_CATALOG and USE_SCHEMA.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_databricks.registered_model import RegisteredModel
from constructs import Construct


@dataclass(frozen=True)
class OwnedRegisteredModelProps:
    full_name: str
    """`catalog.schema.model` (validated in config)."""
    owner: str
    """Who owns it: a service principal's application id (or a user or group name)."""
    comment: str | None = None


class OwnedRegisteredModel(Construct):
    """Attributes: `full_name` (a reference: users of the model depend on its creation)."""

    def __init__(self, scope: Construct, construct_id: str, props: OwnedRegisteredModelProps):
        super().__init__(scope, construct_id)
        parts = props.full_name.split(".")
        if len(parts) != 3:
            raise ValueError(f"a registered model is named catalog.schema.model, got {props.full_name!r}")
        catalog, schema, name = parts
        self.model = RegisteredModel(
            self,
            "model",
            catalog_name=catalog,
            schema_name=schema,
            name=name,
            owner=props.owner,
            comment=props.comment,
        )
        self.full_name: str = self.model.full_name
