"""HTTP face of report intake and triage; validation here, logic in the service."""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import Future
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from tipnet.auth.permissions import Permission
from tipnet.auth.service import Principal, TokenRefused
from tipnet.crypto import Keyring
from tipnet.deps import (
    KeyringDep,
    PageLimit,
    PageOffset,
    ReadSessionDep,
    Requires,
    RequiresForIntake,
    SessionDep,
    intake_tokens,
)
from tipnet.errors import InvalidInput, TipnetError, Unavailable
from tipnet.reports import intake, service
from tipnet.reports.schemas import (
    IDEMPOTENCY_KEY,
    BatchItemResult,
    BatchReceipt,
    Receipt,
    ReportBatch,
    ReportCreate,
    ReportRead,
    ReportSummary,
    SelectorSearch,
    SelectorSearchResult,
)
from tipnet.reports.writer import IntakeWriter

router = APIRouter(tags=["reports"])
STORE_TIMEOUT_SECONDS = 60
INLINE_PREPARE_BYTES = 16_384  # larger bodies are prepared in the thread pool
REPORT_SCHEMA = "#/components/schemas/ReportCreate"
Validated = TypeVar("Validated", bound=BaseModel)


def _batch_schema() -> dict[str, Any]:
    """ReportBatch's JSON schema, for a body the route parses itself; the models it refers to
    (ReportCreate...) are components of the document already."""
    schema = ReportBatch.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return schema


class StatusChange(BaseModel):
    status: str = Field(description="new, triaged, in_case or dismissed")
    reason: str | None = Field(default=None, max_length=2000)


@router.post(
    "/reports",
    response_model=Receipt,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": Receipt, "description": "Already received: the existing receipt."},
        409: {"description": "Same report id or Idempotency-Key with a different body."},
        413: {"description": "Body too large."},
        422: {"description": "Invalid fields, each named with a message."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ReportCreate"}}
            },
        }
    },
)
async def submit_report(
    request: Request,
    principal: Annotated[Principal, Depends(RequiresForIntake(Permission.REPORT_SUBMIT))],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Response:
    """File a report of suspected trafficking. Retries are safe: the same `reporter.report_id`
    or `Idempotency-Key` returns the first receipt (status 200) instead of a second report."""
    if idempotency_key is not None and not IDEMPOTENCY_KEY.match(idempotency_key):
        raise InvalidInput("Idempotency-Key must be 1-200 printable ASCII characters")
    # The body is parsed once and validated here rather than by a body parameter: the hot path
    # of intake, and the raw JSON is needed anyway for the receipt's hash. Parsing, validation
    # and preparation (extraction, scoring, encryption) are CPU work on up to 1 MB: they run in
    # the thread pool, so one large report never stalls the event loop (and every other request).
    body = await request.body()
    submitter = intake.Submitter(
        principal.user_id, principal.organisation_id, principal.actor, principal.token_id
    )
    keyring = request.app.state.keyring
    if len(body) <= INLINE_PREPARE_BYTES:
        # A typical report (1-2 KB) costs ~0.5 ms here, less than the hop to the thread pool;
        # scans are linear, so the largest body prepared inline holds the loop ~10 ms at worst.
        prepared = _prepare_single(body, keyring, submitter, idempotency_key)
    else:
        prepared = await run_in_threadpool(
            _prepare_single, body, keyring, submitter, idempotency_key
        )
    writer: IntakeWriter = request.app.state.intake_writer
    outcome = await _stored(writer.submit(prepared))
    if isinstance(outcome, TokenRefused):
        intake_tokens(request).forget(outcome.token_id)
    if isinstance(outcome, TipnetError):
        raise outcome
    # The receipt is already a validated model: send it as it is, without a second pass
    # through response validation on the hot path.
    return Response(
        outcome.model_dump_json(),
        status_code=status.HTTP_200_OK if outcome.duplicate else status.HTTP_201_CREATED,
        media_type="application/json",
        headers={"Location": f"/api/v1/reports/{outcome.report_id}"},
    )


@router.post(
    "/reports/batch",
    response_model=BatchReceipt,
    responses={
        413: {"description": "Body too large."},
        422: {"description": "Invalid fields, each named with a message; nothing is written."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _batch_schema()}},
        }
    },
)
async def submit_batch(
    request: Request,
    principal: Annotated[Principal, Depends(RequiresForIntake(Permission.REPORT_SUBMIT))],
    keyring: KeyringDep,
) -> Response:
    """File up to 500 reports in one request, for platforms that report in bulk. Every report
    needs its own `reporter.report_id`; a report already received is answered with its first
    receipt (200), a changed body under a known id with 409. The batch is validated as a whole
    first: one bad field refuses the batch with 422, and nothing is written."""
    body = await request.body()
    submitter = intake.Submitter(
        principal.user_id, principal.organisation_id, principal.actor, principal.token_id
    )
    # Up to 500 reports of CPU work: in the thread pool, off the event loop (see submit_report).
    prepared = await run_in_threadpool(_prepare_batch, body, keyring, submitter)
    writer: IntakeWriter = request.app.state.intake_writer
    futures = [writer.submit(item) for item in prepared]
    outcomes = [await _stored(future) for future in futures]
    for outcome in outcomes:
        if isinstance(outcome, TokenRefused):
            intake_tokens(request).forget(outcome.token_id)
    results = [_item_result(index, outcome) for index, outcome in enumerate(outcomes)]
    statuses = [result.status for result in results]
    receipt = BatchReceipt(
        created=statuses.count(201),
        duplicates=statuses.count(200),
        conflicts=statuses.count(409),
        results=results,
    )
    return Response(receipt.model_dump_json(), media_type="application/json")


