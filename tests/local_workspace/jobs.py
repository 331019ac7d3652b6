"""Jobs (`/api/2.2/jobs/*`), as provider 1.99.0 calls them (databricks-sdk-go v0.93.0 service/jobs/impl.go).

Settings are stored as the SDK's `JobSettings` parses them (unknown fields dropped, as the API ignores
them) and answered with the rules below; the job's ACL starts with its creator as IS_OWNER.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from databricks.sdk.service import jobs

from .errors import ApiError, denied, invalid
from .rules import rule
from .server import Call, Route

if TYPE_CHECKING:
    from .workspace import LocalWorkspace

BASE = "/api/2.2/jobs"

POLICY_DEFAULTS_NOT_RETURNED = rule(
    "jobs.apply_policy_default_values_not_returned",
    "A job cluster's apply_policy_default_values is accepted and never returned by jobs/get",
    "terraform-provider-databricks #3658 (open); databricks/cli #5731",
)
RUN_AS_WRITE_ONLY = rule(
    "jobs.run_as_write_only",
    "settings.run_as is write-only: jobs/get answers the identity at the top level, run_as_user_name (the "
    "creator when run_as is unset)",
    "terraform-provider-databricks v1.99.0 jobs/jobs_api_go_sdk.go (Read: 'can only be set on write and is not "
    "returned on read')",
)
CREATOR_IS_OWNER = rule(
    "jobs.creator_is_owner",
    "The identity that creates a job is its IS_OWNER until a permissions update names another owner",
    "Databricks docs, 'Control access to a job' (the creator is the owner); terraform-provider-databricks #4734",
)
RUN_AS_SERVICE_PRINCIPAL_NEEDS_ADMIN = rule(
    "jobs.run_as_service_principal_needs_admin",
    "Setting run_as to a service principal needs the caller to be a workspace admin (RestrictWorkspaceAdmins "
    "at its default) or to hold its Service Principal User role; the service principal must exist",
    "Databricks docs, 'Manage roles on a service principal' and 'Run a job as a service principal'",
)
MISSING_JOB_IS_400 = rule(
    "jobs.missing_job_is_400",
    "A job that does not exist is answered 400 INVALID_PARAMETER_VALUE 'Job <id> does not exist.', not 404",
    "terraform-provider-databricks v1.99.0 jobs/resource_job.go (wrapMissingJobError: 'fix non-compliant error code')",
)
SETTINGS_DEFAULTS = rule(
    "jobs.settings_defaults",
    "jobs/get fills in format MULTI_TASK, empty email and webhook notifications, and max_concurrent_runs 1 "
    "and timeout_seconds 0 where they were not sent",
    "Databricks REST API, GET /api/2.2/jobs/get (JobSettings defaults)",
)


@dataclass
class Job:
    id: int
    settings: dict[str, Any]
    creator: str
    created_time: int
    run_as: str


def _clusters_of(settings: dict[str, Any]) -> list[dict[str, Any]]:
    found = [c["new_cluster"] for c in settings.get("job_clusters", []) if "new_cluster" in c]
    found += [t["new_cluster"] for t in settings.get("tasks", []) if "new_cluster" in t]
    return found


class Jobs:
    def __init__(self, workspace: LocalWorkspace):
        self.workspace = workspace
        self.jobs: dict[int, Job] = {}

    def routes(self) -> list[Route]:
        return [
            ("POST", f"{BASE}/create", self.create),
            ("GET", f"{BASE}/get", self.get),
            ("GET", f"{BASE}/list", self.list),
            ("POST", f"{BASE}/reset", self.reset),
            ("POST", f"{BASE}/delete", self.delete),
        ]

    def job(self, job_id: Any) -> Job:
        try:
            found = self.jobs.get(int(job_id))
        except (TypeError, ValueError):
            found = None
        if found is None:
            if self.workspace.applies(MISSING_JOB_IS_400):
                raise invalid(f"Job {job_id} does not exist.")
            raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"Job {job_id} does not exist.")
        return found

    def _run_as(self, call: Call, settings: dict[str, Any]) -> str:
        run_as = settings.get("run_as") or {}
        name = run_as.get("service_principal_name") or run_as.get("user_name") or call.caller
        if run_as.get("service_principal_name") and self.workspace.applies(RUN_AS_SERVICE_PRINCIPAL_NEEDS_ADMIN):
            if not self.workspace.principal_known(name):
                raise invalid(f"Service principal {name} does not exist in the workspace.")
            if not self.workspace.is_admin(call.caller) and not self.workspace.may_use_service_principal(
                call.caller, name
            ):
                raise denied(f"User {call.caller} does not have the Service Principal User role on {name}.")
        return name

    @staticmethod
    def _settings(body: dict[str, Any]) -> dict[str, Any]:
        try:
            return jobs.JobSettings.from_dict(body).as_dict()
        except (ValueError, KeyError) as error:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Invalid job settings: {error}") from None

    def create(self, call: Call) -> dict[str, Any]:
        settings = self._settings(call.body)
        job = Job(self.workspace.next_id(), settings, call.caller, self.workspace.now_ms(), "")
        job.run_as = self._run_as(call, settings)
        self.jobs[job.id] = job
        if self.workspace.applies(CREATOR_IS_OWNER):
            self.workspace.permissions.initial("jobs", str(job.id), call.caller, "IS_OWNER")
        return {"job_id": job.id}

    def _answer(self, job: Job) -> dict[str, Any]:
        settings = jobs.JobSettings.from_dict(job.settings).as_dict()
        if self.workspace.applies(POLICY_DEFAULTS_NOT_RETURNED):
            for cluster in _clusters_of(settings):
                cluster.pop("apply_policy_default_values", None)
        answer: dict[str, Any] = {"job_id": job.id, "creator_user_name": job.creator, "created_time": job.created_time}
        if self.workspace.applies(RUN_AS_WRITE_ONLY):
            settings.pop("run_as", None)
            answer["run_as_user_name"] = job.run_as
        if self.workspace.applies(SETTINGS_DEFAULTS):
            for key, default in (
                ("format", "MULTI_TASK"),
                ("email_notifications", {}),
                ("webhook_notifications", {}),
                ("max_concurrent_runs", 1),
                ("timeout_seconds", 0),
            ):
                settings.setdefault(key, default)
        answer["settings"] = settings
        return answer

    def get(self, call: Call) -> dict[str, Any]:
        return self._answer(self.job(call.arg("job_id")))

    def list(self, call: Call) -> dict[str, Any]:
        found = [self._answer(j) for j in self.jobs.values()]
        name = call.arg("name")
        if name:
            found = [j for j in found if j["settings"].get("name") == name]
        return {"jobs": found, "has_more": False} if found else {"has_more": False}

    def reset(self, call: Call) -> None:
        job = self.job(call.body.get("job_id"))
        settings = self._settings(call.body.get("new_settings") or {})
        job.run_as = self._run_as(call, settings)
        job.settings = settings

    def delete(self, call: Call) -> None:
        job = self.job(call.body.get("job_id"))
        del self.jobs[job.id]
        self.workspace.permissions.forget("jobs", str(job.id))
