"""A report body as an item to link: selectors extracted exactly as intake extracts them, the
reporter's first account as the poster, PDQ hashes of good quality. Shared by report files
(:mod:`tipnet.link.items`) and the node's own reports (:mod:`tipnet.link.node`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tipnet.link.items import MIN_IMAGE_QUALITY, Item

if TYPE_CHECKING:
    from tipnet.reports.schemas import ReportCreate


def item_from_report(report: ReportCreate, *, item_id: str, risk: float | None = None) -> Item:
    """``risk``: the score intake stored; scored now (as intake would) when not given."""
    from tipnet.identifiers.service import extract_from_report

    if risk is None:
        from tipnet.detect.scoring import score_report

        risk = score_report(report).score
    extraction = extract_from_report(report)
    accounts = report.internet.accounts
    handles: tuple[tuple[str, str, str | None], ...] = ()
    if accounts and accounts[0].handle:
        platform = accounts[0].platform or report.internet.platform
        handles = (("account", accounts[0].handle, platform),)
    images = tuple(
        (file.pdq, file.pdq_quality)
        for file in report.files
        if file.pdq is not None
        and (file.pdq_quality is None or file.pdq_quality >= MIN_IMAGE_QUALITY)
    )
    return Item(
        item_id=item_id,
        kind="report",
        text=report.incident.summary,
        time=report.incident.time.isoformat(),
        countries=tuple(report.jurisdiction),
        platform=report.internet.platform,
        handles=handles,
        selectors=tuple((s.kind.value, s.value) for s in extraction.selectors),
        images=images,
        risk=risk,
    )
