"""Recording meetings and notices."""

from __future__ import annotations

from tests.factories import make_task
from tests.sql import recorded_statements
from tracker.auth.models import User
from tracker.extensions import db
from tracker.meetings.models import Meeting
from tracker.units.models import Unit


def _meeting_form(**overrides: str) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Hội nghị triển khai công tác phòng chống thiên tai",
        "held_on": "08/05/2017",
        "place": "Hội trường UBND huyện",
        "chair_id": "0",
        "notice_number": "78/TB-UBND",
        "notice_issued_on": "2017-05-09",
        "notice_signer": "Đinh Văn Thành",
        "notice_text": "Ngày 08/5/2017 ...",
    }
    data.update(overrides)
    return data


def test_office_records_a_meeting_with_its_notice(login, world) -> None:
    client = login(world.office)
    data = _meeting_form(chair_id=str(world.chair.id))
    data["attending_unit_ids"] = [str(world.noivu.id), str(world.tuphap.id)]
    response = client.post("/meetings/new", data=data)
    assert response.status_code == 302
    meeting = db.session.scalar(db.select(Meeting).where(Meeting.notice_number == "78/TB-UBND"))
    assert meeting.held_on.isoformat() == "2017-05-08"
    assert meeting.notice_issued_on.isoformat() == "2017-05-09"
    assert meeting.chair is world.chair
    assert {u.name for u in meeting.attending_units} == {"Phòng Nội vụ", "Phòng Tư pháp"}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "78/TB-UBND (09/05/2017)" in page


def test_bad_dates_keep_what_was_typed(login, world) -> None:
    client = login(world.office)
    response = client.post(
        "/meetings/new", data=_meeting_form(held_on="31/02/2017", notice_issued_on="01/05/2017")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ngày không hợp lệ" in page
    assert 'value="31/02/2017"' in page
    assert "Hội nghị triển khai công tác phòng chống thiên tai" in page
    response = client.post("/meetings/new", data=_meeting_form(notice_issued_on="01/05/2017"))
    assert "không thể trước ngày họp" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Meeting)) == 1


def test_huge_paste_is_a_field_error(login, world) -> None:
    client = login(world.office)
    response = client.post("/meetings/new", data=_meeting_form(notice_text="x" * 20_000_000))
    assert response.status_code == 200
    assert "Tối đa" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Meeting)) == 1


def test_unit_members_cannot_create_meetings(login, world) -> None:
    client = login(world.lead_user)
    assert client.get("/meetings/new").status_code == 403
    assert client.post("/meetings/new", data=_meeting_form()).status_code == 403


def test_meeting_visibility(login, world) -> None:
    url = f"/meetings/{world.meeting.id}"
    assert login(world.lead_user).get(url).status_code == 200
    assert login(world.coord_user).get(url).status_code == 200
    assert login(world.other_user).get(url).status_code == 404
    listing = login(world.other_user).get("/meetings/").get_data(as_text=True)
    assert "Hội nghị cải cách hành chính" not in listing
    assert "Hội nghị cải cách hành chính" in login(world.chair).get("/meetings/").get_data(
        as_text=True
    )


def test_a_meetings_page_costs_the_same_queries_whatever_its_tasks(login, world) -> None:
    """The task table reads only the columns it prints (task_query_options): nothing left
    unread may be loaded again row by row, responsible people included."""
    client = login(world.office)
    meeting_id = world.meeting.id
    statements: list[str] = []

    def queries() -> int:
        db.session.expunge_all()
        with recorded_statements() as sent:
            response = client.get(f"/meetings/{meeting_id}")
        assert response.status_code == 200
        statements[:] = sent
        return len(statements)

    for n in range(6):
        make_task(
            world.meeting,
            world.office,
            world.tuphap if n % 2 else world.noivu,
            coordinating_units=[world.taichinh],
            responsible=None if n % 2 else world.lead_user,
        )
    db.session.commit()
    ids = (meeting_id, world.office.id, world.noivu.id, world.lead_user.id)
    many = queries()
    meeting, office, noivu, lead_user = (
        db.session.get(model, key)
        for model, key in zip((Meeting, User, Unit, User), ids, strict=True)
    )
    make_task(meeting, office, noivu, responsible=lead_user)
    db.session.commit()
    assert queries() == many, statements
