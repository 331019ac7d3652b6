"""Unity Catalog of the workspace's metastore: catalogs, schemas, tables, registered models with
versions and aliases, grants (`permissions`), effective privileges and the metastore summary.

Securables a test arranges (`add`) stand for what the data platform owns; registered models are
created through the API. Names are kept lower-cased, as Unity Catalog stores them. A registered model
is a `function` to the grants API (provider 1.99.0 catalog/permissions/permissions.go). Model versions
are created as MLflow creates them (`/api/2.0/mlflow/unity-catalog/model-versions/create`, then
`finalize`), as the training job would; aliases are set through `PUT .../aliases/<alias>`, as the
deployment job would. Answers are shaped by the Databricks SDK's `catalog` types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from databricks.sdk.service import catalog

from .errors import ApiError, denied, invalid
from .rules import rule
from .server import Call, Route

if TYPE_CHECKING:
    from .workspace import LocalWorkspace

UC = "/api/2.1/unity-catalog"
KINDS = {"catalogs": "catalog", "schemas": "schema", "tables": "table"}
NOUNS = {"catalog": "Catalog", "schema": "Schema", "table": "Table", "function": "Registered model"}

LOWER_CASE_NAMES = rule(
    "uc.names_lower_case",
    "Unity Catalog compares names ignoring case and answers them lower-cased",
    "Databricks docs, 'Names' (Unity Catalog): object names are case-insensitive and stored in lower case",
)
EFFECTIVE_INHERITS = rule(
    "uc.effective_privileges_inherit",
    "Effective privileges on a schema, table or model include those granted on its catalog and schema, each "
    "with inherited_from_type and inherited_from_name",
    "Databricks REST API, GET /api/2.1/unity-catalog/effective-permissions/{type}/{name}",
)
OWNER_WRITES_VERSIONS = rule(
    "uc.owner_writes_versions_and_aliases",
    "Only a registered model's owner (or a metastore admin) creates its versions and sets its aliases",
    "Databricks docs, 'Manage model lifecycle in Unity Catalog' (owner or MANAGE to set aliases, create versions)",
)
OWNER_MUST_EXIST = rule(
    "uc.owner_must_exist",
    "A securable's new owner must be a user, service principal or group the account knows (400)",
    "Databricks REST API, PATCH /api/2.1/unity-catalog/models/{full_name} (owner)",
)
GRANTEE_MUST_EXIST = rule(
    "uc.grantee_must_exist",
    "A grant to a principal the account does not know is refused (400 INVALID_PARAMETER_VALUE)",
    "Databricks REST API, PATCH /api/2.1/unity-catalog/permissions/{type}/{name}",
)
PARENT_MUST_EXIST = rule(
    "uc.parent_must_exist",
    "A registered model is created only in a schema that exists (404 SCHEMA_DOES_NOT_EXIST)",
    "Databricks REST API, POST /api/2.1/unity-catalog/models",
)


@dataclass
class Version:
    number: int
    created_by: str
    source: str
    status: str = "PENDING_REGISTRATION"


@dataclass
class Securable:
    kind: str
    """`catalog`, `schema`, `table` or `function` (a registered model)."""
    full_name: str
    owner: str
    grants: dict[str, list[str]] = field(default_factory=dict)
    comment: str | None = None
    created_by: str | None = None
    versions: dict[int, Version] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)


class UnityCatalog:
    def __init__(self, workspace: LocalWorkspace):
        self.workspace = workspace
        self.securables: dict[tuple[str, str], Securable] = {}
        self.metastore_owner = "metastore-admins"

    # --- arranging (tests) ---

    def add(self, kind: str, full_name: str, owner: str = "data-platform") -> Securable:
        """A catalog, schema, table or registered model (`function`) that exists, with its parents."""
        parts = full_name.split(".")
        for depth, parent_kind in ((1, "catalog"), (2, "schema")):
            if len(parts) > depth and (parent_kind, ".".join(parts[:depth]).lower()) not in self.securables:
                self.add(parent_kind, ".".join(parts[:depth]), owner)
        securable = Securable(kind, self._name(full_name), owner)
        self.securables[(kind, securable.full_name)] = securable
        return securable

    def remove(self, kind: str, full_name: str) -> None:
        """Drop a securable and everything under it."""
        name = self._name(full_name)
        for key in [k for k in self.securables if k[1] == name or k[1].startswith(name + ".")]:
            del self.securables[key]

    def grant(self, kind: str, full_name: str, principal: str, *privileges: str) -> None:
        held = self.get(kind, full_name).grants.setdefault(principal, [])
        held.extend(p for p in privileges if p not in held)

    def add_version(self, model: str, created_by: str) -> int:
        """A new READY version of `model`, as the training job registers it; returns its number."""
        securable = self.get("function", model)
        number = max(securable.versions, default=0) + 1
        securable.versions[number] = Version(number, created_by, f"dbfs:/models/{number}", "READY")
        return number

    # --- lookups ---

    def _name(self, name: str) -> str:
        return name.lower() if self.workspace.applies(LOWER_CASE_NAMES) else name

    def find(self, kind: str, full_name: str) -> Securable | None:
        return self.securables.get((kind, self._name(full_name)))

    def get(self, kind: str, full_name: str) -> Securable:
        found = self.find(kind, full_name)
        if found is None:
            code = f"{kind.upper()}_DOES_NOT_EXIST" if kind != "function" else "RESOURCE_DOES_NOT_EXIST"
            raise ApiError(404, code, f"{NOUNS[kind]} '{full_name}' does not exist.")
        return found

    def _may_write_model(self, caller: str, model: Securable) -> bool:
        if not self.workspace.applies(OWNER_WRITES_VERSIONS):
            return True
        identities = self.workspace.identities_of(caller)
        return model.owner in identities or self.metastore_owner in identities

    # --- routes ---

    def routes(self) -> list[Route]:
        models = f"{UC}/models/(?P<model>[^/]+)"
        mlflow = "/api/2.0/mlflow/unity-catalog/model-versions"
        return [
            ("GET", f"{UC}/metastore_summary", self.metastore_summary),
            ("GET", f"{UC}/(?P<collection>catalogs|schemas|tables)/(?P<name>[^/]+)", self.get_securable),
            ("GET", f"{UC}/permissions/(?P<kind>[a-z_]+)/(?P<name>[^/]+)", self.get_grants),
            ("PATCH", f"{UC}/permissions/(?P<kind>[a-z_]+)/(?P<name>[^/]+)", self.update_grants),
            ("GET", f"{UC}/effective-permissions/(?P<kind>[a-z_]+)/(?P<name>[^/]+)", self.effective),
            ("POST", f"{UC}/models", self.create_model),
            ("GET", models, self.get_model),
            ("PATCH", models, self.update_model),
            ("DELETE", models, self.delete_model),
            ("GET", f"{models}/versions", self.list_versions),
            ("GET", f"{models}/versions/(?P<version>[0-9]+)", self.get_version),
            ("GET", f"{models}/aliases/(?P<alias>[^/]+)", self.get_alias),
            ("PUT", f"{models}/aliases/(?P<alias>[^/]+)", self.set_alias),
            ("DELETE", f"{models}/aliases/(?P<alias>[^/]+)", self.delete_alias),
            ("POST", f"{mlflow}/create", self.mlflow_create_version),
            ("POST", f"{mlflow}/finalize", self.mlflow_finalize_version),
        ]

    def metastore_summary(self, call: Call) -> dict[str, Any]:
        return catalog.GetMetastoreSummaryResponse(
            metastore_id="11111111-aaaa-4bbb-8ccc-000000000001", name="metastore_westeurope", owner=self.metastore_owner
        ).as_dict()

    def get_securable(self, call: Call) -> dict[str, Any]:
        kind = KINDS[call.params["collection"]]
        found = self.get(kind, call.params["name"])
        if kind == "catalog":
            return catalog.CatalogInfo(name=found.full_name, owner=found.owner).as_dict()
        parts = found.full_name.split(".")
        if kind == "schema":
            return catalog.SchemaInfo(
                name=parts[1], catalog_name=parts[0], full_name=found.full_name, owner=found.owner
            ).as_dict()
        return catalog.TableInfo(
            name=parts[2], catalog_name=parts[0], schema_name=parts[1], full_name=found.full_name, owner=found.owner
        ).as_dict()

    # grants

    def _assignments(self, securable: Securable, principal: str | None = None) -> dict[str, Any]:
        assignments = [
            catalog.PrivilegeAssignment(principal=p, privileges=[catalog.Privilege(x) for x in held])
            for p, held in securable.grants.items()
            if held and (principal is None or p == principal)
        ]
        return catalog.GetPermissionsResponse(privilege_assignments=assignments or None).as_dict()

    def get_grants(self, call: Call) -> dict[str, Any]:
        return self._assignments(self.get(call.params["kind"], call.params["name"]), call.arg("principal"))

    def update_grants(self, call: Call) -> dict[str, Any]:
        securable = self.get(call.params["kind"], call.params["name"])
        for change in call.body.get("changes", []):
            principal = change.get("principal", "")
            if self.workspace.applies(GRANTEE_MUST_EXIST) and not self.workspace.principal_known(principal):
                raise invalid(f"Could not find principal with name {principal}")
            held = securable.grants.setdefault(principal, [])
            held.extend(p for p in change.get("add", []) if p not in held)
            securable.grants[principal] = [p for p in held if p not in change.get("remove", [])]
            if not securable.grants[principal]:
                del securable.grants[principal]
        return self._assignments(securable)

    def effective(self, call: Call) -> dict[str, Any]:
        kind, name = call.params["kind"], call.params["name"]
        securable = self.get(kind, name)
        chain = [securable]
        if self.workspace.applies(EFFECTIVE_INHERITS):
            parts = securable.full_name.split(".")
            for parent in (self.find("schema", ".".join(parts[:2])), self.find("catalog", parts[0])):
                if parent is not None and all(parent is not c for c in chain):
                    chain.append(parent)
        held: dict[str, list[catalog.EffectivePrivilege]] = {}
        for source in chain:
            for principal, privileges in source.grants.items():
                for privilege in privileges:
                    inherited = source is not securable
                    held.setdefault(principal, []).append(
                        catalog.EffectivePrivilege(
                            privilege=catalog.Privilege(privilege),
                            inherited_from_type=catalog.SecurableType(source.kind.upper()) if inherited else None,
                            inherited_from_name=source.full_name if inherited else None,
                        )
                    )
        assignments = [catalog.EffectivePrivilegeAssignment(principal=p, privileges=x) for p, x in held.items()]
        return catalog.EffectivePermissionsList(privilege_assignments=assignments or None).as_dict()

    # registered models

    def _model(self, call: Call) -> Securable:
        return self.get("function", call.params["model"])

    def _model_info(self, model: Securable, with_aliases: bool) -> dict[str, Any]:
        catalog_name, schema_name, name = model.full_name.split(".")
        aliases = (
            [catalog.RegisteredModelAlias(alias_name=a, version_num=v) for a, v in sorted(model.aliases.items())]
            if with_aliases
            else None
        )
        return catalog.RegisteredModelInfo(
            name=name,
            catalog_name=catalog_name,
            schema_name=schema_name,
            full_name=model.full_name,
            owner=model.owner,
            comment=model.comment,
            created_by=model.created_by,
            metastore_id="11111111-aaaa-4bbb-8ccc-000000000001",
            storage_location=f"abfss://metastore@stmetastore.dfs.core.windows.net/models/{model.full_name}",
            aliases=aliases or None,
        ).as_dict()

    def create_model(self, call: Call) -> dict[str, Any]:
        body = call.body
        schema = f"{body.get('catalog_name')}.{body.get('schema_name')}"
        if self.workspace.applies(PARENT_MUST_EXIST) and self.find("schema", schema) is None:
            raise ApiError(404, "SCHEMA_DOES_NOT_EXIST", f"Schema '{schema}' does not exist.")
        full_name = f"{schema}.{body.get('name')}"
        if self.find("function", full_name):
            raise ApiError(409, "RESOURCE_ALREADY_EXISTS", f"Registered model '{full_name}' already exists.")
        model = self.add("function", full_name, owner=call.caller)
        model.comment, model.created_by = body.get("comment"), call.caller
        return self._model_info(model, False)

    def get_model(self, call: Call) -> dict[str, Any]:
        return self._model_info(self._model(call), call.arg("include_aliases") == "true")

    def update_model(self, call: Call) -> dict[str, Any]:
        model = self._model(call)
        owner = call.body.get("owner")
        if owner:
            if self.workspace.applies(OWNER_MUST_EXIST) and not self.workspace.principal_known(owner):
                raise invalid(f"Could not find principal with name {owner}")
            model.owner = owner
        if "comment" in call.body:
            model.comment = call.body["comment"] or None
        return self._model_info(model, False)

    def delete_model(self, call: Call) -> None:
        model = self._model(call)
        del self.securables[("function", model.full_name)]

    def _version_info(self, model: Securable, version: Version) -> dict[str, Any]:
        catalog_name, schema_name, name = model.full_name.split(".")
        aliases = [
            catalog.RegisteredModelAlias(alias_name=a, version_num=v)
            for a, v in model.aliases.items()
            if v == version.number
        ]
        return catalog.ModelVersionInfo(
            model_name=name,
            catalog_name=catalog_name,
            schema_name=schema_name,
            version=version.number,
            source=version.source,
            status=catalog.ModelVersionInfoStatus("READY" if version.status == "READY" else "PENDING_REGISTRATION"),
            created_by=version.created_by,
            aliases=aliases or None,
        ).as_dict()

    def list_versions(self, call: Call) -> dict[str, Any]:
        model = self._model(call)
        versions = [self._version_info(model, v) for _, v in sorted(model.versions.items(), reverse=True)]
        return {"model_versions": versions} if versions else {}

    def get_version(self, call: Call) -> dict[str, Any]:
        model = self._model(call)
        version = model.versions.get(int(call.params["version"]))
        if version is None:
            raise ApiError(
                404,
                "RESOURCE_DOES_NOT_EXIST",
                f"Version {call.params['version']} of registered model '{call.params['model']}' does not exist.",
            )
        return self._version_info(model, version)

    def get_alias(self, call: Call) -> dict[str, Any]:
        model = self._model(call)
        number = model.aliases.get(call.params["alias"])
        if number is None:
            raise ApiError(
                404,
                "RESOURCE_DOES_NOT_EXIST",
                f"Alias '{call.params['alias']}' of registered model '{call.params['model']}' does not exist.",
            )
        return self._version_info(model, model.versions[number])

    def set_alias(self, call: Call) -> dict[str, Any]:
        model = self._model(call)
        if not self._may_write_model(call.caller, model):
            raise denied(f"User does not have MANAGE on Registered model '{model.full_name}'.")
        number = int(call.body.get("version_num", 0))
        if number not in model.versions:
            raise invalid(f"Version {number} of registered model '{model.full_name}' does not exist.")
        model.aliases[call.params["alias"]] = number
        return catalog.RegisteredModelAlias(alias_name=call.params["alias"], version_num=number).as_dict()

    def delete_alias(self, call: Call) -> None:
        model = self._model(call)
        if not self._may_write_model(call.caller, model):
            raise denied(f"User does not have MANAGE on Registered model '{model.full_name}'.")
        model.aliases.pop(call.params["alias"], None)

    def mlflow_create_version(self, call: Call) -> dict[str, Any]:
        model = self.get("function", call.body.get("name", ""))
        if not self._may_write_model(call.caller, model):
            raise denied(f"User does not have CREATE MODEL VERSION on Registered model '{model.full_name}'.")
        number = max(model.versions, default=0) + 1
        model.versions[number] = Version(number, call.caller, call.body.get("source", ""))
        return {"model_version": {"name": model.full_name, "version": str(number), "status": "PENDING_REGISTRATION"}}

    def mlflow_finalize_version(self, call: Call) -> dict[str, Any]:
        model = self.get("function", call.body.get("name", ""))
        version = model.versions.get(int(call.body.get("version", 0)))
        if version is None:
            raise invalid(f"Version {call.body.get('version')} of registered model '{model.full_name}' does not exist.")
        version.status = "READY"
        return {"model_version": {"name": model.full_name, "version": str(version.number), "status": "READY"}}
