from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from tests.conftest import Node
from tests.reports.helpers import sample_report
from tipnet.audit.service import Actor
from tipnet.auth import service as auth_service
from tipnet.auth.permissions import Role
from tipnet.config import Settings
from tipnet.db import make_engine, make_session_factory
from tipnet.errors import Unavailable
from tipnet.reports import intake
from tipnet.reports.models import Report
from tipnet.reports.schemas import Receipt, ReportCreate
from tipnet.reports.writer import IntakeWriter


def _prepared(node: Node, report_id: str) -> intake.Prepared:
    with node.session() as session:
        user = auth_service.get_user_by_name(session=session, username="writer-platform")
    body = sample_report(report_id)
    submitter = intake.Submitter(user.id, user.organisation_id, Actor("user:writer-platform"))
    return intake.prepare(
        keyring=node.keyring,
        submitter=submitter,
        report=ReportCreate.model_validate(body),
        raw_body=body,
    )


def test_queued_submissions_are_stored_and_answered(node: Node, backend: str) -> None:
    node.user("writer-platform", Role.REPORTER)
    writer = IntakeWriter(node.session_factory, max_batch=8)
    futures = [writer.submit(_prepared(node, f"w-{index % 20}")) for index in range(40)]
    outcomes = [future.result(timeout=30) for future in futures]
    writer.close()
    assert all(isinstance(outcome, Receipt) for outcome in outcomes)
    assert sum(1 for o in outcomes if isinstance(o, Receipt) and not o.duplicate) == 20
    with node.session() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 20


def test_an_unreachable_database_answers_unavailable(node: Node, tmp_path: Path) -> None:
    node.user("writer-platform", Role.REPORTER)
    broken = Settings(
        database_url=f"sqlite:///{tmp_path}/missing/dir/x.db",  # type: ignore[call-arg]
        _env_file=None,
    )
    writer = IntakeWriter(make_session_factory(make_engine(broken)))
    outcome = writer.submit(_prepared(node, "lost?")).result(timeout=30)
    writer.close()
    assert isinstance(outcome, Unavailable) and outcome.status_code == 503
    assert "retry with the same" in outcome.message


def test_a_submission_whose_token_was_revoked_meanwhile_is_refused_and_not_stored(
    node: Node, backend: str
) -> None:
    """The writer checks the submitter's token in the transaction that stores the report."""
    from dataclasses import replace

    from tipnet.auth.models import ApiToken
    from tipnet.auth.service import TokenRefused
    from tipnet.db import transaction

    node.user("writer-platform", Role.REPORTER)
    node.user("other-platform", Role.REPORTER)
    with node.session() as session:
        revoked_id, kept_id = session.scalars(select(ApiToken.id).order_by(ApiToken.id)).all()
    with transaction(node.session_factory) as session:
        auth_service.revoke_token(session=session, actor=Actor("test"), token_id=revoked_id)
    prepared = [_prepared(node, f"t-{index}") for index in range(4)]
    token_ids = [revoked_id, kept_id, revoked_id, None]
    for item, token_id in zip(prepared, token_ids, strict=True):
        item.submitter = replace(item.submitter, token_id=token_id)
    writer = IntakeWriter(node.session_factory, max_batch=8)
    outcomes = [future.result(timeout=30) for future in map(writer.submit, prepared)]
    writer.close()
    assert [type(outcome) for outcome in outcomes] == [TokenRefused, Receipt, TokenRefused, Receipt]
    assert outcomes[0].status_code == 401  # type: ignore[union-attr]
    with node.session() as session:
        stored = set(session.scalars(select(Report.reporter_report_id)))
    assert stored == {"t-1", "t-3"}
