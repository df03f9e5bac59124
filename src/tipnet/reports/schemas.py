"""The report body platforms send, modelled on the NCMEC CyberTipline report, adapted to
trafficking; and the receipt and read models tipnet sends back.

Unknown fields are refused (``extra="forbid"``) so that a misspelt field is an error the platform
sees at once, not data silently dropped. Files are described by their hashes only.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyAddress,
    StringConstraints,
    field_validator,
    model_validator,
)

from tipnet.countries import validate_alpha3
from tipnet.validation import AwareDatetime


class IncidentType(StrEnum):
    FRAUDULENT_JOB_OFFER = "recruitment_fraudulent_job_offer"
    FRAUDULENT_PROFILE = "fraudulent_or_impersonating_profile"
    EXPLOITATIVE_ADVERTISEMENT = "exploitative_advertisement"
    GROOMING_SOLICITATION = "grooming_solicitation_message"
    EXPLOITATION_MATERIAL = "exploitation_material"
    OTHER = "other"


class Urgency(StrEnum):
    IMMEDIATE = "immediate"  # a person is believed to be in danger now
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


URGENCY_RANK = {Urgency.IMMEDIATE: 0, Urgency.HIGH: 1, Urgency.NORMAL: 2, Urgency.LOW: 3}

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Country = Annotated[str, AfterValidator(validate_alpha3)]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$", to_lower=True)]
Md5Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{32}$", to_lower=True)]
PdqHex = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$", to_lower=True)]
ReporterReportId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=20_000)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: object) -> object:
        # PostgreSQL cannot store U+0000 in text, and no real report needs it.
        values = value if isinstance(value, list) else [value]
        if any(isinstance(item, str) and "\x00" in item for item in values):
            raise ValueError("text must not contain NUL (\\u0000) characters")
        return value


class Contact(Strict):
    name: ShortText | None = None
    email: ShortText | None = None
    phone: ShortText | None = None


class Reporter(Strict):
    report_id: ReporterReportId | None = Field(
        default=None,
        description="The platform's own id for this report. Sending it again never creates a "
        "second report.",
    )
    organisation: ShortText | None = Field(
        default=None, description="Display name; the token's organisation is recorded regardless."
    )
    contact: Contact | None = None


class Incident(Strict):
    type: IncidentType
    time: AwareDatetime = Field(description="When the activity happened (ISO 8601 with zone).")
    summary: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)
    ]
    urgency: Urgency = Urgency.NORMAL

    @model_validator(mode="after")
    def _not_in_future(self) -> Incident:
        if self.time > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10):
            raise ValueError("incident.time is in the future; check the clock and time zone")
        return self


class Account(Strict):
    platform: ShortText | None = None
    handle: ShortText | None = None
    account_id: ShortText | None = None
    display_name: ShortText | None = None
    profile_url: Text | None = None

    @model_validator(mode="after")
    def _identifies_something(self) -> Account:
        if not (self.handle or self.account_id or self.profile_url):
            raise ValueError("an account needs a handle, an account_id or a profile_url")
        return self


class IpEvent(Strict):
    ip: IPvAnyAddress
    port: int | None = Field(default=None, ge=0, le=65535)
    at: AwareDatetime
    event: Literal["registration", "login", "upload", "message", "purchase", "other"] = "other"


class Wallet(Strict):
    address: ShortText
    chain: ShortText | None = None


class InternetDetails(Strict):
    platform: ShortText | None = None
    urls: list[Text] = Field(default_factory=list, max_length=500)
    accounts: list[Account] = Field(default_factory=list, max_length=200)
    ip_events: list[IpEvent] = Field(default_factory=list, max_length=500)
    emails: list[ShortText] = Field(default_factory=list, max_length=200)
    phones: list[ShortText] = Field(default_factory=list, max_length=200)
    wallets: list[Wallet] = Field(default_factory=list, max_length=200)


Sex = Literal["female", "male", "other", "unknown"]


class ReportedPerson(Strict):
    name: ShortText | None = None
    date_of_birth: dt.date | None = None
    age_estimate: int | None = Field(default=None, ge=0, le=120)
    sex: Sex | None = None
    nationality: Country | None = None
    accounts: list[Account] = Field(default_factory=list, max_length=50)
    phones: list[ShortText] = Field(default_factory=list, max_length=50)
    emails: list[ShortText] = Field(default_factory=list, max_length=50)


class Victim(Strict):
    name: ShortText | None = None
    age_estimate: int | None = Field(default=None, ge=0, le=120)
    is_minor: bool | None = None
    sex: Sex | None = None
    country: Country | None = None


class FileHash(Strict):
    sha256: Sha256Hex | None = None
    md5: Md5Hex | None = None
    pdq: PdqHex | None = None
    pdq_quality: int | None = Field(default=None, ge=0, le=100)
    media_type: ShortText | None = None

    @model_validator(mode="after")
    def _has_a_hash(self) -> FileHash:
        if not (self.sha256 or self.md5 or self.pdq):
            raise ValueError(
                "a file needs at least one of sha256, md5, pdq (content is never sent)"
            )
        if self.pdq_quality is not None and self.pdq is None:
            raise ValueError("pdq_quality given without pdq")
        return self


class ReportCreate(Strict):
    reporter: Reporter = Field(default_factory=Reporter)
    incident: Incident
    internet: InternetDetails = Field(default_factory=InternetDetails)
    reported_persons: list[ReportedPerson] = Field(default_factory=list, max_length=100)
    victims: list[Victim] = Field(default_factory=list, max_length=100)
    files: list[FileHash] = Field(default_factory=list, max_length=1000)
    jurisdiction: list[Country] = Field(
        default_factory=list,
        max_length=50,
        description="ISO 3166 alpha-3 countries the activity concerns; used to read phone numbers.",
    )


class SelectorWarning(BaseModel):
    source: str
    value: str
    message: str


class Receipt(BaseModel):
    report_id: uuid.UUID
    received_at: dt.datetime
    body_sha256: str = Field(
        description="SHA-256 of the body as sent, canonicalised with RFC 8785 (JCS)."
    )
    duplicate: bool = Field(description="True when this report had already been received.")
    selectors: int = Field(description="How many selectors were extracted and indexed.")
    warnings: list[SelectorWarning] = Field(default_factory=list)


MAX_BATCH = 500


class ReportBatch(Strict):
    reports: list[ReportCreate] = Field(min_length=1, max_length=MAX_BATCH)

    @model_validator(mode="after")
    def _every_report_has_an_id(self) -> ReportBatch:
        missing = [i for i, report in enumerate(self.reports) if report.reporter.report_id is None]
        if missing:
            raise ValueError(
                "every report in a batch needs reporter.report_id, so that a retried batch "
                f"creates nothing twice; missing at positions {missing[:20]}"
            )
        return self


class BatchItemResult(BaseModel):
    index: int
    status: int = Field(description="201 created, 200 already received, 409 conflict.")
    receipt: Receipt | None = None
    error: str | None = None


class BatchReceipt(BaseModel):
    created: int
    duplicates: int
    conflicts: int
    results: list[BatchItemResult]


class ReportSummary(BaseModel):
    id: uuid.UUID
    received_at: dt.datetime
    organisation_id: int
    incident_type: IncidentType
    incident_time: dt.datetime
    urgency: Urgency
    platform: str | None
    jurisdiction: list[str]
    status: str
    risk_score: float | None


class SelectorRead(BaseModel):
    kind: str
    value: str
    source: str


class RiskSpan(BaseModel):
    start: int = Field(description="Offset of the first character, in Unicode code points.")
    end: int
    text: str


class RiskIndicator(BaseModel):
    id: str
    name: str
    weight: float
    field: str = Field(description="Where in the report it was found, e.g. incident.summary.")
    spans: list[RiskSpan]


class RiskRead(BaseModel):
    """Why the report got its risk score: the warning signs found, with where they are."""

    score: float = Field(ge=0, le=1)
    method: str
    catalogue_version: str
    indicators: list[RiskIndicator]


class StatusHistoryRead(BaseModel):
    from_status: str
    to_status: str
    reason: str | None
    changed_by: str
    changed_at: dt.datetime


class ReportRead(ReportSummary):
    body_sha256: str
    reporter_report_id: str | None
    body: ReportCreate
    selectors: list[SelectorRead]
    risk: RiskRead | None = Field(
        default=None, description="The risk score's explanation; null for reports not scored."
    )
    status_history: list[StatusHistoryRead] = Field(
        default_factory=list, description="Moves through triage, oldest first, with reasons."
    )


class SelectorSearch(Strict):
    """Find reports carrying one selector, written any way it is commonly written."""

    kind: Literal["phone", "email", "url", "domain", "handle", "wallet"]
    value: ShortText
    country: Country | None = Field(
        default=None, description="Where a phone number written without +CC is from (alpha-3)."
    )
    platform: ShortText | None = Field(default=None, description="For handles: the platform.")


class SelectorSearchResult(BaseModel):
    kind: str
    normalised: str = Field(description="The canonical form that was looked up.")
    reports: list[ReportSummary]


IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
