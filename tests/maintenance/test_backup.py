"""A backup taken while updates are posted restores every update committed before it."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import sqlalchemy as sa

from tests.conftest import PG_URL, make_app
from tests.factories import build_world
from tracker.extensions import db
from tracker.maintenance.operations import BackupError, backup, restore
from tracker.tasks.models import TaskEvent
from tracker.tasks.operations import add_comment


def _fresh_database(backend: str, tmp_path, name: str) -> str:  # type: ignore[no-untyped-def]
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/{name}.db"
    if not PG_URL:
        pytest.skip("TRACKER_TEST_DATABASE_URL is not set: no PostgreSQL server")
    db_name = f"tracker_bk_{name}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{db_name}"'))
    admin.dispose()
    return sa.make_url(PG_URL).set(database=db_name).render_as_string(hide_password=False)


def _drop(url: str) -> None:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_backup_while_writing_then_restore(backend_name, tmp_path) -> None:  # type: ignore[no-untyped-def]
    live_url = _fresh_database(backend_name, tmp_path, "live")
    copy_url = _fresh_database(backend_name, tmp_path, "copy")
    try:
        app = make_app(live_url, "sqlite", tmp_path / "instance")
        committed: list[tuple[int, float]] = []
        with app.app_context():
            db.create_all()
            world = build_world()
            task_id, user_id = world.task.id, world.coord_user.id
            db.session.remove()

        def writer() -> None:
            with app.app_context():
                for n in range(150):
                    task = db.session.get(type(world.task), task_id)
                    user = db.session.get(type(world.coord_user), user_id)
                    event = add_comment(task, actor=user, note=f"Cập nhật số {n}")
                    db.session.commit()
                    committed.append((event.id, time.monotonic()))
                db.session.remove()

        thread = threading.Thread(target=writer)
        thread.start()
        while len(committed) < 40:
            time.sleep(0.005)
        started = time.monotonic()
        backup(live_url, tmp_path / "backup.bin")
        thread.join()
        before_backup = {event_id for event_id, at in committed if at < started}
        assert len(before_backup) >= 40

        with app.app_context():
            db.engine.dispose()
        copy_app = make_app(copy_url, "sqlite", tmp_path / "copy-instance")
        with copy_app.app_context():
            if backend_name == "sqlite":
                restore(copy_url, tmp_path / "backup.bin")
            else:
                restore(copy_url, tmp_path / "backup.bin")
            restored = set(
                db.session.scalars(sa.select(TaskEvent.id).where(TaskEvent.kind == "comment"))
            )
            db.engine.dispose()
        assert before_backup <= restored
        # A consistent snapshot: no update is missing in the middle.
        assert restored == set(range(min(restored), max(restored) + 1))
    finally:
        _drop(live_url)
        _drop(copy_url)


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError):
        restore(f"sqlite:///{tmp_path}/target.db", junk)
