"""The hand-down in a real browser: the head of Phòng Nội vụ breaks a task down on a phone, an
officer reports on their part on a phone, the head confirms, and the unit's report on the task
is drafted from the parts."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip(
    "playwright.sync_api",
    reason="browser tests need Playwright for Python (pip install -e '.[test]')",
)

from playwright.sync_api import Browser, expect

from tests.browser.conftest import ARTIFACTS, LiveApp, Mailbox
from tests.browser.pages import PageChecks
from tests.browser.test_day import Person, flash

pytestmark = pytest.mark.browser

TASK = "Tổ chức kiểm tra công vụ tại các cơ quan, đơn vị và UBND các xã; báo cáo kết quả"

# The head, two officers, and a task led by Phòng Nội vụ, due 20/4/2017 (written through the
# operations, as the clerk's notice would have made it: test_day.py walks that part).
SETUP = textwrap.dedent(
    """
    import sqlalchemy as sa
    from datetime import date
    from tracker import create_app
    from tracker.auth.models import User
    from tracker.auth.operations import create_user
    from tracker.demo import DEMO_PASSWORD
    from tracker.extensions import db
    from tracker.meetings.operations import save_meeting
    from tracker.tasks.operations import create_task
    from tracker.units.models import Unit

    app = create_app()
    with app.app_context():
        noivu = db.session.scalar(sa.select(Unit).where(Unit.name == "Phòng Nội vụ"))
        clerk = db.session.scalar(sa.select(User).where(User.username == "vanphong"))
        chair = db.session.scalar(sa.select(User).where(User.username == "chutich"))
        for username, name, role in (
            ("truongnoivu", "Lù Văn Minh", "unit_head"),
            ("canbo1", "Quàng Thị Hương", "unit"),
            ("canbo2", "Vì Văn Khánh", "unit"),
        ):
            create_user(username=username, full_name=name, password=DEMO_PASSWORD, role=role,
                        unit=noivu, email=f"{username}@vanho.example")
        meeting = save_meeting(None, actor=clerk, title="Hội nghị cải cách hành chính",
                               held_on=date(2017, 4, 4), chair=chair)
        task = create_task(meeting, actor=clerk, content=TASK_TEXT, lead_unit=noivu,
                           deadline=date(2017, 4, 20))
        db.session.commit()
        print(task.id)
    """
).replace("TASK_TEXT", repr(TASK))


@pytest.fixture(scope="module")
def checks(axe_script: Path | None) -> Iterator[PageChecks]:
    """The page checks, screenshots under test-artifacts/browser/handdown/."""
    folder = ARTIFACTS / "handdown"
    folder.mkdir(parents=True, exist_ok=True)
    result = PageChecks(folder, axe_script)
    yield result
    result.write_report()


def test_head_breaks_down_on_a_phone_officer_reports(
    browser: Browser, live: LiveApp, mailbox: Mailbox, checks: PageChecks
) -> None:
    done = live._run("-c", SETUP, now="2017-04-10T08:00:00")
    assert done.returncode == 0, done.stderr
    task_id = int(done.stdout.strip().splitlines()[-1])
    live.start("2017-04-10T09:00:00")
    people: list[Person] = []
    try:
        # The head, on a phone, opens the task and gives a part to an officer.
        head = Person(browser, live, phone=True)
        people.append(head)
        head.login("truongnoivu")
        page = head.page
        page.goto(f"/tasks/{task_id}")
        expect(page.locator("#subtasks")).to_contain_text("Nhiệm vụ chưa được giao cho cán bộ nào.")
        checks.check(page, "task-not-broken-down")
        page.get_by_role("link", name="Giao việc cho cán bộ").click()
        expect(page.locator("h1")).to_have_text("Giao việc cho cán bộ")
        page.get_by_label("Giao cho").select_option(label="Quàng Thị Hương")
        page.get_by_label("Nội dung công việc").fill("Kiểm tra công vụ tại UBND 7 xã phía Bắc")
        # A deadline after the task's is refused, and what was typed is kept.
        page.get_by_label("Thời hạn").fill("2017-04-25")
        page.get_by_role("button", name="Giao việc", exact=True).click()
        expect(page.locator(".error")).to_contain_text(
            "Thời hạn không được sau thời hạn của nhiệm vụ (20/04/2017)."
        )
        expect(page.get_by_label("Nội dung công việc")).to_have_value(
            "Kiểm tra công vụ tại UBND 7 xã phía Bắc"
        )
        checks.check(page, "subtask-form-error")
        page.get_by_label("Thời hạn").fill("2017-04-18")
        page.get_by_role("button", name="Giao và giao tiếp việc khác").click()
        assert "Đã giao việc cho Quàng Thị Hương." in flash(page)
        page.get_by_label("Giao cho").select_option(label="Vì Văn Khánh")
        page.get_by_label("Nội dung công việc").fill("Kiểm tra công vụ tại các phòng chuyên môn")
        page.get_by_label("Thời hạn").fill("2017-04-19")
        page.get_by_role("button", name="Giao việc", exact=True).click()
        expect(page.locator("#subtasks")).to_contain_text("0/2 việc đã hoàn thành")
        checks.check(page, "task-broken-down")

        # The officer, on a phone, finds the part in "Việc của tôi" and reports it done.
        officer = Person(browser, live, phone=True)
        people.append(officer)
        officer.login("canbo1")
        page = officer.page
        page.get_by_role("link", name="Việc của tôi").click()
        expect(page.locator("h1")).to_have_text("Việc của tôi")
        checks.check(page, "my-work-officer")
        page.get_by_role("link", name="Kiểm tra công vụ tại UBND 7 xã phía Bắc").click()
        page.get_by_label("Nội dung báo cáo").fill("Đã kiểm tra 7 xã; biên bản đã lưu hồ sơ.")
        page.get_by_role("button", name="Báo cáo hoàn thành").click()
        assert "chờ trưởng đơn vị xác nhận" in flash(page)
        expect(page.locator("dl.facts")).to_contain_text("Chờ trưởng đơn vị xác nhận")
        checks.check(page, "subtask-reported")

        # The head confirms it from "Việc của tôi".
        page = head.page
        page.goto("/my-work")
        expect(page.locator("#officers")).to_contain_text("Quàng Thị Hương")
        checks.check(page, "my-work-head")
        page.get_by_role("link", name="Kiểm tra công vụ tại UBND 7 xã phía Bắc").first.click()
        page.get_by_role("button", name="Xác nhận hoàn thành").click()
        expect(page.locator("dl.facts")).to_contain_text("Đã hoàn thành")

        # The lead unit drafts its report on the task from the parts (static/subtasks.js).
        page.goto(f"/tasks/{task_id}")
        expect(page.locator("#subtasks")).to_contain_text("1/2 việc đã hoàn thành")
        page.get_by_role("button", name="Điền báo cáo từ các việc đã giao").click()
        expect(page.locator("#progress-note")).to_have_value(
            "- Kiểm tra công vụ tại UBND 7 xã phía Bắc (Quàng Thị Hương): Đã hoàn thành. "
            "Đã kiểm tra 7 xã; biên bản đã lưu hồ sơ.\n"
            "- Kiểm tra công vụ tại các phòng chuyên môn (Vì Văn Khánh): Đang thực hiện, 0%"
        )
        for person in people:
            assert person.csp_violations(person.page) == []
            assert person.foreign_requests() == []

        # The chair sees the breakdown, read-only.
        chair = Person(browser, live)
        people.append(chair)
        chair.login("chutich")
        page = chair.page
        page.goto(f"/tasks/{task_id}")
        expect(page.locator("#subtasks")).to_contain_text("Vì Văn Khánh")
        expect(page.get_by_role("link", name="Giao việc cho cán bộ")).to_have_count(0)
        checks.check(page, "task-breakdown-chair")
    finally:
        for person in people:
            person.close()
        live.stop()
