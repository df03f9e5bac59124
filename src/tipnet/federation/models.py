"""Federation tables: this node's identity, its peers and their sharing agreements, what this
node shares (distributions and the published entries of its token feed), its copies of peers'
feeds, the replay and rate-limit state of signed requests, cooperation requests, and the
durable outbox and inbox that carry messages between nodes exactly once.

Secrets (the node's signing key and OPRF seed), personal data and free text (cooperation purposes,
legal bases and decision reasons, released data, outgoing message bodies, the usernames of the
officers who requested, decided or shared, peers' error answers and the reason of a peer's
last failure) are stored encrypted with the node's Keyring, each ``*_enc`` column under its own
context.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tipnet.db import Base, Bytes, UtcDateTime, utcnow

LOCAL_NODE_ID = 1  # the one row of federation_node
SEQUENCE_ID = 1  # the one row of federation_sequence
Seq = BigInteger().with_variant(Integer(), "sqlite")


class LocalNode(Base):
    """This node's identity: one row, written by ``tipnet node init``."""

    __tablename__ = "federation_node"

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(3))
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))
    key_id: Mapped[str] = mapped_column(String(128))
    signing_key_enc: Mapped[bytes] = mapped_column(Bytes)  # Ed25519 private key, encrypted
    oprf_seed_enc: Mapped[bytes] = mapped_column(Bytes)  # seed of the per-kind OPRF keys
    # The federation's shared secret for person encodings (CLKs), handed out of band.
    pprl_secret_enc: Mapped[bytes | None] = mapped_column(Bytes)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The statement of the last key rotation (public: the new descriptor vouched for by the
    # old key), kept so it can be handed to peers again after the old key is gone.
    rotation_statement: Mapped[str | None] = mapped_column(Text)


class Peer(Base):
    """Another node, registered from its signed descriptor, with the agreement that says what
    it may ask of this node: selector kinds (and ``person``), a rate limit in evaluated
    elements per window, and whether it may pull image hash lists."""

    __tablename__ = "federation_peers"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(128), unique=True)
    country: Mapped[str] = mapped_column(String(3))
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))
    public_key: Mapped[bytes] = mapped_column(Bytes)
    descriptor: Mapped[str] = mapped_column(Text)
    kinds: Mapped[str] = mapped_column(String(200))  # comma-separated, sorted
    rate_limit: Mapped[int] = mapped_column(Integer)
    image_lists: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    added_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    removed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # Our copy of the peer's feed: how far it is synced, and under which agreement epoch.
    feed_cursor: Mapped[int] = mapped_column(Seq, default=0)
    feed_epoch: Mapped[str | None] = mapped_column(String(64))
    synced_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # Seconds one attempt may take (None: the node's default), and how the peer has been
    # answering: what an operator needs to see that it has been unreachable, and why.
    timeout_seconds: Mapped[float | None] = mapped_column(Float)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    last_failure_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # Outcome and reason, encrypted: a peer's error text may quote our request.
    last_failure_enc: Mapped[bytes | None] = mapped_column(Bytes)
    failing_since: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SeenNonce(Base):
    """Nonces of accepted signed requests, kept while their signature could still be replayed;
    in the database so that every server worker refuses a replay another worker accepted."""

    __tablename__ = "federation_nonces"

    key_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    keep_until: Mapped[int] = mapped_column(BigInteger, index=True)


class RateUsage(Base):
    """Elements a peer had evaluated (or compared) in one rate-limit window."""

    __tablename__ = "federation_rate_usage"

    peer_id: Mapped[int] = mapped_column(ForeignKey("federation_peers.id"), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    elements: Mapped[int] = mapped_column(Integer, default=0)


class FeedSequence(Base):
    """The feed's counter. Writers lock the row until they commit, so sequence numbers become
    visible in order and a peer's cursor never skips a change committed late."""

    __tablename__ = "federation_sequence"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(Seq, default=0)


class Distribution(Base):
    """Who may match a report (or a hash list): ``peers`` (the named peers) or ``federation``
    (every peer).
    No current row means ``local``, the default: this node only. Changing the level withdraws
    the current row and its entries and publishes new ones, so a peer's view of an entry
    never changes after it was published."""

    __tablename__ = "federation_distributions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What is shared: a report, or a named image hash list imported from a CSV file. A list's
    # name is the operator's label for an industry list (looked up by equality), not personal
    # data, so it stays in clear.
    report_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("reports.id"), index=True)
    hash_list: Mapped[str | None] = mapped_column(String(200), index=True)
    level: Mapped[str] = mapped_column(String(16))
    set_by_enc: Mapped[bytes] = mapped_column(Bytes)  # the username of who set it
    set_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class DistributionPeer(Base):
    __tablename__ = "federation_distribution_peers"

    distribution_id: Mapped[int] = mapped_column(
        ForeignKey("federation_distributions.id"), primary_key=True
    )
    peer_id: Mapped[int] = mapped_column(ForeignKey("federation_peers.id"), primary_key=True)


