"""A database outage loses nothing the user typed."""

from __future__ import annotations

from tracker.extensions import db


def test_database_outage_keeps_the_report(login, world, monkeypatch) -> None:
    import sqlalchemy.exc

    from tracker.tasks import operations as task_operations

    def unavailable(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise sqlalchemy.exc.OperationalError(
            "UPDATE tasks", {}, Exception("server closed the connection")
        )

    monkeypatch.setattr(task_operations, "post_progress", unavailable)
    client = login(world.lead_user)
    note = "Báo cáo dài của Phòng Nội vụ\nvới nhiều dòng cần giữ lại"
    response = client.post(
        f"/tasks/{world.task.id}/progress",
        data={"progress-note": note, "progress-progress": "40"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "CHƯA được lưu" in page and "với nhiều dòng cần giữ lại" in page
    assert f'action="/tasks/{world.task.id}/progress?"' in page
    monkeypatch.undo()
    db.session.refresh(world.task)
    assert world.task.progress == 0
