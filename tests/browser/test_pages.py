"""Every page of every role, at 360 and 1280 px, shows all it holds: nothing cut off, nothing
wider than the screen, nothing hidden in a box that scrolls sideways (issue 18 §5).

The app runs with the demo loaded at a fixed day; each role logs in once (one browser context
per role) and visits the pages its navigation offers plus the main detail pages. Each page is
screenshotted to test-artifacts/pages/<role>-<page>-<width>.png.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest

pytest.importorskip(
    "playwright.sync_api",
    reason="browser tests need Playwright for Python (pip install -e '.[test]')",
)

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import ROOT, LiveApp, Mailbox
from tracker.demo import DEMO_PASSWORD, NOTICE_45

pytestmark = pytest.mark.browser

SHOTS = ROOT / "test-artifacts" / "pages"
WIDTHS = ({"width": 360, "height": 740}, {"width": 1280, "height": 800})
# The demo's story placed in the weeks before a fixed day, the app's clock on that day.
DEMO_DAY = "2025-11-19"
NOW = f"{DEMO_DAY}T10:00:00"

# One login per kind of person the issue names.
ROLES = {
    "office": "vanphong",
    "chair": "chutich",
    "department": "noivu",
    "commune": "xavanho",
    "admin": "admin",
    # The clerk again in English, whose labels run longer.
    "office-en": "vanphong",
    # The hand-down (issue 21): the head of Phòng Nội vụ and an officer given parts.
    "head": "truongnoivu",
    "officer": "canbo1",
}
ENGLISH = {"office-en"}

# What is wrong with the page shown: the page wider than the screen; an element past its right
# edge; a box whose content is wider than the box (cut off when its overflow is hidden or clip,
# out of sight behind a sideways scroll when auto or scroll); text ending in an ellipsis that
# really truncates. Visually hidden elements (the skip link, a stacked table's head) and the
# inside of SVG drawings (the chart scales itself) are not content a person reads there.
PROBLEMS_JS = """() => {
  const vw = document.documentElement.clientWidth;
  const out = [];
  const name = (el) => {
    const part = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
      + [...e.classList].slice(0, 3).map(c => '.' + c).join('');
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      parts.unshift(part(e));
    }
    const text = (el.innerText || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
    return parts.join(' > ') + (text ? ` "${text}"` : '');
  };
  const hidden = (el, style, box) => {
    if (box.width <= 1 || box.height <= 1) return true;
    if (style.clip && style.clip !== 'auto') return true;
    if (style.clipPath && style.clipPath.startsWith('inset(50%')) return true;
    return false;
  };
  const doc = document.scrollingElement;
  if (doc.scrollWidth > vw) out.push(`page: scrollWidth ${doc.scrollWidth} > ${vw}`);
  const reported = [], unseen = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
    if (reported.some(r => r.contains(el)) || unseen.some(r => r.contains(el))) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const box = el.getBoundingClientRect();
    if (hidden(el, style, box)) { unseen.push(el); continue; }
    if (box.right > vw + 1) {
      out.push(`beyond the right edge (${Math.round(box.right)} > ${vw}): ${name(el)}`);
      reported.push(el);
      continue;
    }
    if (['INPUT', 'SELECT', 'TEXTAREA', 'svg'].includes(el.tagName)) continue;
    const ox = style.overflowX;
    if (ox === 'visible' || el.scrollWidth <= el.clientWidth + 1) continue;
    if (style.textOverflow === 'ellipsis') {
      out.push(`text cut by an ellipsis: ${name(el)}`);
    } else {
      const how = (ox === 'auto' || ox === 'scroll') ? 'scrolls sideways' : 'cut off';
      out.push(`${how} (${el.scrollWidth} > ${el.clientWidth}, overflow ${ox}): ${name(el)}`);
    }
    reported.push(el);
  }
  return out;
}"""

NAV_LINKS_JS = """() => [...document.querySelectorAll('header a[href]')]
  .map(a => a.getAttribute('href')).filter(h => h.startsWith('/'))"""


def _first_link(list_path: str, pattern: str) -> Callable[[Page], str]:
    """A detail page found as the first link on a list page whose path matches `pattern`."""

    def find(page: Page) -> str:
        page.goto(list_path)
        hrefs = page.eval_on_selector_all("main a[href]", "els => els.map(a => a.pathname)")
        for href in hrefs:
            if re.fullmatch(pattern, href):
                return str(href)
        raise AssertionError(f"no link like {pattern} on {list_path}")

    return find


def _notice_review(page: Page) -> str:
    """The review screen of notice 45 read again on the first meeting (a draft, not confirmed)."""
    meeting = _first_link("/meetings/", r"/meetings/\d+")(page)
    page.goto(meeting + "/notice/")
    page.get_by_label("Toàn văn thông báo").fill(NOTICE_45)
    page.get_by_role("button", name="Đọc và đề xuất nhiệm vụ").click()
    expect(page.locator("h1")).to_have_text("Xem xét nhiệm vụ đề xuất")
    return urlsplit(page.url).path


def _given_part(coordinating: bool) -> Callable[[Page], str]:
    """A part the demo's head gave, from "Việc của tôi": one of the lead unit's still being
    done, or the unit's coordinating part (phối hợp)."""

    def find(page: Page) -> str:
        page.goto("/my-work")
        rows = page.eval_on_selector_all(
            "main tr",
            "rows => rows.map(r => [r.querySelector('a[href^=\"/subtasks/\"]')?.pathname || '',"
            " r.innerText])",
        )
        for href, text in rows:
            if not href or ("phần phối hợp" in text) != coordinating:
                continue
            if coordinating or "Đang thực hiện" in text:
                return str(href)
        raise AssertionError(f"no {'coordinating' if coordinating else 'open'} part on /my-work")

    return find


