"""HTTP face of case management; validation here, logic in the service. Reading needs
``case:read``, changing needs ``case:write``."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from tipnet.auth.permissions import Permission
from tipnet.auth.service import Principal
from tipnet.cases import service
from tipnet.cases.htcds import CaseStatus
from tipnet.cases.schemas import (
    AssigneeCreate,
    AssigneeRead,
    CaseCreate,
    CaseRead,
    CaseReportRead,
    CaseSummary,
    CommentCreate,
    CommentRead,
    PerpetratorCreate,
    PerpetratorRead,
    PersonHit,
    PersonSearch,
    ReportAttach,
    StatusChange,
    VictimCreate,
    VictimRead,
)
from tipnet.deps import KeyringDep, PageLimit, PageOffset, ReadSessionDep, Requires, SessionDep

router = APIRouter(tags=["cases"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such case (or report, or user)."}
}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "Already done, or not allowed in the case's status."}
}


@router.post("/cases", response_model=CaseSummary, status_code=status.HTTP_201_CREATED)
def open_case(
    case: CaseCreate,
    response: Response,
    session: SessionDep,
    keyring: KeyringDep,
    principal: Annotated[Principal, Depends(Requires(Permission.CASE_WRITE))],
) -> CaseSummary:
    """Open a case; it starts Active (HTCDS cas_Status)."""
    summary = service.open_case(session=session, keyring=keyring, principal=principal, case=case)
    response.headers["Location"] = f"/api/v1/cases/{summary.id}"
    return summary


@router.get("/cases", response_model=list[CaseSummary])
def list_cases(
    session: ReadSessionDep,
    keyring: KeyringDep,
    _principal: Annotated[Principal, Depends(Requires(Permission.CASE_READ))],
    status_filter: Annotated[CaseStatus | None, Query(alias="status")] = None,
    assignee: Annotated[
        str | None, Query(max_length=120, pattern=r"^[^\x00]+$", description="A username.")
    ] = None,
    limit: PageLimit = 50,
    offset: PageOffset = 0,
) -> list[CaseSummary]:
    """Cases, most recently changed first (no personal data)."""
    return service.list_cases(
        session=session,
        keyring=keyring,
        status=status_filter,
        assignee=assignee,
        limit=limit,
        offset=offset,
    )


@router.post("/cases/person-search", response_model=list[PersonHit])
def find_person(
    search: PersonSearch,
    session: SessionDep,
    keyring: KeyringDep,
    principal: Annotated[Principal, Depends(Requires(Permission.CASE_READ))],
) -> list[PersonHit]:
    """Cases in which a victim or perpetrator is recorded under exactly this name. A POST so
    that the name stays out of URLs and access logs; the search is audited."""
    return service.find_person(
        session=session, keyring=keyring, name=search.name, actor=principal.actor
    )


@router.get("/cases/{case_id}", response_model=CaseRead, responses=NOT_FOUND)
def read_case(
    case_id: uuid.UUID,
    session: SessionDep,
    keyring: KeyringDep,
    principal: Annotated[Principal, Depends(Requires(Permission.CASE_READ))],
) -> CaseRead:
    """One case with reports, assignees, comments, status history, victims and perpetrators
    (decrypted); the read is written to the audit log."""
    return service.read_case(
        session=session, keyring=keyring, case_id=case_id, actor=principal.actor
    )


@router.post(
    "/cases/{case_id}/status", response_model=CaseSummary, responses={**NOT_FOUND, **CONFLICT}
)
def change_status(
    case_id: uuid.UUID,
    change: StatusChange,
    session: SessionDep,
    keyring: KeyringDep,
    principal: Annotated[Principal, Depends(Requires(Permission.CASE_WRITE))],
) -> CaseSummary:
    """Move the case along cas_Status: Active <-> FollowUp; either -> Closed or ClosedReferred
    (which needs cas_ReferredOrganisation); Closed or ClosedReferred -> Active with a reason."""
    return service.change_status(
        session=session, keyring=keyring, case_id=case_id, change=change, principal=principal
    )


@router.post(
    "/cases/{case_id}/reports",
    response_model=CaseReportRead,
    status_code=status.HTTP_201_CREATED,
    responses={**NOT_FOUND, **CONFLICT},
)
def attach_report(
    case_id: uuid.UUID,
    attach: ReportAttach,
    session: SessionDep,
    keyring: KeyringDep,
    principal: Annotated[Principal, Depends(Requires(Permission.CASE_WRITE))],
) -> CaseReportRead:
    """Attach a received report; the report's status becomes in_case."""
    return service.attach_report(
        session=session,
        keyring=keyring,
        case_id=case_id,
        report_id=attach.report_id,
        principal=principal,
    )


