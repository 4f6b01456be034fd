"""No lost updates: concurrent writers on one task, and the page that explains the conflict."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from tracker.extensions import db
from tracker.tasks import operations as ops
from tracker.tasks.models import Task, TaskEvent


def test_two_concurrent_updates_exactly_one_wins(app, world, backend) -> None:
    if backend != "postgresql":
        pytest.skip("needs two real concurrent transactions (PostgreSQL)")
    task_id, lead_id, office_id = world.task.id, world.lead_user.id, world.office.id
    db.session.commit()
    barrier = threading.Barrier(2, timeout=20)
    outcomes: dict[str, str] = {}

    def worker(name: str, progress: int, user_id: int, note: str) -> None:
        from tracker.auth.models import User

        with app.app_context():
            try:
                task = db.session.get(Task, task_id)
                actor = db.session.get(User, user_id)
                seen = task.version
                barrier.wait()  # both have read version `seen` before either writes
                if name == "lead":
                    ops.post_progress(
                        task, actor=actor, note=note, progress=progress, seen_version=seen
                    )
                else:
                    ops.change_status(
                        task,
                        actor=actor,
                        transition_name="pause",
                        reason=note,
                        seen_version=seen,
                    )
                db.session.commit()
                outcomes[name] = "won"
            except StaleDataError:
                db.session.rollback()
                outcomes[name] = "stale"
            except Exception as error:
                db.session.rollback()
                outcomes[name] = f"error: {error!r}"
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=worker, args=("lead", 60, lead_id, "Đã xong 60%")),
        threading.Thread(target=worker, args=("office", 0, office_id, "Chờ ý kiến của tỉnh")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes.values()) == ["stale", "won"], outcomes
    winner = next(name for name, outcome in outcomes.items() if outcome == "won")
    db.session.expire_all()
    task = db.session.get(Task, task_id)
    assert task.version == 2
    events = db.session.scalars(
        sa.select(TaskEvent.kind).where(TaskEvent.task_id == task_id).order_by(TaskEvent.id)
    ).all()
    if winner == "lead":
        assert (task.progress, task.status) == (60, "in_progress")
        assert events == ["created", "progress"]
    else:
        assert (task.progress, task.status) == (0, "paused")
        assert events == ["created", "status"]


def test_conflict_at_commit_is_explained_on_the_page(login, world, monkeypatch) -> None:
    # Another request changed the row between this request's version check and its write:
    # the UPDATE ... WHERE version = ? matches nothing and SQLAlchemy raises StaleDataError.
    real = ops.post_progress

    def racing_post_progress(task: Task, **kw: object) -> Task:
        result = real(task, **kw)
        db.session.execute(
            sa.update(Task)
            .where(Task.id == task.id)
            .values(version=Task.version + 1)
            .execution_options(synchronize_session=False)
        )
        task.progress = 55  # one more change for the commit to flush
        return result

    monkeypatch.setattr(ops, "post_progress", racing_post_progress)
    response = login(world.lead_user).post(
        f"/tasks/{world.task.id}/progress",
        data={
            "progress-note": "Báo cáo bị tranh chấp",
            "progress-progress": "50",
            "progress-version": str(world.task.version),
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 409  # stale: the same answer as the API's
    assert "vừa được Lò Thị Hoa thay đổi lúc" in page
    assert "Báo cáo bị tranh chấp" in page  # what the user typed is kept
    db.session.expire_all()
    task = db.session.get(Task, world.task.id)
    assert (task.progress, task.status, task.version) == (0, "new", 1)
    assert len(task.events) == 1
