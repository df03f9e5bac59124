"""Group commit for report intake: one writer thread stores whatever submissions are waiting in
one transaction.

While a batch commits, new submissions queue up; the next batch takes them all (up to
``max_batch``). A request is answered only after its batch has committed, so nothing is
acknowledged that is not durable, and the cost of a commit and of the audit-chain lock is shared
by every report in the batch. If a batch fails as a whole, its submissions are retried one by
one so that one bad submission cannot fail the others.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future

from sqlalchemy.orm import Session, sessionmaker

from tipnet.auth import service as auth_service
from tipnet.auth.service import TokenRefused
from tipnet.db import transaction
from tipnet.errors import TipnetError, Unavailable
from tipnet.reports import intake
from tipnet.reports.intake import Prepared
from tipnet.reports.schemas import Receipt

log = logging.getLogger(__name__)
Outcome = Receipt | TipnetError
NOT_STORED = Unavailable(
    "the report could not be stored just now and was not received; retry with the same "
    "reporter.report_id or Idempotency-Key (retries never create a second report)"
)


class IntakeWriter:
    def __init__(self, session_factory: sessionmaker[Session], max_batch: int = 256) -> None:
        self._session_factory = session_factory
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[Prepared, Future[Outcome]] | None] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, prepared: Prepared) -> Future[Outcome]:
        """Queue one submission; the future resolves after its batch commits."""
        self._ensure_started()
        future: Future[Outcome] = Future()
        self._queue.put((prepared, future))
        return future

    def close(self) -> None:
        with self._lock:
            if self._thread is not None:
                self._queue.put(None)
                self._thread.join(timeout=30)
                self._thread = None

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="tipnet-intake-writer", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(item)
            self._write(batch)

    def _write(self, batch: Sequence[tuple[Prepared, Future[Outcome]]]) -> None:
        try:
            outcomes = self._store([prepared for prepared, _ in batch])
        except Exception:  # noqa: BLE001 - isolate the failing submission, below
            if len(batch) == 1:
                log.exception("storing a report failed")
                batch[0][1].set_result(NOT_STORED)
                return
            for item in batch:
                self._write([item])
            return
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            future.set_result(outcome)

    def _store(self, batch: list[Prepared]) -> list[Outcome]:
        with transaction(self._session_factory) as session:
            # The API may have trusted a recent lookup of the token (deps.IntakeTokens): check
            # every token again here, in the transaction that stores the reports.
            token_ids = {p.submitter.token_id for p in batch if p.submitter.token_id is not None}
            valid = auth_service.valid_token_ids(session=session, token_ids=token_ids)
            allowed = [p.submitter.token_id in (valid | {None}) for p in batch]
            kept = [prepared for prepared, ok in zip(batch, allowed, strict=True) if ok]
            written = iter(intake.write(session=session, batch=kept))
            return [
                next(written) if ok else _refused(prepared.submitter.token_id)
                for prepared, ok in zip(batch, allowed, strict=True)
            ]


def _refused(token_id: int | None) -> TipnetError:
    return TokenRefused(
        "this API token was revoked or expired, or its user deactivated, before the report was "
        "stored; nothing was stored. Ask your node administrator for a new token",
        "revoked_before_store",
        token_id,
    )
