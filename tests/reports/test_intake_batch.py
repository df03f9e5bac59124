"""The batch path of intake: one transaction for many submissions, idempotent inside it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import Node
from tests.reports.helpers import sample_report
from tipnet.audit import service as audit
from tipnet.audit.service import Actor
from tipnet.auth import service as auth_service
from tipnet.auth.permissions import Role
from tipnet.db import transaction
from tipnet.errors import Conflict
from tipnet.reports import intake
from tipnet.reports.models import Report
from tipnet.reports.schemas import Receipt, ReportCreate


@pytest.fixture
def submitter(node: Node) -> intake.Submitter:
    node.user("batcher", Role.REPORTER)
    with node.session() as session:
        user = auth_service.get_user_by_name(session=session, username="batcher")
    return intake.Submitter(user.id, user.organisation_id, Actor("user:batcher"))


def _prepared(node: Node, submitter: intake.Submitter, body: dict[str, object]) -> intake.Prepared:
    return intake.prepare(
        keyring=node.keyring,
        submitter=submitter,
        report=ReportCreate.model_validate(body),
        raw_body=body,
    )


def test_one_batch_with_repeats_and_a_changed_body(
    node: Node, backend: str, submitter: intake.Submitter
) -> None:
    changed = sample_report("b-1", jurisdiction=["FRA"])
    bodies = [sample_report("b-1"), sample_report("b-2"), sample_report("b-1"), changed]
    batch = [_prepared(node, submitter, body) for body in bodies]
    with transaction(node.session_factory) as session:
        first, second, repeat, conflict = intake.write(session=session, batch=batch)
    assert isinstance(first, Receipt) and isinstance(second, Receipt)
    assert isinstance(repeat, Receipt) and repeat.duplicate and repeat.report_id == first.report_id
    assert isinstance(conflict, Conflict)
    with node.session() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 2
        assert audit.verify(session=session).ok


def test_submissions_of_a_stored_report_get_its_receipt(
    node: Node, backend: str, submitter: intake.Submitter
) -> None:
    """The path a concurrent retry takes too: the insert skips the row, the receipt is the
    stored report's."""
    winner = _prepared(node, submitter, sample_report("race"))
    with transaction(node.session_factory) as session:
        [stored] = intake.write(session=session, batch=[winner])
    assert isinstance(stored, Receipt)
    loser = _prepared(node, submitter, sample_report("race"))
    repeat = _prepared(node, submitter, sample_report("race"))
    changed = _prepared(node, submitter, sample_report("race", jurisdiction=["FRA"]))
    with transaction(node.session_factory) as session:
        first, second, third = intake.write(session=session, batch=[loser, repeat, changed])
    assert isinstance(first, Receipt) and isinstance(second, Receipt)
    assert first.report_id == second.report_id == stored.report_id
    assert first.duplicate and second.duplicate
    assert isinstance(third, Conflict)
    with node.session() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 1
        assert audit.verify(session=session).ok
