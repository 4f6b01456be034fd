"""Locust load test: unit members and chairs working the tracker at the same time.

Run it through tests/load/run.py (a fresh PostgreSQL database, a synthetic province, gunicorn),
or by hand against a server whose database holds `build_province` users:

    locust -f tests/load/locustfile.py --headless -u 52 -r 10 -t 60s --host http://127.0.0.1:8000

Settings (environment): LOAD_PASSWORD (the synthetic users' password), LOAD_CHAIRS (how many
of the users are chairs, default 2), LOAD_YEAR (the year the dashboard shows, default 2025,
the synthetic province's last year), LOAD_WAIT ("min,max" seconds between actions).
"""

from __future__ import annotations

import itertools
import os
import random
import re
from html.parser import HTMLParser
from typing import Any

from locust import HttpUser, between, task
from locust.exception import StopUser

PASSWORD = os.environ.get("LOAD_PASSWORD", "bench-password-2025")
CHAIRS = int(os.environ.get("LOAD_CHAIRS", "2"))
YEAR = os.environ.get("LOAD_YEAR", "2025")
WAIT = tuple(float(x) for x in os.environ.get("LOAD_WAIT", "1,3").split(","))

# Every request name the mix uses; the runner checks each one was exercised.
ENDPOINTS = (
    "login_page",
    "login",
    "tasks_mine",
    "task_list",
    "task_list_filtered",
    "task_detail",
    "progress_post",
    "notifications",
    "dashboard",
)

# Users log in (and read their first page) in on_start; the runner waits for all of them before
# it measures, so that the argon2 cost of 52 logins (by design tens of ms of CPU each) and the
# first-page burst of a ramp-up are reported apart from the steady mix.
ready_users = 0

TASK_LINK = re.compile(r'href="/tasks/(\d+)"')
UNIT_OPTION = re.compile(r'<option value="(\d+)"')
SEARCHES = ("giai phong mat bang", "chuyen doi so", "nong thon moi", "ngan sach", "dat dai")
STATUSES = ("new", "in_progress", "submitted", "done")
TIMELINESS = ("open_overdue", "open_on_time", "done_late", "no_deadline")


