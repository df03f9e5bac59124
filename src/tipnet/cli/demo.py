"""`tipnet demo`: seed a fresh node with demo organisations, users, tokens and reports."""

from __future__ import annotations

import typer
from sqlalchemy import select

from tipnet.audit.service import Actor
from tipnet.auth import service as auth_service
from tipnet.auth.models import Organisation
from tipnet.auth.permissions import OrganisationKind, Role
from tipnet.cli.common import console, context, friendly_errors, print_raw
from tipnet.reports import service as report_service
from tipnet.reports.examples import example_reports
from tipnet.reports.schemas import ReportCreate

app = typer.Typer(help="Demo data for trying tipnet out.", no_args_is_help=True)

DEMO_USERS = (
    ("Example Platform", OrganisationKind.PLATFORM, "USA", "platform-bot", Role.REPORTER),
    (
        "National Police Unit",
        OrganisationKind.LAW_ENFORCEMENT,
        "ESP",
        "investigator",
        Role.INVESTIGATOR,
    ),
    ("Example NGO", OrganisationKind.NGO, None, "ngo-analyst", Role.ANALYST),
    ("National Police Unit", OrganisationKind.LAW_ENFORCEMENT, "ESP", "node-admin", Role.ADMIN),
)


@app.command()
@friendly_errors
def seed(reports: int = typer.Option(60, min=0, help="Example reports to load.")) -> None:
    """Create the demo organisations and users, print one token each (shown once), and load
    example reports. Running it again on the same database changes nothing."""
    ctx = context()
    actor = Actor("system:demo")
    with ctx.transaction() as session:
        if session.scalar(select(Organisation).where(Organisation.name == DEMO_USERS[0][0])):
            console.print("demo data already present; nothing to do")
            return
        tokens = []
        for org, kind, country, username, role in DEMO_USERS:
            if session.scalar(select(Organisation).where(Organisation.name == org)) is None:
                auth_service.create_organisation(
                    session=session, actor=actor, name=org, kind=kind, country=country
                )
            user = auth_service.create_user(
                session=session, actor=actor, organisation_name=org, username=username, role=role
            )
            issued = auth_service.issue_token(
                session=session, actor=actor, username=username, name="demo"
            )
            tokens.append((username, role, issued.token, user))
    reporter = tokens[0][3]
    submitter = report_service.Submitter(
        reporter.id, reporter.organisation_id, Actor("user:platform-bot", reporter.organisation_id)
    )
    for body in example_reports(reports):
        with ctx.transaction() as session:
            report_service.submit_report(
                session=session,
                keyring=ctx.keyring,
                submitter=submitter,
                report=ReportCreate.model_validate(body),
                raw_body=body,
            )
    console.print(f"loaded {reports} example reports\n\nAPI tokens (shown once, copy them now):")
    for username, role, token, _user in tokens:
        print_raw(f"  {username:<14} {role.value:<13} {token}")  # a wrapped token is lost
