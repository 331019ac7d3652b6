"""A serving endpoint's AI gateway: inference table, usage tracking, rate limits."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from .types import Strict, UcIdentifier


class InferenceTableSettings(Strict):
    """Where the AI gateway writes request/response logs (the deploying identity needs CREATE TABLE there)."""

    catalog: UcIdentifier
    """Catalog of the inference table."""
    schema_name: UcIdentifier = Field(alias="schema")
    """Schema of the inference table (written `schema:`)."""
    table_prefix: UcIdentifier | None = None
    """Table name prefix; default the endpoint name. Databricks names the table `<prefix>_payload`,
    which must fit Unity Catalog's 255 characters: at most 247."""

    @field_validator("table_prefix")
    @classmethod
    def _room_for_the_suffix(cls, value: str | None) -> str | None:
        if value is not None and len(value) + len("_payload") > 255:
            raise ValueError(
                f"{len(value)} characters: Databricks names the table <prefix>_payload, which must fit Unity "
                "Catalog's 255 characters; use at most 247"
            )
        return value


class RateLimitSettings(Strict):
    """One AI gateway rate limit."""

    calls: int = Field(ge=1, le=1_000_000)
    """Calls allowed per renewal period."""
    key: Literal["user", "endpoint"] = "endpoint"
    """Per user or for the whole endpoint."""
    renewal_period: Literal["minute"] = "minute"
    """The only period Databricks offers."""


class AiGatewaySettings(Strict):
    """The endpoint's AI gateway."""

    inference_table: InferenceTableSettings | None = None
    """Log requests and responses to a Unity Catalog table."""
    usage_tracking: bool = False
    """Track usage in system tables."""
    rate_limits: list[RateLimitSettings] = Field(default_factory=list)
    """Rate limits."""

    @model_validator(mode="after")
    def _something_on(self) -> AiGatewaySettings:
        # An empty gateway would be an `ai_gateway {}` block the API reads back as absent: drift on
        # every plan, and databricks 1.99.0 dereferences a missing gateway when it updates one.
        if self.inference_table is None and not self.usage_tracking and not self.rate_limits:
            raise ValueError("turns nothing on: set inference_table, usage_tracking or rate_limits, or omit ai_gateway")
        return self


__all__ = ["AiGatewaySettings", "InferenceTableSettings", "RateLimitSettings"]
