"""What SQL the application sends: for tests that count queries or look for a statement."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from tracker.extensions import db


@contextmanager
def recorded_statements(engine: sa.Engine | None = None) -> Iterator[list[str]]:
    """The statements sent to `engine` (the application's by default) inside the block, in
    order, as the driver receives them."""
    statements: list[str] = []
    target = engine if engine is not None else db.engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(target, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(target, "before_cursor_execute", record)


@contextmanager
def listening(event: str, listener: Any, engine: sa.Engine | None = None) -> Iterator[None]:
    """`listener` attached to `event` of `engine` (the application's) inside the block."""
    target = engine if engine is not None else db.engine
    sa.event.listen(target, event, listener)
    try:
        yield
    finally:
        sa.event.remove(target, event, listener)
