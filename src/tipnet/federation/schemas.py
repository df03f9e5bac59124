"""Requests and responses of the federation: the administrators' and investigators' API
(``/api/v1/federation/...``) and the signed messages nodes exchange (``/federation/v1/...``).

Binary values travel as standard base64 with padding; a value of the wrong length or alphabet
is refused with the field named, before anything is computed on it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

from tipnet.identifiers.selectors import SelectorKind
from tipnet.reports.schemas import Urgency
from tipnet.validation import AwareDatetime

MAX_BATCH = 10_000  # selectors or encodings in one query round
MAX_FEED_PAGE = 10_000
MAX_PEER_TIMEOUT = 600.0  # seconds
PERSON_KIND = "person"
IMAGE_KIND = "image"
SELECTOR_KINDS = tuple(kind.value for kind in SelectorKind)
AGREEMENT_KINDS = (*SELECTOR_KINDS, PERSON_KIND)


class Level(StrEnum):
    """Who may match a record (MISP's distribution levels, reduced to three)."""

    LOCAL = "local"  # this node only: the default
    PEERS = "peers"  # the named peers
    FEDERATION = "federation"  # every peer this node has an agreement with


class AgreementKind(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    URL = "url"
    DOMAIN = "domain"
    HANDLE = "handle"
    WALLET = "wallet"
    PERSON = "person"


class ReleaseField(StrEnum):
    """What an approved cooperation request may release about the referenced report."""

    INCIDENT = "incident"  # type, time, urgency, jurisdiction, platform
    SELECTORS = "selectors"  # every selector of the report, decrypted
    PERSONS = "persons"  # reported persons and victims: name, date of birth, sex, country


class Direction(StrEnum):
    OUTGOING = "outgoing"  # this node asked a peer
    INCOMING = "incoming"  # a peer asks this node


class CooperationStatus(StrEnum):
    QUEUED = "queued"  # outgoing, not yet delivered
    SENT = "sent"  # outgoing, delivered, no answer yet
    PENDING = "pending"  # incoming, waiting for a decision here
    APPROVED = "approved"
    REFUSED = "refused"
    FAILED = "failed"  # outgoing, could not be delivered


class Decision(StrEnum):
    APPROVE = "approve"
    REFUSE = "refuse"


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text cannot contain NUL (\\u0000) characters")
    return value


def _base64_of(length: int | None, max_chars: int) -> Any:
    """Validator and schema of base64 text decoded to ``length`` bytes (any length if None)."""

    def decode(value: object) -> bytes:
        if isinstance(value, bytes):  # built in Python rather than read from JSON
            raw = value
        elif not isinstance(value, str) or len(value) > max_chars:
            raise ValueError(f"must be base64 text of at most {max_chars} characters")
        else:
            try:
                raw = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError) as error:
                raise ValueError("not standard base64 (A-Z a-z 0-9 + / with = padding)") from error
        if length is not None and len(raw) != length:
            raise ValueError(f"must decode to {length} bytes, not {len(raw)}")
        return raw

    schema = {"type": "string", "format": "byte", "maxLength": max_chars}
    encode = PlainSerializer(lambda raw: base64.b64encode(raw).decode("ascii"), return_type=str)
    return (BeforeValidator(decode), encode, WithJsonSchema(schema))


Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(_no_nul),
]
ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_no_nul),
]
NodeId = Annotated[str, StringConstraints(pattern=r"^[a-z2-7]{16}$")]
Reference = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
Element = Annotated[bytes, *_base64_of(32, 64)]  # a ristretto255 element
Encoding = Annotated[bytes, *_base64_of(None, 4096)]  # a CLK


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- node and peers (administrators) ---------------------------------------------------------


class NodeInit(Strict):
    country: Annotated[str, StringConstraints(min_length=3, max_length=3)] = Field(
        description="ISO 3166-1 alpha-3 code of the member state the node serves, e.g. ESP."
    )
    name: ShortText
    url: Annotated[str, StringConstraints(min_length=8, max_length=500)] = Field(
        description="Base URL peers reach this node at, e.g. https://tipnet.police.example"
    )


class NodeRead(BaseModel):
    node_id: str
    country: str
    name: str
    url: str
    fingerprint: str = Field(description="Compare it with the peer's administrator by phone.")
    descriptor: dict[str, Any] = Field(description="The signed descriptor to hand to peers.")


