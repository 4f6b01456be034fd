"""The task list's deadline range, as the dashboard links to it."""

from __future__ import annotations

from datetime import date

from tests.factories import make_task
from tracker.extensions import db


def test_deadline_range(login, world) -> None:
    make_task(
        world.meeting,
        world.office,
        world.tuphap,
        content="Nhiệm vụ tháng sáu",
        deadline=date(2017, 6, 15),
    )
    db.session.commit()
    client = login(world.chair)
    page = client.get("/tasks/?from=2017-06-01&to=2017-06-30").get_data(as_text=True)
    assert "Nhiệm vụ tháng sáu" in page and "Xây dựng kế hoạch khắc phục" not in page
    page = client.get("/tasks/?from=01/04/2017&to=30/04/2017").get_data(as_text=True)
    assert "Nhiệm vụ tháng sáu" not in page and "Xây dựng kế hoạch khắc phục" in page
    response = client.get("/tasks/?from=31/02/2017")
    assert response.status_code == 200
    assert "không hợp lệ" in response.get_data(as_text=True)


def test_total_is_counted_up_to_a_cap(login, world, monkeypatch) -> None:
    from tracker.tasks import views

    for i in range(4):
        make_task(world.meeting, world.office, world.tuphap, content=f"Rà soát hồ sơ số {i}")
    db.session.commit()
    client = login(world.chair)
    page = client.get("/tasks/?q=ra soat ho so").get_data(as_text=True)
    assert "4 nhiệm vụ" in page and "Hơn" not in page
    monkeypatch.setattr(views, "COUNT_CAP", 3)
    page = client.get("/tasks/?q=ra soat ho so").get_data(as_text=True)
    assert "Hơn 3 nhiệm vụ" in page
    # Every match is still listed on the page.
    assert all(f"Rà soát hồ sơ số {i}" in page for i in range(4))


def test_search_wildcards_are_what_was_typed(login, world) -> None:
    """ "%" and "_" in a search are characters, not LIKE patterns (task list and meetings)."""
    make_task(world.meeting, world.office, world.tuphap, content="Giải ngân đạt 50% kế hoạch")
    make_task(world.meeting, world.office, world.tuphap, content="Giải ngân đạt 500 triệu")
    db.session.commit()
    client = login(world.chair)
    page = client.get("/tasks/?q=50%25").get_data(as_text=True)
    assert "đạt 50% kế hoạch" in page and "500 triệu" not in page
    page = client.get("/tasks/?q=5_0").get_data(as_text=True)
    assert "đạt 50% kế hoạch" not in page and "500 triệu" not in page
    meetings = client.get("/meetings/?q=_").get_data(as_text=True)
    assert world.meeting.title not in meetings