def _break_down_form(page: Page) -> str:
    """The break-down form of the task the demo's head already broke down (still open)."""
    subtask = _given_part(False)(page)
    return _first_link(subtask, r"/tasks/\d+")(page) + "/subtasks/new"


# The enrolment plan, which Phòng Nội vụ coordinates and whose head gave the unit's part.
_coordinated_task = _first_link("/tasks/?q=tuyen+sinh", r"/tasks/\d+")


Target = str | Callable[[Page], str]
COMMON: dict[str, Target] = {
    "home": "/",
    "tasks": "/tasks/",
    "meetings": "/meetings/",
    "meeting": _first_link("/meetings/", r"/meetings/\d+"),
    "task": _first_link("/tasks/", r"/tasks/\d+"),
    "report": "/reports/",
    "report-calendar": "/reports/calendar",
    "notifications": "/notifications/",
    "notification-preferences": "/notifications/preferences",
    "profile": "/profile",
    "two-factor": "/profile/two-factor",
}
UNIT = {"tasks-mine": "/tasks/mine"}
MANAGER: dict[str, Target] = {
    "meeting-new": "/meetings/new",
    "meeting-edit": lambda page: _first_link("/meetings/", r"/meetings/\d+")(page) + "/edit",
    "task-edit": lambda page: _first_link("/tasks/", r"/tasks/\d+")(page) + "/edit",
    "task-overdue": _first_link("/tasks/?timeliness=open_overdue", r"/tasks/\d+"),
    "task-new": lambda page: _first_link("/meetings/", r"/meetings/\d+")(page) + "/tasks/new",
    "report-import": "/reports/import",
}
ADMIN: dict[str, Target] = {
    "task-overdue": _first_link("/tasks/?timeliness=open_overdue", r"/tasks/\d+"),
    "units": "/admin/units/",
    "unit-edit": _first_link("/admin/units/", r"/admin/units/\d+"),
    "unit-new": "/admin/units/new",
    "users": "/admin/users",
    "user-edit": _first_link("/admin/users", r"/admin/users/\d+"),
    "user-new": "/admin/users/new",
    "audit": "/admin/audit",
    "calendar": "/calendar/",
    "reminders": "/admin/reminders",
    "deliveries": "/admin/reminders/deliveries",
    "outbox": "/admin/reminders/outbox",
    "webhooks": "/admin/reminders/webhooks",
}
PAGES: dict[str, dict[str, Target]] = {
    "office": {
        **COMMON,
        **UNIT,
        **MANAGER,
        "calendar": "/calendar/",
        "notice-read": lambda page: _first_link("/meetings/", r"/meetings/\d+")(page) + "/notice/",
        "notice-review": _notice_review,
    },
    "chair": {**COMMON, **UNIT, **MANAGER},
    "department": {**COMMON, **UNIT},
    "commune": {**COMMON, **UNIT},
    "admin": {**COMMON, **ADMIN},
}
# "Việc của tôi" and a part's page for both; the head also breaks a task down and sees the
# dashboard's per-officer view.
HANDDOWN: dict[str, Target] = {
    "my-work": "/my-work",
    "subtask": _first_link("/my-work", r"/subtasks/\d+"),
}
PAGES["officer"] = {**COMMON, **UNIT, **HANDDOWN}
PAGES["head"] = {
    **COMMON,
    **UNIT,
    **HANDDOWN,
    "subtask-new": _break_down_form,
    "subtask-edit": lambda page: _given_part(False)(page) + "/edit",
    "subtask-coordinating": _given_part(True),
    "task-coordinating": _coordinated_task,
    "subtask-new-coordinating": lambda page: _coordinated_task(page) + "/subtasks/new",
    "report-officers": "/reports/?view=officers",
}
# The assigner sees the lead unit's breakdown and the coordinating unit's parts, read-only.
PAGES["chair"]["task-coordinating"] = _coordinated_task
PAGES["office-en"] = {k: v for k, v in PAGES["office"].items() if k != "notice-review"}
ANONYMOUS: dict[str, str] = {"login": "/login", "not-found": "/no-such-page"}

