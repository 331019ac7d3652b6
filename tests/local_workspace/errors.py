"""The API's error bodies: what databricks-sdk-go v0.93.0 parses (`apierr/errors.go`,
`standardErrorParser`): `{"error_code", "message"}` for the REST APIs, and the SCIM form
`{"schemas", "detail", "status"}` (RFC 7644 section 3.12) for `/api/2.0/preview/scim/v2/*`, which the
SDK turns into `SCIM_<status>`. The HTTP status decides what the provider does with a read: 404 on a
read removes the resource from state (`common/resource.go`, `apierr.IsMissing`)."""

from __future__ import annotations

from typing import Any

SCIM_ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class ApiError(Exception):
    """An error answer: HTTP status, the API's error code and message (or a SCIM error)."""

    def __init__(self, status: int, error_code: str, message: str, *, scim: bool = False):
        super().__init__(f"{status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.scim = scim

    def body(self) -> dict[str, Any]:
        if self.scim:
            return {"schemas": [SCIM_ERROR_SCHEMA], "detail": self.message, "status": str(self.status)}
        return {"error_code": self.error_code, "message": self.message}


def not_found(message: str) -> ApiError:
    return ApiError(404, "RESOURCE_DOES_NOT_EXIST", message)


def already_exists(message: str) -> ApiError:
    return ApiError(409, "RESOURCE_ALREADY_EXISTS", message)


def invalid(message: str) -> ApiError:
    return ApiError(400, "INVALID_PARAMETER_VALUE", message)


def denied(message: str) -> ApiError:
    return ApiError(403, "PERMISSION_DENIED", message)


def scim_not_found(what: str) -> ApiError:
    return ApiError(404, "SCIM_404", f"{what} not found.", scim=True)


def scim_conflict(message: str) -> ApiError:
    return ApiError(409, "SCIM_409", message, scim=True)
