"""Linking on a node: the node's own reports (or a file of items) linked into networks that
are stored in the node's database, incrementally.

Each run reads the earlier item -> network assignment and the investigators' hub overrides
from the database, so that grown networks keep their ids and a hotline an investigator set
aside stays aside; :func:`tipnet.link.service.store_run` then writes what changed. Reports are
named ``report:<uuid>`` (the node's id, unique across the organisations that filed them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tipnet.audit.service import Actor
from tipnet.crypto import DecryptionFailed, Keyring
from tipnet.db import make_read_session_factory, transaction
from tipnet.link import service
from tipnet.link.engine import LinkConfig, LinkResult, link
from tipnet.link.graph import Overrides
from tipnet.link.items import Item, Skips
from tipnet.link.report_items import item_from_report
from tipnet.link.schemas import RunSummary
from tipnet.link.service import REPORT_PREFIX
from tipnet.reports.intake import BODY_CONTEXT
from tipnet.reports.models import Report
from tipnet.reports.schemas import ReportCreate

READ_BATCH = 1_000
Progress = Callable[[str, int, int], None]


@dataclass
class NodeRun:
    result: LinkResult
    stored: RunSummary


def report_items(
    session: Session, keyring: Keyring, progress: Progress | None = None
) -> tuple[list[Item], Skips]:
    """Every report of the node as an item, with the risk intake stored. A report that cannot
    be decrypted or read (a rotated key, a body from an older schema) is skipped and counted."""
    report_progress = progress or (lambda stage, done, total: None)
    total = session.query(Report).count()
    items: list[Item] = []
    skips = Skips()
    rows = session.execute(
        select(Report.id, Report.body_enc, Report.risk_score).order_by(
            Report.received_at, Report.id
        )
    ).yield_per(READ_BATCH)
    for done, (report_id, body_enc, risk) in enumerate(rows, start=1):
        try:
            body = ReportCreate.model_validate_json(keyring.decrypt(body_enc, context=BODY_CONTEXT))
        except (DecryptionFailed, ValidationError) as error:
            skips.add(f"report unreadable ({type(error).__name__})", str(report_id))
            continue
        items.append(item_from_report(body, item_id=f"{REPORT_PREFIX}{report_id}", risk=risk))
        if done % READ_BATCH == 0 or done == total:
            report_progress("read", done, total)
    return items, skips


def link_into_node(
    *,
    session_factory: sessionmaker[Session],
    keyring: Keyring,
    actor: Actor,
    source: Path | None = None,
    config: LinkConfig | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    workers: int | None = None,
    state: Path | None = None,
    progress: Progress | None = None,
) -> NodeRun:
    """Link ``source`` (a scenario directory or item file), or the node's reports when it is
    ``None``, and store the networks. The reading and the storing are separate transactions:
    the linking in between may take minutes and holds no database lock. The reading writes
    nothing, so on SQLite it does not take the write lock that intake needs."""
    config = config or LinkConfig()
    skips = Skips()
    with transaction(make_read_session_factory(session_factory.kw["bind"])) as session:
        previous = service.previous_assignment(session=session)
        keep, drop = service.overrides_for_run(session=session, keyring=keyring)
        items: list[Item] = []
        if source is None:
            items, skips = report_items(session, keyring, progress)
    overrides = Overrides(keep=config.overrides.keep | keep, drop=config.overrides.drop | drop)
    config = replace(config, overrides=overrides)
    result = link(
        source if source is not None else items,
        engine=engine,
        scheduler=scheduler,
        workers=workers,
        config=config,
        state=state,
        previous=previous,
        progress=progress,
    )
    _merge_skips(result, skips)
    with transaction(session_factory) as session:
        stored = service.store_run(
            session=session,
            keyring=keyring,
            networks=[network.as_dict() for network in result.networks],
            engine=result.report.engine,
            source=str(source) if source is not None else "node reports",
            parameters=config.as_dict(),
            summary=result.report.as_dict(),
            items=result.report.items,
            actor=actor,
            dissolve_missing_reports=source is None,
        )
    return NodeRun(result, stored)


def _merge_skips(result: LinkResult, skips: Skips) -> None:
    for reason, entry in skips.as_dict().items():
        result.report.skipped[reason] = entry
