"""The notice review in a real browser (issue 18 §7): the office clerk reads a notice of their
own making on a phone, is sent to the rows to fix, adds a unit the directory lacks from the
review screen, and confirms; the directory learns only the name the notice wrote for a unit
the clerk picked by hand, never a misread span such as "Huyện đoàn chủ trì"."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip(
    "playwright.sync_api",
    reason="browser tests need Playwright for Python (pip install -e '.[test]')",
)

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ARTIFACTS, LiveApp, Mailbox
from tests.browser.pages import DESKTOP, PHONE, PageChecks
from tests.browser.test_day import Person, flash
from tests.browser.test_pages import PROBLEMS_JS

pytestmark = pytest.mark.browser

# A notice written for this test. Directive 1 names units of the directory; 2 a unit it lacks;
# 3 opens with "Việc ..."; 4 has no deadline; 5 is read with "chủ trì" run into the name; 6
# names Huyện đoàn as people write it, which the clerk maps by hand.
MISSING = "Trung tâm Phát triển quỹ đất huyện"
WRITTEN = "Đoàn Thanh niên huyện"
EDITED = "Hoàn thiện hồ sơ thu hồi đất tuyến đường nội thị (đoạn qua bản Suối Lìn)"
NOTICE = """ỦY BAN NHÂN DÂN HUYỆN VÂN HỒ
Số: 112/TB-UBND
Vân Hồ, ngày 12 tháng 9 năm 2017

THÔNG BÁO
Kết luận của Chủ tịch UBND huyện tại cuộc họp về giải phóng mặt bằng và phong trào thanh niên

1. Giao Phòng Tài nguyên và Môi trường chủ trì, phối hợp với Phòng Kinh tế và Hạ tầng hoàn \
thiện hồ sơ thu hồi đất tuyến đường nội thị, báo cáo UBND huyện trước ngày 29/9/2017.

2. Giao Trung tâm Phát triển quỹ đất huyện lập phương án bồi thường, hỗ trợ cho các hộ dân bị \
ảnh hưởng; hoàn thành trước ngày 15/10/2017.

3. Việc cập nhật bảng giá đất năm 2018 do Phòng Tài chính - Kế hoạch chủ trì thực hiện, trình \
UBND huyện trước ngày 20/10/2017.

4. Giao Phòng Văn hóa và Thông tin tăng cường tuyên truyền chính sách bồi thường, giải phóng \
mặt bằng đến người dân.

5. Huyện đoàn chủ trì tổ chức ra quân tình nguyện giúp nhân dân vùng lũ, hoàn thành trước \
ngày 30/9/2017.

6. Đoàn Thanh niên huyện chủ trì, phối hợp với Phòng Giáo dục và Đào tạo tổ chức hội thi tin \
học trẻ cho học sinh trước ngày 31/10/2017.
"""

# A longer notice for the desktop check: its one unknown unit is in its last directive, far
# below the top of the page.
FAR_MISSING = "Ban Quản lý dự án đầu tư xây dựng huyện"
FAR_NOTICE = """ỦY BAN NHÂN DÂN HUYỆN VÂN HỒ
Số: 118/TB-UBND
Vân Hồ, ngày 19 tháng 9 năm 2017

THÔNG BÁO
Kết luận của Chủ tịch UBND huyện tại cuộc họp giao ban tháng 9 năm 2017

1. Giao Phòng Nội vụ rà soát, bổ sung quy hoạch cán bộ lãnh đạo các phòng chuyên môn; hoàn \
thành trước ngày 30/10/2017.

2. Giao Phòng Y tế chủ trì, phối hợp với Phòng Giáo dục và Đào tạo kiểm tra an toàn thực phẩm \
tại bếp ăn các trường học trước ngày 15/10/2017.

3. Giao Thanh tra huyện kiểm tra việc quản lý, sử dụng kinh phí sự nghiệp môi trường năm 2016; \
báo cáo kết quả trước ngày 31/10/2017.

4. Giao Phòng Lao động - Thương binh và Xã hội rà soát hộ nghèo, hộ cận nghèo năm 2017 trước \
ngày 20/11/2017.

5. Giao Phòng Dân tộc hướng dẫn các xã thực hiện chính sách hỗ trợ đồng bào dân tộc thiểu số.

