"""The OpenAPI documentation at /docs, served from vendored Swagger UI files.

FastAPI's default page loads Swagger UI from a CDN and starts it with an inline script; here
every asset comes from /static (see static/vendor/swagger-ui/README.md for their source and
version), the page starts it from static/docs.js, and a Content-Security-Policy keeps the
browser to this origin. ReDoc is not served (/redoc redirects here): one documentation page is
enough, and its bundle would need inline styles and web workers from blob: URLs.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from tipnet.middleware import CONTENT_SECURITY_POLICY

DOCS_PATH = "/docs"
OAUTH2_REDIRECT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tipnet API: sign-in</title></head>
<body><script src="/static/vendor/swagger-ui/oauth2-redirect.js"></script></body></html>
"""
# Swagger UI draws its icons as data: images; everything else it needs is on this origin.
DOCS_CONTENT_SECURITY_POLICY = f"{CONTENT_SECURITY_POLICY}; img-src 'self' data:"

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(resources.files("tipnet.web").joinpath("templates")))


@router.get(DOCS_PATH)
async def api_docs(request: Request) -> Response:
    context = {"title": f"{request.app.title} API", "openapi_url": request.app.openapi_url}
    response = templates.TemplateResponse(request, "docs.html", context)
    response.headers["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
    return response


@router.get(f"{DOCS_PATH}/oauth2-redirect")
async def oauth2_redirect() -> HTMLResponse:
    """Where an OAuth2 sign-in started from /docs returns to (Swagger UI's own page)."""
    return HTMLResponse(OAUTH2_REDIRECT_PAGE)


@router.get("/redoc")
async def redoc() -> RedirectResponse:
    return RedirectResponse(DOCS_PATH, status_code=307)