# Pages still failing, each with the element that does not fit (kept strict: when the page is
# fixed, the xfail fails and must be removed).
KNOWN: dict[tuple[str, str], str] = {}


def _params() -> Iterator[object]:
    for role, pages in PAGES.items():
        for name in pages:
            reason = KNOWN.get((role, name))
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            yield pytest.param(role, name, id=f"{role}-{name}", marks=marks)
    for name in ANONYMOUS:
        yield pytest.param("anonymous", name, id=f"anonymous-{name}")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[LiveApp]:
    """The app serving the demo as `make run` loads it, its clock fixed at DEMO_DAY."""
    app = LiveApp(tmp_path_factory.mktemp("pages"), mailbox.url)
    app.now = NOW
    for args in (("db", "upgrade"), ("demo", "--today", DEMO_DAY)):
        done = app.tracker(*args)
        assert done.returncode == 0, done.stderr
    app.start(NOW)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield app
    finally:
        app.stop()
        app.log.close()


class Visitor:
    """One role's browser context, logged in once, and the paths its pages resolved to."""

    def __init__(self, browser: Browser, live: LiveApp, role: str) -> None:
        self.role = role
        self.context: BrowserContext = browser.new_context(
            base_url=live.base_url,
            viewport=WIDTHS[0],
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
        )
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.paths: dict[str, str] = {}
        if role in ROLES:
            page = self.page
            page.goto("/login")
            page.get_by_label("Tên đăng nhập").fill(ROLES[role])
            page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Đăng nhập").click()
            expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
        if role in ENGLISH:
            self.page.get_by_role("button", name="English").click()
            expect(self.page.get_by_role("button", name="Log out")).to_be_visible()

    def path(self, name: str) -> str:
        """The path of the page `name`, resolved once."""
        if name not in self.paths:
            target = {**PAGES.get(self.role, {}), **ANONYMOUS}[name]
            self.paths[name] = target if isinstance(target, str) else target(self.page)
        return self.paths[name]

    def problems(self, name: str, path: str) -> list[str]:
        """Load `path` at each width, screenshot it, and list what does not fit."""
        page = self.page
        page.set_viewport_size(WIDTHS[0])
        response = page.goto(path)
        assert response is not None
        expected = 404 if name == "not-found" else 200
        assert response.status == expected, f"{path}: {response.status}"
        found = []
        for size in WIDTHS:
            page.set_viewport_size(size)
            found += [f"{size['width']} px: {p}" for p in page.evaluate(PROBLEMS_JS)]
            shot = SHOTS / f"{self.role}-{name}-{size['width']}.png"
            page.screenshot(path=str(shot), full_page=True)
        return found


