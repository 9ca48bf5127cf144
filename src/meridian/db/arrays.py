"""``column = ANY(:array)``: one bound array instead of one parameter per value.

``column.in_(ids)`` renders one placeholder per id, so SQLAlchemy re-renders and psycopg
re-parses the statement for every new count of ids, and the server plans each shape
anew; with one array parameter the statement text is the same for 1 id or 500. The
array travels as one text literal (``{id,id,...}``) cast by the server: psycopg's own
list adaptation checks and quotes each element in Python, 13 µs per id, which for a
200-message thread cost more than decrypting it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Text, any_, bindparam, cast
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.sql.elements import ColumnElement

_UUIDS = ARRAY(UUID(as_uuid=True))


def uuid_array_literal(ids: Iterable[uuid.UUID]) -> str:
    # str() of a UUID is hex and dashes only: nothing to quote or escape.
    return "{" + ",".join(map(str, ids)) + "}"


def in_ids(column: Any, ids: Iterable[uuid.UUID]) -> ColumnElement[bool]:
    """``column = ANY(CAST(:ids AS uuid[]))`` for a uuid column."""
    literal = bindparam(None, uuid_array_literal(ids), type_=Text)
    return column == any_(cast(literal, _UUIDS))  # type: ignore[no-any-return]
