"""Temporal's remote codec protocol: `POST /encode` and `POST /decode` take and return
`{"payloads": [{"metadata": {key: base64}, "data": base64}]}`, the proto3 JSON form of
temporal.api.common.v1.Payloads.

The body is checked here before protobuf sees it, because protobuf's JSON parser quietly drops
characters that are not base64 (`"data": "!!!!"` would become empty bytes): a malformed body is
a 400 that says what is wrong, never a payload silently changed. Error messages name the field,
never its value (an /encode body is plaintext case data).
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from google.protobuf import json_format
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from temporalio.api.common.v1 import Payload, Payloads

MAX_PAYLOADS = 1000
_BASE64 = re.compile(r"^[A-Za-z0-9+/_-]*={0,2}$")


class MalformedBody(ValueError):
    """The request body is not the codec protocol's JSON; the message is for the caller."""


def _base64(value: str) -> str:
    """Standard or URL-safe base64, padded or not (what proto3 JSON parsers accept)."""
    unpadded = value.rstrip("=")
    padded_wrongly = len(unpadded) != len(value) and len(value) % 4 != 0
    if not _BASE64.match(value) or len(unpadded) % 4 == 1 or padded_wrongly:
        raise ValueError("is not base64 (proto3 JSON writes bytes as base64)")
    return value


Base64 = Annotated[str, AfterValidator(_base64)]


class PayloadJson(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    metadata: dict[str, Base64] = {}
    data: Base64 = ""
    external_payloads: list[dict[str, Any]] = Field(default=[], alias="externalPayloads")


class PayloadsJson(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payloads: list[PayloadJson] = Field(default=[], max_length=MAX_PAYLOADS)


def _problems(error: ValidationError, limit: int = 3) -> str:
    parts = []
    for item in error.errors(include_input=False, include_url=False)[:limit]:
        where = ".".join(str(part) for part in item["loc"]) or "body"
        parts.append(f"{where}: {str(item['msg']).removeprefix('Value error, ')}")
    more = error.error_count() - limit
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def parse_payloads(body: bytes) -> list[Payload]:
    """The payloads of a request body, or MalformedBody saying what is wrong with it."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise MalformedBody('the body is not JSON: send {"payloads": [{"metadata": {...}, "data": "..."}]}') from None
    try:
        checked = PayloadsJson.model_validate(document)
    except ValidationError as error:
        raise MalformedBody(f"not a Payloads message: {_problems(error)}") from None
    try:
        message = json_format.ParseDict(checked.model_dump(by_alias=True, exclude_defaults=True), Payloads())
    except json_format.ParseError:
        raise MalformedBody("not a Payloads message: a payload could not be read") from None
    return list(message.payloads)


def payloads_json(payloads: list[Payload]) -> dict[str, Any]:
    """The response body: the same shape as the request."""
    document = json_format.MessageToDict(Payloads(payloads=payloads))
    document.setdefault("payloads", [])
    return document
