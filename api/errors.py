"""One JSON error shape for every failure: ``{"code", "message", "details"}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException

from api.open311 import PREFIX as OPEN311_PREFIX
from api.open311 import error_response as open311_error
from api.open311 import format_of
from dispatch.errors import DispatchError
from dispatch.states import IllegalTransition

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """Raise from routes for a clean 4xx."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The error payload."""
    return {"code": code, "message": message, "details": details}


_HTTP_CODES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def install_error_handlers(app: FastAPI) -> None:
    """Map domain and framework errors to the one error shape."""

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=exc.status)

    @app.exception_handler(DispatchError)
    async def _dispatch(_: Request, exc: DispatchError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, str(exc)), status_code=exc.status)

    @app.exception_handler(IllegalTransition)
    async def _illegal(_: Request, exc: IllegalTransition) -> JSONResponse:
        details = {"state": exc.state.value, "action": exc.action.value}
        return JSONResponse(error_body("illegal_transition", str(exc), details), status_code=409)

    @app.exception_handler(StaleDataError)
    async def _stale(_: Request, exc: StaleDataError) -> JSONResponse:
        return JSONResponse(
            error_body("conflict", "the record changed meanwhile; reload and retry"),
            status_code=409,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        body = error_body("internal_error", "an unexpected error occurred; it was logged")
        return JSONResponse(body, status_code=500)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        logger.info("integrity error: %s", exc.orig)
        message = "the change conflicts with stored data (a duplicate, or a row still in use)"
        return JSONResponse(error_body("conflict", message), status_code=409)

    @app.exception_handler(DataError)
    async def _data(_: Request, exc: DataError) -> JSONResponse:
        logger.info("data error: %s", exc.orig)
        message = "a value is out of range or malformed for the database"
        return JSONResponse(error_body("invalid_value", message), status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        details = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        if request.url.path.startswith(OPEN311_PREFIX):
            text = "; ".join(f"{'.'.join(map(str, d['loc']))}: {d['msg']}" for d in details)
            return open311_error(format_of(request.url.path), 400, text or "invalid request")
        return JSONResponse(
            error_body("invalid_request", "the request is not valid", details), status_code=422
        )

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith(OPEN311_PREFIX):
            return open311_error(format_of(request.url.path), exc.status_code, str(exc.detail))
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )


def install_openapi_errors(app: FastAPI) -> None:
    """Document the real error shape: every operation may answer 4XX with ``ErrorPublic``
    (Open311 operations with the spec's error list), replacing FastAPI's default 422 body."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["ErrorPublic"] = _ERROR_SCHEMA
        for path, item in schema.get("paths", {}).items():
            if path.startswith(OPEN311_PREFIX):
                continue
            for operation in item.values():
                responses = operation.setdefault("responses", {})
                responses.pop("422", None)
                responses["4XX"] = {
                    "description": "Client error",
                    "content": {"application/json": {"schema": _ERROR_REF}},
                }
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


_ERROR_REF = {"$ref": "#/components/schemas/ErrorPublic"}
_ERROR_SCHEMA: dict[str, Any] = {
    "title": "ErrorPublic",
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string", "description": "Stable machine-readable code."},
        "message": {"type": "string", "description": "Human explanation."},
        "details": {"description": "Extra structured information, or null."},
    },
}
