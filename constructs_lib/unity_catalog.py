"""Unity Catalog securables this app uses but does not own, and non-authoritative grants on them.

Catalogs, schemas and registered models are usually shared with other teams: `databricks_grants`
is authoritative for the whole securable and would remove every other principal's privileges.
Grants here are `databricks_grant`, one per (securable, principal), which manages only that
principal's privileges on it. Two `databricks_grant` for one principal on one securable would
overwrite each other, so each securable keeps one per principal and later grants add privileges.

Privileges inherit downwards but are not enough on their own: reading a model also needs
USE_CATALOG on its catalog and USE_SCHEMA on its schema. `model.grant_execute(principal)` makes
all three; `UnityCatalog` hands out one construct per securable so that models sharing a catalog
or schema share those grants.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from cdktf_cdktf_provider_databricks.grant import Grant
from constructs import Construct

from .principals import Principal, construct_label, distinct_label


def securable_argument(securable_type: str, full_name: str) -> dict[str, Any]:
    """`databricks_grant`'s argument naming the securable, e.g. {"schema": "ml_prod.models"}."""
    return {securable_type: full_name}


class UnityCatalogSecurable(Construct):
    """One catalog, schema or registered model, named by its full name. Attribute: `full_name`."""

    securable_type: str = ""
    """The `databricks_grant` attribute that names this kind of securable."""

    def __init__(self, scope: Construct, construct_id: str, full_name: str):
        super().__init__(scope, construct_id)
        self.full_name = full_name
        self._grants: dict[Principal, Grant] = {}
        self._privileges: dict[Principal, list[str]] = {}

    def grant(self, principal: Principal, *privileges: str) -> Grant:
        """Give `principal` these privileges (added to what it already holds here, for this app).

        Returns this securable's one `databricks_grant` for the principal."""
        if not privileges:
            raise ValueError(f"grant on {self.full_name}: name at least one privilege")
        held = self._privileges.setdefault(principal, [])
        held.extend(p for p in privileges if p not in held)
        if principal not in self._grants:
            self._grants[principal] = Grant(
                self,
                principal.label,
                principal=principal.name,
                privileges=list(held),
                **securable_argument(self.securable_type, self.full_name),
            )
        else:
            self._grants[principal].privileges = list(held)
        return self._grants[principal]

    @property
    def grants(self) -> dict[Principal, list[str]]:
        return {principal: list(held) for principal, held in self._privileges.items()}


class UnityCatalogCatalog(UnityCatalogSecurable):
    securable_type = "catalog"

    def grant_use(self, principal: Principal) -> Grant:
        """See the catalog at all (USE_CATALOG); nothing in it yet."""
        return self.grant(principal, "USE_CATALOG")


class UnityCatalogSchema(UnityCatalogSecurable):
    securable_type = "schema"

    def __init__(self, scope: Construct, construct_id: str, full_name: str, catalog: UnityCatalogCatalog):
        super().__init__(scope, construct_id, full_name)
        self.catalog = catalog

    def grant_use(self, principal: Principal) -> tuple[Grant, Grant]:
        """USE_SCHEMA here and USE_CATALOG on its catalog; returns (catalog grant, schema grant)."""
        return self.catalog.grant_use(principal), self.grant(principal, "USE_SCHEMA")

    def grant_create_tables(self, principal: Principal) -> tuple[Grant, Grant]:
        """Create tables here (CREATE_TABLE, plus the USE_* it needs); the creator owns what it creates,
        so writing them needs nothing more. Returns (catalog grant, schema grant)."""
        catalog_grant, _ = self.grant_use(principal)
        return catalog_grant, self.grant(principal, "CREATE_TABLE")

    def grant_read_tables(self, principal: Principal) -> tuple[Grant, Grant]:
        """SELECT on every current and future table of the schema (plus the USE_* it needs).

        Schema-level, because the tables read this way (an endpoint's inference table) are created
        after this apply, by Databricks. Returns (catalog grant, schema grant)."""
        catalog_grant, _ = self.grant_use(principal)
        return catalog_grant, self.grant(principal, "SELECT")


