"""The one schema base for every module, the envelope every response body follows, and the
request field types whose OpenAPI schema says exactly what their validation accepts."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from annotated_types import GroupedMetadata
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    Strict,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from storefront.core.money import Money


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


# What JSON Schema patterns say of request text. Written as explicit classes, never `\s`: the
# document's readers (ECMA-262, Rust, Python regex engines) disagree on what `\s` holds.
NO_NUL = r"^[^\x00]*$"
# What pydantic's strip_whitespace removes (Rust's trim: Unicode White_Space).
SPACE = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


@dataclass(frozen=True)
class _Keywords:
    """JSON Schema keywords set on (or, with None, taken off) a field's schema; they check
    nothing themselves."""

    keywords: dict[str, object]

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        for keyword, value in self.keywords.items():
            if value is None:
                schema.pop(keyword, None)
            else:
                schema[keyword] = value
        return schema


@dataclass(frozen=True)
class Text(GroupedMetadata):
    """`Annotated[str, Text(...)]`: a request string of `min_length`-`max_length` characters
    that matches `pattern` (by default: no NUL, as in every request)."""

    max_length: int
    min_length: int = 0
    pattern: str = NO_NUL

    def __iter__(self) -> Iterator[object]:
        yield StringConstraints(min_length=self.min_length, max_length=self.max_length)
        yield _Keywords({"pattern": self.pattern})


@dataclass(frozen=True)
class StrippedText(GroupedMetadata):
    """`Annotated[str, StrippedText(...)]`: surrounding whitespace is removed, then the rest
    is `min_length` (0 or 1) to `max_length` characters. JSON Schema has no "after stripping":
    the pattern says it, without maxLength (a longer string may pad an acceptable one)."""

    max_length: int
    min_length: int = 0

    def __iter__(self) -> Iterator[object]:
        yield StringConstraints(
            strip_whitespace=True, min_length=self.min_length, max_length=self.max_length
        )
        pattern = stripped_pattern(self.min_length, self.max_length)
        yield _Keywords({"pattern": pattern, "maxLength": None})


def stripped_pattern(min_length: int, max_length: int, space: str = SPACE) -> str:
    """Optional `space` around `min_length` (0 or 1) to `max_length` characters that start and
    end with something else; no NUL anywhere."""
    edge, inner = rf"[^{space}\x00]", r"[^\x00]"
    content = edge if max_length == 1 else rf"{edge}(?:{inner}{{0,{max_length - 2}}}{edge})?"
    if min_length == 0:
        content = f"(?:{content})?"
    return rf"^[{space}]*{content}[{space}]*$"


@dataclass(frozen=True)
class Checked(GroupedMetadata):
    """`Annotated[str, Checked(...)]`: a request string whose rules a service checks, so that
    every broken rule is reported at once with its own message (registration lists them all).
    The document states the rules; validation only refuses text longer than `guard`."""

    guard: int
    min_length: int | None = None
    max_length: int | None = None
    pattern: str = NO_NUL

    def __iter__(self) -> Iterator[object]:
        yield StringConstraints(max_length=self.guard)
        yield _Keywords(
            {
                "pattern": self.pattern,
                "minLength": self.min_length,
                "maxLength": self.max_length or self.guard,
            }
        )


# JSON's own types, as the document states them: `"2"` is no integer and `1` no boolean.
JsonInt = Annotated[int, Strict()]
JsonBool = Annotated[bool, Strict()]

# A positive amount as a decimal string, never a JSON number (binary floats are not money): the
# pattern is all that is accepted (Money's NUMERIC(12,2) included), so the document is exact.
POSITIVE_MONEY_PATTERN = r"^(?![0.]*$)[0-9]{1,10}(?:\.[0-9]{1,2})?$"
MONEY_TEXT_MESSAGE = 'Enter an amount above zero with at most two decimals, as a string: "1299.00".'


def _money_text(value: object) -> object:
    if isinstance(value, Decimal):  # built in Python, not sent
        return value
    if not isinstance(value, str) or not re.fullmatch(POSITIVE_MONEY_PATTERN, value):
        raise ValueError(MONEY_TEXT_MESSAGE)
    return value


PositiveMoney = Annotated[
    Money,
    BeforeValidator(_money_text),
    WithJsonSchema({"type": "string", "pattern": POSITIVE_MONEY_PATTERN}, mode="validation"),
]


def _without_null(schema: dict[str, Any]) -> None:
    schema.pop("default", None)
    branches = [branch for branch in schema.pop("anyOf", []) if branch != {"type": "null"}]
    if len(branches) == 1:
        schema.update(branches[0])
    elif branches:
        schema["anyOf"] = branches


T = TypeVar("T")
# A field a partial update may leave out but never send as null (left out means kept; the
# model refuses null): the document shows the value's type alone, with no null and no default.
Omittable = Annotated[T | None, Field(json_schema_extra=_without_null)]


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