class SharedEntry(Base):
    """One thing a distribution shares, under an opaque random ``reference``: the OPRF token of
    a selector (kind ``phone``, ``email``...), a person's CLK (kind ``person``, never sent: peers
    send theirs to be compared) or an image's PDQ hash (kind ``image``, pulled by peers that may
    receive image lists). ``source_id`` is the identifier, report person or report file row."""

    __tablename__ = "federation_shared"
    __table_args__ = (
        Index("ix_federation_shared_added", "added_seq"),
        Index("ix_federation_shared_removed", "removed_seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    distribution_id: Mapped[int] = mapped_column(
        ForeignKey("federation_distributions.id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[bytes] = mapped_column(Bytes)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    source_id: Mapped[int] = mapped_column(Integer)
    added_seq: Mapped[int] = mapped_column(Seq)
    removed_seq: Mapped[int | None] = mapped_column(Seq)


class PeerEntry(Base):
    """Our copy of one entry of a peer's feed: a token or an image hash and its reference."""

    __tablename__ = "federation_peer_entries"
    __table_args__ = (
        UniqueConstraint("peer_id", "reference"),
        Index("ix_federation_peer_entries_value", "peer_id", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    peer_id: Mapped[int] = mapped_column(ForeignKey("federation_peers.id"))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[bytes] = mapped_column(Bytes)
    reference: Mapped[str] = mapped_column(String(32))


class CooperationRequest(Base):
    """A cooperation request, as sent (``outgoing``: we asked a peer about its reference) or as
    received (``incoming``: a peer asks us about ours). ``request_id`` is the requester's id,
    the same on both nodes. What people wrote (purpose, legal basis, decision reason), who
    they are (requested_by, decided_by) and the released data are encrypted."""

    __tablename__ = "federation_cooperation_requests"
    __table_args__ = (UniqueConstraint("direction", "peer_id", "request_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    request_id: Mapped[uuid.UUID] = mapped_column()
    direction: Mapped[str] = mapped_column(String(8))
    peer_id: Mapped[int] = mapped_column(ForeignKey("federation_peers.id"), index=True)
    reference: Mapped[str] = mapped_column(String(32))
    purpose_enc: Mapped[bytes] = mapped_column(Bytes)
    legal_basis_enc: Mapped[bytes] = mapped_column(Bytes)
    urgency: Mapped[str] = mapped_column(String(16))
    fields: Mapped[str] = mapped_column(String(200))  # comma-separated release fields asked
    status: Mapped[str] = mapped_column(String(16), index=True)
    requested_by_enc: Mapped[bytes] = mapped_column(Bytes)  # an officer's username
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    report_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("reports.id"))
    decided_by_enc: Mapped[bytes | None] = mapped_column(Bytes)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    decision_reason_enc: Mapped[bytes | None] = mapped_column(Bytes)
    released_fields: Mapped[str | None] = mapped_column(String(200))
    release_enc: Mapped[bytes | None] = mapped_column(Bytes)


class OutboxMessage(Base):
    """A message to a peer, stored in the transaction that decided to send it and delivered by
    the outbox loop until the peer confirms it; the peer deduplicates by ``message_id``."""

    __tablename__ = "federation_outbox"
    __table_args__ = (Index("ix_federation_outbox_due", "delivered_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    peer_id: Mapped[int] = mapped_column(ForeignKey("federation_peers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    # The cooperation request the message is about, whose status follows its delivery.
    subject_id: Mapped[uuid.UUID | None] = mapped_column()
    payload_enc: Mapped[bytes] = mapped_column(Bytes)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    failed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # Encrypted: a peer's error answer may quote the request it refuses.
    last_error_enc: Mapped[bytes | None] = mapped_column(Bytes)


class InboxMessage(Base):
    """A message received from a peer, kept so that a redelivery has no second effect."""

    __tablename__ = "federation_inbox"

    peer_id: Mapped[int] = mapped_column(ForeignKey("federation_peers.id"), primary_key=True)
    message_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
