"""ops/main_head.py: a deploying job goes on only for refs/heads/main at main's current head.

Run as the workflows run it (`python3 ops/main_head.py`, stdlib only) against a stand-in of GitHub's REST API on
127.0.0.1 that answers `GET /repos/{owner}/{repo}/git/ref/heads/main` as GitHub does (and 401 without the token).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.helpers import ROOT

HEAD = "1" * 40
OLD = "0" * 40
TOKEN = "stand-in-token-of-the-job"
REPOSITORY = "contoso/mlplatform"


class _GitHub(BaseHTTPRequestHandler):
    head = HEAD

    def do_GET(self) -> None:
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._answer(401, {"message": "Bad credentials"})
        elif self.path == f"/repos/{REPOSITORY}/git/ref/heads/main":
            self._answer(200, {"ref": "refs/heads/main", "object": {"type": "commit", "sha": self.head}})
        else:
            self._answer(404, {"message": "Not Found"})

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _GitHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def check(api: str, **job: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": "/usr/bin:/bin",
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_SHA": HEAD,
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_API_URL": api,
        "GH_TOKEN": TOKEN,
        **job,
    }
    return subprocess.run(
        [sys.executable, "-I", str(ROOT / "ops" / "main_head.py")], env=env, capture_output=True, text=True, timeout=60
    )


def test_main_s_current_head_goes_on(api):
    result = check(api)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"runs main's current head {HEAD[:12]}\n", "")


@pytest.mark.parametrize(
    ("job", "said"),
    [
        (
            {"GITHUB_SHA": OLD},  # "Re-run" of an older run, or a run overtaken by a newer commit
            f"error: this run is of commit {OLD[:12]}, main's head is now {HEAD[:12]}: an older run (or a re-run of "
            f"one) deploys nothing; the run of {HEAD[:12]} deploys it",
        ),
        (
            {"GITHUB_REF": "refs/tags/main"},  # a tag named main passes a "selected branches: main" rule
            "error: this run is of refs/tags/main, not refs/heads/main: deploying jobs run for main only",
        ),
        (
            {"GITHUB_REF": "refs/pull/7/merge"},  # a pull request whose head branch is named main
            "error: this run is of refs/pull/7/merge, not refs/heads/main: deploying jobs run for main only",
        ),
        ({"GH_TOKEN": "not the job's"}, "error: cannot read main's head from GitHub: HTTP 401"),
        (
            {"GH_TOKEN": ""},
            "error: GH_TOKEN not set: cannot ask GitHub for main's head (the step sets GH_TOKEN)",
        ),
    ],
    ids=["older-commit", "tag-named-main", "pull-request", "bad-token", "no-token"],
)
def test_anything_else_stops_the_job_in_one_line(api, job, said):
    result = check(api, **job)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", said + "\n")


def test_an_unreachable_api_fails_closed():
    result = check("http://127.0.0.1:9")  # discard port: refused at once
    assert result.returncode == 2
    assert result.stderr.startswith("error: cannot read main's head from GitHub: ") and result.stderr.count("\n") == 1


def test_the_branch_is_the_one_the_workflows_deploy_from_and_the_credentials_trust():
    from config.naming import DEPLOY_BRANCH
    from ops import main_head

    assert main_head.BRANCH == DEPLOY_BRANCH == "main"
