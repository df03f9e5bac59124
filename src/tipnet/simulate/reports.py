"""Reports a platform files about items, in the intake format of the report API
(:class:`tipnet.reports.schemas.ReportCreate`), ready for ``tipnet reports ingest``."""

from __future__ import annotations

import random
from typing import Any

from tipnet.reports.schemas import IncidentType, Urgency
from tipnet.simulate.style import Style

Record = dict[str, Any]
INCIDENT = {
    "ad": IncidentType.EXPLOITATIVE_ADVERTISEMENT,
    "job_offer": IncidentType.FRAUDULENT_JOB_OFFER,
    "profile": IncidentType.FRAUDULENT_PROFILE,
    "message": IncidentType.GROOMING_SOLICITATION,
}
REASONS = {
    "ad": (
        "Ad flagged by our classifier for possible exploitation.",
        "User report: the person in this ad may not be advertising freely.",
        "Moderator review: several ads with the same photos and phone in different cities.",
    ),
    "job_offer": (
        "Job offer flagged: possible recruitment fraud.",
        "User report: the recruiter asked for a fee and a passport copy.",
        "Moderator review: offer for work abroad with unusual pay and contact only by chat app.",
    ),
    "profile": (
        "Account flagged as a possible fake persona contacting many young users.",
        "User report: this profile offered a job abroad and asked to move to WhatsApp.",
    ),
    "message": (
        "Message reported by its recipient as suspicious.",
        "Automated detection: message pushes the recipient off the platform.",
    ),
}
SUMMARY_LIMIT = 1500


def body(
    record: Record, st: Style, number: int, seed: int, files: list[Record], rng: random.Random
) -> Record:
    """The report body a platform sends about ``record`` (a generated item); ``files`` are the
    hashes of its images."""
    kind = record["kind"]
    platform = record["platform"]
    text = record.get("text") or record.get("bio") or ""
    summary = f"{rng.choice(REASONS[kind])} Content: {text[:SUMMARY_LIMIT]}"
    handle = record.get("handle") or record.get("poster") or record.get("sender")
    account: Record = {"platform": platform, "handle": f"@{handle}"}
    if kind == "profile":
        account["display_name"] = record["display_name"][:200]
        account["profile_url"] = record["url"]
    report: Record = {
        "reporter": {
            "report_id": f"sim{seed}-rep-{number:07d}",
            "organisation": f"{platform.capitalize()} Trust & Safety",
        },
        "incident": {
            "type": INCIDENT[kind].value,
            "time": record["time"],
            "summary": summary,
            "urgency": (Urgency.HIGH if st.bad and rng.random() < 0.3 else Urgency.NORMAL).value,
        },
        "internet": {"platform": platform, "accounts": [account]},
        "jurisdiction": _jurisdiction(record),
    }
    internet = report["internet"]
    if record.get("url"):
        internet["urls"] = [record["url"]]
    phone = record.get("phone") or record.get("contact_phone")
    if phone:
        internet["phones"] = [phone]
    email = record.get("email") or record.get("contact_email")
    if email:
        internet["emails"] = [email]
    if files:
        report["files"] = files
    if st.network is not None and rng.random() < 0.2:
        sex, age = st.network.victims[rng.randrange(len(st.network.victims))]
        report["victims"] = [
            {
                "sex": sex if sex in ("female", "male") else "unknown",
                "is_minor": age == "child",
                "country": record["country"],
            }
        ]
    return report


def truth(report: Record, item_truth: Record) -> Record:
    return {
        "item_id": report["reporter"]["report_id"],
        "kind": "report",
        "subject": item_truth["item_id"],
        "group": item_truth["group"],
        "network": item_truth["network"],
        "trafficking": item_truth["trafficking"],
        "phones": [],
        "obfuscated": False,
        "obfuscation": None,
        "indicators": [],
    }


def _jurisdiction(record: Record) -> list[str]:
    countries = [record["country"]]
    if record.get("job_country") and record["job_country"] not in countries:
        countries.append(record["job_country"])
    return countries