@router.delete(
    "/cases/{case_id}/reports/{report_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**NOT_FOUND, **CONFLICT},
)
def detach_report(
    case_id: uuid.UUID,
    report_id: uuid.UUID,
    session: SessionDep,
    keyring: KeyringDep,
    principal: Annotated[Principal, Depends(Requires(Permission.CASE_WRITE))],
) -> None:
    """Detach a report; once it is in no case, its status goes back to triaged."""
    service.detach_report(
        session=session, keyring=keyring, case_id=case_id, report_id=report_id, principal=principal
    )


@router.post(
    "/cases/{case_id}/assignees",
    response_model=AssigneeRead,
    status_code=status.HTTP_201_CREATED,
    responses={**NOT_FOUND, **CONFLICT, 422: {"description": "The user is not an investigator."}},
)
def assign(
    case_id: uuid.UUID,
    assignee: AssigneeCreate,
    session: SessionDep,
    principal: Annotated[Principal, Depends(Requires(Permission.CASE_WRITE))],
) -> AssigneeRead:
    """Assign an investigator of this node to the case."""
    return service.assign(
        session=session, case_id=case_id, username=assignee.username, principal=principal
    )


@router.post(
    "/cases/{case_id}/comments",
    response_model=CommentRead,
    status_code=status.HTTP_201_CREATED,
    responses=NOT_FOUND,
)
def add_comment(
    case_id: uuid.UUID,
    comment: CommentCreate,
    session: SessionDep,
    keyring: KeyringDep,
    principal: Annotated[Principal, Depends(Requires(Permission.CASE_WRITE))],
) -> CommentRead:
    """Add a comment (append-only; encrypted at rest)."""
    return service.add_comment(
        session=session, keyring=keyring, case_id=case_id, body=comment.body, principal=principal
    )


@router.post(
    "/cases/{case_id}/victims",
    response_model=VictimRead,
    status_code=status.HTTP_201_CREATED,
    responses={**NOT_FOUND, **CONFLICT},
)
def add_victim(
    case_id: uuid.UUID,
    victim: VictimCreate,
    session: SessionDep,
    keyring: KeyringDep,
    principal: Annotated[Principal, Depends(Requires(Permission.CASE_WRITE))],
) -> VictimRead:
    """Record a victim with HTCDS fields (prs_*, vic_*); personal fields are encrypted."""
    return service.add_victim(
        session=session, keyring=keyring, case_id=case_id, victim=victim, principal=principal
    )


@router.post(
    "/cases/{case_id}/perpetrators",
    response_model=PerpetratorRead,
    status_code=status.HTTP_201_CREATED,
    responses={**NOT_FOUND, **CONFLICT},
)
def add_perpetrator(
    case_id: uuid.UUID,
    perpetrator: PerpetratorCreate,
    session: SessionDep,
    keyring: KeyringDep,
    principal: Annotated[Principal, Depends(Requires(Permission.CASE_WRITE))],
) -> PerpetratorRead:
    """Record a perpetrator with HTCDS fields (prs_*, per_*); personal fields are encrypted."""
    return service.add_perpetrator(
        session=session,
        keyring=keyring,
        case_id=case_id,
        perpetrator=perpetrator,
        principal=principal,
    )
