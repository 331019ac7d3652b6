"""A fake `az` CLI for the Databricks SDK's `azure-cli` method, handing out an Entra ID token of one
identity of the local workspace (tests: `make preflight`).

The token is an unsigned JWT with a user's claims (not a credential anywhere); register it with the
workspace (`LocalWorkspace.add_user(..., token=TOKEN)`) and the workspace answers it as that user.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from .workspace import TENANT

USER = "ana@example.com"
"""Whom the fake `az` is logged in as."""


def _segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


TOKEN = f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment({'upn': USER, 'tid': TENANT})}.fake-signature"
"""What the fake `az` prints as the access token."""


def install_fake_az(folder: Path, *, logged_in: bool = True) -> Path:
    """A fake `az` in `folder` (put it first on PATH): `account get-access-token` prints TOKEN, or
    fails as a logged-out Azure CLI does. A shell script: the SDK runs it up to 4 times per client.
    Returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    account = json.dumps({"user": {"type": "user", "name": USER}})
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
