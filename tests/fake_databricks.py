"""A local fake of the few Databricks REST calls `make preflight` makes, and a fake `az` CLI.

The fake answers on 127.0.0.1 only, from plain data a test arranges (`FakeWorkspace`), with the
response shapes of the Databricks REST API (SCIM Me, Unity Catalog catalogs/schemas/tables/models,
effective permissions, model versions and aliases) and its error bodies (`error_code`, `message`).
It refuses any request without the bearer token the fake `az` hands out, and records every request
so a test can assert the preflight only reads. Never a live workspace.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

TENANT = "11111111-2222-3333-4444-555555555555"
DEPLOYER = "ana@example.com"


def _segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


TOKEN = f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment({'upn': DEPLOYER, 'tid': TENANT})}.fake-signature"
"""What the fake `az` returns: an unsigned JWT with a user's claims (not a credential anywhere)."""


@dataclass
class FakeWorkspace:
    """What the workspace holds. Keys of `owners` / `privileges` are (kind, full name lower-cased)."""

    user_name: str = DEPLOYER
    groups: list[str] = field(default_factory=lambda: ["admins"])
    metastore_owner: str = "metastore-admins"
    owners: dict[tuple[str, str], str] = field(default_factory=dict)
    privileges: dict[tuple[str, str], dict[str, list[str]]] = field(default_factory=dict)
    """(kind, name) -> principal -> privileges effective there (inherited ones included)."""
    aliases: dict[tuple[str, str], int] = field(default_factory=dict)
    """(model lower-cased, alias) -> version."""
    versions: set[tuple[str, int]] = field(default_factory=set)
    requests: list[tuple[str, str]] = field(default_factory=list)

    def add(self, kind: str, full_name: str, owner: str = "someone-else", **grants: list[str]) -> None:
        self.owners[(kind, full_name.lower())] = owner
        for principal, held in grants.items():
            self.privileges.setdefault((kind, full_name.lower()), {})[principal] = held

    def grant(self, kind: str, full_name: str, principal: str, *held: str) -> None:
        self.privileges.setdefault((kind, full_name.lower()), {}).setdefault(principal, []).extend(held)


KINDS = {"catalogs": "catalog", "schemas": "schema", "tables": "table", "models": "function"}


class _Handler(BaseHTTPRequestHandler):
    workspace: FakeWorkspace

    def log_message(self, *_: Any) -> None:
        pass

    def _send(self, status: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body or {}).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _missing(self, what: str) -> None:
        self._send(404, {"error_code": "NOT_FOUND", "message": f"{what} does not exist."})

    def do_GET(self) -> None:
        url = urlparse(self.path)
        path = unquote(url.path)
        self.workspace.requests.append(("GET", path))
        if path == "/.well-known/databricks-config":
            return self._send(
                200, {"oidc_endpoint": "https://login.example/oidc", "workspace_id": "1234", "cloud": "AZURE"}
            )
        if path == "/aad/auth":  # where the SDK learns the tenant
            location = f"https://login.microsoftonline.com/{TENANT}/oauth2/authorize"
            return self._send(302, headers={"Location": location})
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(401, {"error_code": "UNAUTHENTICATED", "message": "Invalid access token."})
        self._route(path, parse_qs(url.query))

    def _route(self, path: str, query: dict[str, list[str]]) -> None:
        w = self.workspace
        parts = path.removeprefix("/api/2.1/unity-catalog/").split("/")
        if path == "/api/2.0/preview/scim/v2/Me":
            groups = [{"display": g, "value": str(i)} for i, g in enumerate(w.groups)]
            return self._send(200, {"id": "42", "userName": w.user_name, "groups": groups})
        if path == "/api/2.1/unity-catalog/metastore_summary":
            return self._send(200, {"metastore_id": "m-1", "owner": w.metastore_owner})
        if parts[0] == "effective-permissions" and len(parts) == 3:
            kind, name = parts[1], parts[2]
            if (kind, name.lower()) not in w.owners:
                return self._missing(f"{kind} '{name}'")
            held = w.privileges.get((kind, name.lower()), {})
            assignments = [
                {"principal": p, "privileges": [{"privilege": x} for x in privileges]} for p, privileges in held.items()
            ]
            return self._send(200, {"privilege_assignments": assignments})
        if parts[0] == "models" and len(parts) == 4:
            return self._model_version(parts[1], parts[2], parts[3])
        if parts[0] in KINDS and len(parts) == 2:
            kind, name = KINDS[parts[0]], parts[1]
            if (kind, name.lower()) not in w.owners:
                return self._missing(f"{kind} '{name}'")
            key = "full_name" if kind != "catalog" else "name"
            return self._send(200, {key: name, "owner": w.owners[(kind, name.lower())]})
        self._missing(path)

    def _model_version(self, model: str, what: str, which: str) -> None:
        w = self.workspace
        if ("function", model.lower()) not in w.owners:
            return self._missing(f"Registered model '{model}'")
        if what == "aliases":
            version = w.aliases.get((model.lower(), which))
            if version is None:
                return self._missing(f"Alias '{which}' of registered model '{model}'")
            return self._send(200, {"model_name": model, "version": version, "aliases": [{"alias_name": which}]})
        if (model.lower(), int(which)) not in w.versions:
            return self._missing(f"Version {which} of registered model '{model}'")
        return self._send(200, {"model_name": model, "version": int(which)})


@contextmanager
def serving(workspace: FakeWorkspace) -> Iterator[str]:
    """Serve `workspace` on a free local port for the duration; yields its base URL."""
    handler = type("Handler", (_Handler,), {"workspace": workspace})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def install_fake_az(folder: Path, *, logged_in: bool = True) -> Path:
    """A fake `az` in `folder` (put it first on PATH): `account get-access-token` prints TOKEN, or
    fails as a logged-out Azure CLI does. A shell script: the SDK runs it up to 4 times per client.
    Returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    account = json.dumps({"user": {"type": "user", "name": DEPLOYER}})
    token = json.dumps({"accessToken": TOKEN, "tokenType": "Bearer", "expiresOn": "2099-01-01 00:00:00.000000"})
    body = (
        f"case \"$1 $2\" in\n  'account show') echo '{account}';;\n  *) echo '{token}';;\nesac\n"
        if logged_in
        else "echo \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n"
    )
    script = folder / "az"
    script.write_text(f"#!/bin/sh\n{body}")
    script.chmod(0o755)
    return folder
