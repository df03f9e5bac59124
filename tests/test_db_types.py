"""UtcDateTime refuses instants outside the years 1-9999 in UTC with a typed error, which the API
answers with 422, not 500."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine
from sqlalchemy.exc import StatementError

from tests.conftest import Node
from tipnet.db import UtcDateTime
from tipnet.errors import InvalidInput

EARLY = dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14)))


def test_an_instant_before_year_1_in_utc_is_invalid_input() -> None:
    metadata = MetaData()
    table = Table("t", metadata, Column("id", Integer, primary_key=True), Column("at", UtcDateTime))
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as connection, pytest.raises(StatementError) as raised:
        connection.execute(table.insert().values(id=1, at=EARLY))
    assert isinstance(raised.value.orig, InvalidInput)
    assert "years 1 to 9999" in str(raised.value.orig)


def test_the_api_answers_a_refused_column_value_with_its_status(node: Node) -> None:
    @node.app.get("/test-only/statement")
    def refused() -> None:
        UtcDateTime().process_bind_param(EARLY, None)  # type: ignore[arg-type]

    @node.app.get("/test-only/wrapped")
    def wrapped() -> None:
        raise StatementError("bind failed", "INSERT ...", {}, InvalidInput("out of range"))

    assert node.client.get("/test-only/statement").status_code == 422
    answer = node.client.get("/test-only/wrapped")
    assert answer.status_code == 422
    assert answer.json() == {"detail": "out of range"}