class FormReader(HTMLParser):
    """The fields of one form of a page (by its id), as a browser would submit them."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.found = False
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
            self.found = self.found or self.inside
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("file", "submit", "checkbox"):
            self.fields[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            # The first option stands until a selected one is seen, as in a browser.
            if "selected" in a or self._select not in self.fields:
                self.fields[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def read_form(html: str, form_id: str) -> dict[str, str] | None:
    """The fields of the form `form_id`, or None when the page has no such form."""
    reader = FormReader(form_id)
    reader.feed(html)
    return reader.fields if reader.found else None


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return match.group(1) if match else ""


class TrackerUser(HttpUser):
    """A logged-in person; every request must answer as a browser expects or it fails."""

    abstract = True
    wait_time = between(*WAIT)
    role = ""
    numbers: itertools.count[int]

    def on_start(self) -> None:
        global ready_users
        self.username = f"{self.role}{next(self.numbers)}"
        try:
            self._login()
            self.first_page()
        finally:
            ready_users += 1

    def first_page(self) -> None:
        """What the person sees right after logging in."""

    def _login(self) -> None:
        page = self.page("/login", "login_page")
        with self.client.post(
            "/login",
            data={
                "username": self.username,
                "password": PASSWORD,
                "csrf_token": csrf_token(page),
            },
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302 or "/login" in response.headers.get("Location", ""):
                response.failure(f"{self.username} could not log in ({response.status_code})")
                raise StopUser()

    def page(self, url: str, name: str) -> str:
        """GET a page that must answer 200 itself: a redirect (to the login page, say) fails."""
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code} {r.headers.get('Location', '')}")
                return ""
            return r.text

    def open_task(self, task_id: int) -> str:
        return self.page(f"/tasks/{task_id}", "task_detail")


class UnitUser(TrackerUser):
    """A unit's member: their unit's tasks, a task, a progress report, notifications."""

    role = "unit"
    weight = 1
    numbers = itertools.count()

    def first_page(self) -> None:
        self.led: list[int] = []
        self.visible: list[int] = []
        self.reports = 0
        self._read_mine()

    def _read_mine(self) -> None:
        html = self.page("/tasks/mine", "tasks_mine")
        # The page lists the tasks the unit leads first (open ones first), then the ones it
        # coordinates, each in its own <section>.
        sections = html.split("<section")
        if len(sections) >= 3:
            self.led = [int(i) for i in TASK_LINK.findall(sections[1])]
            self.visible = self.led + [int(i) for i in TASK_LINK.findall(sections[2])]

    @task(3)
    def tasks_mine(self) -> None:
        self._read_mine()

    @task(3)
    def task_list(self) -> None:
        choice = random.random()
        if choice < 0.4:
            query = f"?timeliness={random.choice(TIMELINESS)}"
        elif choice < 0.7:
            query = f"?status={random.choice(STATUSES)}"
        else:
            query = f"?page={random.randint(1, 3)}"
        html = self.page(f"/tasks/{query}", "task_list")
        self.visible.extend(int(i) for i in TASK_LINK.findall(html)[:5])
        del self.visible[:-400]

    @task(5)
    def task_detail(self) -> None:
        if self.visible:
            self.open_task(random.choice(self.visible))

    @task(1)
    def progress_post(self) -> None:
        """Open a task the unit leads and report progress through its form, with the version
        the page showed (optimistic locking) and the form's CSRF token."""
        # Open tasks come first in the led list; a closed one has no form and is dropped.
        for _ in range(3):
            if not self.led:
                return
            task_id = random.choice(self.led[:30])
            fields = read_form(self.open_task(task_id), "progress")
            if fields is not None:
                break
            self.led.remove(task_id)
        else:
            return
        self.reports += 1
        current = int(fields.get("progress-progress") or 0)
        fields["progress-note"] = f"Kiểm thử tải: {self.username} báo cáo lần {self.reports}."
        fields["progress-progress"] = str(min(95, current + 5))
        with self.client.post(
            f"/tasks/{task_id}/progress",
            data=fields,
            # A browser sends the empty file input as a part of the multipart body.
            files={"progress-files": ("", b"", "application/octet-stream")},
            name="progress_post",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302 or not response.headers.get("Location", "").endswith(
                f"/tasks/{task_id}"
            ):
                response.failure(f"progress on task {task_id}: {response.status_code}")
                return
        self.open_task(task_id)

    @task(1)
    def notifications(self) -> None:
        self.page("/notifications/", "notifications")


class ChairUser(TrackerUser):
    """A chair (lãnh đạo): the dashboard, the task list with filters, tasks."""

    role = "chair"
    fixed_count = CHAIRS
    numbers = itertools.count()

    def first_page(self) -> None:
        html = self.page("/tasks/", "task_list")
        self.units = [int(i) for i in UNIT_OPTION.findall(html)] or [1]
        self.seen = [int(i) for i in TASK_LINK.findall(html)]

    @task(3)
    def dashboard(self) -> None:
        period = random.choice((YEAR, f"{YEAR}-Q2", f"{YEAR}-Q1", str(int(YEAR) - 1)))
        self.page(f"/reports/?period={period}", "dashboard")

    @task(4)
    def task_list_filtered(self) -> None:
        filters: dict[str, Any] = {"unit": random.choice(self.units)}
        choice = random.random()
        if choice < 0.5:
            filters["timeliness"] = random.choice(TIMELINESS)
        elif choice < 0.8:
            filters["status"] = random.choice(STATUSES)
        else:
            filters = {"q": random.choice(SEARCHES)}
        query = "&".join(f"{k}={v}".replace(" ", "+") for k, v in filters.items())
        html = self.page(f"/tasks/?{query}", "task_list_filtered")
        self.seen = ([int(i) for i in TASK_LINK.findall(html)[:10]] + self.seen)[:200]

    @task(3)
    def task_detail(self) -> None:
        if self.seen:
            self.open_task(random.choice(self.seen))
