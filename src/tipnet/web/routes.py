"""Public pages: the "check it" page in English, Spanish, French and Portuguese.

Server-rendered HTML with a plain form, so it works without JavaScript, on old phones and
behind strict filters; no cookies, no third-party assets, and a Content-Security-Policy that
allows only this site's own stylesheet.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from tipnet.detect import scoring, service
from tipnet.detect.catalogue import ContentKind
from tipnet.detect.routes import spend_check
from tipnet.detect.schemas import MAX_CHECK_CHARS, CheckResult, Language

LANGUAGES: tuple[Language, ...] = ("en", "es", "fr", "pt")
STATIC_DIR = Path(str(resources.files("tipnet.web").joinpath("static")))
# Stricter than the node-wide policy (tipnet.middleware, which adds the other headers): the
# page runs no script at all and loads only its stylesheet.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'",
}

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(resources.files("tipnet.web").joinpath("templates")))


@router.get("/check")
async def check_page_redirect(request: Request) -> RedirectResponse:
    """Send the reader to the page in the first language their browser asks for that we have."""
    return RedirectResponse(f"/check/{preferred_language(request)}", status_code=307)


@router.get("/check/{language}", response_class=HTMLResponse)
async def check_page(request: Request, language: str) -> Response:
    return _page(request, _language(language), text="", kind=None)


@router.post("/check/{language}", response_class=HTMLResponse)
async def check_page_submit(request: Request, language: str) -> Response:
    chosen = _language(language)
    form = await request.form()
    text = str(form.get("text") or "")
    chosen_kind = form.get("kind")
    kind = scoring.TEXT_KINDS.get(chosen_kind) if isinstance(chosen_kind, str) else None
    words = locale(chosen)
    if not text.strip():
        return _page(request, chosen, text, kind, error=words["error_empty"], status=422)
    if len(text) > MAX_CHECK_CHARS:
        message = words["error_too_long"].format(limit=f"{MAX_CHECK_CHARS:,}")
        return _page(request, chosen, text[:MAX_CHECK_CHARS], kind, error=message, status=422)
    try:
        spend_check(request)
    except HTTPException as refused:
        headers = dict(refused.headers or {})
        return _page(
            request, chosen, text, kind, error=words["error_rate"], status=429, headers=headers
        )
    result = await run_in_threadpool(service.check, text, kind=kind, language=chosen)
    return _page(request, chosen, text, kind, result=result)


def preferred_language(request: Request) -> Language:
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        for language in LANGUAGES:
            if code == language:
                return language
    return "en"


@functools.cache
def _locales() -> dict[str, dict[str, str]]:
    text = resources.files("tipnet.web").joinpath("locales.yaml").read_text("utf-8")
    loaded: dict[str, dict[str, str]] = yaml.safe_load(text)
    return loaded


def locale(language: Language) -> dict[str, str]:
    return _locales()[language]


def highlighted(text: str, result: CheckResult | None) -> list[tuple[str, bool]]:
    """The text cut into (piece, is a warning sign) segments, for marking it up."""
    if result is None:
        return []
    spans = sorted({(m.start, m.end) for sign in result.signs for m in sign.matches})
    pieces: list[tuple[str, bool]] = []
    position = 0
    for start, end in spans:
        if start < position:  # overlapping matches of two signs: mark the union once
            start = position
        if start >= end:
            continue
        pieces += [(text[position:start], False), (text[start:end], True)]
        position = end
    pieces.append((text[position:], False))
    return [piece for piece in pieces if piece[0]]


def _language(language: str) -> Language:
    if language not in LANGUAGES:
        raise HTTPException(404, f"no page in {language!r}; try one of {', '.join(LANGUAGES)}")
    return next(code for code in LANGUAGES if code == language)


def _page(
    request: Request,
    language: Language,
    text: str,
    kind: ContentKind | None,
    *,
    result: CheckResult | None = None,
    error: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    context: dict[str, Any] = {
        "language": language,
        "languages": {code: locale(code)["language_name"] for code in LANGUAGES},
        "t": locale(language),
        "text": text,
        "kind": kind.value if kind else "",
        "kinds": [k.value for k in ContentKind],
        "result": result,
        "segments": highlighted(text, result),
        "help": service.public_texts()[language]["help"],
        "myths": [item.name[language] for item in scoring.engine().catalogue.not_scored],
        "error": error,
        "max_chars": MAX_CHECK_CHARS,
    }
    response = templates.TemplateResponse(request, "check.html", context, status_code=status)
    response.headers.update({**SECURITY_HEADERS, **(headers or {})})
    return response