@pytest.fixture(scope="module")
def visitors(browser: Browser, demo: LiveApp) -> Iterator[dict[str, Visitor]]:
    """A logged-in visitor per role, made when first needed."""
    made: dict[str, Visitor] = {}

    class Visitors(dict[str, Visitor]):
        def __missing__(self, role: str) -> Visitor:
            made[role] = self[role] = Visitor(browser, demo, role)
            return made[role]

    try:
        yield Visitors()
    finally:
        for visitor in made.values():
            visitor.context.close()


@pytest.mark.parametrize(("role", "name"), list(_params()))
def test_the_page_shows_everything(visitors: dict[str, Visitor], role: str, name: str) -> None:
    visitor = visitors[role]
    problems = visitor.problems(name, visitor.path(name))
    assert not problems, f"{role} {name} ({visitor.path(name)}):\n" + "\n".join(problems)


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_in_the_navigation_is_visited(visitors: dict[str, Visitor], role: str) -> None:
    """The pages above cover the role's navigation; a page added to it later is checked here
    until it gets its own entry."""
    visitor = visitors[role]
    visitor.page.set_viewport_size(WIDTHS[1])
    visitor.page.goto("/")
    nav = set(visitor.page.evaluate(NAV_LINKS_JS))
    listed = {visitor.path(n) for n, t in PAGES[role].items() if isinstance(t, str)}
    unlisted = sorted(p for p in nav - listed if urlsplit(p).path not in listed)
    problems = []
    for path in unlisted:
        name = "nav-" + (re.sub(r"[^a-z0-9]+", "-", urlsplit(path).path).strip("-") or "home")
        problems += visitor.problems(name, urlsplit(path).path)
    assert not problems, f"{role}: pages of the navigation not listed:\n" + "\n".join(problems)


SAMPLE = """<!doctype html><html><head><meta name="viewport" content="width=device-width">
<style>.cut { width: 100px; overflow: hidden; white-space: nowrap; }
.dots { width: 100px; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
.box { width: 100px; overflow-x: auto; } .wide { width: 500px; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }</style>
</head><body>
<div class="cut" id="cut">Chưa hoàn thành quá hạn, chưa hoàn thành trong hạn</div>
<p class="dots" id="dots">Phòng Nông nghiệp và Phát triển nông thôn</p>
<div class="box" id="box"><div class="wide">a</div></div>
<div class="sr"><span class="wide">skip link text that is wide but hidden</span></div>
<p class="cut" id="fits">ngắn</p>
<div class="wide" id="past">quá rộng</div>
</body></html>"""


def test_the_check_sees_what_is_cut(browser: Browser) -> None:
    """The detector itself: cut text, an ellipsis, a sideways scroll and an element past the
    edge are reported, by selector; visually hidden and fitting elements are not."""
    page = browser.new_page(viewport=WIDTHS[0])
    try:
        page.set_content(SAMPLE)
        found = "\n".join(page.evaluate(PROBLEMS_JS))
    finally:
        page.close()
    assert "cut off" in found and "div#cut" in found
    assert "text cut by an ellipsis" in found and "p#dots" in found
    assert "scrolls sideways" in found and "div#box" in found
    assert "beyond the right edge" in found and "div#past" in found
    assert "page: scrollWidth" in found
    assert "p#fits" not in found and "skip link text" not in found
    assert len(found.splitlines()) == 5, found
