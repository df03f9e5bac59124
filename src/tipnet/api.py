"""FastAPI application factory: mounts each domain's router and maps errors to statuses."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from tipnet import __version__, deps
from tipnet.config import Settings
from tipnet.crypto import DecryptionFailed
from tipnet.db import make_engine, make_read_session_factory, make_session_factory
from tipnet.errors import TipnetError
from tipnet.middleware import BodyGuard, SecurityHeaders
from tipnet.reports.writer import IntakeWriter

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
AUTH_FAILURES_INTERVAL = 15.0  # seconds between writes of closed failed-authentication windows
PUBLIC_PATHS = frozenset(
    {
        "/api/v1/health",
        "/openapi.json",
        # served from vendored assets (tipnet.web.docs); /redoc only redirects to /docs
        "/docs",
        "/docs/oauth2-redirect",
        "/redoc",
        # the public "check it" service: no login, nothing stored, rate-limited per address
        "/api/v1/check",
        "/check",
        "/check/{language}",
    }
)


def create_app(settings: Settings) -> FastAPI:
    from fastapi.staticfiles import StaticFiles

    from tipnet.cases.routes import router as cases_router
    from tipnet.detect.routes import router as detect_router
    from tipnet.federation import routes as federation_routes
    from tipnet.federation import runtime as federation
    from tipnet.federation.api_routes import router as federation_api_router
    from tipnet.link.routes import router as link_router
    from tipnet.reports.routes import router as reports_router
    from tipnet.system_routes import router as system_router
    from tipnet.web.docs import router as docs_router
    from tipnet.web.routes import STATIC_DIR
    from tipnet.web.routes import router as web_router

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        counts = asyncio.create_task(_write_auth_failures(app, AUTH_FAILURES_INTERVAL))
        async with federation.background(app):
            yield
        counts.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await counts
        # counts of failed authentications still open would be lost with the process
        with contextlib.suppress(Exception):
            await asyncio.to_thread(deps.flush_auth_failures, app, everything=True)
        app.state.intake_writer.close()
        app.state.engine.dispose()

    app = FastAPI(
        lifespan=lifespan,
        docs_url=None,  # FastAPI's pages load Swagger UI and ReDoc from a CDN; see web.docs
        redoc_url=None,
        title="tipnet",
        version=__version__,
        description=(
            "A tipnet node: report intake from platforms and ISPs, triage and cases for "
            "investigators. Authenticate with `Authorization: Bearer tip_...`."
        ),
    )
    engine = make_engine(settings)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.intake_writer = IntakeWriter(app.state.session_factory)
    app.state.read_session_factory = make_read_session_factory(engine)
    app.state.keyring = settings.keyring()  # during a key rotation, the previous key too
    _install_error_handlers(app)
    for router in (system_router, reports_router, cases_router, detect_router, link_router):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(federation_api_router, prefix=API_PREFIX)
    federation.install(app)  # signed /federation/v1 routes, for peers only
    app.include_router(web_router)
    app.include_router(docs_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # added last, so outermost: the body is checked before the federation door reads it, and
    # every answer (413s, signed federation answers, 500s) gets the headers
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    _document_self_parsed_bodies(app, federation_routes.SELF_PARSED_BODIES)
    return app


def _document_self_parsed_bodies(app: FastAPI, models: list[type[BaseModel]]) -> None:
    """Routes that parse their body themselves (signed federation messages: the signature is
    checked over the raw bytes first) name their models by reference; put those models, and the
    models they use, among the document's components so that every reference resolves."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        components = document.setdefault("components", {}).setdefault("schemas", {})
        for model in models:
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in schema.pop("$defs", {}).items():
                components.setdefault(name, definition)
            components.setdefault(model.__name__, schema)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TipnetError)
    async def _tipnet_error(_request: Request, error: TipnetError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status_code == 401 else None
        return JSONResponse(
            {"detail": error.message}, status_code=error.status_code, headers=headers
        )

    @app.exception_handler(DecryptionFailed)
    async def _unreadable(request: Request, error: DecryptionFailed) -> JSONResponse:
        # The node was started with a key that did not write this data (a retired key, or a
        # rotation half done without TIPNET_PREVIOUS_SECRET_KEY): the operator's to fix.
        path = request.url.path
        log.error("cannot decrypt stored data in %s %s: %s", request.method, path, error)
        return JSONResponse(
            {
                "detail": "this node cannot read its stored data with the key it was started "
                "with; its administrator should check `tipnet admin key-status`"
            },
            status_code=503,
        )

    @app.exception_handler(StatementError)
    async def _statement_error(request: Request, error: StatementError) -> JSONResponse:
        # A column type refused a value (UtcDateTime: a time outside the years 1-9999 in UTC):
        # SQLAlchemy wraps the typed error; answer it as that error. Anything else is a 500.
        if isinstance(error.orig, TipnetError):
            return await _tipnet_error(request, error.orig)
        raise error

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 400 and error.detail == "There was an error parsing the body":
            # FastAPI's answer to a body that is not UTF-8; say what is wrong, as for bad JSON.
            problem = {
                "field": "body",
                "message": "the body is not UTF-8 encoded JSON",
                "type": "json_invalid",
                "loc": ["body"],
            }
            return JSONResponse({"detail": [problem]}, status_code=422)
        return JSONResponse(
            {"detail": error.detail},
            status_code=error.status_code,
            headers=getattr(error, "headers", None),
        )

    @app.exception_handler(OverflowError)
    @app.exception_handler(RecursionError)
    async def _out_of_range(request: Request, error: Exception) -> JSONResponse:
        # Schemas and the body guard refuse these inputs first; this keeps one that slips
        # past them (a number or nesting Python cannot handle) a 422 instead of a 500.
        log.warning("refused %s %s: %r", request.method, request.url.path, error)
        problem = {
            "field": "body",
            "message": "a value in the request is out of range or nested too deeply",
            "type": "value_error",
            "loc": ["body"],
        }
        return JSONResponse({"detail": [problem]}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            {"detail": [_field_error(item) for item in error.errors()]}, status_code=422
        )


def _field_error(item: Any) -> dict[str, Any]:
    location = [str(part) for part in item.get("loc", ())]
    return {
        "field": (".".join(location[1:]) or "body")
        if location[:1] == ["body"]
        else ".".join(location),
        "message": item.get("msg", "invalid value"),
        "type": item.get("type", "value_error"),
        "loc": item.get("loc", ()),
    }


async def _write_auth_failures(app: FastAPI, interval: float) -> None:
    """Write the counts of failed-authentication windows that closed with no failure after them,
    so a flood's full count reaches the audit log without waiting for the next failure."""
    while True:
        await asyncio.sleep(interval)
        try:
            await asyncio.to_thread(deps.flush_auth_failures, app)
        except Exception:  # the loop must outlive a database hiccup
            log.exception("could not write counts of failed authentications to the audit log")
