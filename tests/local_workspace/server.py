"""The local workspace's HTTP side: bearer tokens per identity, routing, JSON in and out, a log.

Answers on 127.0.0.1 only. Every request is recorded (`Request`: method, path, query, body, caller, and
the HTTP status it was answered with) so a test can assert what a client sent, e.g. that the provider
never sent a field, and what the workspace answered, e.g. a 403. A request without
a known token gets the 401 a workspace gives an invalid token; an unknown route gets 404
`ENDPOINT_NOT_FOUND` and is listed in `unhandled`, so a client call the emulator does not know is
never mistaken for a missing object silently (the lifecycle asserts `unhandled` is empty).
"""

from __future__ import annotations

import json
import re
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlparse

from .errors import ApiError

if TYPE_CHECKING:
    from .workspace import LocalWorkspace


@dataclass(frozen=True)
class Request:
    """One request as the workspace received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    caller: str | None
    """The identity's user name (a user's e-mail, a service principal's application id), or None."""
    status: int
    """The HTTP status of the answer (200, or an error's: 401, 403, 404, ...)."""


@dataclass
class Call:
    """What a route handler gets: the caller, the path's named groups, the query and the JSON body."""

    caller: str
    params: dict[str, str]
    query: dict[str, list[str]]
    body: Any = field(default_factory=dict)
    entra: bool = True
    """Whether the caller presented an Entra ID token (False: a Databricks personal access token)."""

    def arg(self, name: str, default: str | None = None) -> str | None:
        """One query parameter (its first value), or `default`."""
        values = self.query.get(name)
        return values[0] if values else default


Handler = Callable[[Call], Any]
Route = tuple[str, str, Handler]
"""(HTTP method, path pattern with `(?P<name>...)` groups, handler returning the JSON answer)."""

UNAUTHENTICATED = ApiError(401, "UNAUTHENTICATED", "Invalid access token.")

PUBLIC_PATHS = ("/.well-known/databricks-config", "/aad/auth", "/oidc/.well-known/oauth-authorization-server")
"""Paths a workspace answers without a token (host metadata, where the SDKs learn cloud and tenant)."""


def compile_routes(routes: list[Route]) -> list[tuple[str, re.Pattern[str], Handler]]:
    return [(method, re.compile(f"^{pattern}$"), handler) for method, pattern, handler in routes]


class _Handler(BaseHTTPRequestHandler):
    workspace: LocalWorkspace
    protocol_version = "HTTP/1.1"

    def log_message(self, *_: Any) -> None:
        pass

    def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        url = urlparse(self.path)
        path = unquote(url.path)
        query = parse_qs(url.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            body = raw.decode(errors="replace")
        workspace = self.workspace
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        caller = workspace.caller(token)
        with workspace.lock:
            status, answer, headers = self._answered(path, query, body, token, caller)
            workspace.requests.append(Request(self.command, path, query, body, caller, status))
        self._answer(status, answer, headers)

    def _answered(
        self, path: str, query: dict[str, list[str]], body: Any, token: str, caller: str | None
    ) -> tuple[int, Any, dict[str, str]]:
        """(status, JSON body, extra headers) of the answer to one request (under the workspace's lock)."""
        workspace = self.workspace
        if path in PUBLIC_PATHS:
            return workspace.public(path)
        if caller is None:
            return UNAUTHENTICATED.status, UNAUTHENTICATED.body(), {}
        try:
            answer = workspace.dispatch(self.command, path, Call(caller, {}, query, body, workspace.tokens[token][1]))
        except ApiError as error:
            return error.status, error.body(), {}
        except Exception as error:  # a fault of the emulator: 500, and kept for the test to report
            workspace.faults.append(f"{self.command} {path}: {traceback.format_exc()}")
            return 500, {"error_code": "INTERNAL_ERROR", "message": repr(error)}, {}
        return 200, answer if answer is not None else {}, {}

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


@contextmanager
def serve(workspace: LocalWorkspace) -> Iterator[str]:
    """Serve `workspace` on a free port of 127.0.0.1 for the duration; yields its base URL."""
    handler = type("Handler", (_Handler,), {"workspace": workspace})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
