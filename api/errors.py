"""Errors as HTTP answers: every expected error becomes a status and a body that names what was
wrong, in one shape that each route documents; anything else is a 500 that is logged."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

from api.tokens import TokenError
from common.errors import (
    EMSError,
    MissingSecret,
    NotConfigured,
    StoreConflict,
    UnknownMeter,
    UnknownSeries,
    UnknownSite,
)
from connectors.http_readings import BadBody, UnsupportedFormat
from store.incidents import IncidentClosed, UnknownIncident
from tools.alerts import NotAllowed
from tools.knowledge import KnowledgeNotAvailable

log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    """What every error answer carries."""

    error: str = Field(description="The condition, e.g. UnknownMeter, TokenExpired, NotAllowed.")
    detail: str | list[dict[str, Any]] = Field(
        description="What was wrong and what to do; for invalid requests, one entry per problem."
    )


class Forbidden(EMSError):
    """A token whose role is below what the endpoint needs."""


class TooManyRequests(EMSError):
    """More questions in a minute than a token may ask."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


STATUS: tuple[tuple[type[Exception], int], ...] = (
    (TokenError, 401),
    (Forbidden, 403),
    (NotAllowed, 403),
    (UnknownSite, 404),
    (UnknownMeter, 404),
    (UnknownSeries, 404),
    (UnknownIncident, 404),
    (IncidentClosed, 409),
    (StoreConflict, 409),
    (UnsupportedFormat, 415),
    (BadBody, 400),
    (TooManyRequests, 429),
    (KnowledgeNotAvailable, 503),
    (NotConfigured, 503),
    (MissingSecret, 503),
)


def status_of(exc: Exception) -> int:
    return next((code for kind, code in STATUS if isinstance(exc, kind)), 422)


def _body(error: str, detail: Any) -> dict[str, Any]:
    return {"error": error, "detail": detail}


def _problems(exc: ValidationError | RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": e["type"]}
        for e in exc.errors()
    ]


def install(app: FastAPI) -> None:
    """The handlers that turn errors into answers."""

    @app.exception_handler(EMSError)
    async def expected(request: Request, exc: EMSError) -> JSONResponse:
        status = status_of(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if isinstance(exc, TooManyRequests):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse(_body(type(exc).__name__, str(exc)), status, headers=headers)

    @app.exception_handler(ValidationError)
    async def invalid_arguments(request: Request, exc: ValidationError) -> JSONResponse:
        return JSONResponse(_body("InvalidArguments", _problems(exc)), 422)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(_body("InvalidRequest", _problems(exc)), 422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return JSONResponse(_body("HTTPError", detail), exc.status_code, headers=exc.headers)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def out_of_range(request: Request, exc: Exception) -> JSONResponse:
        # A number the store cannot hold (an id past 64 bits): the request's fault, not a bug.
        detail = "a number in the request is out of the range the store holds"
        return JSONResponse(_body("OutOfRange", detail), 422)

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return JSONResponse(
            _body("InternalError", "the server failed on this request; it is logged"), 500
        )


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error answers a route documents, each with the one error body."""
    text = {
        400: "The body cannot be read",
        401: "No token, or an unknown, expired or revoked one",
        403: "The token's role is below what this needs",
        404: "No such site, meter, series or incident",
        409: "The change conflicts with what is stored",
        413: "The body is larger than the limit",
        415: "The body's media type is not one this route reads",
        422: "Arguments the tool or route cannot use; the detail says which",
        429: "Too many questions in a minute; Retry-After says when to ask again",
        503: "A part this needs is not available (the knowledge store, a setting)",
    }
    return {code: {"model": ErrorBody, "description": text[code]} for code in codes}


COMMON = (401, 403, 413, 422)
