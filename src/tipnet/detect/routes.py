"""The public check API: no login, nothing stored, a request budget per client address."""

from __future__ import annotations

import threading

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from tipnet.detect import service
from tipnet.detect.ratelimit import RateLimiter
from tipnet.detect.schemas import CheckRequest, CheckResult

CHECKS_PER_MINUTE = 30
router = APIRouter(tags=["public"])
_limiter_lock = threading.Lock()


def too_many_checks(retry_after: float) -> HTTPException:
    # An HTTPException, not a TipnetError: the app's handler passes its Retry-After header on.
    return HTTPException(
        status_code=429,
        detail=f"too many checks from your address: at most {CHECKS_PER_MINUTE} a minute; "
        f"try again in {int(retry_after)} seconds",
        headers={"Retry-After": str(int(retry_after))},
    )


@router.post(
    "/check",
    response_model=CheckResult,
    responses={429: {"description": "Too many checks from this address; see Retry-After."}},
)
async def check_text(body: CheckRequest, request: Request) -> CheckResult:
    """Which warning signs of trafficking or recruitment fraud a text shows, why they matter,
    and where to get help. Public: no token needed; nothing is stored; at most
    30 checks a minute per client address."""
    spend_check(request)
    return await run_in_threadpool(service.check, body.text, kind=body.kind, language=body.language)


def spend_check(request: Request) -> None:
    """Charge one check to the caller's address, or raise 429 with when to retry."""
    wait = limiter(request).take(request.client.host if request.client else "unknown")
    if wait:
        raise too_many_checks(wait)


def limiter(request: Request) -> RateLimiter:
    """One limiter per app, made on first use (the app factory stays unaware of it)."""
    state = request.app.state
    with _limiter_lock:
        if getattr(state, "check_limiter", None) is None:
            state.check_limiter = RateLimiter(requests=CHECKS_PER_MINUTE, per_seconds=60)
    found: RateLimiter = state.check_limiter
    return found
