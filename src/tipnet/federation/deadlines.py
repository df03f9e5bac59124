"""When a cooperation request is due. Prüm II gives the owning node 48 hours from receipt to
answer with core data; tipnet counts the same window on both sides: from receipt on the owning
node (incoming), from filing on the requesting node (outgoing, where it says when an answer
should be back). Requests marked ``immediate`` may have a shorter window (a setting).

Deadlines are computed from ``created_at`` and ``decided_at`` rather than stored, so changing
the setting moves every deadline, past ones included, and no migration was needed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, ColumnExpressionArgument, and_, case, func, literal, or_

from tipnet.config import Settings
from tipnet.federation.models import CooperationRequest
from tipnet.federation.schemas import Direction
from tipnet.reports.schemas import Urgency

PRUM_HOURS = 48
IMMEDIATE = Urgency.IMMEDIATE.value


@dataclass(frozen=True)
class ResponseWindows:
    """Hours a request may wait for its answer: one window, and optionally a shorter one for
    requests marked immediate."""

    hours: int = PRUM_HOURS
    immediate_hours: int | None = None

    @classmethod
    def of(cls, settings: Settings) -> ResponseWindows:
        return cls(
            settings.cooperation_response_hours, settings.cooperation_immediate_response_hours
        )

    def hours_for(self, urgency: str) -> int:
        if urgency == IMMEDIATE and self.immediate_hours is not None:
            return self.immediate_hours
        return self.hours


PRUM = ResponseWindows()


def timing(
    row: CooperationRequest, windows: ResponseWindows, now: dt.datetime
) -> dict[str, object]:
    """``due_at``, ``overdue`` (no decision yet and past due) and ``answered_in_hours`` (from
    receipt or filing to the decision) of one request."""
    due_at = row.created_at + dt.timedelta(hours=windows.hours_for(row.urgency))
    answered = None
    if row.decided_at is not None:
        answered = round((row.decided_at - row.created_at).total_seconds() / 3600, 2)
    return {
        "due_at": due_at,
        "overdue": row.decided_at is None and now > due_at,
        "answered_in_hours": answered,
    }


def overdue_clause(windows: ResponseWindows, now: dt.datetime) -> ColumnElement[bool]:
    """SQL for the requests :func:`timing` calls overdue: compared as ``created_at`` before a
    cutoff per window, which both backends do alike (and can use an index for)."""
    row = CooperationRequest
    late = row.created_at < now - dt.timedelta(hours=windows.hours)
    if windows.immediate_hours is not None:
        late_immediate = row.created_at < now - dt.timedelta(hours=windows.immediate_hours)
        late = or_(
            and_(row.urgency == IMMEDIATE, late_immediate), and_(row.urgency != IMMEDIATE, late)
        )
    return and_(row.decided_at.is_(None), late)


def soonest_due_first(
    windows: ResponseWindows, dialect: str
) -> list[ColumnExpressionArgument[Any]]:
    """ORDER BY terms that put undecided incoming requests first, soonest due first (what an
    investigator here has to answer next), then the others newest first."""
    row = CooperationRequest
    waiting = and_(row.direction == Direction.INCOMING.value, row.decided_at.is_(None))
    return [
        case((waiting, 0), else_=1),
        case((waiting, _due(windows, dialect)), else_=None),
        row.created_at.desc(),
        row.id,
    ]


def _due(windows: ResponseWindows, dialect: str) -> ColumnExpressionArgument[Any]:
    created = CooperationRequest.created_at
    if windows.immediate_hours is None:
        return created  # one window for all: due time is in the order of receipt
    # Two windows: due time as a number of hours, for ordering only (SQL has no date
    # arithmetic both backends share).
    if dialect == "sqlite":
        hours: ColumnElement[Any] = func.julianday(created) * 24
    else:
        hours = func.extract("epoch", created) / 3600
    window = case(
        (CooperationRequest.urgency == IMMEDIATE, literal(windows.immediate_hours)),
        else_=literal(windows.hours),
    )
    return hours + window