6. Giao Ban Quản lý dự án đầu tư xây dựng huyện hoàn thiện hồ sơ quyết toán công trình trường \
mầm non trước ngày 30/11/2017.
"""

# Huyện đoàn is in the directory, as in every district; the demo's directory lacks it. Then a
# meeting chaired by the chair; prints its id.
SETUP = textwrap.dedent(
    """
    import sys
    import sqlalchemy as sa
    from datetime import date
    from tracker import create_app
    from tracker.auth.models import User
    from tracker.extensions import db
    from tracker.meetings.operations import save_meeting
    from tracker.units.models import Unit, UnitKind
    from tracker.units.operations import save_unit

    app = create_app()
    with app.app_context():
        if db.session.scalar(sa.select(Unit).where(Unit.name == "Huyện đoàn")) is None:
            save_unit(None, name="Huyện đoàn", short_name="Huyện đoàn", kind=UnitKind.OTHER)
        clerk = db.session.scalar(sa.select(User).where(User.username == "vanphong"))
        chair = db.session.scalar(sa.select(User).where(User.username == "chutich"))
        meeting = save_meeting(None, actor=clerk, title=sys.argv[1],
                               held_on=date.fromisoformat(sys.argv[2]), chair=chair)
        db.session.commit()
        print(meeting.id)
    """
)

# What the database holds after the confirmation: the meeting's tasks, every alias.
FACTS = textwrap.dedent(
    """
    import json, sys
    import sqlalchemy as sa
    from tracker import create_app
    from tracker.extensions import db
    from tracker.tasks.models import Task
    from tracker.units.models import Unit, UnitAlias

    app = create_app()
    with app.app_context():
        tasks = db.session.scalars(
            sa.select(Task).where(Task.meeting_id == int(sys.argv[1])).order_by(Task.id)
        ).all()
        aliases = db.session.execute(
            sa.select(Unit.name, UnitAlias.alias).join(Unit, UnitAlias.unit_id == Unit.id)
        ).all()
        print(json.dumps({
            "tasks": [{"content": t.content, "lead": t.lead_unit.name,
                       "deadline": t.deadline.isoformat() if t.deadline else None}
                      for t in tasks],
            "aliases": [[name, alias] for name, alias in aliases],
        }, ensure_ascii=False))
    """
)

# Where the focused element is, and whether a person sees it there (not under the sticky
# buttons at the bottom of the form).
FOCUSED_JS = """() => {
  const el = document.activeElement, box = el.getBoundingClientRect();
  const x = box.left + box.width / 2, y = box.top + box.height / 2;
  const hit = document.elementFromPoint(x, y);
  return {id: el.id, top: box.top, bottom: box.bottom, height: window.innerHeight,
          seen: !!hit && (hit === el || el.contains(hit))};
}"""


@pytest.fixture(scope="module")
def checks(axe_script: Path | None) -> Iterator[PageChecks]:
    """The page checks, screenshots under test-artifacts/browser/review/."""
    folder = ARTIFACTS / "review"
    folder.mkdir(parents=True, exist_ok=True)
    result = PageChecks(folder, axe_script)
    yield result
    result.write_report()


def _meeting(live: LiveApp, title: str, held_on: str) -> int:
    done = live._run("-c", SETUP, title, held_on, now=f"{held_on}T08:00:00")
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip().splitlines()[-1])


def _facts(live: LiveApp, meeting_id: int) -> dict[str, Any]:
    done = live._run("-c", FACTS, str(meeting_id), now=live.now)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _read(page: Page, meeting_id: int, text: str) -> None:
    page.goto(f"/meetings/{meeting_id}")
    page.get_by_role("link", name="Đọc thông báo, đề xuất nhiệm vụ").click()
    page.get_by_label("Toàn văn thông báo").fill(text)
    page.get_by_role("button", name="Đọc và đề xuất nhiệm vụ").click()
    expect(page.locator("h1")).to_have_text("Xem xét nhiệm vụ đề xuất")


def _row_with(page: Page, words: str) -> int:
    """The index of the proposal whose task text holds `words` (case aside)."""
    for index in range(page.locator("fieldset.proposal").count()):
        if words.lower() in page.locator(f"#row-{index}-task").input_value().lower():
            return index
    raise AssertionError(f"no proposal about {words!r}")


def _first_error_is_focused_and_seen(page: Page, field: str) -> None:
    expect(page.locator(f"#{field}")).to_be_focused()
    focused = page.evaluate(FOCUSED_JS)
    assert focused["id"] == field, focused
    assert focused["top"] >= 0 and focused["bottom"] <= focused["height"], focused
    assert focused["seen"], f"{field} is focused but hidden under another element: {focused}"


def _nothing_cut(page: Page, name: str, checks: PageChecks) -> None:
    """At 360 px nothing of the review page is clipped or past the edge; screenshots of it."""
    original = page.viewport_size
    page.set_viewport_size(PHONE)
    problems = page.evaluate(PROBLEMS_JS)
    assert problems == [], f"{name} at 360 px: {problems}"
    path = checks.artifacts / f"{name}-360.png"
    page.screenshot(path=str(path), full_page=True)
    checks.screenshots.append(path)
    if original:
        page.set_viewport_size(original)


@pytest.mark.parametrize("live", ["sqlite", "postgresql"], indirect=True)
def test_clerk_reviews_a_notice_on_a_phone(
    browser: Browser, live: LiveApp, mailbox: Mailbox, checks: PageChecks
) -> None:
    backend = "postgresql" if "postgresql" in live.env["TRACKER_DATABASE_URL"] else "sqlite"
    meeting_id = _meeting(
        live, "Họp bàn giải phóng mặt bằng và phong trào thanh niên", "2017-09-11"
    )
    live.start("2017-09-13T09:00:00")
    clerk = Person(browser, live, phone=True)
    people = [clerk]
    try:
        clerk.login("vanphong")
        page = clerk.page

        # 1. Read: six proposals; those the clerk must look at are marked and listed.
        _read(page, meeting_id, NOTICE)
        proposals = page.locator("fieldset.proposal")
        expect(proposals).to_have_count(6)
        land = _row_with(page, "phương án bồi thường")
        youth = _row_with(page, "hội thi tin học trẻ")
        prices = _row_with(page, "bảng giá đất")
        media = _row_with(page, "tăng cường tuyên truyền")
        volunteers = _row_with(page, "ra quân tình nguyện")
        for index, name in ((land, MISSING), (youth, WRITTEN)):
            row = page.locator(f"#row-{index}")
            expect(row.locator(".badge")).to_have_text("cần kiểm tra")
            expect(row.locator("ul.checks")).to_contain_text(f"“{name}” chưa có trong danh mục")
            expect(page.locator(".review-summary")).to_contain_text(f"Nhiệm vụ {index + 1}")
            expect(page.locator(f"#row-{index}-lead")).to_have_value("")
            # …and its sentence is marked in the notice's text too.
            expect(page.locator(f"mark#src-{index}")).to_have_class("doubtful")
        expect(page.locator(".review-summary")).to_contain_text(MISSING)
        # The unit the directory knows is chosen; "Huyện đoàn chủ trì" is matched as Huyện đoàn.
        expect(page.locator("#row-0-lead option:checked")).to_have_text(
            "Phòng Tài nguyên và Môi trường"
        )
        expect(page.locator(f"#row-{volunteers}-lead option:checked")).to_have_text("Huyện đoàn")
        # "Không thời hạn" once, in the one row without a deadline.
        for index in range(6):
            expected = 1 if index == media else 0
            expect(page.locator(f"#row-{index}").get_by_text("Không thời hạn")).to_have_count(
                expected
            )
        # Task texts as a clerk writes them: a capital, no leading "Việc".
        expect(page.locator(f"#row-{prices}-task")).to_have_value("Cập nhật bảng giá đất năm 2018")
        for index in range(6):
            value = page.locator(f"#row-{index}-task").input_value()
            assert value[:1].isupper() and not value.startswith("Việc"), value
        _nothing_cut(page, f"review-read-{backend}", checks)

        # 2. Confirming as read: nothing is created, the banner names the rows to fix, and the
        # first faulty field has the focus, in sight.
        page.get_by_role("button", name="Xác nhận và tạo nhiệm vụ").click()
        banner = page.locator("#review-errors")
        expect(banner).to_contain_text("Chưa tạo nhiệm vụ nào")
        expect(banner.locator("li")).to_have_count(2)
        expect(banner.locator("li").nth(0)).to_contain_text(
            f"Nhiệm vụ {min(land, youth) + 1} — Đơn vị chủ trì"
        )
        expect(banner.locator("li").nth(1)).to_contain_text(
            f"Nhiệm vụ {max(land, youth) + 1} — Đơn vị chủ trì"
        )
        expect(banner).to_contain_text(MISSING)
        _first_error_is_focused_and_seen(page, f"row-{min(land, youth)}-lead")
        _nothing_cut(page, f"review-errors-{backend}", checks)
        assert _facts(live, meeting_id)["tasks"] == []

        # 3. The clerk edits another row, picks Huyện đoàn by hand for "Đoàn Thanh niên
        # huyện", then adds the missing unit from the review screen.
        page.locator("#row-0-task").fill(EDITED)
        page.locator(f"#row-{youth}-lead").select_option(label="Huyện đoàn")
        page.locator(f"#row-{media}-deadline").fill("2017-12-31")
        add_unit = page.locator("#add-unit")
        expect(add_unit.get_by_label("Tên đơn vị")).to_have_value(MISSING)
        # A name the directory already has is refused; the field says why, has the focus, and
        # the rows keep what the clerk typed.
        add_unit.get_by_label("Tên đơn vị").fill("Phòng Nội vụ")
        add_unit.get_by_role("button", name="Thêm đơn vị và khớp lại").click()
        expect(page.locator("#unit-name-error")).to_have_text("Đã có đơn vị tên này.")
        _first_error_is_focused_and_seen(page, "unit-name")
        expect(page.locator("#row-0-task")).to_have_value(EDITED)
        expect(page.locator(f"#row-{youth}-lead option:checked")).to_have_text("Huyện đoàn")
        expect(page.locator(f"#row-{media}-deadline")).to_have_value("2017-12-31")
        add_unit.get_by_label("Tên đơn vị").fill(MISSING)
        add_unit.get_by_label("Loại đơn vị").select_option(label="Khác")
        add_unit.get_by_label("Tên viết tắt (nếu có)").fill("TT PTQĐ")
        add_unit.get_by_role("button", name="Thêm đơn vị và khớp lại").click()
        assert f"Đã thêm đơn vị {MISSING} vào danh mục; 1 tên trong bản đọc đã khớp." in flash(page)
        # The row matches the new unit; every other edit the clerk made is still there.
        expect(page.locator(f"#row-{land}-lead option:checked")).to_have_text(MISSING)
        expect(page.locator(f"#row-{land}").locator(".badge")).to_have_count(0)
        expect(page.locator("#row-0-task")).to_have_value(EDITED)
        expect(page.locator(f"#row-{youth}-lead option:checked")).to_have_text("Huyện đoàn")
        expect(page.locator(f"#row-{media}-deadline")).to_have_value("2017-12-31")
        expect(page.locator(f"#row-{media}").get_by_text("Không thời hạn")).to_have_count(0)
        expect(page.locator(".review-summary")).not_to_contain_text("chưa có trong danh mục")
        _nothing_cut(page, f"review-unit-added-{backend}", checks)

        # 4. Confirm: six tasks, their texts starting with a capital and never "Việc".
        page.get_by_role("button", name="Xác nhận và tạo nhiệm vụ").click()
        assert "Đã tạo 6 nhiệm vụ từ thông báo." in flash(page)
        expect(page.locator("table.tasks tbody tr")).to_have_count(6)
        expect(page.locator("table.tasks")).to_contain_text("Cập nhật bảng giá đất năm 2018")
        facts = _facts(live, meeting_id)
        contents = [t["content"] for t in facts["tasks"]]
        assert len(contents) == 6
        for content in contents:
            assert content[:1].isupper() and not content.lower().startswith("việc "), content
        assert EDITED in contents
        by_lead = {t["lead"]: t for t in facts["tasks"]}
        assert by_lead[MISSING]["content"].startswith("Lập phương án bồi thường")
        assert by_lead["Phòng Văn hóa và Thông tin"]["deadline"] == "2017-12-31"

        # 5. Only the name as the notice wrote it, for the unit the clerk picked by hand, is
        # learned; not the misread "Huyện đoàn chủ trì", nothing for the machine's matches.
        aliases = [tuple(pair) for pair in facts["aliases"]]
        learned = [pair for pair in aliases if pair[0] in ("Huyện đoàn", MISSING)]
        assert learned == [("Huyện đoàn", WRITTEN)], aliases
        assert not [pair for pair in aliases if "chủ trì" in pair[1]], aliases
        assert clerk.csp_violations(page) == []
        assert clerk.foreign_requests() == []

        # The admin, on a phone, finds the new unit in the directory (to rename or merge it
        # later) and Huyện đoàn with the one name learned.
        admin = Person(browser, live, phone=True)
        people.append(admin)
        admin.login("admin")
        page = admin.page
        page.get_by_role("link", name="Đơn vị", exact=True).click()
        expect(page.locator("h1")).to_have_text("Danh mục đơn vị")
        doan = page.locator("tbody tr", has=page.get_by_role("link", name="Huyện đoàn", exact=True))
        expect(doan).to_contain_text(WRITTEN)
        expect(
            page.locator("tbody tr", has=page.get_by_role("link", name=MISSING))
        ).to_contain_text("TT PTQĐ")
        expect(page.locator("main")).not_to_contain_text("chủ trì")
        _nothing_cut(page, f"units-after-review-{backend}", checks)
    finally:
        for person in people:
            person.close()
        live.stop()


@pytest.mark.parametrize("live", ["sqlite", "postgresql"], indirect=True)
def test_the_first_row_to_fix_is_in_sight_at_1280(
    browser: Browser, live: LiveApp, mailbox: Mailbox, checks: PageChecks
) -> None:
    backend = "postgresql" if "postgresql" in live.env["TRACKER_DATABASE_URL"] else "sqlite"
    meeting_id = _meeting(live, "Giao ban tháng 9 năm 2017", "2017-09-18")
    live.start("2017-09-20T09:00:00")
    clerk = Person(browser, live)
    try:
        clerk.login("vanphong")
        page = clerk.page
        assert page.viewport_size == DESKTOP
        _read(page, meeting_id, FAR_NOTICE)
        expect(page.locator("fieldset.proposal")).to_have_count(6)
        checks.check(page, f"review-desktop-{backend}")
        page.get_by_role("button", name="Xác nhận và tạo nhiệm vụ").click()
        banner = page.locator("#review-errors")
        expect(banner.locator("li")).to_have_count(1)
        expect(banner).to_contain_text("Nhiệm vụ 6 — Đơn vị chủ trì")
        expect(banner).to_contain_text(FAR_MISSING)
        # The sixth row is far below the banner; the browser took the clerk there.
        _first_error_is_focused_and_seen(page, "row-5-lead")
        page.screenshot(path=str(checks.artifacts / f"review-desktop-error-{backend}.png"))
        # The banner's link goes to the same field.
        page.evaluate("() => window.scrollTo(0, 0)")
        banner.get_by_role("link", name="Nhiệm vụ 6 — Đơn vị chủ trì").click()
        expect(page.locator("#row-5-lead")).to_be_in_viewport()
        _nothing_cut(page, f"review-desktop-error-{backend}", checks)
        assert _facts(live, meeting_id)["tasks"] == []

        # The clerk leaves that directive for later and, by a slip, empties the second task's
        # text: the banner names that field in words, and the text box has the focus.
        page.locator("#row-5").get_by_label("Tạo nhiệm vụ này").uncheck()
        page.locator("#row-1-task").fill("")
        page.get_by_role("button", name="Xác nhận và tạo nhiệm vụ").click()
        expect(banner.locator("li")).to_have_count(1)
        expect(banner).to_contain_text("Nhiệm vụ 2 — Nội dung: Vui lòng nhập nội dung nhiệm vụ.")
        _first_error_is_focused_and_seen(page, "row-1-task")
        expect(page.locator("#row-1-task")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#row-1-task-error")).to_have_text("Vui lòng nhập nội dung nhiệm vụ.")
        assert _facts(live, meeting_id)["tasks"] == []
        page.locator("#row-1-task").fill("Kiểm tra an toàn thực phẩm tại bếp ăn các trường học")
        page.get_by_role("button", name="Xác nhận và tạo nhiệm vụ").click()
        assert "Đã tạo 5 nhiệm vụ từ thông báo." in flash(page)
        contents = [t["content"] for t in _facts(live, meeting_id)["tasks"]]
        assert "Kiểm tra an toàn thực phẩm tại bếp ăn các trường học" in contents
    finally:
        clerk.close()
        live.stop()
