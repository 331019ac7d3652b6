"""`make agent-probe ENV=<env>`: the agents' token probe, run here against a stand-in of the Instance
Metadata Service on 127.0.0.1 (the real one answers only on an Azure host)."""

from __future__ import annotations

import json
import shlex
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from ops.agent_probe import IMDS_TOKEN, main, probe_command

CLIENT_ID = "44444444-4444-4444-4444-444444444444"


def test_the_probe_makes_the_providers_own_token_request():
    """databricks-sdk-go v0.93.0 config/auth_azure_msi.go: IMDS, api-version 2018-02-01, the AzureDatabricks
    resource, the identity's client id, `Metadata: true`, 10 s."""
    words = shlex.split(probe_command(CLIENT_ID).split(" | ")[0])
    assert words[:6] == ["curl", "-sS", "--max-time", "10", "-H", "Metadata:true"]
    url = urlparse(words[6])
    assert f"{url.scheme}://{url.netloc}{url.path}" == IMDS_TOKEN
    assert parse_qs(url.query) == {
        "api-version": ["2018-02-01"],
        "resource": ["2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"],
        "client_id": [CLIENT_ID],
    }


def _run_against(answer: dict | None) -> str:
    """The probe's shell line with the metadata service at a local stand-in answering `answer` (None: 400)."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def do_GET(self):
            seen.append(self.headers.get("Metadata"))
            body = json.dumps(answer or {"error": "invalid_request"}).encode()
            self.send_response(200 if answer else 400)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        line = probe_command(CLIENT_ID).replace("http://169.254.169.254", f"http://127.0.0.1:{server.server_port}")
        result = subprocess.run(["sh", "-c", line], capture_output=True, text=True, timeout=30)
    finally:
        server.shutdown()
        server.server_close()
    assert seen == ["true"]
    return result.stdout


def test_it_prints_the_expiry_never_the_token():
    out = _run_against(
        {"access_token": "eyJ0eXAi.not-a-real-token.sig", "expires_on": "1733400000", "token_type": "Bearer"}
    )
    assert out.strip() == '"expires_on": "1733400000"'


def test_without_a_token_it_says_why():
    assert _run_against(None).startswith("no token: this host has no Instance Metadata Service identity endpoint")


def test_it_prints_the_probe_for_an_agent_environment_and_refuses_a_local_one(capsys):
    assert main({"MLPLATFORM_ENVIRONMENTS": "staging"}) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "# on an agent host of pool 'mlplatform-staging', inside the tfc-agent container:",
        probe_command(CLIENT_ID),
    ]
    assert main({"MLPLATFORM_ENVIRONMENTS": "dev"}) == 2
    assert capsys.readouterr().err.strip() == (
        "error: environment 'dev' runs locally (execution_mode: local): it has no agents to probe"
    )
