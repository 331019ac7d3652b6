"""Stop a deploying job at once unless it runs main's current head (docs/ci-cd.md: Who can do what).

    python3 ops/main_head.py     in every job of deploy.yml and maintenance.yml, before anything else runs

GitHub's environment branch rule ("selected branches: main") is checked against the run's head branch, so a
pull request whose head branch is named `main`, or a tag so named, passes it unless the rule is "protected
branches only"; and "Re-run" of an older run replays an older commit with today's rights. This refuses both:
the run's ref must be `refs/heads/main` and its commit (`GITHUB_SHA`) must be the head of `main` now, as GitHub's
REST API says (`GET /repos/{owner}/{repo}/git/ref/heads/main`, with the job's own `GITHUB_TOKEN`, `contents:
read`). A run overtaken by a newer commit deploys nothing; the newer commit's run deploys both.

Reads GITHUB_REF, GITHUB_SHA, GITHUB_REPOSITORY, GITHUB_API_URL and GH_TOKEN. Exit 0 when the job may go on;
2 with one line on stderr when it may not, or when main's head cannot be read (it fails closed). Stdlib only:
it runs before the project is installed.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping

BRANCH = "main"
TIMEOUT_SECONDS = 20


def main_head(api_url: str, repository: str, token: str) -> str:
    """The commit `main` points at now (40 hex digits); raises OSError or ValueError when it cannot be read."""
    request = urllib.request.Request(
        f"{api_url.rstrip('/')}/repos/{repository}/git/ref/heads/{BRANCH}",
        headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {token}",
            "X-GitHub-Api-Version": "2022-11-28",
        },
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        sha = json.load(response)["object"]["sha"]
    if not (isinstance(sha, str) and len(sha) == 40 and all(c in "0123456789abcdef" for c in sha)):
        raise ValueError("the answer names no commit")
    return sha


def refusal(environ: Mapping[str, str]) -> str | None:
    """Why this job must stop, in one line; None when it runs main's current head."""
    ref, sha = environ.get("GITHUB_REF", ""), environ.get("GITHUB_SHA", "")
    if ref != f"refs/heads/{BRANCH}":
        return f"this run is of {ref or 'no ref'}, not refs/heads/{BRANCH}: deploying jobs run for {BRANCH} only"
    missing = [name for name in ("GITHUB_REPOSITORY", "GITHUB_API_URL", "GH_TOKEN") if not environ.get(name)]
    if missing:
        return f"{', '.join(missing)} not set: cannot ask GitHub for {BRANCH}'s head (the step sets GH_TOKEN)"
    try:
        head = main_head(environ["GITHUB_API_URL"], environ["GITHUB_REPOSITORY"], environ["GH_TOKEN"])
    except urllib.error.HTTPError as error:
        return f"cannot read {BRANCH}'s head from GitHub: HTTP {error.code}"
    except (OSError, ValueError, KeyError, TypeError) as error:
        reason = getattr(error, "reason", None) or error.__class__.__name__
        return f"cannot read {BRANCH}'s head from GitHub: {reason}"
    if head != sha:
        return (
            f"this run is of commit {sha[:12]}, {BRANCH}'s head is now {head[:12]}: an older run (or a re-run of "
            f"one) deploys nothing; the run of {head[:12]} deploys it"
        )
    return None


if __name__ == "__main__":
    why = refusal(os.environ)
    if why:
        print(f"error: {why}", file=sys.stderr)
        sys.exit(2)
    print(f"runs {BRANCH}'s current head {os.environ['GITHUB_SHA'][:12]}")
