"""Which exceptions the database-outage middleware turns into 503."""

from __future__ import annotations

import psycopg

from meridian.core.middleware import _is_database_outage


def _cyclic_group(inner: BaseException) -> BaseExceptionGroup[BaseException]:
    # What anyio produces on a client disconnect: a member whose context is the group.
    group = BaseExceptionGroup("task group", [inner])
    inner.__context__ = group
    return group


def test_cycles_through_exception_groups_end() -> None:
    assert _is_database_outage(_cyclic_group(ValueError("client went away"))) is False


def test_an_outage_inside_a_cyclic_group_is_found() -> None:
    assert _is_database_outage(_cyclic_group(psycopg.OperationalError("server closed the connection")))


def test_an_outage_as_the_cause_of_an_application_error_is_found() -> None:
    try:
        try:
            raise ConnectionRefusedError("connect failed")
        except ConnectionRefusedError as exc:
            raise RuntimeError("could not load the inbox") from exc
    except RuntimeError as outer:
        assert _is_database_outage(outer)


def test_a_missing_file_is_not_an_outage() -> None:
    assert _is_database_outage(FileNotFoundError("no such file")) is False
