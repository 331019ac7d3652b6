"""The workflows' Git source, checked against the rules of the systems that own each part.

- Provider and host agree, as the Jobs API names providers (`git_provider`): the cloud services by
  their own host (github.com, gitlab.com, bitbucket.org, dev.azure.com or <org>.visualstudio.com,
  git-codecommit.<region>.amazonaws.com); a self-hosted host only with the self-hosted providers
  (gitHubEnterprise, gitLabEnterpriseEdition, bitbucketServer). A look-alike (github.com.example.org)
  is not github.com.
- The URL names a repository, in each service's path shape (GitHub: /<owner>/<repo>; Azure DevOps:
  /<org>/<project>/_git/<repo>; ...), not an owner or an organization page.
- A branch or tag is a name git accepts (git-check-ref-format(1): no '..', no component starting with
  '.' or ending with '.lock', no control characters, space, '~', '^', ':', '?', '*', '[', '\\', no
  '@{', not '@', no leading '-', no leading, trailing or doubled '/', no trailing '.').
- A notebook path names a file inside the repository: relative, no '.' or '..' component, not the
  root and not a folder (no trailing '/').
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

CLOUD_HOSTS = {
    "gitHub": re.compile(r"github\.com"),
    "gitLab": re.compile(r"gitlab\.com"),
    "bitbucketCloud": re.compile(r"bitbucket\.org"),
    "azureDevOpsServices": re.compile(r"dev\.azure\.com|[a-z0-9][a-z0-9-]{0,61}\.visualstudio\.com"),
    "awsCodeCommit": re.compile(r"git-codecommit\.[a-z]{2}(?:-[a-z]+)+-[0-9]\.amazonaws\.com"),
}
"""The hosts of the cloud services, exactly."""
SELF_HOSTED = {"gitHubEnterprise": "gitHub", "gitLabEnterpriseEdition": "gitLab", "bitbucketServer": "bitbucketCloud"}
"""Self-hosted providers, by the cloud service whose host they may not name."""

_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]*"
REPOSITORY_PATHS = {
    "gitHub": (re.compile(rf"/{_NAME}/{_NAME}"), "/<owner>/<repository>"),
    "gitHubEnterprise": (re.compile(rf"/{_NAME}/{_NAME}"), "/<owner>/<repository>"),
    "gitLab": (re.compile(rf"(?:/{_NAME}){{2,}}"), "/<group>[/<subgroup>...]/<project>"),
    "gitLabEnterpriseEdition": (re.compile(rf"(?:/{_NAME}){{2,}}"), "/<group>[/<subgroup>...]/<project>"),
    "bitbucketCloud": (re.compile(rf"/{_NAME}/{_NAME}"), "/<workspace>/<repository>"),
    "bitbucketServer": (re.compile(rf"(?:/scm)?/{_NAME}/{_NAME}"), "/scm/<project>/<repository>"),
    "azureDevOpsServices": (
        re.compile(rf"(?:/{_NAME})?/[^/_][^/]*/_git/{_NAME}"),
        "/<organization>/<project>/_git/<repository> (dev.azure.com) or /<project>/_git/<repository>",
    ),
    "awsCodeCommit": (re.compile(rf"/v1/repos/{_NAME}"), "/v1/repos/<repository>"),
}


def git_url_problem(url: str, provider: str) -> str | None:
    """Why `url` does not name a repository of `provider`, or None."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if provider in CLOUD_HOSTS:
        if not CLOUD_HOSTS[provider].fullmatch(host):
            service = {"gitHub": "github.com", "gitLab": "gitlab.com", "bitbucketCloud": "bitbucket.org"}.get(
                provider, CLOUD_HOSTS[provider].pattern.replace("\\", "")
            )
            return (
                f"provider {provider} is the cloud service on {service}, and {host} is not it; a self-hosted server "
                f"takes {', '.join(k for k, v in SELF_HOSTED.items() if v == provider) or 'another provider'}"
            )
    else:
        for cloud, pattern in CLOUD_HOSTS.items():
            if pattern.fullmatch(host):
                return f"{host} is the cloud service of provider {cloud}, not a self-hosted {provider}"
    path = parts.path.removesuffix("/").removesuffix(".git")
    shape, shown = REPOSITORY_PATHS[provider]
    if not shape.fullmatch(path):
        return f"the URL's path {path or '/'} does not name a repository of {provider}: {shown}"
    return None


_REF_CHARACTERS = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")


def git_ref_problem(name: str) -> str | None:
    """Why git would not take `name` as a branch or tag (git-check-ref-format(1)), or None."""
    if not name or name == "@":
        return "is empty or '@'"
    found = _REF_CHARACTERS.search(name)
    if found:
        return f"contains {found.group()!r}: git refuses space, control characters, '~', '^', ':', '?', '*', '[' and backslash"
    if name.startswith("-"):
        return "starts with '-'"
    if name.startswith("/") or name.endswith("/") or "//" in name:
        return "has a leading, trailing or doubled '/'"
    if ".." in name or "@{" in name:
        return "contains '..' or '@{'"
    if name.endswith("."):
        return "ends with '.'"
    for component in name.split("/"):
        if component.startswith("."):
            return f"has a component starting with '.' ({component!r})"
        if component.endswith(".lock"):
            return f"has a component ending with '.lock' ({component!r})"
    return None


def notebook_path_problem(path: str) -> str | None:
    """Why `path` does not name a file inside the repository, or None."""
    if path.startswith("/"):
        return "starts with '/': give the path relative to the repository root"
    if path.endswith("/"):
        return "ends with '/': a notebook is a file, not a folder"
    if any(part in ("", ".", "..") for part in path.split("/")):
        return "has an empty, '.' or '..' component: give a path inside the repository"
    return None