class UnityCatalogSchemaObject(UnityCatalogSecurable):
    """A securable inside a schema (`catalog.schema.name`): a registered model or a table."""

    noun = ""
    """How errors name this kind of securable."""

    def __init__(self, scope: Construct, construct_id: str, full_name: str, schema: UnityCatalogSchema):
        super().__init__(scope, construct_id, full_name)
        self.schema = schema

    def grant_with_parents(self, principal: Principal, privilege: str) -> tuple[Grant, Grant, Grant]:
        """`privilege` here, with USE_SCHEMA and USE_CATALOG above it (without them it is unusable).

        Returns (catalog grant, schema grant, this object's grant)."""
        catalog_grant, schema_grant = self.schema.grant_use(principal)
        return catalog_grant, schema_grant, self.grant(principal, privilege)


class UnityCatalogModel(UnityCatalogSchemaObject):
    """A registered model (`catalog.schema.model`); `databricks_grant` names it with `model`."""

    securable_type = "model"
    noun = "a registered model"

    def grant_execute(self, principal: Principal) -> tuple[Grant, Grant, Grant]:
        """Load and serve the model's versions (EXECUTE, with USE_SCHEMA and USE_CATALOG above it)."""
        return self.grant_with_parents(principal, "EXECUTE")


class UnityCatalogTable(UnityCatalogSchemaObject):
    """A table (`catalog.schema.table`); `databricks_grant` names it with `table`."""

    securable_type = "table"
    noun = "a table"

    def grant_select(self, principal: Principal) -> tuple[Grant, Grant, Grant]:
        """Read this table only (SELECT, with USE_SCHEMA and USE_CATALOG above it)."""
        return self.grant_with_parents(principal, "SELECT")


S = TypeVar("S", bound=UnityCatalogSecurable)
InSchema = TypeVar("InSchema", bound=UnityCatalogSchemaObject)


class UnityCatalog(Construct):
    """Hands out one construct per securable name, so grants on a shared catalog or schema are made once."""

    def __init__(self, scope: Construct, construct_id: str):
        super().__init__(scope, construct_id)
        self._securables: dict[tuple[str, str], UnityCatalogSecurable] = {}
        self._labels: dict[str, str] = {}

    def _one(self, kind: str, full_name: str, make: Callable[[str], S]) -> S:
        """The one construct of `kind` for `full_name` (names compared ignoring case, as Unity Catalog
        does), made with its construct id on first use."""
        key = (kind, full_name.lower())
        if key not in self._securables:
            self._securables[key] = make(
                distinct_label(self._labels, f"{kind}_{construct_label(full_name)}", full_name)
            )
        return cast(S, self._securables[key])

    def catalog(self, name: str) -> UnityCatalogCatalog:
        return self._one("catalog", name, lambda child_id: UnityCatalogCatalog(self, child_id, name))

    def schema(self, full_name: str) -> UnityCatalogSchema:
        """`catalog.schema`."""
        parts = full_name.split(".")
        if len(parts) != 2:
            raise ValueError(f"a schema is named catalog.schema, got {full_name!r}")
        return self._one(
            "schema", full_name, lambda child_id: UnityCatalogSchema(self, child_id, full_name, self.catalog(parts[0]))
        )

    def _in_schema(self, kind: type[InSchema], full_name: str) -> InSchema:
        """The one `kind` (model or table) named `catalog.schema.name`, with its schema's construct."""
        parts = full_name.split(".")
        if len(parts) != 3:
            raise ValueError(f"{kind.noun} is named catalog.schema.{kind.securable_type}, got {full_name!r}")
        schema = ".".join(parts[:2])
        return self._one(
            kind.securable_type, full_name, lambda child_id: kind(self, child_id, full_name, self.schema(schema))
        )

    def table(self, full_name: str) -> UnityCatalogTable:
        """`catalog.schema.table`."""
        return self._in_schema(UnityCatalogTable, full_name)

    def model(self, full_name: str) -> UnityCatalogModel:
        """`catalog.schema.model`."""
        return self._in_schema(UnityCatalogModel, full_name)
