"""Requests and responses of case management. Victims, perpetrators and case status speak HTCDS
JSON: the field aliases are the standard's field names (``prs_FirstName``, ``vic_MethodsOfControl``,
``per_RoleInProcess``, ``cas_Status``...), multi-select fields are lists, and unknown fields are
refused so that a misspelt HTCDS name is an error instead of data silently dropped.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic import StringConstraints as Text

from tipnet.cases.htcds import (
    AgeBroad,
    CaseStatus,
    Gender,
    LabourIndustry,
    MethodOfControl,
    MethodOfRecruitment,
    ReasonForReferral,
    RoleInProcess,
    TypeOfExploitation,
    TypeOfSexExploitation,
    WebsiteOrApp,
    validate_citizenship,
)

Code = TypeVar("Code")


def _unique(values: list[Code]) -> list[Code]:
    # A multi-select is a set; keep the sender's order but count each value once.
    return list(dict.fromkeys(values))


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refuse it here rather than fail in the database.
    if "\x00" in value:
        raise ValueError("text cannot contain NUL (\\u0000) characters")
    return value


def _not_in_future(value: dt.date) -> dt.date:
    if value > dt.date.today():
        raise ValueError("a date of birth cannot be in the future")
    return value


Codes = Annotated[list[Code], AfterValidator(_unique), Field(max_length=50)]
ShortText = Annotated[
    str, Text(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_no_nul)
]
Name = ShortText
LongText = Annotated[
    str, Text(strip_whitespace=True, min_length=1, max_length=10_000), AfterValidator(_no_nul)
]
Reason = Annotated[
    str, Text(strip_whitespace=True, min_length=1, max_length=2_000), AfterValidator(_no_nul)
]
Citizenship = Annotated[str, AfterValidator(validate_citizenship)]
Birthdate = Annotated[dt.date, AfterValidator(_not_in_future)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", serialize_by_alias=True)


class CaseCreate(Strict):
    title: ShortText = Field(
        description="A short working title. Keep names of people out of it: titles are listed "
        "without an audited read."
    )


class CaseSummary(Strict):
    id: uuid.UUID
    title: str
    status: CaseStatus = Field(alias="cas_Status")
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    assignees: list[str] = Field(description="Usernames of the assigned investigators.")
    report_count: int


class StatusChange(Strict):
    status: CaseStatus = Field(alias="cas_Status")
    reason: Reason | None = Field(
        default=None,
        description="Why; required to reopen a closed case. Stored as cas_ReasonForCaseClosure "
        "when closing.",
    )
    referred_organisation: ShortText | None = Field(
        default=None, alias="cas_ReferredOrganisation", description="Required for ClosedReferred."
    )
    referral_reason: ReasonForReferral | None = Field(
        default=None, alias="cas_ReasonForOutgoingReferral"
    )

    @model_validator(mode="after")
    def _referral_only_when_referred(self) -> StatusChange:
        referred = self.status is CaseStatus.CLOSED_REFERRED
        if referred and self.referred_organisation is None:
            raise ValueError(
                "cas_ReferredOrganisation is required when cas_Status is ClosedReferred"
            )
        if not referred and (self.referred_organisation or self.referral_reason):
            raise ValueError(
                "cas_ReferredOrganisation and cas_ReasonForOutgoingReferral go only with "
                "cas_Status ClosedReferred"
            )
        return self


class StatusHistoryRead(BaseModel):
    from_status: CaseStatus | None
    to_status: CaseStatus
    reason: str | None
    changed_by: str
    changed_at: dt.datetime


class ReportAttach(Strict):
    report_id: uuid.UUID


class CaseReportRead(BaseModel):
    report_id: uuid.UUID
    attached_at: dt.datetime
    attached_by: str


class AssigneeCreate(Strict):
    username: ShortText


class AssigneeRead(BaseModel):
    username: str
    assigned_at: dt.datetime
    assigned_by: str


class CommentCreate(Strict):
    body: LongText


class CommentRead(BaseModel):
    id: int
    author: str
    created_at: dt.datetime
    body: str


class PersonFields(Strict):
    """What victims and perpetrators share: the HTCDS Person (``prs_``) fields that identify
    someone, all encrypted at rest, and the coded demographics, stored plainly."""

    NAME_FIELDS: ClassVar[set[str]] = {"first_name", "middle_name", "second_name"}
    CONTACT_FIELDS: ClassVar[set[str]] = {"email", "mobile_phone"}
    CODE_FIELDS: ClassVar[set[str]]

    first_name: Name | None = Field(default=None, alias="prs_FirstName")
    middle_name: Name | None = Field(default=None, alias="prs_MiddleName")
    second_name: Name | None = Field(default=None, alias="prs_SecondName")
    birthdate: Birthdate | None = Field(default=None, alias="prs_Birthdate")
    email: ShortText | None = Field(default=None, alias="prs_Email")
    mobile_phone: ShortText | None = Field(default=None, alias="prs_MobilePhone")
    # Coded, not personal: stored plainly. Each context gives them its own HTCDS names.
    gender: Gender | None = None
    age_broad: AgeBroad | None = None
    citizenship: Citizenship | None = None

    def name_parts(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, include=self.NAME_FIELDS, exclude_none=True)

    def contact(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, include=self.CONTACT_FIELDS, exclude_none=True)

    def codes(self) -> dict[str, list[str]]:
        """The multi-select fields by HTCDS name, e.g. {"vic_MethodsOfControl": ["Threats"]}."""
        return self.model_dump(mode="json", by_alias=True, include=self.CODE_FIELDS)

    def private_details(self) -> str | None:
        return None


class VictimCreate(PersonFields):
    """A victim: HTCDS Person fields and the Person Victim Context (``vic_``)."""

    CODE_FIELDS: ClassVar[set[str]] = {
        "method_of_recruitment",
        "recruitment_websites",
        "methods_of_control",
        "type_of_exploitation",
        "labour_industry",
        "sex_exploitation",
        "exploitation_websites",
    }

    gender: Gender | None = Field(default=None, alias="vic_Gender")
    age_broad: AgeBroad | None = Field(default=None, alias="vic_AgeBroad")
    citizenship: Citizenship | None = Field(default=None, alias="vic_Citizenship")
    method_of_recruitment: Codes[MethodOfRecruitment] = Field(
        default_factory=list, alias="vic_MethodOfRecruitment"
    )
    recruitment_websites: Codes[WebsiteOrApp] = Field(
        default_factory=list, alias="vic_RecruitmentWebsitesAndApps"
    )
    methods_of_control: Codes[MethodOfControl] = Field(
        default_factory=list, alias="vic_MethodsOfControl"
    )
    type_of_exploitation: Codes[TypeOfExploitation] = Field(
        default_factory=list, alias="vic_TypeOfExploitation"
    )
    labour_industry: Codes[LabourIndustry] = Field(
        default_factory=list, alias="vic_ForcedLabourIndustry"
    )
    sex_exploitation: Codes[TypeOfSexExploitation] = Field(
        default_factory=list, alias="vic_TypeOfSexExploitation"
    )
    exploitation_websites: Codes[WebsiteOrApp] = Field(
        default_factory=list, alias="vic_ExploitationWebsitesAndApps"
    )


class PerpetratorCreate(PersonFields):
    """A perpetrator: HTCDS Person fields and the Person Perpetrator Context (``per_``)."""

    CODE_FIELDS: ClassVar[set[str]] = {"role_in_process"}

    gender: Gender | None = Field(default=None, alias="per_Gender")
    age_broad: AgeBroad | None = Field(default=None, alias="per_AgeBroad")
    citizenship: Citizenship | None = Field(default=None, alias="per_Citizenship")
    role_in_process: Codes[RoleInProcess] = Field(default_factory=list, alias="per_RoleInProcess")
    role_details: LongText | None = Field(
        default=None, alias="per_RoleDetails", description="Free text; encrypted at rest."
    )

    def private_details(self) -> str | None:
        return self.role_details


class VictimRead(VictimCreate):
    id: int
    created_at: dt.datetime


class PerpetratorRead(PerpetratorCreate):
    id: int
    created_at: dt.datetime


class CaseRead(CaseSummary):
    """One case in full, victims and perpetrators decrypted; reading it is audited."""

    closure_reason: str | None = Field(alias="cas_ReasonForCaseClosure")
    referred_organisation: str | None = Field(alias="cas_ReferredOrganisation")
    referral_reason: ReasonForReferral | None = Field(alias="cas_ReasonForOutgoingReferral")
    referral_date: dt.datetime | None = Field(alias="cas_OutgoingReferralDate")
    report_ids: list[uuid.UUID]
    comments: list[CommentRead]
    status_history: list[StatusHistoryRead]
    victims: list[VictimRead]
    perpetrators: list[PerpetratorRead]


class PersonSearch(Strict):
    name: Name = Field(description="Full name as recorded (case and spacing do not matter).")


class PersonHit(BaseModel):
    case_id: uuid.UUID
    person_id: int
    role: str
    case_status: CaseStatus
