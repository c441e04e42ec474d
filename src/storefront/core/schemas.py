"""The one schema base for every module, and the envelope every response body follows."""

from typing import Literal

from pydantic import BaseModel, ConfigDict


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class RequestSchema(Schema):
    """Request bodies refuse unknown (and so read-only) fields instead of ignoring them."""

    model_config = ConfigDict(extra="forbid")


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