class AgreementFields(Strict):
    kinds: list[AgreementKind] | None = Field(
        default=None,
        max_length=len(AGREEMENT_KINDS),
        description="Selector kinds (and 'person') the peer may query here.",
    )
    rate_limit: int | None = Field(
        default=None, ge=1, le=100_000_000, description="Elements per hour the peer may ask."
    )
    image_lists: bool | None = Field(
        default=None, description="Whether the peer may pull this node's image hash lists."
    )


class PeerCreate(AgreementFields):
    descriptor: dict[str, Any] = Field(description="The peer's signed descriptor (JSON object).")


class PeerUpdate(AgreementFields):
    timeout_seconds: float | None = Field(
        default=None,
        gt=0,
        le=MAX_PEER_TIMEOUT,
        description="Seconds one request to the peer may take, its answer included.",
    )


class PeerHealth(BaseModel):
    """How the peer has been answering this node's requests."""

    summary: str = Field(description="ok, unknown (never asked), or failing for how long and why")
    last_success_at: dt.datetime | None
    last_failure_at: dt.datetime | None
    last_failure: str | None = Field(description="outcome and reason of the last failure")
    failing_since: dt.datetime | None
    consecutive_failures: int


class PeerRead(BaseModel):
    id: int
    node_id: str
    country: str
    name: str
    url: str
    fingerprint: str
    kinds: list[str]
    rate_limit: int
    image_lists: bool
    active: bool
    added_at: dt.datetime
    removed_at: dt.datetime | None
    synced_at: dt.datetime | None
    timeout_seconds: float | None = Field(description="None: the node's default")
    health: PeerHealth


# --- distribution (investigators) -------------------------------------------------------------


class DistributionSet(Strict):
    level: Level
    peers: list[NodeId] = Field(
        default_factory=list,
        max_length=200,
        description="Node ids of the peers that may match the report; only with level 'peers'.",
    )


class DistributionRead(BaseModel):
    report_id: uuid.UUID
    level: Level
    peers: list[str]
    shared: dict[str, int] = Field(description="Entries published, by kind.")
    set_by: str | None
    set_at: dt.datetime | None


class HashListRead(BaseModel):
    name: str
    level: Level
    peers: list[str]
    hashes: int = Field(description="Distinct PDQ hashes published.")


# --- queries (investigators) ------------------------------------------------------------------


class SelectorQuery(Strict):
    kind: SelectorKind
    values: list[
        Annotated[str, StringConstraints(min_length=1, max_length=500), AfterValidator(_no_nul)]
    ] = Field(min_length=1, max_length=MAX_BATCH)
    country: Annotated[str, StringConstraints(min_length=2, max_length=3)] | None = Field(
        default=None, description="Country to read national phone numbers in (e.g. ESP)."
    )
    platform: ShortText | None = Field(default=None, description="Platform of handles.")


class Rejected(BaseModel):
    value: str
    message: str


class Hit(BaseModel):
    value: str = Field(
        description="What was asked, as normalised here (a selector, a person's name, a PDQ "
        "hash); never sent to the peer in the clear."
    )
    reference: str = Field(description="The peer's opaque reference: cite it in a request.")
    score: float | None = Field(
        default=None, description="Dice similarity (persons) or Hamming distance (images)."
    )


class PeerOutcome(BaseModel):
    node_id: str
    name: str
    country: str
    status: str = Field(description="ok, unreachable, refused or error")
    detail: str | None = None
    hits: list[Hit] = Field(default_factory=list)


class QueryResult(BaseModel):
    kind: str
    asked: int
    rejected: list[Rejected]
    partial: bool = Field(description="True when a peer could not answer: results are partial.")
    peers: list[PeerOutcome]


class PersonAsked(Strict):
    name: ShortText = Field(description="Full name as recorded.")
    date_of_birth: dt.date | None = None
    sex: Annotated[str, StringConstraints(pattern="^(female|male|other)$")] | None = None
    nationality: Annotated[str, StringConstraints(min_length=3, max_length=3)] | None = Field(
        default=None, description="ISO 3166-1 alpha-3."
    )


class PersonQuery(Strict):
    persons: list[PersonAsked] = Field(min_length=1, max_length=1000)


class ImageQuery(Strict):
    pdq: list[Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")]] = Field(
        min_length=1, max_length=MAX_BATCH, description="PDQ hashes (64 hex digits)."
    )
    max_distance: int = Field(default=31, ge=0, le=64, description="Hamming distance.")


class SyncOutcome(BaseModel):
    node_id: str
    status: str
    detail: str | None = None
    added: int = 0
    removed: int = 0
    entries: int = 0


# --- cooperation (investigators) --------------------------------------------------------------


