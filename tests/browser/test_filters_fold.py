"""The task list's filters on a phone: the less used ones fold under "Bộ lọc khác" so the list
starts on the first screen; in use, they show; on a wide screen everything shows at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("playwright")

from playwright.sync_api import Browser, expect

from tests.browser.conftest import LiveApp
from tests.browser.pages import PHONE
from tests.browser.test_day import Person


@pytest.fixture
def people(browser: Browser, live: LiveApp) -> Iterator[tuple[Person, Person]]:
    live.start("2017-04-10T09:00:00")
    phone, desk = Person(browser, live, phone=True), Person(browser, live)
    phone.login("chutich")
    desk.login("chutich")
    yield phone, desk
    phone.close()
    desk.close()


def test_a_phone_folds_the_other_filters_and_opens_them_in_use(people) -> None:  # type: ignore[no-untyped-def]
    phone, desk = people
    page = phone.page
    page.goto("/tasks/")
    fold = page.locator("details.more-filters > summary")
    expect(fold).to_have_text("Bộ lọc khác")
    expect(page.get_by_label("Tìm")).to_be_visible()
    expect(page.get_by_label("Trạng thái")).to_be_hidden()
    # The count and the download link are on the first screen now, above the fold of 740 px.
    count = page.locator(".list-count").bounding_box()
    assert count is not None and count["y"] + count["height"] < PHONE["height"]
    fold.click()
    expect(page.get_by_label("Trạng thái")).to_be_visible()
    page.get_by_label("Trạng thái").select_option(label="Chưa thực hiện")
    page.get_by_role("button", name="Lọc").click()
    # In use: open, and the summary says how many.
    expect(page.locator("details.more-filters > summary")).to_have_text("Bộ lọc khác (1 đang dùng)")
    expect(page.get_by_label("Trạng thái")).to_be_visible()
    expect(page.get_by_label("Trạng thái")).to_have_value("new")

    # A wide screen shows every field, no summary; a phone's window that grows opens too.
    desk.page.goto("/tasks/")
    expect(desk.page.get_by_label("Trạng thái")).to_be_visible()
    expect(desk.page.locator("details.more-filters > summary")).to_be_hidden()
    page.goto("/tasks/")
    expect(page.get_by_label("Trạng thái")).to_be_hidden()
    page.set_viewport_size({"width": 1024, "height": 740})
    expect(page.get_by_label("Trạng thái")).to_be_visible()


def test_the_report_shows_the_period_fields_that_count(people) -> None:  # type: ignore[no-untyped-def]
    phone, _desk = people
    page = phone.page
    page.goto("/reports/?period=2017-Q2")
    expect(page.get_by_label("Năm")).to_be_visible()
    expect(page.get_by_label("Từ ngày")).to_be_hidden()
    expect(page.locator("#range-hint")).to_be_hidden()
    page.get_by_label("Kỳ báo cáo").select_option(label="Từ ngày – đến ngày")
    expect(page.get_by_label("Năm")).to_be_hidden()
    page.get_by_label("Từ ngày").fill("2017-04-01")
    page.get_by_label("Đến ngày").fill("2017-04-30")
    page.get_by_role("button", name="Xem").click()
    # A range chosen: its dates show on the next page, the year does not.
    expect(page.get_by_label("Từ ngày")).to_have_value("2017-04-01")
    expect(page.get_by_label("Năm")).to_be_hidden()
    expect(page.locator("main")).to_contain_text("01/04/2017")
