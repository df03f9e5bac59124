"""Example reports for the demo and the tests: fictional people, numbers and sites only.

Deterministic for a seed. The full synthetic ecosystem lives in the scenario generator; this
is the small set a fresh node is seeded with so there is something to triage.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import phonenumbers

from tipnet.reports.schemas import IncidentType, Urgency

REGIONS = (
    ("ESP", "ES"),
    ("NGA", "NG"),
    ("PHL", "PH"),
    ("BRA", "BR"),
    ("FRA", "FR"),
    ("USA", "US"),
    ("ITA", "IT"),
    ("MEX", "MX"),
)
LURES = (
    "Hiring hostesses for a hotel abroad, salary 3000 EUR per month, visa sponsored, no "
    "experience needed. Travel and accommodation paid, contact only by WhatsApp {phone}.",
    "Trabajo de empleada doméstica en Europa, pagamos el billete, el empleador guarda el "
    "pasaporte por seguridad. Escribe al {phone}.",
    "Profile claims to be a modelling agent, asks young followers for photos and to move the "
    "chat to Telegram; gives the number {phone}.",
    "Ad offers massage services, new girls every week, 100% real, call {phone}, discreet.",
    "Oferta de emprego na agricultura, salário alto, taxa de recrutamento de 500 euros paga "
    "antes da viagem. Contato: {phone}.",
    "Offre d'emploi dans la restauration à l'étranger, logement fourni, envoyez une copie du "
    "passeport et appelez le {phone}.",
)
INCIDENTS = (
    IncidentType.FRAUDULENT_JOB_OFFER,
    IncidentType.FRAUDULENT_JOB_OFFER,
    IncidentType.FRAUDULENT_PROFILE,
    IncidentType.EXPLOITATIVE_ADVERTISEMENT,
    IncidentType.FRAUDULENT_JOB_OFFER,
    IncidentType.FRAUDULENT_JOB_OFFER,
)
PLATFORMS = ("instagram", "facebook", "telegram", "x", "tiktok")


def example_reports(count: int, *, seed: int = 7, prefix: str = "demo") -> list[dict[str, Any]]:
    rng = random.Random(seed)
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    return [_example(rng, index, now, prefix) for index in range(count)]


def _example(rng: random.Random, index: int, now: dt.datetime, prefix: str) -> dict[str, Any]:
    country, region = rng.choice(REGIONS)
    phone = _fictional_phone(rng, region)
    lure = rng.randrange(len(LURES))
    platform = rng.choice(PLATFORMS)
    handle = f"user_{rng.randrange(10**6):06d}"
    when = now - dt.timedelta(minutes=rng.randrange(60 * 24 * 90))
    body: dict[str, Any] = {
        "reporter": {"report_id": f"{prefix}-{index:06d}", "organisation": "Example Platform"},
        "incident": {
            "type": INCIDENTS[lure].value,
            "time": when.isoformat().replace("+00:00", "Z"),
            "summary": LURES[lure].format(
                phone=phonenumbers.format_number(
                    phone, phonenumbers.PhoneNumberFormat.INTERNATIONAL
                )
            ),
            "urgency": rng.choice([u.value for u in Urgency] + ["normal"] * 3),
        },
        "internet": {
            "platform": platform,
            "urls": [f"https://www.{platform}.example/{handle}?utm_source=share"],
            "accounts": [{"handle": "@" + handle, "platform": platform}],
            "phones": [phonenumbers.format_number(phone, phonenumbers.PhoneNumberFormat.NATIONAL)],
            "emails": [f"{handle}@mail.example"],
        },
        "jurisdiction": [country],
    }
    if rng.random() < 0.4:
        body["reported_persons"] = [
            {
                "name": f"Person {index}",
                "sex": rng.choice(["male", "female"]),
                "nationality": country,
            }
        ]
    if rng.random() < 0.3:
        body["victims"] = [
            {
                "age_estimate": rng.randrange(14, 30),
                "sex": "female",
                "country": rng.choice(REGIONS)[0],
            }
        ]
    if rng.random() < 0.3:
        body["files"] = [
            {
                "sha256": f"{rng.getrandbits(256):064x}",
                "pdq": f"{rng.getrandbits(256):064x}",
                "pdq_quality": rng.randrange(50, 101),
            }
        ]
    return body


def _fictional_phone(rng: random.Random, region: str) -> phonenumbers.PhoneNumber:
    base = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    assert base is not None and base.national_number is not None
    stem = base.national_number - base.national_number % 1000
    for _ in range(20):
        candidate = phonenumbers.PhoneNumber(
            country_code=base.country_code, national_number=stem + rng.randrange(1000)
        )
        if phonenumbers.is_valid_number(candidate):
            return candidate
    return base