class CooperationCreate(Strict):
    peer: NodeId = Field(description="Node id of the peer whose reference this is.")
    reference: Reference
    purpose: Text
    legal_basis: ShortText
    urgency: Urgency = Urgency.NORMAL
    fields: list[ReleaseField] = Field(
        default_factory=lambda: list(ReleaseField), min_length=1, max_length=len(ReleaseField)
    )


class CooperationDecision(Strict):
    decision: Decision
    reason: Text
    fields: list[ReleaseField] | None = Field(
        default=None,
        max_length=len(ReleaseField),
        description="Fields to release, among those asked (default: all asked).",
    )


class ReleasedSelector(BaseModel):
    kind: str
    value: str


class ReleasedPerson(BaseModel):
    role: str
    name: str | None = None
    date_of_birth: str | None = None
    sex: str | None = None
    country: str | None = None


class ReleasedIncident(BaseModel):
    type: str
    time: AwareDatetime  # from a peer: a time that would overflow in UTC is refused, not a crash
    urgency: str
    platform: str | None
    jurisdiction: list[str]


class Release(BaseModel):
    incident: ReleasedIncident | None = None
    selectors: list[ReleasedSelector] | None = None
    persons: list[ReleasedPerson] | None = None


class CooperationSummary(BaseModel):
    """A request as listed: no purpose and no released data, so listing is not audited."""

    id: uuid.UUID
    request_id: uuid.UUID = Field(description="The requester's id, the same on both nodes.")
    direction: str = Field(description="outgoing (we asked) or incoming (a peer asks us)")
    peer: str
    peer_name: str
    reference: str
    legal_basis: str
    urgency: str
    fields: list[str]
    status: str = Field(description="queued, sent, pending, approved, refused or failed")
    requested_by: str
    created_at: dt.datetime
    report_id: uuid.UUID | None = Field(description="Incoming: the report the reference names.")
    decided_by: str | None
    decided_at: dt.datetime | None
    released_fields: list[str] | None
    due_at: dt.datetime = Field(
        description="When the answer is due: created_at (receipt here for incoming, filing for "
        "outgoing) plus the node's response window, 48 hours by default (Prüm II)."
    )
    overdue: bool = Field(description="Not decided yet, and past due_at.")
    answered_in_hours: float | None = Field(
        description="Hours from created_at to the decision, once decided."
    )


class CooperationRead(CooperationSummary):
    """A request in full, purpose and released data decrypted; reading it is audited."""

    purpose: str
    decision_reason: str | None
    release: Release | None


class OutboxRead(BaseModel):
    message_id: uuid.UUID
    peer: str
    kind: str
    created_at: dt.datetime
    attempts: int
    next_attempt_at: dt.datetime
    delivered_at: dt.datetime | None
    failed_at: dt.datetime | None
    last_error: str | None


# --- messages between nodes (signed) ----------------------------------------------------------


class FeedEntry(BaseModel):
    kind: str
    value: str = Field(description="base64 of an OPRF token (16 bytes) or a PDQ hash (32).")
    reference: str


class FeedPage(BaseModel):
    epoch: str = Field(description="Changes when the agreement changes: then sync from 0.")
    since: int
    next: int
    more: bool
    adds: list[FeedEntry]
    removes: list[str]


class EvaluateRequest(Strict):
    kind: SelectorKind
    elements: list[Element] = Field(min_length=1, max_length=MAX_BATCH)


class EvaluateResponse(BaseModel):
    kind: str
    elements: list[Element] = Field(max_length=MAX_BATCH)


class PersonMatchRequest(Strict):
    scheme: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16,64}$")]
    encodings: list[Encoding] = Field(min_length=1, max_length=MAX_BATCH)


class PersonHit(BaseModel):
    index: int
    references: list[str]


class PersonMatchResponse(BaseModel):
    hits: list[PersonHit]


class CooperationRequestMessage(Strict):
    message_id: uuid.UUID
    request_id: uuid.UUID
    reference: Reference
    purpose: Text
    legal_basis: ShortText
    urgency: Urgency
    fields: list[ReleaseField] = Field(min_length=1, max_length=len(ReleaseField))
    requested_by: ShortText


class CooperationAnswerMessage(Strict):
    message_id: uuid.UUID
    request_id: uuid.UUID
    decision: Decision
    reason: Text
    fields: list[ReleaseField] = Field(default_factory=list, max_length=len(ReleaseField))
    release: Release | None = None
    decided_by: ShortText


class MessageReceipt(BaseModel):
    message_id: uuid.UUID
    status: str = Field(description="accepted, or duplicate for a message already received")


class Pong(BaseModel):
    node_id: str
    peer: str = Field(description="The node id this node knows the caller by.")