async def _stored(future: Future[Receipt | TipnetError]) -> Receipt | TipnetError:
    try:
        return await asyncio.wait_for(asyncio.wrap_future(future), STORE_TIMEOUT_SECONDS)
    except TimeoutError:
        # The write may still land; a retry with the same id then gets its receipt.
        return Unavailable(
            "the node is too busy to confirm this report now; retry with the same "
            "reporter.report_id or Idempotency-Key (retries never create a second report)"
        )


def _item_result(index: int, outcome: Receipt | TipnetError) -> BatchItemResult:
    if isinstance(outcome, TipnetError):
        return BatchItemResult(index=index, status=outcome.status_code, error=outcome.message)
    return BatchItemResult(index=index, status=200 if outcome.duplicate else 201, receipt=outcome)


@router.get("/reports/{report_id}/receipt", response_model=Receipt)
def get_receipt(
    report_id: uuid.UUID,
    session: ReadSessionDep,
    principal: Annotated[Principal, Depends(Requires(Permission.RECEIPT_READ_OWN))],
) -> Receipt:
    """The receipt of one of your organisation's reports."""
    return service.get_receipt(
        session=session, report_id=report_id, organisation_id=principal.organisation_id
    )


@router.get("/reports", response_model=list[ReportSummary])
def list_reports(
    session: ReadSessionDep,
    _principal: Annotated[Principal, Depends(Requires(Permission.REPORT_READ))],
    status_filter: Annotated[str | None, Query(alias="status")] = None,
    limit: PageLimit = 50,
    offset: PageOffset = 0,
) -> list[ReportSummary]:
    """Reports received by this node, newest first (no personal data)."""
    return service.list_reports(session=session, status=status_filter, limit=limit, offset=offset)


@router.post("/reports/search", response_model=SelectorSearchResult)
def search_reports(
    query: SelectorSearch,
    session: SessionDep,
    keyring: KeyringDep,
    principal: Annotated[Principal, Depends(Requires(Permission.REPORT_READ))],
) -> SelectorSearchResult:
    """Reports that carry a phone, email, URL, domain, handle or wallet, however it was written
    in them ("612 34 56 78" with country ESP finds "+34612345678"). A POST, so that the
    selector stays out of URLs and server logs; the search is audited without the value."""
    return service.search_by_selector(
        session=session, keyring=keyring, query=query, actor=principal.actor
    )


@router.get("/triage", response_model=list[ReportSummary])
def triage_queue(
    session: ReadSessionDep,
    _principal: Annotated[Principal, Depends(Requires(Permission.TRIAGE_READ))],
    limit: PageLimit = 50,
    offset: PageOffset = 0,
) -> list[ReportSummary]:
    """New reports, most urgent first, then by risk score, then oldest first."""
    return service.triage_queue(session=session, limit=limit, offset=offset)


@router.get("/reports/{report_id}", response_model=ReportRead)
def read_report(
    report_id: uuid.UUID,
    session: SessionDep,
    keyring: KeyringDep,
    principal: Annotated[Principal, Depends(Requires(Permission.REPORT_READ))],
) -> ReportRead:
    """One report with its personal data decrypted; the read is written to the audit log."""
    return service.read_report(
        session=session, keyring=keyring, report_id=report_id, actor=principal.actor
    )


@router.post("/reports/{report_id}/status", response_model=ReportSummary)
def change_status(
    report_id: uuid.UUID,
    change: StatusChange,
    session: SessionDep,
    keyring: KeyringDep,
    principal: Annotated[Principal, Depends(Requires(Permission.CASE_WRITE))],
) -> ReportSummary:
    """Move a report out of (or back into) the triage queue; the reason is kept encrypted in
    the report's status history."""
    return service.set_status(
        session=session,
        keyring=keyring,
        report_id=report_id,
        status=change.status,
        reason=change.reason,
        actor=principal.actor,
    )


def _prepare_single(
    body: bytes, keyring: Keyring, submitter: intake.Submitter, idempotency_key: str | None
) -> intake.Prepared:
    raw_body = _raw_json(body)
    report = _validated(ReportCreate, raw_body)
    return intake.prepare(
        keyring=keyring,
        submitter=submitter,
        report=report,
        raw_body=raw_body,
        idempotency_key=idempotency_key,
    )


def _prepare_batch(
    body: bytes, keyring: Keyring, submitter: intake.Submitter
) -> list[intake.Prepared]:
    """Every report of the batch validated before any is prepared: one bad field refuses all."""
    raw_body = _raw_json(body)
    batch = _validated(ReportBatch, raw_body)
    return [
        intake.prepare(keyring=keyring, submitter=submitter, report=report, raw_body=raw)
        for report, raw in zip(batch.reports, raw_body["reports"], strict=True)
    ]


def _validated(model: type[Validated], raw_body: Any) -> Validated:
    try:
        return model.model_validate(raw_body)
    except ValidationError as error:
        raise RequestValidationError(
            [{**item, "loc": ("body", *item["loc"])} for item in error.errors()]
        ) from error


def _raw_json(body: bytes) -> Any:
    # Parsed by hand (not by a body parameter) to keep the exact JSON values the reporter sent,
    # which the receipt's hash must cover.
    try:
        return json.loads(body)
    except ValueError as error:
        problem = {
            "loc": ("body",),
            "msg": f"the body is not valid JSON: {error}",
            "type": "json_invalid",
        }
        raise RequestValidationError([problem]) from error
