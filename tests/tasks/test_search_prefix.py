"""A search with many matches reads its page among the first tasks in list order
(tracker/tasks/search.py) and lists exactly what the plain query lists."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.factories import make_task
from tests.sql import recorded_statements
from tracker.extensions import db
from tracker.tasks import search, views
from tracker.tasks.models import Task

PHRASE = "Giải phóng mặt bằng"
START = date(2017, 5, 1)


DAYS = 400


def _province(world, matching_days: range) -> None:
    """A task due each of DAYS days after START: those of `matching_days` with the phrase."""
    for number, day in enumerate(matching_days):
        content = f"{PHRASE} dự án số {number:03d}"
        make_task(world.meeting, world.office, world.tuphap, content=content,
                  deadline=START + timedelta(days=day))  # fmt: skip
    for day in (d for d in range(DAYS) if d not in matching_days):
        make_task(world.meeting, world.office, world.tuphap, content="Rà soát hồ sơ",
                  deadline=START + timedelta(days=day))  # fmt: skip
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE tasks"))  # the table size the prefix is sized by
        db.session.commit()
    search.forget_table_size()


def _listed(client, page: int) -> list[str]:
    html = client.get(f"/tasks/?q=giai phong mat bang&page={page}").get_data(as_text=True)
    return re.findall(r"dự án số (\d{3})", html)


def _pages(client, count: int) -> tuple[list[list[str]], list[str]]:
    with recorded_statements() as statements:
        pages = [_listed(client, page) for page in range(1, count + 1)]
    return pages, statements


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "PER_PAGE", 3)
    monkeypatch.setattr(search, "DENSE_MATCHES", 10)
    yield
    search.forget_table_size()


def _plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "DENSE_MATCHES", 10**9)


def _bounded(statements: list[str]) -> int:
    """The prefix keys read: the list-order key of a task at an offset."""
    return sum(
        s.startswith("SELECT tasks.deadline, tasks.id") and "OFFSET" in s for s in statements
    )


def test_dense_matches_read_a_prefix_and_list_the_same_pages(
    login, world, backend: str, small_pages, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 40 matches spread evenly among 400 tasks: one in ten.
    _province(world, range(0, DAYS, 10))
    client = login(world.chair)
    pages, statements = _pages(client, 3)
    assert pages == [["000", "001", "002"], ["003", "004", "005"], ["006", "007", "008"]]
    _plain(monkeypatch)
    plain, plain_statements = _pages(client, 3)
    assert pages == plain and _bounded(plain_statements) == 0
    assert _bounded(statements) == 3  # the prefix's key, once per page


def test_matches_later_than_their_density_promised_are_still_found(
    login, world, backend: str, small_pages, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 40 matches among 400 tasks, all due after every other task: a prefix sized by their
    # density holds none of them, and the page is read again without it.
    _province(world, range(360, DAYS))
    client = login(world.chair)
    pages, statements = _pages(client, 2)
    assert pages == [["000", "001", "002"], ["003", "004", "005"]]
    _plain(monkeypatch)
    assert _pages(client, 2)[0] == pages
    assert _bounded(statements) == 2
    listed = [s for s in statements if s.startswith("SELECT tasks.id,") and "LIMIT" in s]
    assert len(listed) == 4, listed  # each page tried within the prefix, then in full


def test_few_matches_or_a_long_prefix_use_the_plain_query(
    login, world, backend: str, small_pages, monkeypatch: pytest.MonkeyPatch
) -> None:
    _province(world, range(0, DAYS, 10))
    client = login(world.chair)
    monkeypatch.setattr(search, "DENSE_MATCHES", 41)  # 40 matches: too few
    assert _bounded(_pages(client, 1)[1]) == 0
    monkeypatch.setattr(search, "DENSE_MATCHES", 10)
    # From page 4 on, the prefix (2 × 12 × 400 / 40 tasks) would be over half the list.
    pages, statements = _pages(client, 14)
    assert pages[13] == ["039"] and [n for page in pages for n in page] == [
        f"{n:03d}" for n in range(40)
    ]
    assert _bounded(statements) == 3


def test_sqlite_reads_the_prefix_through_the_list_order_index(
    world, backend: str, small_pages
) -> None:
    # SQLite has no index for the words: bounded, the page's rows come through the index in
    # list order (at a million tasks 17 ms), not from reading every task (230 ms).
    if backend != "sqlite":
        pytest.skip("SQLite's query plan")
    _province(world, range(0, DAYS, 10))
    bound = search.prefix_bound(40, 3)
    assert bound is not None
    page = (
        sa.select(Task.id)
        .where(bound, *search.substrings(["giai", "phong"]))
        .order_by(Task.deadline.is_(None), Task.deadline, Task.id)
        .limit(3)
    )
    sql = page.compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = " ".join(row[-1] for row in db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {sql}")))
    assert "USING INDEX ix_tasks_deadline_id" in plan, plan
    assert (
        db.session.scalars(page).all()
        == db.session.scalars(
            sa.select(Task.id)
            .where(Task.content_folded.contains("giai phong"))
            .order_by(Task.deadline.is_(None), Task.deadline, Task.id)
            .limit(3)
        ).all()
    )
