"""The one schema base for every module, and the envelope every response body follows."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class RequestSchema(Schema):
    """Request bodies refuse unknown (and so read-only) fields instead of ignoring them, and
    text with NUL characters (PostgreSQL cannot store them)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        if _has_nul(value):
            raise ValueError(NUL_MESSAGE)
        return value


NUL_MESSAGE = "Text must not contain NUL characters."


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    return False


class SuccessResponse(Schema):
    status: Literal["success"] = "success"


class FieldError(Schema):
    field: str
    message: str


class ErrorResponse(Schema):
    status: Literal["error"] = "error"
    message: str
    errors: list[FieldError] | None = None
    request_id: str | None = None
